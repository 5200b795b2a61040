"""The study web app through Starlette's TestClient: the JSON API, the judge and admin pages, and each security
claim of issue 18 item 7 (tokens, CSRF, other judges' items, bad bodies, escaping, CSP, no tokens in pages, logs or
exports, rate limiting)."""

from __future__ import annotations

import re

import pytest
from study_fixtures import make_study

pytest.importorskip("starlette")


@pytest.fixture
def study(tmp_path):
    from starlette.testclient import TestClient

    from proctor.study.app import make_app
    from proctor.study.study import open_db

    d = make_study(tmp_path)
    db = open_db(d)
    invites = db.invite(3)
    admin = db.mint_admin()
    app = make_app(d, db)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield {"dir": d, "db": db, "client": client, "invites": invites, "admin": admin}
    db.close()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def n_judgments(db) -> int:
    return len(db.rows())


def test_next_and_submit_with_bearer(study):
    c, (judge, token) = study["client"], study["invites"][0]
    r = c.get("/api/next", headers=bearer(token))
    assert r.status_code == 200
    view = r.json()
    assert "correct" not in view and "consultant_type" not in view  # the judge never sees the answer
    r = c.post("/api/judgments", json={"item": view["item"], "p_a": 0.8, "explanation": "quotes"},
               headers=bearer(token))
    assert r.status_code == 201, r.text
    rows = study["db"].rows()
    assert len(rows) == 1 and rows[0]["judge_id"] == judge and rows[0]["p_a"] == 0.8
    assert rows[0]["seconds"] is not None and rows[0]["seconds"] >= 0  # timed on the server, from /api/next
    # the judge's queue: every item once, then 204
    seen = {view["item"]}
    while True:
        r = c.get("/api/next", headers=bearer(token))
        if r.status_code == 204:
            break
        item = r.json()["item"]
        assert item not in seen
        seen.add(item)
        assert c.post("/api/judgments", json={"item": item, "p_a": 0.3, "explanation": ""},
                      headers=bearer(token)).status_code == 201
    assert (len(seen), len(seen)) == study["db"].progress(judge)


def test_repeated_submission_is_idempotent(study):
    c, (_, token) = study["client"], study["invites"][0]
    item = c.get("/api/next", headers=bearer(token)).json()["item"]
    body = {"item": item, "p_a": 0.7, "explanation": "x"}
    assert c.post("/api/judgments", json=body, headers=bearer(token)).status_code == 201
    again = c.post("/api/judgments", json=body, headers=bearer(token))
    assert again.status_code == 200 and again.json()["repeat"] is True
    changed = c.post("/api/judgments", json=body | {"p_a": 0.1}, headers=bearer(token))
    assert changed.status_code == 409
    assert n_judgments(study["db"]) == 1


@pytest.mark.parametrize("body, status, needle", [
    ({"item": "X", "p_a": 1.5, "explanation": ""}, 422, "outside [0, 1]"),
    ({"item": "X", "p_a": -0.01, "explanation": ""}, 422, "outside [0, 1]"),
    ({"item": "X", "p_a": "nan", "explanation": ""}, 422, "p_a"),
    ({"item": "X", "p_a": True, "explanation": ""}, 422, "p_a"),
    ({"item": "X", "explanation": ""}, 422, "missing field(s): p_a"),
    ({"p_a": 0.5}, 422, "missing field(s): item, explanation"),
    ({"item": "X", "p_a": 0.5, "explanation": "", "judge": "judge-002"}, 422, "unknown field"),
    ([1, 2], 422, "JSON object"),
])
def test_bad_bodies_are_4xx_and_store_nothing(study, body, status, needle):
    c, (_, token) = study["client"], study["invites"][0]
    item = c.get("/api/next", headers=bearer(token)).json()["item"]
    if isinstance(body, dict) and body.get("item") == "X":
        body = body | {"item": item}
    r = c.post("/api/judgments", json=body, headers=bearer(token))
    assert r.status_code == status and needle in r.json()["error"], r.text
    assert n_judgments(study["db"]) == 0


def test_oversized_and_garbled_bodies(study):
    from proctor.study.app import MAX_BODY

    c, (_, token) = study["client"], study["invites"][0]
    item = c.get("/api/next", headers=bearer(token)).json()["item"]
    big = {"item": item, "p_a": 0.5, "explanation": "x" * (MAX_BODY + 10)}
    r = c.post("/api/judgments", json=big, headers=bearer(token))
    assert r.status_code == 413 and "bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the limit holds on the stream too
        for _ in range(MAX_BODY // 1000 + 5):
            yield b"x" * 1000

    r = c.post("/api/judgments", content=chunks(), headers=bearer(token))
    assert r.status_code == 413
    r = c.post("/api/judgments", content=b"\xff\xfe not json", headers=bearer(token))
    assert r.status_code == 400
    assert n_judgments(study["db"]) == 0


def test_a_judge_cannot_answer_or_read_another_judges_item(study):
    c = study["client"]
    (_, tok_a), (_, tok_b) = study["invites"][:2]
    db = study["db"]
    from sqlalchemy import select

    from proctor.study.db import assignments
    with db.engine.connect() as conn:
        mine = set(conn.execute(select(assignments.c.item_id).where(assignments.c.judge_id == "judge-001")).scalars())
        all_items = set(conn.execute(select(assignments.c.item_id)).scalars())
    other = sorted(all_items - mine)[0]
    r = c.post("/api/judgments", json={"item": other, "p_a": 0.5, "explanation": ""}, headers=bearer(tok_a))
    assert r.status_code == 404
    r = c.post("/api/judgments", json={"item": "no-such-item", "p_a": 0.5, "explanation": ""}, headers=bearer(tok_a))
    assert r.status_code == 404
    assert n_judgments(db) == 0
    # /api/next only ever serves the judge's own queue
    assert c.get("/api/next", headers=bearer(tok_a)).json()["item"] in mine


def test_bad_tokens_are_rejected_then_rate_limited(study):
    from proctor.study.app import BAD_TOKEN_LIMIT

    c = study["client"]
    codes = [c.get("/api/next", headers=bearer(f"wrong-{i}")).status_code for i in range(BAD_TOKEN_LIMIT + 2)]
    assert codes[:BAD_TOKEN_LIMIT] == [401] * BAD_TOKEN_LIMIT and codes[-1] == 429
    # a good token from the same client is refused too while the client is blocked
    assert c.get("/api/next", headers=bearer(study["invites"][0][1])).status_code == 429
    assert c.get("/join/not-a-token").status_code == 429


def _sign_in(c, token):
    r = c.get(f"/join/{token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/judge"
    return r


def test_session_cookie_flags_and_csrf(study):
    c, (_, token) = study["client"], study["invites"][0]
    r = _sign_in(c, token)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = c.get("/judge")
    assert page.status_code == 200
    item = re.search(r'name="item" value="([^"]+)"', page.text).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form = {"item": item, "p_a": "0.9", "explanation": "x"}
    # a form post without (or with a wrong) CSRF token stores nothing
    assert c.post("/judge", data=form, follow_redirects=False).status_code == 403
    assert c.post("/judge", data=form | {"csrf": "forged"}, follow_redirects=False).status_code == 403
    # a cookie-authenticated API post needs the header too
    assert c.post("/api/judgments", json={"item": item, "p_a": 0.9, "explanation": "x"}).status_code == 403
    assert n_judgments(study["db"]) == 0
    r = c.post("/judge", data=form | {"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert n_judgments(study["db"]) == 1


def test_pages_escape_text_carry_csp_and_no_tokens(study):
    c, (_, token) = study["client"], study["invites"][0]
    _sign_in(c, token)
    pages = []
    for _ in range(12):  # walk the queue until a debate with the hostile turn is shown
        page = c.get("/judge")
        pages.append(page)
        if "onerror" in page.text or "Done" in page.text:
            break
        item = re.search(r'name="item" value="([^"]+)"', page.text).group(1)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        c.post("/judge", data={"item": item, "p_a": "0.5", "explanation": "<b>bold</b>", "csrf": csrf})
    page = pages[-1]
    assert "onerror" in page.text, "no hostile transcript in this judge's queue"
    assert "&lt;script&gt;window.__pwned" in page.text and "<script>window" not in page.text
    assert "&lt;img src=x onerror=" in page.text and '<a href="javascript:' not in page.text
    for p in pages:
        csp = p.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert p.headers["referrer-policy"] == "no-referrer"
        # every script is an external file of this server; no inline script, no external host
        for tag in re.findall(r"<script[^>]*>", p.text):
            assert 'src="/static/' in tag
        assert "http://" not in p.text and "https://" not in p.text
        assert token not in p.text
    # the admin page shows explanations as text
    r = c.get(f"/admin/login/{study['admin']}", follow_redirects=False)
    assert r.status_code == 303
    admin = c.get("/admin")
    assert "&lt;b&gt;bold&lt;/b&gt;" in admin.text and "<b>bold</b>" not in admin.text
    assert study["admin"] not in admin.text and token not in admin.text
    static = c.get("/static/study.js")
    assert static.status_code == 200 and "javascript" in static.headers["content-type"]


def test_admin_needs_the_admin_token(study):
    c, (_, token) = study["client"], study["invites"][0]
    assert c.get("/admin").status_code == 401
    assert c.get("/api/admin").status_code == 401
    assert c.get("/api/admin", headers=bearer(token)).status_code == 401  # a judge token is not an admin token
    _sign_in(c, token)
    assert c.get("/admin").status_code == 401  # a judge session is not an admin session
    assert c.get("/api/admin", headers=bearer(study["admin"])).status_code == 200


def test_tokens_never_stored_logged_or_exported(study, tmp_path, capsys):
    from starlette.testclient import TestClient

    from proctor.study.app import make_app

    (_, token) = study["invites"][0]
    with TestClient(make_app(study["dir"], study["db"], log=True), base_url="http://127.0.0.1") as logged:
        _sign_in(logged, token)
        logged.get(f"/admin/login/{study['admin']}")
        item = logged.get("/api/next", headers=bearer(token)).json()["item"]
        logged.post("/api/judgments", json={"item": item, "p_a": 0.6, "explanation": "e"}, headers=bearer(token))
    log = capsys.readouterr().err
    assert "/join/[token]" in log and "/admin/login/[token]" in log and "POST /api/judgments 201" in log
    assert token not in log and study["admin"] not in log
    db_bytes = b"".join(p.read_bytes() for p in study["dir"].glob("study.sqlite*"))
    assert token.encode() not in db_bytes and study["admin"].encode() not in db_bytes
    from proctor.study.db import token_hash
    assert token_hash(token).encode() in db_bytes  # the hash is what is kept
    from conftest import invoke
    csv = tmp_path / "out.csv"
    r = invoke("study", "results", study["dir"], "--csv", csv, "--json")
    assert r.exit_code == 0, r.output
    assert token not in csv.read_text() and token not in r.stdout


def test_time_limit_is_enforced_by_the_server(tmp_path, monkeypatch):
    """study.toml's time_limit, measured on the server from when the item was first served: a judgment after it is
    refused (409, timed_out), recorded so the queue moves on, and counted as timed out (not in accuracy)."""
    import time

    from conftest import invoke, last_json
    from starlette.testclient import TestClient

    from proctor.study import db as study_db
    from proctor.study.app import make_app
    from proctor.study.study import open_db

    monkeypatch.setattr(study_db, "GRACE", 0.0)  # the whole limit is the 1 s below
    d = make_study(tmp_path, time_limit=1)
    db = open_db(d)
    (_, token), = db.invite(1)
    with TestClient(make_app(d, db), base_url="http://127.0.0.1") as c:
        first = c.get("/api/next", headers=bearer(token)).json()
        assert first["time_limit"] == 1 and first["time_left"] == 1
        r = c.post("/api/judgments", json={"item": first["item"], "p_a": 0.9, "explanation": "quick"},
                   headers=bearer(token))
        assert r.status_code == 201, r.text  # in time: counted
        late = c.get("/api/next", headers=bearer(token)).json()
        _sign_in(c, token)
        page = c.get("/judge").text  # the remaining time is on the page (the countdown is study.js, no inline script)
        assert 'id="timer" data-left="1"' in page and "1 s left" in page
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script (CSP)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        time.sleep(1.1)
        assert c.get("/api/next", headers=bearer(token)).json()["time_left"] == 0
        body = {"item": late["item"], "p_a": 0.9, "explanation": "slow"}
        r = c.post("/api/judgments", json=body, headers=bearer(token))
        assert r.status_code == 409 and r.json()["timed_out"] is True, r.text
        assert "time is up" in r.json()["error"] and "limit is 1 s" in r.json()["error"]
        assert c.post("/api/judgments", json=body, headers=bearer(token)).status_code == 409  # a retry: still late
        after = c.get("/api/next", headers=bearer(token)).json()
        assert after["item"] not in (first["item"], late["item"])  # the timed-out item left the queue
        time.sleep(1.1)
        r = c.post("/judge", data={"csrf": csrf, "item": after["item"], "p_a": "0.5", "explanation": ""})
        assert r.status_code == 409 and "Time is up" in r.text and 'href="/judge"' in r.text  # the form path too
    rows = db.rows()
    assert [bool(r["over_time"]) for r in rows] == [False, True, True]
    db.close()
    res = last_json(invoke("study", "results", d, "--json"))
    assert res["judgments"] == 1 and sum(res["timed_out"].values()) == 2
    counted = {p: s["n"] for p, s in res["protocols"].items()}
    assert counted == {rows[0]["protocol"]: 1}
