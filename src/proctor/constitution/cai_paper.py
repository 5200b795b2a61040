"""Read the CAI paper's own principles (github.com/anthropics/ConstitutionalHarmlessnessPaper, `prompts/`) into a
`Constitution`, in memory.

Files read (all in one folder; `PROCTOR_DATA/cai_paper` by default):

    CritiqueRevisionInstructions.json   {"harmful0": {"prompt": ["\\n\\nCritiqueRequest: ...\\n\\nCritique:"],
                                                      "edit_request": "\\n\\nRevisionRequest: ...\\n\\nRevision:"}, ...}
    RLMadisonInstructions.json          ["\\nPlease choose the ... Options:", ...]
    CritiqueRevisionFewShotPrompts.json ["\\n\\nHuman: ...", ...]              (optional: few-shot examples)

The repository has no licence file, so Proctor does not redistribute this text: it is read from the user's copy at
run time (and serves as a test fixture here). The "CritiqueRequest:" / "RevisionRequest:" labels and the trailing
"Options:" are prompt scaffolding and are stripped; Proctor's own templates add their own.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from proctor.errors import DataError

from .constitution import ComparisonPrinciple, Constitution, Principle

__all__ = ["load_cai_paper", "CRITIQUE_FILE", "COMPARISON_FILE", "FEW_SHOT_FILE"]

CRITIQUE_FILE = "CritiqueRevisionInstructions.json"
COMPARISON_FILE = "RLMadisonInstructions.json"
FEW_SHOT_FILE = "CritiqueRevisionFewShotPrompts.json"

_CRITIQUE = re.compile(r"^\s*CritiqueRequest:\s*(?P<t>.*?)\s*(?:Critique:)?\s*$", re.S)
_REVISION = re.compile(r"^\s*RevisionRequest:\s*(?P<t>.*?)\s*(?:Revision:)?\s*$", re.S)
_OPTIONS = re.compile(r"\s*Options:\s*$")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: not found (expected the CAI paper's prompts folder)") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not valid JSON: {e}") from None


def _strip(pattern: re.Pattern, text: object, path: Path, where: str) -> str:
    if not isinstance(text, str):
        raise DataError(f"{path}: {where}: expected a string, got {type(text).__name__}")
    m = pattern.match(text)
    t = (m.group("t") if m else text).strip()
    if not t:
        raise DataError(f"{path}: {where}: empty request")
    return t


def load_cai_paper(folder: str | Path | None = None, few_shot: bool = True) -> Constitution:
    """The paper's 16 critique/revision pairs and 16 comparison principles as a Constitution (ids harmful0.. and
    rl0..); `few_shot` also keeps its few-shot critique/revision dialogues."""
    root = Path(folder) if folder else Path(os.environ.get("PROCTOR_DATA") or ".") / "cai_paper"
    crit_path, cmp_path = root / CRITIQUE_FILE, root / COMPARISON_FILE
    crit = _read_json(crit_path)
    if not isinstance(crit, dict) or not crit:
        raise DataError(f"{crit_path}: expected a non-empty object of principles")
    principles = []
    for key, entry in crit.items():
        if not isinstance(entry, dict) or "prompt" not in entry or "edit_request" not in entry:
            raise DataError(f"{crit_path}: {key}: expected keys 'prompt' and 'edit_request'")
        prompt = entry["prompt"][0] if isinstance(entry["prompt"], list) and entry["prompt"] else entry["prompt"]
        principles.append(Principle(id=str(key), critique=_strip(_CRITIQUE, prompt, crit_path, f"{key}.prompt"),
                                    revision=_strip(_REVISION, entry["edit_request"], crit_path,
                                                    f"{key}.edit_request")))
    cmp = _read_json(cmp_path)
    if not isinstance(cmp, list) or not cmp:
        raise DataError(f"{cmp_path}: expected a non-empty list of principles")
    comparisons = [ComparisonPrinciple(id=f"rl{i}", text=_strip(re.compile(r"(?P<t>.*)", re.S),
                                                                 _OPTIONS.sub("", t) if isinstance(t, str) else t,
                                                                 cmp_path, f"[{i}]"))
                   for i, t in enumerate(cmp)]
    shots: list[str] = []
    if few_shot and (root / FEW_SHOT_FILE).is_file():
        raw = _read_json(root / FEW_SHOT_FILE)
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise DataError(f"{root / FEW_SHOT_FILE}: expected a list of strings")
        shots = [s.strip() for s in raw]
    return Constitution(name="cai-paper", description=f"Bai et al. 2022 principles read from {root}",
                        principle=principles, comparison=comparisons, few_shot=shots)
