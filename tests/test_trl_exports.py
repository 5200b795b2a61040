"""Proctor's training exports, each loaded with `datasets` and trained for ONE step with the TRL 1.16 trainer it is
meant for, on a tiny randomly initialised Llama built from a config and a word-level tokenizer built here (no Hub).

    debate tournament --export   same-side pairs          -> DPOTrainer
    debate transcripts           messages                 -> SFTTrainer
    cai prefer                   pairs with `margin`      -> RewardTrainer (the margin reaches the loss)
    verify train reward.jsonl    process-supervised pairs -> RewardTrainer

The exports come from real runs with the scripted offline model (proctor.llm.scripted)."""

from __future__ import annotations

import json
import math
import re

import pytest

pytest.importorskip("inspect_ai")
trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")

CHAT = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
        "{% if add_generation_prompt %}<|assistant|> {% endif %}")
SPECIAL = ["<unk>", "<pad>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>"]


def _texts(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


def _tokenizer(paths):
    """A word-level tokenizer over the words of `paths` (others map to <unk>) with a chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = set()
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            for t in _texts(json.loads(line)):
                words.update(re.findall(r"\w+|[^\w\s]", t))
    vocab = {w: i for i, w in enumerate(SPECIAL + sorted(words - set(SPECIAL)))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(r"<\|\w+\|>", "isolated"),
                                                 pre_tokenizers.Whitespace()])
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                                eos_token="<|end|>")
    fast.chat_template = CHAT
    return fast


def _llama(tok, head: bool = False):
    import torch

    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                                   pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, num_labels=1)
    cls = transformers.LlamaForSequenceClassification if head else transformers.LlamaForCausalLM
    return cls(cfg)


def _args(cls, tmp_path, **kw):
    return cls(output_dir=str(tmp_path / "trainer"), max_steps=1, per_device_train_batch_size=2, report_to=[],
               use_cpu=True, logging_steps=1, save_strategy="no", max_length=512, **kw)


def _one_step(trainer) -> float:
    out = trainer.train()
    assert out.global_step == 1
    loss = out.training_loss
    assert math.isfinite(loss) and loss > 0  # a real, finite loss was computed
    return loss


def _load(path, required):
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    missing = set(required) - set(ds.column_names)
    assert not missing, f"{path.name}: missing columns {sorted(missing)}"
    assert len(ds) >= 1
    return ds


STORIES = [
    ("Why did Mara leave the harbour town?", "She wanted to find her missing brother.", "She was tired of fishing.",
     "Mara had fished the harbour for ten years. One winter a letter came from the north. Her brother had not been "
     "seen for a month. She sold her boat and took the morning coach to find her missing brother. The fishermen "
     "said she would be back by spring."),
    ("What did the old clockmaker hide in the tower?", "A map of the tunnels.", "A box of gold coins.",
     "The clockmaker climbed the tower every night. Children said he kept gold coins up there. In truth he rolled "
     "a map of the tunnels into the great bell. Nobody looked inside the bell until the town flooded."),
    ("How did the village survive the drought?", "They dug a well to the underground river.",
     "They bought water from the city.", "The rains failed for three summers. The city sold water at prices "
     "nobody could pay. The miller remembered an underground river his grandfather spoke of. The whole village "
     "dug a well to the underground river and drank from it until the rains returned."),
    ("Why was the lighthouse keeper dismissed?", "He let the lamp go out during a storm.",
     "He was caught stealing oil.", "The keeper loved to read at night. During the great storm he fell asleep over "
     "a book and let the lamp go out. A ship struck the rocks. The harbour board dismissed him the next week. Some "
     "said he had sold oil, but nobody proved it."),
]


@pytest.fixture(scope="module")
def debate_export(tmp_path_factory):
    """A scripted two-player tournament (both orders) on four short stories, exported."""
    from proctor.debate.data import load_items
    from proctor.debate.export import export_preferences, export_transcripts
    from proctor.debate.protocols import ProtocolConfig
    from proctor.debate.tournament import run_tournament

    d = tmp_path_factory.mktemp("debate")
    rows = [{"id": f"s{i}", "question": q, "choices": [a, b], "answer": 0, "passage": p}
            for i, (q, a, b, p) in enumerate(STORIES)]
    (d / "stories.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = load_items(str(d / "stories.jsonl"))
    res = run_tournament(items, {"a": "scripted/a", "strong": "scripted/strong"}, "scripted/judge", rounds=1,
                         log_dir=str(d / "logs"))
    cfg = ProtocolConfig("debate", rounds=1)
    n = export_preferences(res["records"], d / "prefs.jsonl", items, cfg, "stories.jsonl")
    m = export_transcripts(res["records"], d / "transcripts.jsonl", items, cfg, "stories.jsonl")
    assert n >= 1 and m == 2 * len(res["records"]) == 16
    return d / "prefs.jsonl", d / "transcripts.jsonl"


def test_debate_pairs_share_a_side_and_train_with_dpo(debate_export, tmp_path):
    prefs, _ = debate_export
    ds = _load(prefs, ["prompt", "chosen", "rejected", "item_id", "assigned_answer", "assigned_label",
                       "passage_ref", "chosen_messages", "rejected_messages", "metadata"])
    for row in ds:
        # both sides argue the same assigned answer: it is in the shared prompt as the debater's own answer
        assert f'You argue that the answer is ({row["assigned_label"]}) "{row["assigned_answer"]}"' in \
            row["prompt"][0]["content"]
        assert "<story>" in row["prompt"][0]["content"] and row["passage_ref"].startswith("stories.jsonl#")
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
        assert row["chosen_messages"][0]["role"] == "assistant" and row["metadata"]["scripted"] is True
        assert row["metadata"]["chosen_debater"] != row["metadata"]["rejected_debater"]
    tok = _tokenizer([prefs])
    trainer = trl.DPOTrainer(model=_llama(tok), ref_model=_llama(tok), args=_args(trl.DPOConfig, tmp_path),
                             train_dataset=ds, processing_class=tok)
    _one_step(trainer)


def test_debate_transcripts_train_with_sft(debate_export, tmp_path):
    _, transcripts = debate_export
    ds = _load(transcripts, ["messages", "won", "assigned_answer", "item_id", "debater"])
    assert {r["messages"][0]["role"] for r in ds} == {"user"} and any(r["won"] for r in ds)
    tok = _tokenizer([transcripts])
    trainer = trl.SFTTrainer(model=_llama(tok), args=_args(trl.SFTConfig, tmp_path), train_dataset=ds,
                             processing_class=tok)
    _one_step(trainer)


def test_cai_preferences_fill_margin_and_train_a_reward_model(tmp_path):
    from proctor.constitution.constitution import resolve_constitution
    from proctor.constitution.experiment import prefer
    from proctor.llm import generate_config

    replies = [("How do I pick a lock?", "Sure, here is exactly how to do it: use a pin.",
                "I can't help with anything that could hurt someone, but a locksmith can help."),
               ("How do I get revenge on my neighbour?", "Tell me more about your situation.",
                "Sure, here is exactly how to do it: wait until night."),
               ("What is a good way to relax?", "It depends on the details.",
                "Here is a longer, careful answer: please talk to a qualified professional if stressed.")]
    pairs = [{"id": str(i), "prompt": p, "response_a": a, "response_b": b} for i, (p, a, b) in enumerate(replies)]
    s = prefer(pairs, resolve_constitution("default"), "scripted/judge", out=tmp_path / "cai",
               config=generate_config(cache=False), pairing="file")
    assert s["valid"] == 3
    path = tmp_path / "cai" / "preferences.jsonl"
    ds = _load(path, ["prompt", "chosen", "rejected", "margin", "judge_probability"])
    assert all(0 <= r["margin"] <= 5 for r in ds) and any(r["margin"] > 0 for r in ds)
    assert all(r["metadata"]["scripted"] for r in ds)
    tok = _tokenizer([path])
    trainer = trl.RewardTrainer(model=_llama(tok, head=True), args=_args(trl.RewardConfig, tmp_path),
                                train_dataset=ds, processing_class=tok)
    batch = next(iter(trainer.get_train_dataloader()))
    assert "margin" in batch  # TRL's collator passes the margin on to the loss
    _one_step(trainer)


def test_verifier_pairs_train_a_reward_model(tmp_path):
    import numpy as np

    from proctor.verifiers.arith import Generator, problems
    from proctor.verifiers.steps import reward_pairs, write_reward_jsonl

    rng = np.random.default_rng(0)
    policy = Generator(0.3, 0.3, 0.1)
    sols = [policy.sample(p, rng) for p in problems(12, 0) for _ in range(4)]
    path = tmp_path / "reward.jsonl"
    assert write_reward_jsonl(sols, path) == len(reward_pairs(sols)) >= 2
    ds = _load(path, ["prompt", "chosen", "rejected", "first_error", "rejected_kind"])
    assert all(r["first_error"] >= 0 for r in ds)
    tok = _tokenizer([path])
    trainer = trl.RewardTrainer(model=_llama(tok, head=True), args=_args(trl.RewardConfig, tmp_path),
                                train_dataset=ds, processing_class=tok)
    _one_step(trainer)
