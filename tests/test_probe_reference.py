"""docs/probes.md is the probe models' own documentation (issue 31, item 5): every setting
of every kind has its docstring, the file is what the models write today, and each kind's
example is a valid probe of that kind."""

from __future__ import annotations

from importlib import import_module

import pytest
import yaml

from spbe_monitor.probers import KINDS
from spbe_monitor.probers.reference import markdown, undocumented
from tests.conftest import ROOT


def test_every_setting_is_documented_and_the_reference_is_current():
    assert undocumented() == []
    assert (ROOT / "docs" / "probes.md").read_text() == markdown(), (
        "docs/probes.md is stale: python -m spbe_monitor.probers.reference > docs/probes.md")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kinds_example_is_a_valid_probe(kind: str):
    model, _ = KINDS[kind]
    module = import_module(model.__module__)
    [entry] = yaml.safe_load(module.EXAMPLE)
    assert model.model_validate(entry, context={"base": "/"}).kind == kind
