"""The study's web app (Starlette, served by uvicorn): the judge page, the admin page and a small JSON API.

Security (issue 18, item 7), each with a test in tests/test_study_app.py:
- per-judge invite tokens (only SHA-256 hashes stored); `/join/TOKEN` signs the judge in with a session cookie
  (a random id, HttpOnly, SameSite=Strict; the session is kept server side, only the id's hash stored) and redirects, so the token leaves the address bar; the admin signs in the
  same way with the admin token printed by `proctor study serve`;
- every form and every cookie-authenticated POST carries a CSRF token (the session's; a hidden field or the
  X-CSRF-Token header); the Bearer API needs none (no ambient credentials);
- a judge reads and answers only items of their own queue (another's item: 404, no detail);
- a judgment with p_a outside [0, 1], a missing field or a body over MAX_BODY bytes is a 4xx with a message, and
  nothing is stored;
- templates render in Jinja2's sandbox with autoescape: model- and data-written text is always text;
- Content-Security-Policy without inline script (`script-src 'self'`), every asset served from here (no CDN);
  Referrer-Policy no-referrer; pages are not cached;
- tokens never appear in pages, logs (the access log redacts them) or exports;
- repeated bad tokens from one client are rate-limited (429).
"""

from __future__ import annotations

import json
import math
import secrets
import sys
import time
from collections import defaultdict, deque
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .db import StudyDB

MAX_BODY = 64 * 1024
"""Largest request body accepted (bytes)."""
MAX_EXPLANATION = 20_000
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
BAD_TOKEN_LIMIT = 10
"""Bad tokens one client may present per BAD_TOKEN_WINDOW seconds before it gets 429."""
BAD_TOKEN_WINDOW = 60.0
HERE = Path(__file__).resolve().parent
COOKIE = "proctor_study"


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _templates():
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(loader=jinja2.PackageLoader("proctor.study", "templates"), autoescape=True,
                                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class Guard:
    """Security headers, body-size limit and an access log with tokens redacted (a pure ASGI middleware)."""

    def __init__(self, app, log: bool = False):
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            resp = JSONResponse({"error": f"request body over {MAX_BODY} bytes"}, status_code=413)
            return await resp(scope, receive, self._headers(send, scope))
        received = 0

        async def limited():
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > MAX_BODY:
                    raise BadRequest(413, f"request body over {MAX_BODY} bytes")
            return msg

        try:
            await self.app(scope, limited, self._headers(send, scope))
        except BadRequest as e:
            await JSONResponse({"error": e.message}, status_code=e.status)(scope, receive, self._headers(send, scope))

    def _headers(self, send, scope):
        async def wrapped(msg):
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                msg = dict(msg, headers=headers)
                if self.log:
                    print(f"{scope['method']} {redact(scope['path'])} {msg['status']}", file=sys.stderr, flush=True)
            await send(msg)

        return wrapped


def redact(path: str) -> str:
    """A request path for the log: the token of /join/TOKEN and /admin/login/TOKEN replaced."""
    for prefix in ("/join/", "/admin/login/"):
        if path.startswith(prefix):
            return prefix + "[token]"
    return path


class Limiter:
    """Bad-token attempts per client in a sliding window."""

    def __init__(self, limit: int = BAD_TOKEN_LIMIT, window: float = BAD_TOKEN_WINDOW):
        self.limit, self.window = limit, window
        self.fails: dict[str, deque] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        q, now = self.fails[client], time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return len(q) >= self.limit

    def fail(self, client: str) -> None:
        self.fails[client].append(time.monotonic())


def item_view(item: dict, swap: bool) -> dict:
    """What a judge may see of an item, answers in the positions of this judge (never the correct answer)."""
    order = [1, 0] if swap else [0, 1]

    def shown(side):
        return None if side is None else "AB"[order.index(side)]

    turns = [{"speaker": t["speaker"], "phase": t.get("phase", ""), "for": shown(t.get("side")),
              "segments": t["segments"]} for t in item.get("turns", [])]
    view = {"item": item["id"], "protocol": item["protocol"], "kind": item.get("kind", "text"),
            "question": item["question"], "answers": [item["answers"][i] for i in order], "turns": turns}
    if item.get("kind") == "pixels":
        view["pixels"] = [{"row": p["row"], "col": p["col"], "value": p["value"], "by": shown(p["by"])}
                          for p in item["pixels"]["revealed"]]
    return view


def parse_judgment(data) -> tuple[str, float, str]:
    """(item, p_a, explanation) from a request body; a BadRequest (422) naming the field otherwise."""
    if not isinstance(data, dict):
        raise BadRequest(422, 'expected a JSON object {"item", "p_a", "explanation"}')
    missing = [k for k in ("item", "p_a", "explanation") if k not in data]
    if missing:
        raise BadRequest(422, f"missing field(s): {', '.join(missing)}")
    extra = sorted(set(data) - {"item", "p_a", "explanation"})
    if extra:
        raise BadRequest(422, f"unknown field(s): {', '.join(extra)}")
    item, p_a, expl = data["item"], data["p_a"], data["explanation"]
    if not isinstance(item, str) or not item:
        raise BadRequest(422, "item: expected the item id (a string)")
    if isinstance(p_a, str):
        try:
            p_a = float(p_a)
        except ValueError:
            raise BadRequest(422, "p_a: expected a number in [0, 1]") from None
    if isinstance(p_a, bool) or not isinstance(p_a, (int, float)) or not math.isfinite(p_a):
        raise BadRequest(422, "p_a: expected a number in [0, 1]")
    if not 0.0 <= p_a <= 1.0:
        raise BadRequest(422, f"p_a: {p_a:g} is outside [0, 1]")
    if not isinstance(expl, str):
        raise BadRequest(422, "explanation: expected a string")
    if len(expl) > MAX_EXPLANATION:
        raise BadRequest(422, f"explanation: longer than {MAX_EXPLANATION} characters")
    return item, float(p_a), expl


def make_app(study_dir: Path, db: StudyDB, *, log: bool = False, n_boot: int = 300) -> Starlette:
    """The ASGI app of the study in `study_dir` over `db`."""
    from .study import load_config

    config = load_config(study_dir)
    env = _templates()
    limiter = Limiter()

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(study=config.name, **ctx), status_code=status)

    def client(request: Request) -> str:
        return request.client.host if request.client else "?"

    async def sess(request: Request) -> dict:
        """The request's session ({} when it has none): server side, found by the cookie's random id."""
        if not hasattr(request.state, "sess"):
            sid = request.cookies.get(COOKIE)
            found = await run_in_threadpool(db.session, sid) if sid and len(sid) < 100 else None
            request.state.sess = found or {}
        return request.state.sess

    async def sign_in(request: Request, **who) -> RedirectResponse:
        sid, _ = await run_in_threadpool(lambda: db.new_session(**who))
        resp = RedirectResponse("/admin" if who.get("admin") else "/judge", status_code=303)
        resp.set_cookie(COOKIE, sid, max_age=14 * 24 * 3600, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
        return resp

    def check_csrf(request: Request, given: str | None) -> None:
        want = request.state.sess.get("csrf")
        if not want or not given or not secrets.compare_digest(str(want), str(given)):
            raise BadRequest(403, "missing or wrong CSRF token; reload the page")

    async def bearer_judge(request: Request) -> str | None:
        """The judge of a Bearer token (None when the request has no Authorization header)."""
        auth = request.headers.get("authorization")
        if auth is None:
            return None
        if limiter.blocked(client(request)):
            raise BadRequest(429, "too many bad tokens; wait a minute")
        scheme, _, token = auth.partition(" ")
        judge = await run_in_threadpool(db.judge_for, token.strip()) if scheme.lower() == "bearer" else None
        if judge is None:
            limiter.fail(client(request))
            raise BadRequest(401, "unknown token")
        return judge

    async def current_judge(request: Request, *, post: bool = False) -> str:
        judge = await bearer_judge(request)
        if judge is not None:
            return judge
        judge = (await sess(request)).get("judge")
        if not judge:
            raise BadRequest(401, "not signed in: open your invite link, or send Authorization: Bearer TOKEN")
        if post:
            check_csrf(request, request.headers.get("x-csrf-token"))
        return judge

    async def view_for(judge: str, item: dict, swap: bool) -> dict:
        view = item_view(item, swap)
        if item.get("kind") == "live":
            from .live import asked, exchange, speaker_side, who

            got = await exchange(db, judge, item, swap, config.max_turns)
            shown = item_view({**item, "turns": [{"speaker": t["speaker"], "segments": t["segments"],
                                                  "side": speaker_side(item, swap, t["speaker"])}
                                                 for t in got]}, swap)
            view["turns"] = shown["turns"]
            view["live"] = {"asked": asked(got), "min_turns": config.min_turns, "max_turns": config.max_turns,
                            "ask": who(item)}
        return view

    def time_left(shown_at: float | None) -> int | None:
        """Whole seconds left of the item's time limit (server clock, from when the item was first served)."""
        if not config.time_limit:
            return None
        return max(0, math.ceil(config.time_limit - (time.time() - (shown_at or time.time()))))

    async def check_live(judge: str, item_id: str) -> None:
        """A live item is judged only after the judge asked min_turns questions (unless its time is up: then the
        submission is recorded as timed out)."""
        a = await run_in_threadpool(db.assigned, judge, item_id)
        if a is not None and a["item"].get("kind") == "live":
            from .live import asked, who

            if config.time_limit and db.is_late(a["shown_at"], config.time_limit):
                return
            n = asked(await run_in_threadpool(db.turns, judge, item_id))
            if n < config.min_turns:
                raise BadRequest(409, f"ask {who(a['item'])} at least {config.min_turns} question(s) before "
                                      f"judging ({n} so far)")

    async def do_ask(judge: str, item_id, question) -> None:
        if not isinstance(item_id, str) or not isinstance(question, str) or not question.strip():
            raise BadRequest(422, "expected item (the item id) and question (non-empty text)")
        if len(question) > MAX_EXPLANATION:
            raise BadRequest(422, f"question: longer than {MAX_EXPLANATION} characters")
        a = await run_in_threadpool(db.assigned, judge, item_id)
        if a is None:
            raise BadRequest(404, "no such item in your queue")
        if a["item"].get("kind") != "live":
            raise BadRequest(409, "this item has no consultant or debaters to ask")
        if config.time_limit and db.is_late(a["shown_at"], config.time_limit):
            raise BadRequest(409, "time is up: no more questions (a judgment now is recorded as timed out)")
        from .live import ask

        status, msg = await ask(db, judge, a["item"], a["swap"], question.strip(), config.max_turns)
        if status >= 400:
            raise BadRequest(status, msg)

    def errors(fn):
        async def wrapped(request: Request):
            try:
                return await fn(request)
            except BadRequest as e:
                if request.url.path.startswith("/api/"):
                    return JSONResponse({"error": e.message}, status_code=e.status)
                return page("message.html", status=e.status, title="Error", message=e.message)
        return wrapped

    @errors
    async def home(request: Request):
        if (await sess(request)).get("judge"):
            return RedirectResponse("/judge", status_code=303)
        return page("message.html", title=config.name, message="Open the invite link you were given to start.")

    @errors
    async def join(request: Request):
        if limiter.blocked(client(request)):
            raise BadRequest(429, "too many bad invite links; wait a minute")
        judge = await run_in_threadpool(db.judge_for, request.path_params["token"])
        if judge is None:
            limiter.fail(client(request))
            raise BadRequest(403, "this invite link is not valid")
        return await sign_in(request, judge=judge)

    @errors
    async def judge_page(request: Request):
        judge = (await sess(request)).get("judge")
        if not judge:
            raise BadRequest(401, "not signed in: open your invite link")
        nxt = await run_in_threadpool(db.next_item, judge)
        done, total = await run_in_threadpool(db.progress, judge)
        if nxt is None:
            return page("message.html", title="Done", message=f"You have judged all {total} items. Thank you!")
        view = await view_for(judge, nxt["item"], nxt["swap"])  # (a live opening's wait counts against the judge)
        return page("judge.html", view=view, csrf=request.state.sess["csrf"], done=done,
                    total=total, judge=judge, time_left=time_left(nxt["shown_at"]), time_limit=config.time_limit,
                    error=request.query_params.get("error", "")[:200])

    @errors
    async def judge_submit(request: Request):
        judge = (await sess(request)).get("judge")
        if not judge:
            raise BadRequest(401, "not signed in: open your invite link")
        form = await request.form()
        check_csrf(request, form.get("csrf"))
        try:
            p = form.get("p_a")
            item, p_a, expl = parse_judgment({"item": form.get("item"), "p_a": p, "explanation": form.get(
                "explanation", "")} if p is not None else {"item": form.get("item")})
            await check_live(judge, item)
        except BadRequest as e:
            return page("message.html", status=e.status, title="Not stored", message=e.message)
        status, body = await run_in_threadpool(db.submit, judge, item, p_a, expl, config.time_limit)
        if status >= 400:
            return page("message.html", status=status, title="Time is up" if body.get("timed_out") else "Not stored",
                        message=body["error"], next=bool(body.get("timed_out")))
        return RedirectResponse("/judge", status_code=303)

    @errors
    async def api_next(request: Request):
        judge = await current_judge(request)
        nxt = await run_in_threadpool(db.next_item, judge)
        if nxt is None:
            return Response(status_code=204)
        done, total = await run_in_threadpool(db.progress, judge)
        return JSONResponse(await view_for(judge, nxt["item"], nxt["swap"]) | {
            "done": done, "total": total, "time_limit": config.time_limit, "time_left": time_left(nxt["shown_at"])})

    @errors
    async def api_judgments(request: Request):
        judge = await current_judge(request, post=True)
        raw = await request.body()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, 'body: expected JSON {"item", "p_a", "explanation"}') from None
        item, p_a, expl = parse_judgment(data)
        await check_live(judge, item)
        status, body = await run_in_threadpool(db.submit, judge, item, p_a, expl, config.time_limit)
        return JSONResponse(body, status_code=status)

    @errors
    async def judge_ask(request: Request):
        judge = (await sess(request)).get("judge")
        if not judge:
            raise BadRequest(401, "not signed in: open your invite link")
        form = await request.form()
        check_csrf(request, form.get("csrf"))
        await do_ask(judge, form.get("item"), form.get("question"))
        return RedirectResponse("/judge", status_code=303)

    @errors
    async def api_ask(request: Request):
        judge = await current_judge(request, post=True)
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, 'body: expected JSON {"item", "question"}') from None
        if not isinstance(data, dict):
            raise BadRequest(422, 'expected a JSON object {"item", "question"}')
        await do_ask(judge, data.get("item"), data.get("question"))
        a = await run_in_threadpool(db.assigned, judge, data["item"])
        return JSONResponse(await view_for(judge, a["item"], a["swap"]), status_code=201)

    @errors
    async def admin_login(request: Request):
        if limiter.blocked(client(request)):
            raise BadRequest(429, "too many bad tokens; wait a minute")
        if not await run_in_threadpool(db.is_admin, request.path_params["token"]):
            limiter.fail(client(request))
            raise BadRequest(403, "this admin link is not valid (each `proctor study serve` mints a new one)")
        return await sign_in(request, admin=True)

    def admin_state() -> dict:
        from .analysis import progress_rows, summarize_rows

        rows = db.rows()
        per_judge, per_proto = progress_rows(db.assignment_counts(), rows)
        results = summarize_rows(rows, n_boot=n_boot, seed=config.seed)
        recent = [{"judge": r["judge_id"], "item": r["item_id"], "protocol": r["protocol"], "p_a": r["p_a"],
                   "p_correct": r["p_correct"], "seconds": r["seconds"], "explanation": r["explanation"],
                   "timed_out": bool(r["over_time"])}
                  for r in rows[-20:]][::-1]
        return {"judges": per_judge, "protocols": per_proto, "results": results, "recent": recent}

    async def require_admin(request: Request) -> None:
        auth = request.headers.get("authorization")
        if auth is not None:
            if limiter.blocked(client(request)):
                raise BadRequest(429, "too many bad tokens; wait a minute")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not await run_in_threadpool(db.is_admin, token.strip()):
                limiter.fail(client(request))
                raise BadRequest(401, "unknown token")
            return
        if not (await sess(request)).get("admin"):
            raise BadRequest(401, "admin only: open the admin link printed by `proctor study serve`")

    @errors
    async def admin_page(request: Request):
        await require_admin(request)
        state = await run_in_threadpool(admin_state)
        return page("admin.html", state=state, fmt=_fmt)

    @errors
    async def api_admin(request: Request):
        await require_admin(request)
        return JSONResponse(await run_in_threadpool(admin_state))

    async def ping(request: Request):
        return HTMLResponse("<!doctype html><title>ok</title><p>ok</p>")

    routes = [Route("/", home), Route("/join/{token}", join), Route("/judge", judge_page),
              Route("/judge", judge_submit, methods=["POST"]), Route("/api/next", api_next),
              Route("/api/judgments", api_judgments, methods=["POST"]),
              Route("/judge/ask", judge_ask, methods=["POST"]), Route("/api/ask", api_ask, methods=["POST"]), Route("/admin/login/{token}", admin_login),
              Route("/admin", admin_page), Route("/api/admin", api_admin), Route("/ping", ping),
              Route("/favicon.ico", lambda request: Response(status_code=204)),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    middleware = [Middleware(Guard, log=log)]
    return Starlette(routes=routes, middleware=middleware)


def _fmt(x, pct: bool = True, digits: int = 1) -> str:
    from ..term import fmt_num, fmt_pct

    return fmt_pct(x) if pct else fmt_num(x, digits)
