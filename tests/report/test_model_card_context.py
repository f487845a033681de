"""The model card's context: stated intended use and limitations, the model's kind, the datasheet, the limits."""

from __future__ import annotations

import re

import pytest

import auditkit
from auditkit import datasets
from auditkit.report.context_facts import cannot_tell
from auditkit.report.model_card import PROMPT_PREFIX, model_card

SCRIPT = "<script>alert(1)</script>"


def sections(card: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", card, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.fixture(scope="module")
def stated() -> tuple[dict, str]:
    result = auditkit.audit(data="german", sample=300, seed=1, steps=["performance", "fairness"], progress=False,
                            intended_use=f"Teaching {SCRIPT}\n\nNot for lending.", limitations=f"1970s data {SCRIPT}")
    return result.to_dict(), model_card(result)


def test_stated_intended_use_and_limitations_replace_the_prompts(stated) -> None:
    _, card = stated
    parts = sections(card)
    assert PROMPT_PREFIX not in parts["Intended use"] and PROMPT_PREFIX not in parts["Caveats and recommendations"]
    assert "Teaching &lt;script&gt;alert(1)&lt;/script&gt;\n\nNot for lending." in parts["Intended use"]
    assert "1970s data &lt;script&gt;" in parts["Caveats and recommendations"]
    assert "<script>" not in card


def test_the_card_names_the_model_by_its_kind_and_marks_the_settings_changed(stated) -> None:
    doc, card = stated
    details = sections(card)["Model details"]
    assert "**Estimator:** HistGradientBoostingClassifier in a Pipeline (sklearn.pipeline.Pipeline)" in details
    assert "| random_state * | 1 |" in details and "| early_stopping * | False |" in details
    assert "| learning_rate | 0.1 |" in details and "| class_weight | None |" in details
    assert card.count(" * |") == len(doc["provenance"]["model"]["params_changed"]) == 2


def test_the_card_states_the_same_limits_as_the_report(stated) -> None:
    doc, card = stated
    caveats = sections(card)["Caveats and recommendations"]
    assert all(f"- {line}" in caveats for line in cannot_tell(doc))


def test_a_loaded_and_renamed_bundled_dataset_still_references_its_datasheet() -> None:
    result = auditkit.audit(data=datasets.load("compas"), data_name="my compas", predictions="compas_high_risk",
                            sample=200, steps=["performance"], progress=False)
    evaluation = sections(model_card(result))["Evaluation data"]
    assert "the bundled datasets/compas/DATASHEET.md of auditkit" in evaluation
    assert PROMPT_PREFIX not in evaluation
