"""How audit.json names a model and records its hyper-parameters (auditkit/io/model_params.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import auditkit
from auditkit.io.inputs import default_model_name
from auditkit.io.model_params import (
    MAX_PARAM_CHARS,
    changed_hyperparameters,
    estimator_label,
    hyperparameters,
    json_safe,
)
from auditkit.report.card_metadata import model_name

DEPTH, SHARE, FLAG = np.int64(3), np.float32(0.5), np.bool_(True)  # numpy scalars as defaults


class Odd(BaseEstimator, ClassifierMixin):
    """Settings of every awkward kind: NaN, infinity, numpy scalars, an array, an estimator, long text."""

    def __init__(self, missing=np.nan, cap=np.inf, depth=DEPTH, share=SHARE, flag=FLAG,
                 weights=None, inner=None, note="n" * 200, lines="a\nb"):
        self.missing, self.cap, self.depth, self.share, self.flag = missing, cap, depth, share, flag
        self.weights, self.inner, self.note, self.lines = weights, inner, note, lines

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class WithKwargs(BaseEstimator):
    """Like XGBoost's estimators: settings taken by ``**kwargs``, reported by ``get_params``."""

    def __init__(self, n_estimators=100, **kwargs):
        self.n_estimators = n_estimators
        self.kwargs = kwargs

    def get_params(self, deep=True):
        return {"n_estimators": self.n_estimators, "max_depth": None, **self.kwargs}


ESTIMATORS = {
    "logistic": LogisticRegression(C=0.5, class_weight={0: 1, 1: 2}),
    "boosting": HistGradientBoostingClassifier(max_iter=50, random_state=0, early_stopping=False),
    "forest": RandomForestClassifier(n_estimators=10, max_features=None),
    "odd": Odd(weights=np.arange(40), inner=make_pipeline(StandardScaler(), LogisticRegression())),
    "kwargs": WithKwargs(n_estimators=5, eta=0.3),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_hyperparameters_survive_a_json_round_trip(name):
    params = hyperparameters(ESTIMATORS[name])
    assert params and list(params) == sorted(params)
    assert json.loads(json.dumps(params, allow_nan=False)) == params  # valid JSON (no NaN), nothing changed
    for value in params.values():
        assert value is None or type(value) in (bool, int, float, str)
        assert not isinstance(value, str) or len(value) <= MAX_PARAM_CHARS


def test_awkward_settings_are_recorded_plainly_or_as_their_repr():
    params = hyperparameters(Odd(weights=np.arange(40), inner=LogisticRegression(C=2)))
    assert params["missing"] == "nan" and params["cap"] == "inf"
    assert (params["depth"], params["share"], params["flag"]) == (3, 0.5, True)
    assert params["inner"] == "LogisticRegression(C=2)"
    assert params["weights"].startswith("array([ 0, 1, 2,")  # one line and params["weights"].endswith("…")
    assert params["note"] == "n" * (MAX_PARAM_CHARS - 1) + "…" and params["lines"] == "a b"


@pytest.mark.parametrize("name", ["logistic", "boosting", "forest"])
def test_changed_hyperparameters_are_those_sklearn_prints(name):
    """scikit-learn's repr shows only the settings changed from their defaults: the same names."""
    estimator = ESTIMATORS[name]
    printed = re.findall(r"(\w+)=", repr(estimator).split("(", 1)[1])
    assert changed_hyperparameters(estimator) == sorted(printed)


def test_settings_without_a_declared_default_count_as_set_unless_none():
    assert changed_hyperparameters(WithKwargs(n_estimators=5, eta=0.3, gamma=None)) == ["eta", "n_estimators"]
    assert changed_hyperparameters(Odd()) == []  # NaN equals its NaN default


def test_json_safe_is_idempotent():
    for value in (None, True, 3, 0.25, "x", np.nan, np.int64(7), [1, 2], {"a": 1}):
        assert json_safe(json_safe(value)) == json_safe(value)


@pytest.mark.parametrize(("model", "label"), [
    (LogisticRegression(), "LogisticRegression"),
    (make_pipeline(StandardScaler(), HistGradientBoostingClassifier()), "HistGradientBoostingClassifier in a Pipeline"),
    (make_pipeline(DecisionTreeClassifier()), "DecisionTreeClassifier in a Pipeline"),
    ("models/credit-v2.skops", "credit-v2"),
])
def test_default_model_name(model, label):
    assert default_model_name(model) == label


def test_estimator_label_of_a_bare_class_name():
    assert estimator_label("Pipeline", "SVC") == "SVC in a Pipeline"
    assert estimator_label("SVC", None) == "SVC"


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(50, 10, n), "debt": rng.normal(20, 5, n),
                          "sex": rng.choice(["f", "m"], n)})
    frame["approved"] = (frame["income"] - frame["debt"] + rng.normal(0, 5, n) > 30).astype(int)
    return frame


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, "HistGradientBoostingClassifier in a Pipeline"),
    ({"model_name": "credit model v2"}, "credit model v2"),
])
def test_the_audited_pipeline_is_named_by_its_final_estimator_unless_named(settings, expected):
    frame = _frame()
    model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=5)).fit(
        frame[["income", "debt"]], frame["approved"])
    doc = auditkit.audit(data=frame, model=model, target="approved", sensitive=["sex"], features=["income", "debt"],
                         steps=["performance"], progress=False, **settings).to_dict()
    assert model_name(doc) == doc["provenance"]["model"]["name"] == expected
    assert doc["provenance"]["model"]["params_changed"] == ["max_iter"]
    assert doc["provenance"]["model"]["params"]["max_iter"] == 5


def test_an_old_audit_json_is_named_the_same_way():
    """Before names said "in a Pipeline", audit.json recorded the final estimator's class as the name."""
    old = {"provenance": {"model": {"name": "LogisticRegression", "class": "sklearn.pipeline.Pipeline",
                                    "final_estimator": "LogisticRegression", "params": {"C": "1.0"}}},
           "dataset": {"spec": {}}}
    assert model_name(old) == "LogisticRegression in a Pipeline"
