"""CLI options that read their defaults and help text from a technique's pydantic spec (the one home of both).

    from proctor.options import spec_option, spec_from_options
    epochs: Annotated[Optional[float], spec_option(SAESpec, "epochs")] = None
    ...
    spec = spec_from_options(SAESpec, epochs=epochs, k=k)   # None = "not given": the spec's default applies

An option made here has the default None, so a value the user did not give never reaches the spec and the spec's
default is the only one; the help text is the field's docstring followed by that default. The test
`tests/test_options.py` walks every technique verb and fails where an option's default differs from its spec's.
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic_core import PydanticUndefined

__all__ = ["spec_default", "spec_from_options", "spec_help", "spec_option"]


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


def spec_option(spec_cls, name: str, *param_decls: str, **kwargs) -> Any:
    """A typer Option (for `Annotated[..., spec_option(...)] = None`) for field `name` of `spec_cls`: help from the
    field; the parameter's default must be None, so the spec's default applies. Extra keyword arguments (e.g.
    `min=`) go to typer.Option."""
    if name not in spec_cls.model_fields:
        raise KeyError(f"{spec_cls.__name__} has no field {name!r}")
    kwargs.setdefault("help", spec_help(spec_cls, name))
    kwargs.setdefault("show_default", False)
    return typer.Option(*param_decls, **kwargs)


def spec_from_options(spec_cls, source: str = "command line", /, **values: Any):
    """Validate the options the user gave (None = not given) as `spec_cls`; a ConfigError naming the field."""
    from .runs.spec import validate

    return validate(spec_cls, {k: v for k, v in values.items() if v is not None}, source)
