"""`proctor tax formats` (issue 21): the alignment tax per evaluation format, paired by item, with a verdict that
respects the CIs; end to end on scripted models (inspect's mockllm) and on the MiniLM retrieval stand-in."""

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.tax.formats import accept_paraphrase, analyse, load_items, messages, score_answer


def _analyse(base_raw, al_raw, base_chat, al_chat, **kw):
    correct = {"e": {"base": {"raw": np.array(base_raw, float), "chat": np.array(base_chat, float)},
                     "aligned": {"raw": np.array(al_raw, float), "chat": np.array(al_chat, float)}}}
    return analyse(correct, raw="raw", deployment="chat", n_boot=2000, level=0.95, threshold=0.5, seed=0, **kw)[0]


def test_verdicts_respect_the_intervals():
    rng = np.random.default_rng(0)
    base = (rng.random(300) < 0.7).astype(float)
    lost = base * (rng.random(300) < 0.3)  # items the aligned model gets wrong that the base got right
    # the tax is there in raw and gone in chat: artifact
    r = _analyse(base, base - lost, base, base)
    assert r.tax_ci["raw"][0] > 0 and r.verdict == "artifact" and r.share == pytest.approx(1.0)
    # the same tax in both formats: intrinsic
    r = _analyse(base, base - lost, base, base - lost)
    assert r.verdict == "intrinsic" and r.share == pytest.approx(0.0) and r.tax_ci["chat"][0] > 0
    # half of it gone, on few items: the share's CI straddles 0.5
    half = lost * (np.arange(300) % 2)
    r = _analyse(base[:60], (base - lost)[:60], base[:60], (base - half)[:60])
    assert r.verdict == "undetermined"
    # no raw tax at all: nothing to explain
    r = _analyse(base, base, base, base)
    assert r.verdict == "undetermined" and r.tax_ci["raw"] == (0.0, 0.0)


def test_the_bootstrap_is_paired_by_item():
    # the aligned model differs from the base on 8 of 400 items only: paired, the tax's CI excludes 0
    # (resampling the two checkpoints' items independently would give an interval about 10x wider, around 0)
    rng = np.random.default_rng(1)
    base = (rng.random(400) < 0.6).astype(float)
    aligned = base.copy()
    aligned[np.flatnonzero(base)[:8]] = 0
    r = _analyse(base, aligned, base, base)
    lo, hi = r.tax_ci["raw"]
    assert r.tax["raw"] == pytest.approx(0.02) and lo > 0 and hi - lo < 0.04


def test_pooled_row_and_scoring():
    rng = np.random.default_rng(2)
    b = (rng.random(100) < 0.7).astype(float)
    one = {"base": {"raw": b, "chat": b}, "aligned": {"raw": b * (rng.random(100) < 0.6), "chat": b}}
    rows = analyse({"a": one, "b": one}, raw="raw", deployment="chat", n_boot=500, level=0.95, threshold=0.5, seed=0)
    assert [r.name for r in rows][-1].startswith("pooled") and rows[-1].tax["raw"] == pytest.approx(rows[0].tax["raw"])
    assert score_answer("gsm8k", "so 3 + 4 = 7.\nAnswer: 1,234", "1234")
    assert not score_answer("gsm8k", "Answer: 12 apples, not 7", "7")
    assert score_answer("gsm8k", " 72\nQuestion: Tom has 5 apples... #### 5", "72", "raw")  # cut at the next shot
    assert score_answer("boolq", "The passage says so. Answer: Yes.", "yes")
    assert score_answer("boolq", " no\n\nAnother passage\nQuestion: is it?\nAnswer: yes", "no", "raw")
    assert not score_answer("boolq", "It depends.", "no")
    q = "Tom has 3 apples and buys 12 more for $1,200. How many apples?"
    assert accept_paraphrase("gsm8k", q, "After buying 12 more (cost: 1200 dollars), how many apples does Tom, who "
                                         "had 3, own?")
    assert accept_paraphrase("gsm8k", q, "Tom has three apples and buys 12 more for $1,200. How many?") is None
    assert accept_paraphrase("boolq", "is the sky blue", "  ") is None
    assert accept_paraphrase("boolq", "is the sky blue", "x" * 200) is None


def test_formats_render_as_described(data_dir):
    items, shots = load_items("gsm8k", 3, 2, 0)
    raw = messages("gsm8k", items[0], "raw", shots)
    chat = messages("gsm8k", items[0], "chat", shots)
    assert [m.role for m in raw] == ["user"] and raw[0].text.count("Question:") == 3
    assert raw[0].text.endswith(f"Question: {items[0].question}\nAnswer:") and "#### " + shots[0].target in raw[0].text
    assert [m.role for m in chat] == ["system", "user"] and "Question:" not in chat[1].text
    b_items, b_shots = load_items("boolq", 5, 2, 0)
    assert not {i.id for i in b_items} & {s.id for s in b_shots}  # shots never include an evaluated item


def test_scripted_models_end_to_end(tmp_path, data_dir):
    aligned, verdict = "scripted/aligned-artifact", "artifact"  # the intrinsic one: test_formats_as_a_suite_experiment
    report = tmp_path / "fmt.html"
    obj = last_json(invoke("tax", "formats", "--base", "scripted/base", "--aligned", aligned, "--eval", "boolq",
                           "--limit", "30", "--formats", "raw,chat,heldout,paraphrase", "--paraphraser",
                           "scripted/paraphraser", "--out", tmp_path / "out", "--report", report, "--json"))
    assert obj["scripted"] is True and obj["engine"] == "inspect"
    (r,) = obj["results"]
    assert r["verdict"] == verdict == obj["verdict"] and r["tax_ci"]["raw"][0] > 0
    assert r["accuracy"]["base"]["raw"] == r["accuracy"]["base"]["chat"] == r["accuracy"]["base"]["paraphrase"]
    # the held-out items: every question reworded (by the scripted paraphraser), asked in the chat format
    assert obj["paraphrase"]["reworded"] == 30 and obj["paraphrase"]["kept_own_wording"] == 0
    assert r["tax"]["paraphrase"] == r["tax"]["chat"] == 0.0
    from inspect_ai.log import read_eval_log

    asked = {s.id: s.input[-1].text for s in read_eval_log(obj["logs"]["aligned"]).samples}
    para = [t for i, t in asked.items() if i.startswith("boolq/paraphrase/")]
    assert len(para) == 30 and all("Put differently: " in t and "Answer: yes" in t for t in para)
    html = report.read_text()
    assert "scripted" in html and "data:image/png;base64" in html
    assert (tmp_path / "out" / "results.json").is_file() and obj["logs"]["base"].endswith(".eval")


def test_minilm_retrieval_stand_in(tmp_path, data_dir):
    obj = last_json(invoke("tax", "formats", "--base", "minilm@1", "--aligned", "minilm@1", "--eval",
                           "retrieval:boolq", "--limit", "20", "--bootstrap", "100", "--json"))
    (r,) = obj["results"]
    assert obj["engine"] == "encoder" and not obj["scripted"]
    assert r["tax"] == {"raw": 0.0, "chat": 0.0} and r["verdict"] == "undetermined"  # same weights: no tax
    assert 0.3 < r["accuracy"]["base"]["raw"] <= 1.0


def test_user_errors():
    base = ("tax", "formats", "--base", "scripted/base", "--aligned", "scripted/aligned-artifact")
    assert_user_error(invoke(*base, "--formats", "raw"), "--formats")
    assert_user_error(invoke(*base, "--formats", "raw,chatty"), "--formats", "chatty")
    assert_user_error(invoke(*base, "--formats", "raw,chat", "--deployment", "heldout"), "--deployment")
    assert_user_error(invoke(*base, "--eval", "gsm8k,retrieval:boolq"), "cannot be mixed")
    assert_user_error(invoke(*base, "--eval", "retrieval:boolq"), "scripted")
    assert_user_error(invoke(*base, "--eval", "mmlu"), "mmlu")
    assert_user_error(invoke(*base, "--formats", "raw,chat,paraphrase"), "--paraphraser")
    assert_user_error(invoke(*base, "--paraphraser", "scripted/paraphraser"), "--paraphraser")
    assert_user_error(invoke("tax", "formats", "--aligned", "x/y"), "--base")
    assert_user_error(invoke("tax", "formats", "--base", "scripted/nope", "--aligned", "scripted/base", "--eval",
                             "boolq", "--limit", "2"), "scripted/aligned-artifact")


def test_formats_as_a_suite_experiment(tmp_path, data_dir):
    """`proctor run` with a tax_formats experiment: one unit per checkpoint, the paired analysis in the summary, the
    report section and the scorecard row (verdict from proctor.stats: an intrinsic tax leaves no share gone)."""
    suite = tmp_path / "s.toml"
    suite.write_text('name = "tax"\n[[experiment]]\ntype = "tax_formats"\nbase = "scripted/base"\n'
                     'aligned = "scripted/aligned-intrinsic"\nevals = ["boolq"]\nlimit = 30\nn_boot = 500\n')
    r = invoke("run", suite, "--out", tmp_path / "run", "--json")
    obj = last_json(r)
    (exp,) = obj["experiments"]
    (res,) = exp["results"]
    assert exp["scripted"] and exp["verdict"] == res["verdict"] == "intrinsic"
    assert res["tax_ci"]["raw"][0] > 0 and res["tax"]["raw"] == res["tax"]["chat"] and res["share_recovered"] == 0
    (row,) = obj["scorecard"]
    assert row["technique"] == "alignment tax by format (scripted)" and row["verdict"].startswith("no result")
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Alignment tax by evaluation format [scripted models]" in html and "data:image/png;base64" in html
    assert list((tmp_path / "run").glob("**/*.eval"))  # inspect's logs in the run directory
    # a rerun reuses both checkpoints' answers and gives the same summary (the bootstrap is seeded)
    again = invoke("run", suite, "--out", tmp_path / "run", "--json")
    assert again.stderr.count("finished earlier") == 2 and last_json(again)["experiments"] == obj["experiments"]


def test_formats_suite_errors(tmp_path):
    suite = tmp_path / "s.toml"
    head = 'name = "tax"\n[[experiment]]\ntype = "tax_formats"\nbase = "scripted/base"\n'
    suite.write_text(head + 'aligned = "scripted/aligned-artifact"\nformats = ["raw", "chatty"]\n')
    assert_user_error(invoke("run", suite), "formats", "chatty")
    suite.write_text(head + 'aligned = "minilm"\nevals = ["retrieval:boolq"]\n')
    assert_user_error(invoke("run", suite), "scripted")
    suite.write_text(head + 'evals = ["boolq"]\n')
    assert_user_error(invoke("run", suite), "aligned")
