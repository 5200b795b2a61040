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


def guarded_copy(sub_app: typer.Typer, help: str | None = None) -> typer.Typer:
    """A copy of a typer app whose every command (and group callback) body is wrapped in `guard`."""
    cb = sub_app.registered_callback
    invoke_alone = bool(cb and cb.invoke_without_command)
    sub = typer.Typer(add_completion=False, no_args_is_help=not invoke_alone, help=help or sub_app.info.help)
    if cb is not None and cb.callback is not None:
        sub.callback(invoke_without_command=invoke_alone, help=help or sub_app.info.help)(guard(cb.callback))
    for cmd in sub_app.registered_commands:
        sub.command(cmd.name, help=cmd.help)(guard(cmd.callback))
    for group in sub_app.registered_groups:
        sub.add_typer(guarded_copy(group.typer_instance), name=group.name)
    return sub


def mount(app: typer.Typer, verb: str, target) -> None:
    """Mount `target` under `app` as `verb`: a typer app becomes a group, a function one command; every command
    body is wrapped in `guard` (one-line errors)."""
    if isinstance(target, typer.Typer):
        app.add_typer(guarded_copy(target), name=verb)
    else:
        app.command(verb)(guard(target))
