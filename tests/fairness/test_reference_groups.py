"""Reference groups are named by value as the user wrote it: the same text or the same number.

Group labels are text (``1.0`` in the data is the group shown as ``1``); ``reference_groups``
values were compared as text, so ``{"age": 1.0}`` matched no group. One rule now resolves them,
when the audit checks its settings against the data (before any step), in the fairness step's
choice of the reference and in the SHAP step's; a value that names no group is an error that
lists the groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit import audit
from auditkit.exceptions import InputError
from auditkit.explain.group_attributions import group_means, reference_group
from auditkit.fairness.analysis import choose_reference
from auditkit.io.labels import find_group
from auditkit.steps import STEPS


@pytest.mark.parametrize(("value", "groups", "group"), [
    (1.0, ["1", "2"], "1"), (1, ["1", "2"], "1"), (np.int64(2), ["1", "2"], "2"), ("2.0", ["1", "2"], "2"),
    ("2", ["1", "2"], "2"), (2, ["1.0", "2.0"], "2.0"), (0.5, ["0.5", "1"], "0.5"), (True, ["False", "True"], "True"),
    ("true", ["False", "True"], "True"), ("b", ["a", "b"], "b"), ("(missing)", ["(missing)", "a"], "(missing)"),
    (np.str_("a"), ["a", "b"], "a"),
])
def test_find_group_matches_the_same_text_or_the_same_number(value, groups, group):
    assert find_group(value, groups) == group


@pytest.mark.parametrize(("value", "groups"), [(3, ["1", "2"]), ("B", ["a", "b"]), ("1.5", ["1", "2"]), (None, ["a"])])
def test_find_group_names_no_group_for_other_values(value, groups):
    assert find_group(value, groups) is None


def _frame(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "band": rng.choice([1.0, 2.0, 3.0], n),  # groups shown as 1, 2, 3
        "code": rng.choice(["1", "2"], n),  # text that reads as numbers
        "flag": rng.choice([True, False], n),
        "y": rng.integers(0, 2, n),
    })
    frame["decision"] = np.where(rng.random(n) < 0.8, frame["y"], 1 - frame["y"])
    return frame


@pytest.mark.parametrize(("feature", "value", "group"), [
    ("band", 2.0, "2"), ("band", 2, "2"), ("band", "2", "2"), ("band", "2.0", "2"), ("band", np.float64(2.0), "2"),
    ("code", 2.0, "2"), ("code", 2, "2"), ("code", "2", "2"),
    ("flag", True, "True"), ("flag", "true", "True"), ("flag", False, "False"),
])
def test_the_fairness_step_compares_against_the_named_group(feature, value, group):
    result = audit(data=_frame(), target="y", sensitive=[feature], predictions="decision", steps=["fairness"],
                   reference_groups={feature: value}, step_options={"fairness": {"n_boot": 0}})
    assert result.failed_steps == []
    comparisons = result.to_dict()["fairness"]["comparisons"]
    assert comparisons and {c["reference"][feature] for c in comparisons} == {group}


@pytest.mark.parametrize(("feature", "value", "message"), [
    ("band", 4, "reference_groups: band=4 does not occur in the audited rows; band has: 1, 2, 3"),
    ("band", "two", "reference_groups: band='two' does not occur in the audited rows; band has: 1, 2, 3"),
    ("code", 1.5, "reference_groups: code=1.5 does not occur in the audited rows; code has: 1, 2"),
])
def test_a_value_that_names_no_group_is_refused_before_any_step_runs(monkeypatch, feature, value, message):
    ran = []
    for step in STEPS.values():
        monkeypatch.setattr(step, "run", lambda self, ctx: ran.append(self.name))
    with pytest.raises(InputError) as error:
        audit(data=_frame(), target="y", sensitive=[feature], predictions="decision", steps=["fairness"],
              reference_groups={feature: value})
    assert str(error.value) == message
    assert ran == []


KEYS = pd.DataFrame({"g": ["a", "a", "b", "b"], "h": ["1", "2", "1", "2"]})
N = np.array([50, 40, 30, 20])
ELIGIBLE = np.ones(4, dtype=bool)


@pytest.mark.parametrize(("chosen", "index"), [
    ({"g": "b", "h": 2.0}, 3), ({"g": "b", "h": "2"}, 3), ({"h": 2}, 1), ({"h": "2.0"}, 1), ({}, 0),
])
def test_choose_reference_resolves_values_by_the_label_rule(chosen, index):
    assert choose_reference(KEYS, N, ELIGIBLE, ("g", "h"), chosen) == index


@pytest.mark.parametrize("chosen", [{"h": 3}, {"g": "c", "h": 1}])
def test_choose_reference_refuses_a_value_that_names_no_group(chosen):
    """Before, a value naming no group of an intersection silently gave the largest group."""
    named = ", ".join(f"{f}={v!r}" if isinstance(v, str) else f"{f}={v}" for f, v in chosen.items())
    with pytest.raises(InputError, match=(rf"^reference group {named} does not occur in the audited rows; "
                                          r"values are g: a, b; h: 1, 2$")):
        choose_reference(KEYS, N, ELIGIBLE, ("g", "h"), chosen)


def test_the_shap_reference_group_is_resolved_by_the_same_rule():
    groups = np.array(["1"] * 5 + ["2"] * 3 + ["3"] * 2)
    means = group_means(np.zeros((10, 2)), np.zeros(10), groups, ["x", "z"])
    assert reference_group(means) == "1"  # the largest
    assert reference_group(means, 2.0) == "2"
    assert reference_group(means, "3.0") == "3"
    assert reference_group(means, 4) == "1"  # not among the explained rows (a sample): the largest
