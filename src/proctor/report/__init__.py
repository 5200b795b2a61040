"""Static HTML reports: `Section` / `Table` / `Figure` / `Sample` records -> one self-contained, script-free file.

    from proctor.report import Section, Table, render_report
    render_report("run/report.html", title="W2S on SST-2", meta={"run dir": "run"},
                  sections=[Section("Results", summary="...", tables=[Table(["model", "acc"], [["weak", 0.81]])])])

`proctor.report.plots` has reusable matplotlib figures (`bar_with_ci`), imported on first use so that importing this
package does not import matplotlib.
"""

from __future__ import annotations

from typing import Any

from proctor.report.render import (
    CSP,
    Figure,
    Sample,
    Section,
    Table,
    figure_png,
    format_cell,
    format_column,
    render_html,
    render_report,
)

__all__ = [
    "CSP",
    "Figure",
    "Sample",
    "Section",
    "Table",
    "bar_with_ci",
    "figure_png",
    "format_cell",
    "format_column",
    "render_html",
    "render_report",
]


def __getattr__(name: str) -> Any:
    if name == "bar_with_ci":
        from proctor.report.plots import bar_with_ci

        return bar_with_ci
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
