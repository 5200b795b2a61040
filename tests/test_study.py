"""`proctor study` without a server: items (import format, debate runs, demo), the design, results and their
statistics, the CSV export, the scorecard row and the suite experiment."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json
from study_fixtures import item_lines, make_study, write_items


def test_design_is_balanced_counterbalanced_and_seeded():
    from proctor.study.design import assign

    items = [{"id": f"{p}-{q}", "question_id": f"q{q}"} for q in range(10) for p in ("debate", "consultancy", "naive")]
    plan = assign(items, judges=9, per_item=3, seed=0)
    per_item = defaultdict(list)
    for j, item, swap, _ in plan:
        per_item[item].append((j, swap))
    assert all(len(v) == 3 and len({j for j, _ in v}) == 3 for v in per_item.values())
    seen = Counter((j, item.split("-")[1]) for j, item, _, _ in plan)
    assert max(seen.values()) == 1  # a judge sees a question at most once across protocols
    loads = Counter(j for j, *_ in plan)
    assert max(loads.values()) - min(loads.values()) <= 1
    swaps = [sum(s for _, s in v) for v in per_item.values()]
    assert all(s in (1, 2) for s in swaps) and abs(sum(swaps) - 45) <= 6  # each item both ways, overall ~half
    assert plan == assign(items, judges=9, per_item=3, seed=0)
    assert plan != assign(items, judges=9, per_item=3, seed=1)
    with pytest.raises(Exception, match="need at least 9"):
        assign(items, judges=8, per_item=3)


def test_init_from_items_file_then_invite(tmp_path):
    items = write_items(tmp_path / "items.jsonl")
    r = invoke("study", "init", tmp_path / "s", "--items", items, "--judges", "6", "--json")
    out = last_json(r)
    assert out["items"] == 12 and out["questions"] == 4 and out["protocols"] == {"debate": 4, "consultancy": 4,
                                                                                  "naive": 4}
    stored = [json.loads(x) for x in (tmp_path / "s" / "items.jsonl").read_text().splitlines()]
    marks = [s["quote"] for it in stored for t in it["turns"] for s in t["segments"] if s["quote"]]
    assert "verified" in marks and "unverified" in marks  # checked against the story
    inv = last_json(invoke("study", "invite", tmp_path / "s", "--judges", "2", "--json"))["invites"]
    assert [i["judge"] for i in inv] == ["judge-001", "judge-002"]
    assert all(i["url"].endswith("/join/" + i["token"]) for i in inv)
    assert_user_error(invoke("study", "invite", tmp_path / "s", "--judges", "5"), "--judges 5", "uninvited")
    assert_user_error(invoke("study", "init", tmp_path / "s", "--items", items), "already holds a study")


@pytest.mark.parametrize("line, needle", [
    ('{"id": "a"}', "question"),
    ('{"id": "a", "question": "q", "answers": ["x", "y"], "correct": 2, "protocol": "debate"}', "correct"),
    ('{"id": "a", "question": "q", "answers": ["x"], "correct": 0, "protocol": "debate"}', "answers"),
    ('{"id": "a", "question": "q", "answers": ["x", "y"], "correct": 0, "protocol": "chess"}', "protocol"),
    ('{"id": "a", "question": "q", "answers": ["x", "y"], "correct": 0, "protocol": "naive", "bogus": 1}',
     "bogus: unknown key"),
    ('{"id": "a", "question": "q", "answers": ["x", "y"], "correct": 0, "protocol": "debate", "turns": [{"text": "t"}]}',
     "turns.0.speaker"),
    ("not json", "malformed JSON line"),
    ("[1, 2]", "expected a JSON object"),
])
def test_bad_items_file_is_one_line_naming_line_and_field(tmp_path, line, needle):
    f = tmp_path / "items.jsonl"
    f.write_text(json.dumps(item_lines(1)[0]) + "\n" + line + "\n")
    r = invoke("study", "init", tmp_path / "s", "--items", f)
    assert_user_error(r, "items.jsonl:2", needle)
    assert not (tmp_path / "s").exists()


def test_init_from_a_debate_run(tmp_path):
    """A finished `proctor debate` run directory (its judged records) becomes debate / consultancy / naive items; the
    quotes keep the run's verification; expert samples are left out."""
    from proctor.runs.store import RunStore

    run = tmp_path / "run"
    recs = []
    for i, proto in enumerate(("debate", "consultancy", "naive", "expert")):
        recs.append({"id": "q1", "index": 0, "protocol": proto, "question": "Who?", "answers": ["Ann", "Bob"],
                     "correct_label": "A", "choice": "A", "correct": True, "assigned": "wrong" if proto ==
                     "consultancy" else None, "consultant_label": "B" if proto == "consultancy" else None,
                     "turns": [{"speaker": "Debater B", "side": "B", "phase": "opening",
                                "text": "See <quote>x</quote> and <quote>y</quote>",
                                "quotes": [{"text": "x", "verified": True}, {"text": "y", "verified": False}]}]
                     if proto != "naive" else [], "failed": False})
    with RunStore(run) as store:
        for i, r in enumerate(recs):
            store.put("debate-x", "judged", {"i": i}, r)
    out = last_json(invoke("study", "init", tmp_path / "s", "--run", run, "--judges", "3", "--judges-per-item", "1",
                              "--json"))
    assert out["protocols"] == {"debate": 1, "consultancy": 1, "naive": 1}
    items = {}
    for line in (tmp_path / "s" / "items.jsonl").read_text().splitlines():
        it = json.loads(line)
        items[it["protocol"]] = it
    seg = items["debate"]["turns"][0]["segments"]
    assert [s["quote"] for s in seg if s["quote"]] == ["verified", "unverified"]
    assert items["debate"]["turns"][0]["side"] == 1 and items["consultancy"]["consultant_type"] == "incorrect"
    assert len({it["question_id"] for it in items.values()}) == 1
    assert_user_error(invoke("study", "init", tmp_path / "s2", "--run", tmp_path), "not a Proctor run directory")


def test_demo_text_items(data_dir, tmp_path):
    """--demo with --demo-images 0: the scripted QuALITY debates (the pixel debates train a judge: test_study_slow)."""
    out = last_json(invoke("study", "init", tmp_path / "s", "--demo", "--demo-images", "0", "--json"))
    assert out["protocols"] == {"debate": 5, "consultancy": 5, "naive": 5} and out["questions"] == 5


def _judge_all(study, rule, kind="human", n=6):
    """Every assigned item judged by `rule(item, swap) -> p_a` (through the database, as the API does)."""
    from proctor.study.study import open_db

    db = open_db(study)
    for judge, _ in db.invite(n, kind):
        while (nxt := db.next_item(judge)) is not None:
            status, _ = db.submit(judge, nxt["item"]["id"], rule(nxt["item"], nxt["swap"]), "because")
            assert status == 201
    db.close()


def test_results_accuracy_ci_calibration_csv_and_scorecard(tmp_path):
    from proctor.runs.technique import ScoreRow
    from proctor.study.summary import scorecard_rows

    study = make_study(tmp_path, judges=6)
    rng = np.random.default_rng(0)

    def rule(item, swap):  # debate: right 90%; naive: a coin; always 80% sure
        right = rng.random() < (0.9 if item["protocol"] == "debate" else 0.5)
        shown_correct = item["correct"] ^ swap  # position (0 = A) of the correct answer on the page
        pick_a = (shown_correct == 0) == right
        return 0.8 if pick_a else 0.2

    _judge_all(study, rule)
    csv_path = tmp_path / "k.csv"
    r = invoke("study", "results", study, "--json", "--csv", csv_path, "--report", tmp_path / "r.html")
    res = last_json(r)
    assert res["judgments"] == 24 and set(res["protocols"]) == {"debate", "consultancy", "naive"}
    d = res["protocols"]["debate"]
    assert d["n"] == 8 and d["judges"] >= 2 and d["questions"] == 4
    assert d["ci"][0] <= d["accuracy"] <= d["ci"][1]
    assert res["protocols"]["consultancy"]["by_consultant_type"]["incorrect"]["n"] == 8
    assert 0 <= d["ece"] <= 1
    rows = list(csv.DictReader(csv_path.open()))
    assert list(rows[0])[:11] == ["debate_id", "judge_id", "debate_method", "consultant_type", "swap", "correct",
                                  "confidence_correct", "confidence", "explanation", "turns_used", "judgement_time"]
    deb = [float(x["confidence_correct"]) for x in rows if x["debate_method"] == "debate"]  # first principles
    assert d["brier"] == pytest.approx(np.mean([(1 - p) ** 2 for p in deb]))
    assert d["accuracy"] == pytest.approx(np.mean([p > 0.5 for p in deb]))
    row = scorecard_rows({"title": "t", "study": str(study), "results": res})[0]
    assert isinstance(row, ScoreRow) and row.technique == "human judge" and "debate - naive" in row.setting
    diff = res["debate_minus_naive"]
    assert row.value == pytest.approx(100 * diff["value"])
    from proctor.stats import verdict
    assert row.verdict == verdict(row.value, row.ci, 0.0, null_label="no difference")
    html = (tmp_path / "r.html").read_text()
    assert "Human study" in html and "debate - naive" in html


def test_two_way_bootstrap_is_wider_than_iid_when_judges_differ():
    """Judges who are all-right or all-wrong: resampling judges (the unit) gives a wider CI than resampling
    judgments as if independent, and the mean is unchanged."""
    from proctor.stats import bootstrap_mean, two_way_bootstrap_weights, weighted_interval

    judges = np.repeat(np.arange(10), 20)
    questions = np.tile(np.arange(20), 10)
    y = (judges < 7).astype(float)
    iv = weighted_interval(y, two_way_bootstrap_weights(judges, questions, n_boot=500, seed=0))
    iid = bootstrap_mean(y, n_boot=500, seed=0)
    assert iv.value == pytest.approx(0.7)
    assert (iv.hi - iv.lo) > 2.5 * (iid.hi - iid.lo)
    w = two_way_bootstrap_weights(judges, questions, n_boot=2000, seed=1)
    assert w.mean() == pytest.approx(1.0, abs=0.05)  # each observation drawn once on average


def test_study_in_a_suite_gives_the_human_scorecard_row(tmp_path):
    study = make_study(tmp_path, judges=6)
    _judge_all(study, lambda item, swap: 1.0 if (item["correct"] ^ swap) == 0 else 0.0)
    suite = tmp_path / "s.toml"
    suite.write_text(f'name = "hs"\n[[experiment]]\ntype = "study"\nstudy = "{study}"\nn_boot = 200\n')
    r = invoke("run", suite, "--out", tmp_path / "run", "--json")
    assert r.exit_code == 0, r.output
    html = next((tmp_path / "run").glob("*.html")).read_text()
    assert "human judge" in html and "Human study" in html
    assert_user_error(invoke("run", _bad_suite(tmp_path)), "study", "no such study folder")


def _bad_suite(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(f'[[experiment]]\ntype = "study"\nstudy = "{tmp_path / "nope"}"\n')
    return p


def test_counterbalanced_positions_are_undone(tmp_path):
    """A judge who always puts 90% on the correct answer, wherever the page shows it, scores 100% with
    p(correct) = 0.9 in every protocol (the swap is undone on the server, never by the judge)."""
    study = make_study(tmp_path, judges=6)
    _judge_all(study, lambda item, swap: 0.9 if (item["correct"] ^ swap) == 0 else 0.1)
    res = last_json(invoke("study", "results", study, "--json"))
    assert all(p["accuracy"] == 1.0 and p["brier"] == pytest.approx(0.01) for p in res["protocols"].values())


def test_model_judges_are_reported_apart(tmp_path):
    """Judges invited with --kind model take the same items through the API; their numbers are under
    by_judge_kind.model and never mixed into the human rows."""
    study = make_study(tmp_path, judges=6)
    from proctor.study.study import open_db

    db = open_db(study)
    for kind, n in (("human", 3), ("model", 3)):
        for judge, _ in db.invite(n, kind):
            while (nxt := db.next_item(judge)) is not None:
                good = (nxt["item"]["correct"] ^ nxt["swap"]) == 0
                p = (0.9 if good else 0.1) if kind == "human" else (0.1 if good else 0.9)
                db.submit(judge, nxt["item"]["id"], p, kind)
    db.close()
    res = last_json(invoke("study", "results", study, "--json"))
    assert set(res["by_judge_kind"]) == {"human", "model"}
    assert all(p["accuracy"] == 1.0 for p in res["protocols"].values())
    assert all(p["accuracy"] == 0.0 for p in res["by_judge_kind"]["model"]["protocols"].values())


def test_pixel_debate_page(tmp_path):
    """A pixel-debate item shows only its revealed pixels (an SVG rect each, outlined by who revealed it) and the
    two claimed digits, in the judge's positions."""
    from starlette.testclient import TestClient

    from proctor.study.app import make_app
    from proctor.study.spec import StudyConfig
    from proctor.study.study import init_study, open_db

    shown = [{"pixel": 30 + i, "row": 1, "col": 2 + i, "value": 200, "by": i % 2} for i in range(4)]
    item = {"id": "px", "question_id": "mnist/1", "protocol": "pixel_debate", "kind": "pixels",
            "question": "Which digit?", "answers": ["it is a 7", "it is a 1"], "correct": 0, "consultant_type": None,
            "turns": [], "pixels": {"k": 4, "revealed": shown}}
    init_study(tmp_path / "s", [item], StudyConfig(judges=1, judges_per_item=1))
    db = open_db(tmp_path / "s")
    (_, token), = db.invite(1)
    with TestClient(make_app(tmp_path / "s", db), base_url="http://127.0.0.1") as c:
        view = c.get("/api/next", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(view["pixels"]) == 4 and "correct" not in view
        c.get(f"/join/{token}")
        page = c.get("/judge").text
    db.close()
    assert page.count('width="10" height="10"') == 4
    assert page.count("#2f7de1") + page.count("#f08c00") == 4
    assert "it is a 7" in page and "it is a 1" in page


def test_demo_pixel_debates(data_dir, monkeypatch):
    """--demo's pixel debates: real greedy debates on held-out MNIST images (against an untrained judge here, so the
    test does not train one); each item is one game, the honest claim first, moves alternating honest / liar."""
    import proctor.debate.pixels.judge as judge_mod
    from proctor.study.items import pixel_items

    monkeypatch.setattr(judge_mod, "load_or_train", lambda cfg, *a, **k: judge_mod.build_judge(cfg).eval())
    items = pixel_items(images=2, judge_steps=1)
    assert len(items) == 2 and all(len(it["pixels"]["revealed"]) == 6 for it in items)
    assert all(it["answers"][0] != it["answers"][1] and it["correct"] == 0 for it in items)
    assert all([p["by"] for p in it["pixels"]["revealed"]] == [0, 1] * 3 for it in items)
    assert all(p["value"] > 0 for it in items for p in it["pixels"]["revealed"])  # debaters reveal nonzero pixels


def test_failed_init_leaves_an_existing_folder_as_it_was(tmp_path):
    """A database that already holds a study is refused after it was opened: the folder keeps only what it had."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "notes.txt").write_text("mine")
    f = write_items(tmp_path / "items.jsonl")
    url = f"sqlite:///{tmp_path}/s/shared.sqlite"
    last_json(invoke("study", "init", tmp_path / "a", "--items", f, "--db", url, "--json"))
    before = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert_user_error(invoke("study", "init", tmp_path / "s", "--items", f, "--db", url), "already holds a study")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == before == ["notes.txt", "shared.sqlite"]
    assert not (tmp_path / "s" / "study.toml").exists()
