"""Messages show values as the user wrote them: ``class 1``, never ``class np.int64(1)``.

Findings and errors format labels, classes and groups with one helper, :func:`auditkit.text.show`
(text quoted, numbers plain). Multiclass audits are where NumPy scalars reach the messages: their
classes come from the data as ``np.int64`` or ``np.str_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit import audit, exceptions, text
from auditkit.exceptions import InputError
from auditkit.fairness.analysis import choose_reference
from auditkit.io import labels

STEPS = ["performance", "fairness", "data_bias"]
OPTIONS = {"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20}}
POLICY = {"demographic_parity_difference": {"max": 0.05}}


def _frame(classes: np.ndarray, n: int = 600) -> pd.DataFrame:
    """A three-class target whose classes differ by group ``g`` (so findings name classes)."""
    rng = np.random.default_rng(0)
    g = rng.choice(["a", "b"], n)
    x = rng.normal(size=n) + (g == "a")
    codes = np.where(x > 1, 2, np.where(x > 0, 1, 0))
    band = rng.choice(np.array([1, 2, 3], dtype=np.int64), n)
    decided = np.where(rng.random(n) < 0.8, codes, rng.integers(0, 3, n))  # a classifier right 85% of the time
    return pd.DataFrame({"x": x, "g": g, "band": band, "y": classes[codes], "p": classes[decided]})


CLASSES = {
    "int": np.array([0, 1, 2], dtype=np.int64),
    "float": np.array([0.0, 1.0, 2.0]),
    "numpy text": np.array(["lo", "mid", "hi"]),  # np.str_ values
}


@pytest.mark.parametrize("kind", CLASSES)
def test_multiclass_findings_show_classes_as_written(kind):
    classes = CLASSES[kind]
    result = audit(data=_frame(classes), target="y", task="multiclass", sensitive=["g"], predictions="p",
                   steps=STEPS, step_options=OPTIONS, policy=POLICY)
    assert result.failed_steps == []
    messages = [f.message for f in result.findings]
    about_classes = [m for m in messages if "class " in m]
    assert about_classes  # the audit does talk about classes ...
    assert [m for m in messages if "np." in m] == []  # ... as written
    shown = {text.show(c) for c in classes.tolist()}
    for message in about_classes:
        assert any(f"class {s}" in message for s in shown), message


ERRORS = [
    # (settings on top of a multiclass audit of int classes, part of the message)
    ({"reference_groups": {"band": np.int64(7)}}, "band=7 does not occur"),
    ({"reference_groups": {"g": np.str_("c")}}, "g='c' does not occur"),
    ({"positive_label": np.int64(1)}, "a positive label only applies to binary audits"),
    ({"task": "binary"}, "has 3 distinct values: 0, 1, 2"),
]


@pytest.mark.parametrize(("settings", "part"), ERRORS)
def test_multiclass_error_messages_show_values_as_written(settings, part):
    spec = {"data": _frame(CLASSES["int"]), "target": "y", "task": "multiclass", "sensitive": ["g", "band"],
            "predictions": "p", "steps": STEPS, **settings}
    with pytest.raises(InputError) as error:
        audit(**spec)
    assert part in str(error.value) and "np." not in str(error.value)


def test_predictions_of_unknown_classes_are_named_as_written():
    frame = _frame(CLASSES["int"])
    frame["p"] = np.where(frame["p"] == 2, np.int64(5), frame["p"])
    with pytest.raises(InputError, match=r"predictions column 'p' has values 0, 1, 5, but target 'y' has labels "
                                         r"0, 1, 2 \(5 is not among them\)") as error:
        audit(data=frame, target="y", task="multiclass", sensitive=["g"], predictions="p", steps=["performance"])
    assert "np." not in str(error.value)


def test_a_chosen_reference_group_is_named_as_written():
    keys = pd.DataFrame({"band": ["1", "2"]})
    with pytest.raises(InputError, match=r"^reference group band=7 does not occur") as error:
        choose_reference(keys, np.array([5, 5]), np.ones(2, dtype=bool), ("band",), {"band": np.int64(7)})
    with pytest.raises(InputError, match=r"^reference group band='c' does not occur"):
        choose_reference(keys, np.array([5, 5]), np.ones(2, dtype=bool), ("band",), {"band": np.str_("c")})
    assert "np." not in str(error.value)


@pytest.mark.parametrize(("value", "shown"), [
    (np.int64(1), "1"), (np.float64(0.5), "0.5"), (np.str_("a"), "'a'"), (np.bool_(False), "False"), ("1", "'1'"),
    (1.0, "1.0"), (None, "None"),
])
def test_one_helper_shows_values(value, shown):
    assert text.show(value) == shown
    assert exceptions._show is text.show and labels.show is text.show and labels.show_all is text.show_all


@pytest.mark.parametrize(("settings", "message"), [
    ({"n_samples": np.float64(2.5)}, "n_samples must be an integer >= 2; got 2.5."),
    ({"label_bias": np.str_("high")}, "label_bias must be a number in [0, 1]; got 'high'."),
])
def test_settings_of_the_synthetic_data_are_shown_as_written(settings, message):
    from auditkit.datasets import make_biased

    with pytest.raises(InputError) as error:
        make_biased(**settings)
    assert str(error.value) == message
