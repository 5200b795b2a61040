"""`proctor tax formats` (issue 21): the alignment tax per evaluation format, paired by item, with a verdict that
respects the CIs; end to end on scripted models (inspect's mockllm) and on the MiniLM retrieval stand-in."""

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.tax.formats import analyse, load_items, messages, score_answer


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


def test_formats_render_as_described(data_dir):
    items, shots = load_items("gsm8k", 3, 2, 0)
    raw = messages("gsm8k", items[0], "raw", shots)
    chat = messages("gsm8k", items[0], "chat", shots)
    assert [m.role for m in raw] == ["user"] and raw[0].text.count("Question:") == 3
    assert raw[0].text.endswith(f"Question: {items[0].question}\nAnswer:") and "#### " + shots[0].target in raw[0].text
    assert [m.role for m in chat] == ["system", "user"] and "Question:" not in chat[1].text
    b_items, b_shots = load_items("boolq", 5, 2, 0)
    assert not {i.id for i in b_items} & {s.id for s in b_shots}  # shots never include an evaluated item


@pytest.mark.parametrize("aligned, verdict", [("scripted/aligned-artifact", "artifact"),
                                             ("scripted/aligned-intrinsic", "intrinsic")])
def test_scripted_models_end_to_end(tmp_path, data_dir, aligned, verdict):
    report = tmp_path / "fmt.html"
    obj = last_json(invoke("tax", "formats", "--base", "scripted/base", "--aligned", aligned, "--eval", "boolq",
                           "--limit", "40", "--formats", "raw,chat,heldout", "--out", tmp_path / "out", "--report",
                           report, "--json"))
    assert obj["scripted"] is True and obj["engine"] == "inspect"
    (r,) = obj["results"]
    assert r["verdict"] == verdict == obj["verdict"] and r["tax_ci"]["raw"][0] > 0
    assert r["accuracy"]["base"]["raw"] == r["accuracy"]["base"]["chat"]
    html = report.read_text()
    assert "scripted" in html and "data:image/png;base64" in html
    assert (tmp_path / "out" / "results.json").is_file() and obj["logs"]["base"].endswith(".eval")


def test_minilm_retrieval_stand_in(tmp_path, data_dir):
    obj = last_json(invoke("tax", "formats", "--base", "minilm@1", "--aligned", "minilm@1", "--eval",
                           "retrieval:boolq", "--limit", "40", "--bootstrap", "200", "--json"))
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
    assert_user_error(invoke("tax", "formats", "--aligned", "x/y"), "--base")
    assert_user_error(invoke("tax", "formats", "--base", "scripted/nope", "--aligned", "scripted/base", "--eval",
                             "boolq", "--limit", "2"), "scripted/aligned-artifact")
