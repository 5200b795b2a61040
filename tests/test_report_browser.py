"""proctor.report in a real browser: Debian's Chromium, headless, driven by Playwright (no downloaded browsers).

Skipped where /usr/bin/chromium (or Playwright) is missing, except under CI=true, where that is a failure: CI must
install chromium (see .ci/run).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from proctor.report import Figure, Sample, Section, Table, render_report
from proctor.report.plots import bar_with_ci

pytestmark = pytest.mark.browser

SAMPLE_TEXT = '<script>window.__pwned = 1; document.title = "pwned"</script>'
CELL_TEXT = '<img src=x onerror="window.__pwned=2">'
TITLE = "Proctor browser check: W2S <SST-2>"
# a debater's turn: a verified quote that carries a script, and an unverified one
QUOTED = 'A says [VERIFIED: "<script>window.__pwned = 3</script>"] but [UNVERIFIED: "the sky is green"].'


def _report(tmp_path: Path) -> Path:
    png = bar_with_ci(
        ["weak", "student", "student + aux", "ceiling"],
        [0.71, 0.78, 0.81, 0.88],
        [0.69, 0.75, 0.79, 0.865],
        [0.73, 0.80, 0.83, 0.90],
        title="SST-2 test accuracy",
        ylabel="accuracy",
        ref_lines={"chance": 0.5},
    )
    section = Section(
        title="Weak-to-strong generalization",
        summary="Students trained on weak labels.\n\nPGR with 95% bootstrap CIs.",
        tables=[
            Table(
                ["model", "accuracy", "PGR", "note"],
                [["weak", 0.7134, None, CELL_TEXT], ["student", 0.78123, 0.41234, "ok"], ["ceiling", 0.88, 1.0, ""]],
                caption="SST-2, 3 seeds",
            )
        ],
        figures=[Figure("Accuracy", png, "Error bars: 95% bootstrap CI.")],
        samples=[Sample("weak label disagreement", SAMPLE_TEXT), Sample("data row", '{"text": "fine", "label": 1}'),
                 Sample("debate turn", QUOTED, highlights={r'\[VERIFIED: ".*?"\]': "good",
                                                           r'\[UNVERIFIED: ".*?"\]': "bad"})],
        notes=["Ran on CPU with max_length=128."],
    )
    other = Section("Debate", summary="Nothing yet.")
    return render_report(
        tmp_path / "report.html",
        title=TITLE,
        sections=[section, other],
        meta={"run dir": str(tmp_path), "created": "2024-11-27 17:50 UTC", "seeds": "0, 1, 2", "device": "cpu"},
    )


def test_report_in_chromium(browser, tmp_path: Path) -> None:
    path = _report(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")

    images = page.evaluate("[...document.images].map(i => ({complete: i.complete, w: i.naturalWidth}))")
    assert len(images) == 1, images  # the figure; the table cell's <img> is text
    assert all(i["complete"] and i["w"] > 0 for i in images), images
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() == TITLE

    # samples are collapsed: open one by clicking its summary (no script on the page needed)
    page.locator("details.sample > summary", has_text="weak label disagreement").click()
    assert page.locator("details.sample").first.evaluate("d => d.open") is True
    text = page.evaluate("document.body.innerText")
    assert "<script>window.__pwned = 1" in text
    assert SAMPLE_TEXT in text
    assert CELL_TEXT in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() == TITLE

    # highlighted quotes: marked spans whose text is still text
    page.locator("details.sample > summary", has_text="debate turn").click()
    good = page.locator("mark.hl-good")
    bad = page.locator("mark.hl-bad")
    assert good.count() == 1 and bad.count() == 1
    assert good.inner_text() == '[VERIFIED: "<script>window.__pwned = 3</script>"]'
    assert bad.inner_text() == '[UNVERIFIED: "the sky is green"]'
    assert page.evaluate("document.querySelectorAll('pre script').length") == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # the table of contents links to the sections
    page.locator("nav.toc a", has_text="Debate").click()
    assert page.evaluate("location.hash") == "#debate"

    assert page.locator("td.num").count() >= 5  # numbers are right-aligned cells
    assert page.evaluate("getComputedStyle(document.querySelector('td.num')).textAlign") == "right"
    assert page.evaluate("getComputedStyle(document.querySelector('pre')).whiteSpace") == "pre-wrap"

    # nothing was blocked or fetched: the CSP allows all the page itself uses
    assert not [c for c in console if c.startswith("error")], console
    assert failed == []

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("PROCTOR_REPORT_SHOT"):  # to look at the page during development
        shutil.copy(shot, os.environ["PROCTOR_REPORT_SHOT"])
    page.close()


def _real_sections() -> list:
    """The report sections of real runs kept in docs/results/: the reward-hacking monitor (two ~40-row tables), pixel
    debate, weak-to-strong and the SAE monitor (the widest tables) and superposition (a strip of small-multiple
    thumbnails)."""
    import gzip
    import json

    from proctor.runs import technique as techniques
    from proctor.runs.spec import Suite, validate

    root = Path(__file__).resolve().parent.parent / "docs" / "results"
    sections = []
    for name, title in (("monitor-eval", "monitor"), ("quick", "pixel-debate-greedy"), ("quick", "w2s-sst2"),
                        ("quick", "sae-minilm-resid.3"), ("quick", "superposition-n20-m5")):
        data = json.loads(gzip.decompress((root / f"{name}.json.gz").read_bytes()))
        spec = next(s for s in validate(Suite, data["suite"], name).experiment if s.title == title)
        sections += techniques.get(spec.type).sections(data["summaries"][title])
    return sections


def test_a_real_report_fits_1280_px_folds_long_tables_and_keeps_figures_legible(browser, tmp_path: Path) -> None:
    path = render_report(tmp_path / "report.html", title="monitor, pixel debate, superposition",
                         sections=_real_sections())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.resolve().as_uri(), wait_until="load")

    # nothing wider than the viewport, and no table cut off inside its box (it fits, so nothing needs scrolling)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    cut = page.evaluate("[...document.querySelectorAll('.table-wrap')].filter(w => w.offsetParent !== null && "
                        "w.scrollWidth > w.clientWidth + 1).map(w => w.querySelector('th').textContent)")
    assert cut == []

    # the monitor's two long tables are folded, with a summary line giving their size; a click opens one
    folded = page.locator("details.table-details")
    assert folded.count() >= 2
    assert all(not d for d in folded.evaluate_all("ds => ds.map(d => d.open)"))
    first = folded.first
    assert " rows)" in first.locator("summary").inner_text()
    assert first.locator("table").is_visible() is False
    first.locator("summary").click()
    assert first.locator("table").is_visible()
    # ... and once open it fits too
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert first.locator(".table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth + 1")

    # numbers by kind: the monitor's false alarms are whole numbers, its delays whole or one decimal
    text = page.evaluate("document.body.innerText")
    assert "2.000" not in text and "28.000" not in text

    # figures shown at no less than 70% of their size at 110 dpi: 9.5 pt text stays at least 10 px tall
    scales = page.evaluate("[...document.images].map(i => i.getBoundingClientRect().width / "
                           "(i.naturalWidth / 110 * 96))")
    assert scales and min(scales) >= 0.7, scales

    shot = tmp_path / "report-1280.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if os.environ.get("PROCTOR_REPORT_SHOT"):
        shutil.copy(shot, Path(os.environ["PROCTOR_REPORT_SHOT"]).with_suffix(".real.png"))
    page.close()
