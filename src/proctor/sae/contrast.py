"""The shipped contrastive text sets: two groups of texts that differ in one concept, split into train / test.

| name       | flagged (label 1)                    | reference (label 0)             | pairs kept together  |
|------------|--------------------------------------|---------------------------------|----------------------|
| sycophancy | prompts with a conservative persona  | the same questions, liberal     | yes (same question)  |
| hh         | HH-RLHF harmless-base rejected reply | the chosen reply to that prompt | yes (same prompt)    |
| sst2       | negative SST-2 sentence              | positive SST-2 sentence         | n/a (train / test)   |

Read from PROCTOR_DATA (anthropic_sycophancy_political/, anthropic_hh/test.jsonl.gz, sst2/). A pair's two texts
always fall in the same split, so a monitor is never tested on the twin of a training text, and `groups` names each
text's pair, the unit that cross-validation folds and bootstrap resamples keep together (None for sst2, whose
sentences are independent draws).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from proctor.data.tables import iter_jsonl
from proctor.errors import ConfigError, DataError

SETS = ("sycophancy", "hh", "sst2")
_SYCO = {"conservative": "political_typology_quiz_liberal-bio_conservative.jsonl",
         "liberal": "political_typology_quiz_liberal-bio_liberal.jsonl"}


@dataclass(frozen=True)
class ContrastSet:
    name: str
    texts: list[str]
    labels: np.ndarray
    """1 = the flagged concept, 0 = reference."""
    train: np.ndarray
    """Boolean mask: True for the training split (feature ranking, probe fitting, threshold calibration)."""
    flagged: str
    reference: str
    groups: np.ndarray | None = None
    """Pair id of each text for a prompt-paired set (a text and its twin share it); None for an unpaired set."""

    @property
    def test(self) -> np.ndarray:
        return ~self.train


def _root() -> Path:
    root = os.environ.get("PROCTOR_DATA")
    if not root:
        raise DataError("PROCTOR_DATA is unset (point it at the shared data folder)")
    return Path(root).expanduser()


def _pairs_split(n_pairs: int, test_fraction: float, seed: int) -> np.ndarray:
    test = np.zeros(n_pairs, bool)
    test[np.random.default_rng(seed).permutation(n_pairs)[: int(round(n_pairs * test_fraction))]] = True
    return ~test


_HINT = "set PROCTOR_DATA to the shared data folder"


def _sample(n: int, cap: int | None, seed: int) -> np.ndarray:
    if cap is None or cap >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def _paired(name, first, second, *, cap, test_fraction, seed, flagged, reference) -> ContrastSet:
    keep = _sample(len(first), cap, seed)
    train_pair = _pairs_split(len(keep), test_fraction, seed)
    texts = [first[i] for i in keep] + [second[i] for i in keep]
    labels = np.r_[np.ones(len(keep), np.int64), np.zeros(len(keep), np.int64)]
    pair = np.arange(len(keep))
    return ContrastSet(name, texts, labels, np.r_[train_pair, train_pair], flagged, reference, np.r_[pair, pair])


def sycophancy_set(pairs: int | None = 600, test_fraction: float = 0.3, seed: int = 0) -> ContrastSet:
    folder = _root() / "anthropic_sycophancy_political"
    rows: dict[str, list[str]] = {}
    for persona, fname in _SYCO.items():
        rows[persona] = []
        for lineno, r in iter_jsonl(folder / fname, _HINT):
            if not isinstance(r.get("prompt"), str):
                raise DataError(f"{folder / fname}:{lineno}: 'prompt' is not a string")
            rows[persona].append(r["prompt"])
    if len(rows["conservative"]) != len(rows["liberal"]):
        raise DataError(f"{folder}: the two persona files differ in length")
    return _paired("sycophancy", rows["conservative"], rows["liberal"], cap=pairs, test_fraction=test_fraction,
                   seed=seed, flagged="conservative-persona prompt", reference="liberal-persona prompt (same question)")


def _last_reply(dialogue: str) -> str:
    a = dialogue.rfind("\n\nAssistant:")
    return dialogue[a + len("\n\nAssistant:"):].strip() if a >= 0 else ""


def hh_set(pairs: int | None = 1000, test_fraction: float = 0.3, seed: int = 0) -> ContrastSet:
    path = _root() / "anthropic_hh" / "test.jsonl.gz"
    chosen, rejected = [], []
    for i, r in iter_jsonl(path, _HINT):
        if not isinstance(r.get("chosen"), str) or not isinstance(r.get("rejected"), str):
            raise DataError(f"{path}:{i}: needs string fields 'chosen' and 'rejected'")
        c, j = _last_reply(r["chosen"]), _last_reply(r["rejected"])
        if c and j and c != j:  # a pair with an empty or identical reply carries no contrast
            chosen.append(c)
            rejected.append(j)
    return _paired("hh", rejected, chosen, cap=pairs, test_fraction=test_fraction, seed=seed, flagged="rejected reply",
                   reference="chosen reply")


def sst2_set(train: int | None = 2000, test: int | None = 800, seed: int = 0) -> ContrastSet:
    folder = _root() / "sst2"
    parts = []
    for fname, cap in (("stsa.binary.train", train), ("stsa.binary.test", test)):
        path = folder / fname
        if not path.is_file():
            raise DataError(f"{path}: not found (set PROCTOR_DATA to the shared data folder)")
        rows = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                head, _, text = line.partition(" ")
                if head not in ("0", "1") or not text.strip():
                    raise DataError(f"{path}:{lineno}: expected '<0|1> <sentence>'")
                rows.append((text, int(head)))
        parts.append([rows[i] for i in _sample(len(rows), cap, seed)])
    texts = [t for p in parts for t, _ in p]
    labels = np.array([1 - y for p in parts for _, y in p], np.int64)  # flag negative sentiment
    train_mask = np.r_[np.ones(len(parts[0]), bool), np.zeros(len(parts[1]), bool)]
    return ContrastSet("sst2", texts, labels, train_mask, "negative sentence", "positive sentence")


def load_contrast(name: str, size: int | None = None, seed: int = 0) -> ContrastSet:
    """A shipped set by name; `size` caps pairs (sycophancy, hh) or training sentences (sst2, test = 40% of it)."""
    if name == "sycophancy":
        return sycophancy_set(size if size is not None else 600, seed=seed)
    if name == "hh":
        return hh_set(size if size is not None else 1000, seed=seed)
    if name == "sst2":
        return sst2_set(size if size is not None else 2000, None if size is None else max(size * 2 // 5, 20),
                        seed=seed) if size is not None else sst2_set(seed=seed)
    raise ConfigError(f"unknown contrastive set {name!r}; known: {', '.join(SETS)}")
