"""Report records -> one self-contained static HTML file.

A report is a title, a few `meta` facts (run dir, created time, seeds, device ...) and a list of `Section`s, each with
plain-text summary, tables, figures (PNG bytes, inlined as ``data:`` URLs), samples (model replies, data rows, shown
verbatim) and notes (caveats). Everything is rendered by Jinja2 with autoescape on for every template; nothing a data
set or a model wrote is ever marked safe. The page carries a Content-Security-Policy that forbids scripts and every
external resource, so even a rendering bug cannot run code or phone home.

`render_report` builds the whole document in memory and only then writes it, to a temporary file in the target folder
that is renamed over the target (``os.replace``): a failure leaves no file, or the previous report intact.
"""

from __future__ import annotations

import base64
import math
import numbers
import os
import re
import struct
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..atomic import write_atomic

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

__all__ = [
    "CSP",
    "Figure",
    "Sample",
    "Section",
    "Table",
    "figure_png",
    "format_cell",
    "format_column",
    "render_html",
    "render_report",
]

#: The page's Content-Security-Policy: no script of any kind, images only from data: URLs, inline styles only.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COLLAPSE_ROWS = 12
"""A table with more rows than this is folded by default (Table.collapse)."""
FIGURE_DPI = 110
"""figure_png's resolution: a PNG's width / FIGURE_DPI * 96 is its size at 100% on a screen (CSS pixels)."""
MISSING = "\u2014"  # em dash, shown for None / missing cells


@dataclass
class Table:
    """A table. Cells are str / int / float / None (numpy scalars work too); None is shown as an em dash."""

    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    collapse: bool | None = None
    """Show the table folded (a <details> block whose summary line is the caption's first sentence and the row
    count); None: fold it when it has more than COLLAPSE_ROWS rows."""


@dataclass
class Figure:
    """A figure: PNG bytes (see `figure_png`), inlined into the page as a base64 data: URL."""

    title: str
    png: bytes
    caption: str = ""


@dataclass
class Sample:
    """An example text shown verbatim (a model reply, a data row), escaped, in a collapsible block."""

    label: str
    text: str
    highlights: Mapping[str, str] = field(default_factory=dict)
    """Regular expression -> "good" | "bad" | "note": matching spans are marked (e.g. verified / unverified quotes).
    The text stays escaped; only the fixed class names reach the HTML."""


HIGHLIGHT_CLASSES = ("good", "bad", "note")


def _segments(text: str, highlights: Mapping[str, str]) -> list[dict[str, str]]:
    """Split `text` into [{"text", "cls"}] runs; cls is "" or one of HIGHLIGHT_CLASSES."""
    if not highlights:
        return [{"text": text, "cls": ""}]
    for cls in highlights.values():
        if cls not in HIGHLIGHT_CLASSES:
            raise ValueError(f"Sample.highlights: class {cls!r} is not one of {HIGHLIGHT_CLASSES}")
    pats = list(highlights.items())
    combined = re.compile("|".join(f"(?P<h{i}>{p})" for i, (p, _) in enumerate(pats)), re.S)
    out, pos = [], 0
    for m in combined.finditer(text):
        if m.start() > pos:
            out.append({"text": text[pos:m.start()], "cls": ""})
        cls = next(pats[i][1] for i in range(len(pats)) if m.group(f"h{i}") is not None)
        out.append({"text": m.group(0), "cls": cls})
        pos = m.end()
    if pos < len(text):
        out.append({"text": text[pos:], "cls": ""})
    return out


@dataclass
class Section:
    """One section of a report. `summary` and `notes` are plain text (never HTML); blank lines split paragraphs."""

    title: str
    summary: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    anchor: str = ""


# --------------------------------------------------------------------------------------------------------- cells


def format_cell(value: Any) -> str:
    """Format one table cell for display.

    None -> an em dash; bool -> ``yes`` / ``no``; integers as they are; floats with a sensible number of digits:
    three decimals for ordinary magnitudes (accuracies, PGR, losses: ``0.873``), one decimal from 100, thousands
    separators and no decimals from 10,000, and three significant digits in exponent form for very small or very
    large values (``1.2e-05``); NaN -> ``NaN``, infinities -> ``∞`` / ``-∞``. Anything else is ``str(value)``.
    """
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "\u221e" if v > 0 else "-\u221e"
        if v == 0:
            return "0"
        a = abs(v)
        if a < 1e-3 or a >= 1e9:
            text = f"{v:.3g}"
        elif a >= 1e4:
            text = f"{v:,.0f}"
        elif a >= 100:
            text = f"{v:.1f}"
        else:
            text = f"{v:.3f}"
        if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
            text = text[1:]  # "-0.000" -> "0.000"
        return text
    return str(value)


def _real(value: Any) -> float | None:
    """A finite real number (not a bool), else None."""
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Real):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _column_decimals(values: Sequence[Any]) -> int | None:
    """The decimals one numeric column is shown with, so that its numbers are formatted alike and by kind: 0 when
    every number is a whole number (counts, false alarms, delays counted in responses, percentages of a few
    images), else the fewest decimals (1 to 3) that show every number exactly (a delay of 15.5 responses, a rate
    quoted as 59.4). None: some number needs more than 3 decimals or is large or tiny; then each cell is formatted
    on its own (format_cell)."""
    reals = [r for r in (_real(v) for v in values) if r is not None]
    if not reals or any(abs(r) >= 1e9 or (r != 0 and abs(r) < 1e-3) for r in reals):
        return None
    for d in range(4):
        if all(abs(r - round(r, d)) <= 1e-9 * max(1.0, abs(r)) for r in reals):
            return d
    return None


def _format_in_column(value: Any, decimals: int | None) -> str:
    r = _real(value)
    if decimals is None or r is None or isinstance(value, str):
        return format_cell(value)
    text = f"{r:,.{decimals}f}" if abs(r) >= 1e4 else f"{r:.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # "-0.0" -> "0.0"
    return text


def format_column(values: Sequence[Any]) -> list[str]:
    """The cells of one table column as the report shows them: numbers formatted alike, by kind (`_column_decimals`),
    anything else by format_cell. For other renderings of a report's tables (e.g. markdown) to match the page."""
    cells = [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
    decimals = _column_decimals(cells) if all(_real(c) is not None for c in cells) else None
    return [_format_in_column(v, decimals) for v in values]


_NUMERIC_TEXT = re.compile(r"^\s*[+\-\u2212]?(\d|\.\d)")


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, str) and bool(_NUMERIC_TEXT.match(value))


# ------------------------------------------------------------------------------------------------------- anchors


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:60].rstrip("-") or "section"


def _anchors(sections: Sequence[Section]) -> list[str]:
    """One unique id per section: its explicit anchor (kept as given where possible) or a slug of its title."""
    wanted = [s.anchor.strip() or _slug(s.title) for s in sections]
    taken: set[str] = {"contents", "top"}  # ids the template itself uses
    # explicit anchors first, so an author's anchor wins over a derived slug that happens to collide
    order = sorted(range(len(sections)), key=lambda i: 0 if sections[i].anchor.strip() else 1)
    result: dict[int, str] = {}
    for i in order:
        base = re.sub(r"\s+", "-", wanted[i])
        anchor, n = base, 2
        while anchor in taken:
            anchor, n = f"{base}-{n}", n + 1
        taken.add(anchor)
        result[i] = anchor
    return [result[i] for i in range(len(sections))]


# -------------------------------------------------------------------------------------------------------- figures


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's IHDR chunk."""
    if len(png) < 24 or png[12:16] != b"IHDR":
        return 0, 0
    return struct.unpack(">II", png[16:24])


def figure_png(fig: matplotlib.figure.Figure, dpi: int = FIGURE_DPI) -> bytes:
    """Render a matplotlib figure to PNG bytes with the Agg backend (never a GUI backend), then close it."""
    import io

    from matplotlib.figure import Figure as MplFigure

    if not isinstance(fig, MplFigure):
        raise TypeError(f"figure_png needs a matplotlib.figure.Figure, got {type(fig).__name__}")
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", backend="agg", facecolor="white")
    finally:
        import sys

        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(fig)  # figures made by pyplot live in its registry until closed
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------ rendering


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("proctor.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip()]


def _table_context(table: Table, where: str) -> dict[str, Any]:
    columns = [str(c) for c in table.columns]
    rows = [list(r) for r in table.rows]
    for i, row in enumerate(rows):
        if len(row) != len(columns):
            raise ValueError(f"{where}: row {i} has {len(row)} cells but the table has {len(columns)} columns")
    numeric, texts = [], []
    for j in range(len(columns)):
        cells = [r[j] for r in rows if r[j] is not None and not (isinstance(r[j], str) and not r[j].strip())]
        numeric.append(bool(cells) and all(_is_numeric(c) for c in cells))
        texts.append(format_column([r[j] for r in rows]))
    caption = str(table.caption)
    collapse = len(rows) > COLLAPSE_ROWS if table.collapse is None else bool(table.collapse)
    return {
        "caption": caption,
        "collapse": collapse,
        "summary_line": _first_sentence(caption) or ", ".join(columns[:4]),
        "n_rows": len(rows),
        "columns": [{"name": c, "numeric": numeric[j]} for j, c in enumerate(columns)],
        "rows": [
            [{"text": texts[j][i], "cls": _cell_class(numeric[j], cell is None)} for j, cell in enumerate(r)]
            for i, r in enumerate(rows)
        ],
    }


def _first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a caption (for a folded table's summary line), cut at `limit` characters."""
    first = re.split(r"(?<=[.;:])\s", text.strip(), maxsplit=1)[0].rstrip(".;: ")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "\u2026"


def _cell_class(numeric: bool, missing: bool) -> str:
    return " ".join(c for c, on in (("num", numeric), ("missing", missing)) if on)


def _figure_context(fig: Figure, where: str) -> dict[str, Any]:
    png = bytes(fig.png)
    if not png.startswith(PNG_MAGIC):
        raise ValueError(f"{where}: figure {fig.title!r} is not PNG data (see proctor.report.figure_png)")
    width, height = _png_size(png)
    return {
        "title": str(fig.title),
        "caption": str(fig.caption),
        "b64": base64.b64encode(png).decode("ascii"),
        "width": width,
        "height": height,
        # the figure box asks for 85% of the figure's size on screen (wrapping onto a row of its own where two do not
        # fit side by side), so a wide figure is never shrunk into half the page where its text cannot be read:
        # 9.5 pt text stays at least 10 CSS px tall
        "css_width": max(240, round(0.85 * width / FIGURE_DPI * 96)) if width else 440,
    }


def render_html(*, title: str, sections: Sequence[Section], meta: Mapping[str, str] = {}) -> str:
    """The report as an HTML string (what `render_report` writes)."""
    from proctor import __version__

    anchors = _anchors(sections)
    ctx_sections = []
    for sec, anchor in zip(sections, anchors):
        where = f"section {sec.title!r}"
        ctx_sections.append(
            {
                "title": str(sec.title),
                "anchor": anchor,
                "summary": _paragraphs(str(sec.summary)),
                "tables": [_table_context(t, f"{where}, table {k}") for k, t in enumerate(sec.tables)],
                "figures": [_figure_context(f, where) for f in sec.figures],
                "samples": [
                    {"label": str(s.label), "segments": _segments(str(s.text), s.highlights),
                     "chars": len(str(s.text))} for s in sec.samples
                ],
                "notes": [str(n) for n in sec.notes if str(n).strip()],
            }
        )
    template = _environment().get_template("report.html")
    return template.render(
        title=str(title),
        meta=[(str(k), str(v)) for k, v in meta.items()],
        sections=ctx_sections,
        csp=CSP,
        version=__version__,
    )


def render_report(
    path: str | os.PathLike[str], *, title: str, sections: Sequence[Section], meta: Mapping[str, str] = {}
) -> Path:
    """Write the report to `path` as one self-contained static HTML file, atomically; return the path.

    The document is rendered completely before anything touches the disk, then written to a temporary file in the
    same folder and renamed over `path`, so a failure leaves either no file or the previous report as it was.
    """
    html = render_html(title=title, sections=sections, meta=meta)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, html)
