"""`--quick` presets live beside each spec (QUICK in the technique's spec.py), and the quick suite is exactly them."""

from __future__ import annotations

import importlib
import tomllib
from importlib import resources

import pytest

from proctor.runs.technique import registry

QUICK_SUITE = tomllib.loads((resources.files("proctor") / "suites" / "quick.toml").read_text())["experiment"]


@pytest.mark.parametrize("table", QUICK_SUITE, ids=[t["type"] for t in QUICK_SUITE])
def test_each_quick_table_is_its_specs_preset(table):
    spec_module = importlib.import_module(registry()[table["type"]].spec.__module__)
    preset = getattr(spec_module, "QUICK", None)
    assert preset is not None, f"{spec_module.__name__} has no QUICK preset"
    assert {k: v for k, v in table.items() if k != "type"} == preset
