"""The one error guard of every CLI command: a ProctorError prints one line on stderr and exits with its code."""

from __future__ import annotations

import functools

import typer
from rich.console import Console
from rich.markup import escape

from .errors import ProctorError

err = Console(stderr=True, highlight=False, soft_wrap=True)


def guard(fn):
    """Run a command body: ProctorError -> one line and its exit code; Ctrl-C -> a resume hint (exit 130)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ProctorError as e:
            err.print(f"[red]error:[/] {escape(str(e))}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted; finished units are kept, rerun the same command to resume")
            raise typer.Exit(130) from None

    return wrapper
