"""One kind of progress bar for all long work (embedding, training): transient, on stderr so stdout stays clean
for `--json`, and a no-op when disabled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """Yields `advance()`; draws `label [bar] done/total ETA` while the block runs."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(escape(label)), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   transient=True, console=Console(stderr=True))
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
