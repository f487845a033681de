"""The model card's front matter is dumped by libyaml when PyYAML has it, with the text of the pure-Python dumper."""

from __future__ import annotations

import pytest
import yaml

import auditkit
from auditkit.report import model_card as model_card_module
from auditkit.report.model_card import model_card


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: the pure-Python dumper is used")
@pytest.mark.parametrize("settings", [
    {"data": "german", "sample": 300, "seed": 1, "steps": ["performance", "fairness"]},
    {"data": "compas", "predictions": "compas_high_risk", "sample": 400, "seed": 0, "steps": ["fairness"]},
])
def test_the_card_is_the_same_with_either_dumper(settings, monkeypatch):
    result = auditkit.audit(**settings, progress=False)
    fast = model_card(result)
    with monkeypatch.context() as patch:
        patch.delattr(model_card_module.yaml, "CSafeDumper")
        slow = model_card(result)
    assert fast == slow


def test_libyaml_is_used_when_there(monkeypatch):
    used = []
    dump = yaml.dump

    def recording(data, **settings):
        used.append(settings["Dumper"])
        return dump(data, **settings)

    monkeypatch.setattr(model_card_module.yaml, "dump", recording)
    model_card(auditkit.audit(data="german", sample=200, seed=1, steps=["performance"], progress=False))
    assert used == [getattr(yaml, "CSafeDumper", yaml.SafeDumper)]
