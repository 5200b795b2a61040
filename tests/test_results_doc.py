"""docs/results.md cannot drift from its numbers: every generated block (scorecards and tables between
`<!-- results: ... -->` and `<!-- /results -->`) is rewritten from the committed run summaries in docs/results/ by
scripts/results_tables.py, and this test fails on any difference."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "results_tables.py"


def test_results_doc_matches_its_data():
    r = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=300,
                       cwd=ROOT)
    assert r.returncode == 0, "docs/results.md is stale; run python scripts/results_tables.py\n" + r.stderr


def test_the_doc_has_generated_blocks_for_every_stored_run():
    text = (ROOT / "docs" / "results.md").read_text()
    used = {name for names in re.findall(r"<!-- results: [\w-]+ (\S+)", text) for name in names.split(",")}
    stored = {p.name.removesuffix(".json.gz") for p in (ROOT / "docs" / "results").glob("*.json.gz")}
    assert stored and stored <= used, f"stored but never quoted: {stored - used}"


def test_a_changed_number_is_caught(tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import results_tables
    finally:
        sys.path.remove(str(SCRIPT.parent))
    text = (ROOT / "docs" / "results.md").read_text()
    m = re.search(r"(<!-- results: [^>]*-->\n)(\|.*?\n)", text)
    assert m, "no generated block"
    tampered = text.replace(m.group(0), m.group(1) + m.group(2).replace("|", "| x", 1), 1)
    assert results_tables.render(tampered) != tampered
    assert results_tables.render(text) == text


def test_a_record_is_the_last_json_line_of_a_command_output(tmp_path, monkeypatch):
    """`record` keeps the `--json` object (the last line of stdout), not the progress lines above it, with the
    command that wrote it; an output without one is refused by name."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import results_tables
    finally:
        sys.path.remove(str(SCRIPT.parent))
    monkeypatch.setattr(results_tables, "STORE", tmp_path)
    out = tmp_path / "fit.out"
    out.write_text('fitting 108 runs...\n{"E": 1.5, "ci": {"E": [1.4, 1.6]}}\n')
    results_tables.record("fit", out, "proctor fit chinchilla runs.csv --json")
    assert results_tables._record("fit") == {"E": 1.5, "ci": {"E": [1.4, 1.6]}}
    bad = tmp_path / "bad.out"
    bad.write_text("no json here\n")
    import pytest

    with pytest.raises(SystemExit, match="bad.out"):
        results_tables.record("bad", bad, "x")
