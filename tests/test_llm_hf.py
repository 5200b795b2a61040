"""The real generation path: a tiny randomly initialised GPT-2 (2 layers, 32 wide, a word-level tokenizer built
here, no Hub) saved to a temp folder and run through inspect's Hugging Face provider (`hf/PATH`) as the judge.

Its replies are nonsense: the point is inspect's real loading and generation code, and that nonsense is counted as
invalid verdicts, not crashed on and not guessed.
"""

from __future__ import annotations

import pytest

pytest.importorskip("inspect_ai")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from proctor.debate.data import DebateItem
from proctor.debate.judged import run_protocol
from proctor.debate.metrics import summarize_records
from proctor.debate.protocols import ProtocolConfig
from proctor.llm import generate_config, role_model

# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "logs"))


def tiny_causal_lm(path) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["the judge reads the debate and answers A or B < answer > probability 0 . 5"],
                            trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", "<eos>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=len(fast), n_positions=2048, n_embd=32, n_layer=2, n_head=2,
                     bos_token_id=fast.eos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    GPT2LMHeadModel(cfg).save_pretrained(path)
    fast.save_pretrained(path)
    return str(path)


def test_tiny_hf_judge_end_to_end(tmp_path):
    path = tiny_causal_lm(tmp_path / "tiny-gpt2")
    cfg = generate_config(max_tokens=8, seed=0)
    judge = role_model(f"hf/{path}", cfg, device="cpu")
    items = [DebateItem(f"q{i}", f"Question {i}?", "yes", "no", "passage") for i in range(3)]
    recs, run = run_protocol(items, ProtocolConfig("naive"), {"judge": judge}, config=cfg)
    s = summarize_records(recs)
    assert run.log.status == "success" and s["failed"] == 0
    assert all(r["judge_reply"] for r in recs)  # it generated text ...
    assert s["invalid"] == 3 and s["valid"] == 0  # ... none of it a verdict in the required format
    assert s["accuracy"] != s["accuracy"]  # NaN: no accuracy from zero verdicts
