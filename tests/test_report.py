"""proctor.report: escaping, the CSP, inlined figures, atomic writes and cell formatting (no browser)."""

from __future__ import annotations

import base64
import html.parser
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from proctor.report import CSP, Figure, Sample, Section, Table, figure_png, format_cell, render_html, render_report
from proctor.report.plots import bar_with_ci

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ATTR_ESCAPED = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# a valid 1x1 PNG, so the fast tests need not draw anything
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, as the browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(doc: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(doc)
    parser.close()
    return parser.tags


def _hostile_sections(payload: str) -> list[Section]:
    return [
        Section(
            title=f"title {payload}",
            summary=f"summary {payload}\n\nsecond paragraph {payload}",
            tables=[Table(columns=[f"col {payload}", "n"], rows=[[f"cell {payload}", 1]], caption=f"cap {payload}")],
            figures=[Figure(title=f"fig {payload}", png=TINY_PNG, caption=f"figcap {payload}")],
            samples=[Sample(label=f"label {payload}", text=f"text {payload}")],
            notes=[f"note {payload}"],
            anchor="",
        )
    ]


@pytest.mark.parametrize(("payload", "escaped"), [(SCRIPT, SCRIPT_ESCAPED), (ATTR, ATTR_ESCAPED)])
def test_every_string_is_escaped(tmp_path: Path, payload: str, escaped: str) -> None:
    out = render_report(
        tmp_path / "r.html",
        title=f"report {payload}",
        sections=_hostile_sections(payload),
        meta={"run dir": f"runs/{payload}", f"key {payload}": "v"},
    )
    doc = out.read_text(encoding="utf-8")
    assert payload not in doc
    # title (twice: <title> and <h1>), meta value, meta key, section title (twice: TOC is skipped for one section,
    # heading once), summary x2, column, cell, table caption, figure title (div + alt), figure caption, sample label,
    # sample text, note
    for where in ["report", "runs/", "key", "title", "summary", "second paragraph", "col", "cell", "cap", "fig",
                  "figcap", "label", "text", "note"]:
        needle = f"{where} {escaped}" if where != "runs/" else f"runs/{escaped}"
        assert needle in doc, where
    assert doc.count(f"fig {escaped}") == 2  # the figure's heading and its alt text
    assert not re.search(r"<script", doc, re.IGNORECASE)

    tags = _tags(doc)
    assert {t for t, _ in tags} <= {
        "html", "head", "meta", "title", "style", "body", "div", "header", "p", "h1", "h2", "h3", "dl", "dt", "dd",
        "nav", "ol", "li", "a", "main", "section", "span", "aside", "strong", "ul", "table", "caption", "thead",
        "tbody", "tr", "th", "td", "figure", "img", "figcaption", "details", "summary", "pre", "footer",
    }
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "img":
            assert (attrs["src"] or "").startswith("data:image/png;base64,")
        if tag == "a":
            assert (attrs["href"] or "").startswith("#")
    assert sum(1 for t, _ in tags if t == "img") == 1  # the payload's <img> never became a tag


def test_csp_and_no_external_resources() -> None:
    doc = render_html(title="t", sections=[Section("s", summary="x")], meta={})
    tags = _tags(doc)
    csp = [a for t, a in tags if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert CSP == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    # the CSP comes before anything it governs
    names = [t for t, _ in tags]
    assert names.index("meta") < names.index("style")
    assert not any(t in {"script", "link", "iframe", "object", "embed", "base", "form"} for t in names)
    assert "http://" not in doc and "https://" not in doc and "@import" not in doc and "url(" not in doc


def test_figure_is_inlined_png(tmp_path: Path) -> None:
    png = bar_with_ci(
        ["weak", "student", "ceiling"], [0.7, 0.8, 0.9], [0.68, 0.77, 0.88], [0.72, 0.83, 0.91],
        title="acc", ylabel="accuracy", ref_lines={"chance": 0.5},
    )
    assert png.startswith(PNG_MAGIC)
    doc = render_report(
        tmp_path / "r.html", title="t", sections=[Section("s", figures=[Figure("acc", png, "cap")])]
    ).read_text(encoding="utf-8")
    srcs = [a["src"] for t, a in _tags(doc) if t == "img"]
    assert len(srcs) == 1
    prefix = "data:image/png;base64,"
    assert srcs[0].startswith(prefix)
    decoded = base64.b64decode(srcs[0][len(prefix):], validate=True)
    assert decoded.startswith(PNG_MAGIC)
    assert decoded == png


def test_figure_must_be_png(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not PNG"):
        render_report(tmp_path / "r.html", title="t", sections=[Section("s", figures=[Figure("f", b"GIF89a")])])
    assert list(tmp_path.iterdir()) == []


def test_figure_png_closes_pyplot_figures() -> None:
    import matplotlib

    matplotlib.use("agg")  # this test itself uses pyplot; keep it off any GUI backend
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    num = fig.number
    png = figure_png(fig, dpi=50)
    assert png.startswith(PNG_MAGIC)
    assert num not in plt.get_fignums()
    with pytest.raises(TypeError):
        figure_png("not a figure")  # type: ignore[arg-type]


def test_plots_never_touch_pyplot_or_a_gui_backend() -> None:
    # even with a GUI backend requested, drawing a report figure imports neither pyplot nor the GUI toolkit
    code = (
        "import sys\n"
        "import proctor.report as r\n"
        "assert 'matplotlib' not in sys.modules, 'importing proctor.report must not import matplotlib'\n"
        "png = r.bar_with_ci(['a', 'b'], [1, 2], [0.5, 1.5], [1.5, 2.5], title='t', ylabel='y')\n"
        "assert png.startswith(b'\\x89PNG')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert not any(m.startswith(('tkinter', 'PyQt', 'PySide', 'gi')) for m in sys.modules)\n"
    )
    env = {**os.environ, "MPLBACKEND": "TkAgg"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_bar_with_ci_validates_and_handles_nan() -> None:
    with pytest.raises(ValueError, match="lo has 1 values"):
        bar_with_ci(["a", "b"], [1, 2], [0], [2, 3], title="t", ylabel="y")
    png = bar_with_ci(["a", "b", "a much longer label than the rest"], [0.5, float("nan"), -0.2], [0.4, None, -0.5],
                      [0.6, None, float("nan")], title="t", ylabel="y")
    assert png.startswith(PNG_MAGIC)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.html"
    out = render_report(target, title="t", sections=[Section("s")], meta={"k": "v"})
    assert out == target and target.is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    umask = os.umask(0)
    os.umask(umask)
    # an ordinary file's mode under the current umask, not mkstemp's 0600
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_render_leaves_no_file(tmp_path: Path) -> None:
    bad = Section("s", tables=[Table(["a", "b"], [[1, 2], [3]])])
    with pytest.raises(ValueError, match="row 1 has 1 cells but the table has 2 columns"):
        render_report(tmp_path / "r.html", title="t", sections=[bad])
    assert list(tmp_path.iterdir()) == []


def test_failed_render_keeps_older_report(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    render_report(target, title="old report", sections=[Section("s")])
    before = target.read_bytes()
    with pytest.raises(ValueError):
        render_report(target, title="new", sections=[Section("s", tables=[Table(["a"], [[1, 2]])])])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_failed_write_cleans_up_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.html"
    render_report(target, title="old report", sections=[Section("s")])
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        render_report(target, title="new", sections=[Section("s")])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\u2014"),
        ("as is 0.123456", "as is 0.123456"),
        (3, "3"),
        (np.int64(1821), "1821"),
        (True, "yes"),
        (0.0, "0"),
        (0.87345, "0.873"),
        (np.float32(0.5), "0.500"),
        (1.0, "1.000"),
        (-0.0004, "-0.0004"),
        (-0.00001234, "-1.23e-05"),
        (12.34567, "12.346"),
        (123.456, "123.5"),
        (12345.678, "12,346"),
        (2.5e12, "2.5e+12"),
        (-1e-12, "-1e-12"),
        (float("nan"), "NaN"),
        (math.inf, "\u221e"),
        (-math.inf, "-\u221e"),
    ],
)
def test_format_cell(value, text) -> None:
    assert format_cell(value) == text


def test_table_alignment_and_missing_cells() -> None:
    table = Table(["model", "acc", "ci"], [["weak", 0.71234, "0.69 – 0.73"], ["student", None, "0.75 – 0.80"]])
    doc = render_html(title="t", sections=[Section("s", tables=[table])])
    assert '<th scope="col">model</th><th scope="col" class="num">acc</th><th scope="col" class="num">ci</th>' in doc
    assert '<td>weak</td><td class="num">0.712</td>' in doc
    assert '<td class="num missing">\u2014</td>' in doc
    assert "0.71234" not in doc


def test_anchors_are_unique_slugs_and_toc_links() -> None:
    sections = [Section("Weak-to-strong: SST-2"), Section("Weak-to-strong: SST-2"), Section("Δ <b>"),
                Section("Custom", anchor="mine"), Section("mine")]
    doc = render_html(title="t", sections=sections)
    ids = [a["id"] for t, a in _tags(doc) if t == "section"]
    assert ids == ["weak-to-strong-sst-2", "weak-to-strong-sst-2-2", "b", "mine", "mine-2"]
    hrefs = [a["href"] for t, a in _tags(doc) if t == "a" and "permalink" not in (a.get("class") or "")]
    assert hrefs == [f"#{i}" for i in ids]


def test_summary_is_plain_text_paragraphs_and_sample_is_verbatim() -> None:
    text = "\nfirst line keeps its leading newline\n   and its indentation\n\n\nand blank lines & <tags>"
    doc = render_html(
        title="t",
        sections=[Section("s", summary="one **not markdown**\nsame paragraph\n\n  two", samples=[Sample("x", text)])],
    )
    assert "<p>one **not markdown**\nsame paragraph</p>" in doc
    assert "<p>  two</p>" in doc
    pre = re.search(r"<pre>(.*?)</pre>", doc, re.DOTALL)
    assert pre is not None
    import html as html_lib

    # an HTML parser drops exactly one newline right after <pre>
    assert html_lib.unescape(pre.group(1)).removeprefix("\n") == text
    assert "<details" in doc and "<summary>x" in doc


def test_empty_report_renders(tmp_path: Path) -> None:
    doc = render_report(tmp_path / "r.html", title="nothing yet", sections=[]).read_text(encoding="utf-8")
    assert "<title>nothing yet</title>" in doc
    assert "no sections" in doc


def _cells(doc: str, column: int) -> list[str]:
    """The texts of one column's body cells."""
    rows = re.findall(r"<tr>(.*?)</tr>", doc.split("<tbody>", 1)[1], re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", r)[column] for r in rows]


def test_numbers_are_formatted_alike_within_a_column_by_kind() -> None:
    """Counts and false alarms as whole numbers, delays whole or to one decimal, rates with their precision: never
    "28.000" beside "200.0" or false alarms as "2.000" (issue 20)."""
    table = Table(["delay", "delay (median)", "false alarms", "rate", "accuracy", "threshold", "mixed"],
                  [[28.0, 15.5, 2.0, 59.4, 0.71234, 0.000119, 3],
                   [200.0, 233.0, 0.0, 87.0, 0.5, 0.953, "n/a"],
                   [16, 121.0, 40.0, 100.0, 1.0, 6.98e-05, 0.25]])
    doc = render_html(title="t", sections=[Section("s", tables=[table])])
    assert _cells(doc, 0) == ["28", "200", "16"]
    assert _cells(doc, 1) == ["15.5", "233.0", "121.0"]
    assert _cells(doc, 2) == ["2", "0", "40"]
    assert _cells(doc, 3) == ["59.4", "87.0", "100.0"]
    assert _cells(doc, 4) == ["0.712", "0.500", "1.000"]  # needs more than 3 decimals: each cell as format_cell
    assert _cells(doc, 5) == ["0.000119", "0.953", "6.98e-05"]
    assert _cells(doc, 6) == ["3", "n/a", "0.250"]


def test_long_tables_fold_with_a_summary_line() -> None:
    long = Table(["detector", "alarms"], [[f"d{i}", i] for i in range(13)], caption="Alarms on clean responses. More.")
    short = Table(["detector", "alarms"], [[f"d{i}", i] for i in range(12)], caption="Short.")
    kept = Table(["detector", "alarms"], [[f"d{i}", i] for i in range(40)], caption="Kept open.", collapse=False)
    doc = render_html(title="t", sections=[Section("s", tables=[long, short, kept])])
    assert doc.count('<details class="table-details">') == 1
    assert re.search(r'<details class="table-details">\s*<summary>Alarms on clean responses<span class="rows">'
                     r"\(13 rows\)</span></summary>\s*<div class=\"table-wrap\">\s*<table>", doc)
    forced = render_html(title="t", sections=[Section("s", tables=[Table(["a"], [[1]], collapse=True)])])
    assert "<summary>a<span" in forced  # no caption: the columns name it


def test_a_figure_asks_for_its_size_on_screen() -> None:
    import struct

    png = PNG_MAGIC + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1100, 400, 8, 2, 0, 0, 0)
    doc = render_html(title="t", sections=[Section("s", figures=[Figure("wide", png)])])
    assert 'style="flex-basis: %dpx"' % (round(0.85 * 1100 / 110 * 96) + 26) in doc
