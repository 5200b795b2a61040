"""Defaults live in one place: every option of every technique verb that names a spec field reads its default from
the spec (an option default of None means "not given": the spec's default applies)."""

from __future__ import annotations

import pytest
import typer

from proctor.cli import app
from proctor.options import spec_default, spec_help
from proctor.runs.technique import all_techniques


def _commands(cmd, path: tuple[str, ...] = ()):
    # typer 0.29 vendors click (typer._click): duck-typed, not isinstance of the click package's classes
    yield path, cmd
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, path + (name,))


def _specs_near(module: str) -> list[type]:
    """Spec classes of the techniques in the package of a CLI module (its subpackages included)."""
    package = module.rpartition(".")[0]
    return [t.spec for t in all_techniques() if t.spec is not None and t.spec.__module__.startswith(package)]


def _verb_params():
    root = typer.main.get_command(app)
    for tech in all_techniques():
        for verb, ref in tech.cli.items():
            specs = _specs_near(ref.partition(":")[0])
            for path, cmd in _commands(root.commands[verb], (verb,)):
                for p in cmd.params:
                    fields = [s for s in specs if p.name in s.model_fields]
                    if fields and getattr(p, "param_type_name", "") == "option":
                        yield " ".join(path) + " --" + p.name.replace("_", "-"), p, fields


PARAMS = list(_verb_params())


def test_every_technique_verb_was_walked():
    verbs = {name.split()[0] for name, _, _ in PARAMS}
    assert {"w2s", "sae", "debate", "verify", "monitor", "superposition", "cai", "rrm"} <= verbs, verbs


@pytest.mark.parametrize("name,param,specs", PARAMS, ids=[n for n, _, _ in PARAMS])
def test_cli_default_is_the_spec_default(name, param, specs):
    allowed = [spec_default(s, param.name) for s in specs]
    default = param.default
    if isinstance(default, tuple):  # click stores a multiple option's default as a tuple
        default = list(default) or None
    assert default is None or default in allowed, (
        f"{name}: CLI default {default!r} differs from the spec's {allowed!r}; default it to None (spec_option)")


def test_spec_help_shows_the_field_docstring_and_default():
    from proctor.w2s.spec import W2SSpec

    text = spec_help(W2SSpec, "seeds")
    assert text.startswith("Seeds 0..seeds-1") and text.endswith("(default: 3)")
