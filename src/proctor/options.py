"""CLI options that read their defaults and help text from a technique's pydantic spec (the one home of both).

    from proctor.options import spec_option, spec_from_options
    epochs: Annotated[Optional[float], spec_option(SAESpec, "epochs")] = None
    ...
    spec = spec_from_options(SAESpec, epochs=epochs, k=k)   # None = "not given": the spec's default applies

An option made here has the default None, so a value the user did not give never reaches the spec and the spec's
default is the only one; the help text is the field's docstring followed by that default. The test
`tests/test_options.py` walks every technique verb and fails where an option's default differs from its spec's.

Bad input fails before any work, on one line (tests/test_bad_input.py):
    float_option(min=, max=, gt=, lt=)   a float option that takes finite numbers only (`finite`); spec_option makes
                                         one for every float field
    check_out_dir / check_out_file       an output folder / file that can be written (not a file / not a folder, not
                                         under a file), checked before training; they create nothing
    OneLineErrors                        the `proctor` group: a usage error (unknown option, wrong type, out of range)
                                         is one line naming the option, exit 2
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import typer
from pydantic_core import PydanticUndefined
from typer.core import TyperGroup

from .errors import ConfigError

__all__ = ["OneLineErrors", "check_out_dir", "check_out_file", "finite", "float_option", "spec_default",
           "spec_from_options", "spec_help", "spec_option"]


def spec_default(spec_cls, name: str) -> Any:
    """The default of field `name` of `spec_cls` (its factory called), or None for a required field."""
    f = spec_cls.model_fields[name]
    if f.default_factory is not None:
        value = f.default_factory()
    else:
        value = None if f.default is PydanticUndefined else f.default
    return value


def _shown(value: Any) -> str:
    if hasattr(value, "label"):  # a model spec, e.g. ModelSpec
        return str(value.label)
    if isinstance(value, (list, tuple)):
        return ",".join(_shown(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    return "none" if value is None else str(value)


def spec_help(spec_cls, name: str) -> str:
    """The field's docstring with its default appended."""
    f = spec_cls.model_fields[name]
    doc = " ".join((f.description or name.replace("_", " ")).split())
    if f.is_required():
        return doc
    return f"{doc} (default: {_shown(spec_default(spec_cls, name))})"


def _is_float(annotation: Any) -> bool:
    """float, or float | None."""
    if annotation is float:
        return True
    return get_origin(annotation) in (Union, type(int | None)) and set(get_args(annotation)) == {float, type(None)}


def spec_option(spec_cls, name: str, *param_decls: str, **kwargs) -> Any:
    """A typer Option (for `Annotated[..., spec_option(...)] = None`) for field `name` of `spec_cls`: help from the
    field; the parameter's default must be None, so the spec's default applies. Extra keyword arguments (e.g.
    `min=`) go to typer.Option. A float field's option takes finite numbers only (`finite`)."""
    if name not in spec_cls.model_fields:
        raise KeyError(f"{spec_cls.__name__} has no field {name!r}")
    kwargs.setdefault("help", spec_help(spec_cls, name))
    kwargs.setdefault("show_default", False)
    if _is_float(spec_cls.model_fields[name].annotation) and "parser" not in kwargs:
        return float_option(*param_decls, **kwargs)
    return typer.Option(*param_decls, **kwargs)


# -- numbers and paths given on the command line ---------------------------------------------------------------------
def finite(*, min: float | None = None, max: float | None = None, gt: float | None = None,
           lt: float | None = None):
    """The parser of a float option: a finite number (never nan or inf, which Python's float() accepts) within the
    bounds; anything else is the option's error."""

    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{value!r} is not a number")
        try:
            v = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"{value!r} is not a finite number")
        for bound, ok, word in ((min, lambda b: v >= b, "at least"), (gt, lambda b: v > b, "greater than"),
                                (max, lambda b: v <= b, "at most"), (lt, lambda b: v < b, "less than")):
            if bound is not None and not ok(bound):
                rule = "positive" if gt == 0 and bound is gt else f"{word} {bound:g}"
                raise ValueError(f"{v:g} is out of range: must be {rule}")
        return v

    return parse


def float_option(*param_decls: str, min: float | None = None, max: float | None = None, gt: float | None = None,
                 lt: float | None = None, **kwargs) -> Any:
    """A typer Option for a float: finite, within the bounds (`min`/`max` inclusive, `gt`/`lt` exclusive). Every
    float option of Proctor is made here or by `spec_option`."""
    kwargs.setdefault("metavar", "<float>")
    return typer.Option(*param_decls, parser=finite(min=min, max=max, gt=gt, lt=lt), **kwargs)


def _file_above(path: Path) -> Path | None:
    """The nearest existing folder-or-file above `path`, when it is a file (nothing can be created under it)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_out_dir(path: Path | None, option: str = "--out") -> None:
    """Before any work: `path` can be a folder of results (an existing folder, or one that can be created). Creates
    nothing."""
    if path is None:
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path}: is a file, not a folder; choose another {option}")
    above = _file_above(path)
    if above is not None:
        raise ConfigError(f"{option} {path}: {above} is a file, not a folder")


def check_out_file(path: Path | None, option: str) -> None:
    """Before any work: `path` can be written as a file (not a folder, and not under a file). Creates nothing."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; give a file name")
    above = _file_above(path)
    if above is not None:
        raise ConfigError(f"{option} {path}: {above} is a file, not a folder")


class OneLineErrors(TyperGroup):
    """The `proctor` command group: a usage error (an unknown option, a missing one, a value of the wrong type or out
    of range) is one line on stderr naming the option, exit 2, like every other user mistake (proctor.guard)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode: bool = True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # click's usage errors
            if type(e).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
                from rich.markup import escape

                from .term import err

                msg = " ".join(e.format_message().replace("Value error, ", "").split())
                ctx = getattr(e, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                err.print(f"[red]error:[/] {escape(msg)}{escape(hint)}", soft_wrap=True)
            sys.exit(getattr(e, "exit_code", 2))
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        # without standalone mode, a command's typer.Exit(code) comes back as its code
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)


def spec_from_options(spec_cls, source: str = "command line", /, **values: Any):
    """Validate the options the user gave (None = not given) as `spec_cls`; a ConfigError naming the field."""
    from .runs.spec import validate

    return validate(spec_cls, {k: v for k, v in values.items() if v is not None}, source)
