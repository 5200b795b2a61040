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
