"""The explainers explain the positive label's class, matched by one rule, or refuse: never another class.

A model's classes and the positive label match when they are the same text or the same number
(``"0"`` is the class ``0.0``); a positive label that is none of the classes is an error, not a
silent fallback to the last class (which explained the negative class for ``--positive-label 0``
with a model trained on 0.0/1.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from auditkit.exceptions import InputError
from auditkit.explain.codec import TabularCodec
from auditkit.explain.lime_runs import explain_with_lime, lime_output
from auditkit.explain.shap_models import class_index as _class_index
from auditkit.explain.shap_values import build_shap_engine
from auditkit.io.labels import class_position

NOT_A_CLASS = (r"^the positive label {} is not one of the model's classes \({}\); "
               r"explain a model trained on the target's own labels$")


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})


def _model(classes: tuple) -> LogisticRegression:
    """A logistic regression whose ``classes_`` are ``classes`` (the first for x < 0)."""
    X = _frame()
    y = np.where(X["x"] + 0.3 * X["z"] > 0, classes[1], classes[0])
    return LogisticRegression().fit(X, y)


@pytest.mark.parametrize(("classes", "positive", "position"), [
    ([0.0, 1.0], 1, 1), ([0.0, 1.0], "1", 1), ([0.0, 1.0], 0, 0), ([0.0, 1.0], "0", 0), ([0.0, 1.0], "0.0", 0),
    ([0, 1], True, 1), ([0, 1], "1.0", 1), ([False, True], "false", 0), ([np.int64(0), np.int64(1)], 0.0, 0),
    (["no", "yes"], "no", 0), (["no", "yes"], "yes", 1), (["1", "2", "3"], 2, 1),
])
def test_class_position_matches_same_text_or_same_number(classes, positive, position):
    assert class_position(positive, classes) == position


@pytest.mark.parametrize(("classes", "positive", "message"), [
    (["no", "yes"], "maybe", NOT_A_CLASS.format("'maybe'", "'no', 'yes'")),
    ([0.0, 1.0], 2, NOT_A_CLASS.format("2", "0.0, 1.0")),
    (["no", "yes"], 1, NOT_A_CLASS.format("1", "'no', 'yes'")),
])
def test_a_positive_label_that_is_no_class_is_refused(classes, positive, message):
    with pytest.raises(InputError, match=message):
        class_position(positive, classes)


@pytest.mark.parametrize(("positive", "position"), [("0", 0), (0, 0), ("1", 1), (1.0, 1), (None, 1)])
def test_explained_class_of_a_model_with_float_classes(positive, position):
    model = _model((0.0, 1.0))
    assert _class_index(model, positive) == position
    codec = TabularCodec.fit(_frame())
    assert lime_output(model, codec, positive)[2] == position


def test_explained_class_when_the_positive_label_is_the_first_of_string_classes():
    model = _model(("no", "yes"))
    assert list(model.classes_) == ["no", "yes"]
    assert _class_index(model, "no") == 0
    assert lime_output(model, TabularCodec.fit(_frame()), "no")[2] == 0


@pytest.mark.parametrize(("classes", "negative", "positive"), [
    ((0.0, 1.0), "0", "1"),  # before: "0" matched no class and the last class (1.0) was explained
    (("no", "yes"), "no", "yes"),
])
@pytest.mark.parametrize("explainer", ["linear", "permutation"])
def test_shap_explains_the_positive_labels_class(classes, negative, positive, explainer):
    model, X = _model(classes), _frame()
    rows = X.iloc[:5]
    for label, position in ((negative, 0), (positive, 1)):
        engine = build_shap_engine(model, X.iloc[:50], label, explainer=explainer, n_permutations=2, rows=rows)
        explained = engine.explain(rows)
        assert engine.explained_class == str(classes[position])
        if explainer == "linear":  # log-odds of the explained class, as scikit-learn computes it
            margin = model.decision_function(rows)
            np.testing.assert_allclose(explained.output, margin if position == 1 else -margin, rtol=1e-10)
        else:
            np.testing.assert_allclose(explained.output, model.predict_proba(rows)[:, position], rtol=1e-12)


def test_lime_weights_of_the_first_class_are_those_of_the_second_negated():
    """Same seed, same neighbourhood: LIME's fit of P(no) = 1 - P(yes) has the negated weights."""
    model, X = _model(("no", "yes")), _frame()
    runs = {label: explain_with_lime(model, X.iloc[:2], X, [3], positive_label=label, num_samples=300)
            for label in ("no", "yes")}
    np.testing.assert_allclose(runs["no"].weights, -runs["yes"].weights, atol=1e-10)
    assert np.abs(runs["yes"].weights).max() > 0.01


@pytest.mark.parametrize("explainer", ["linear", "permutation"])
def test_shap_refuses_a_positive_label_that_is_no_class(explainer):
    model, X = _model((0.0, 1.0)), _frame()
    with pytest.raises(InputError, match=NOT_A_CLASS.format("'yes'", "0.0, 1.0")):
        build_shap_engine(model, X.iloc[:20], "yes", explainer=explainer)


def test_lime_refuses_a_positive_label_that_is_no_class():
    model, X = _model(("no", "yes")), _frame()
    with pytest.raises(InputError, match=NOT_A_CLASS.format("'maybe'", "'no', 'yes'")):
        explain_with_lime(model, X.iloc[:1], X, [1], positive_label="maybe", num_samples=100)
