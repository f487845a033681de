"""A scikit-learn Pipeline's steps before the last run once per audit, not once for predict and again for scores."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from auditkit.exceptions import ModelPredictionError
from auditkit.io.model_outputs import predict_for_audit


class CountingScaler(TransformerMixin, BaseEstimator):
    calls = 0

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        type(self).calls += 1
        return np.asarray(X, dtype=float) / 10


class Broken(CountingScaler):
    def transform(self, X):
        raise ValueError("no such column")


class MyPipeline(Pipeline):
    pass


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300),
                      "c": rng.choice(["a", "b", "c"], 300)})
    y = np.where(X["x"] + (X["c"] == "a") + rng.normal(size=300) > 0.5, "yes", "no")
    return X, y


@pytest.mark.parametrize("make", [
    lambda: Pipeline([("scale", CountingScaler()), ("model", LogisticRegression())]),
    lambda: Pipeline([("codes", ColumnTransformer([("c", OrdinalEncoder(), ["c"])], remainder="passthrough")),
                      ("scale", StandardScaler()), ("model", HistGradientBoostingClassifier(max_iter=20))]),
])
def test_outputs_equal_the_pipelines_own(make, data):
    X, y = data
    model = make().fit(X if "codes" in dict(make().steps) else X[["x", "z"]], y)
    X = X if "codes" in model.named_steps else X[["x", "z"]]
    output = predict_for_audit(model, X, "binary", ("no", "yes"), "approved")
    assert np.array_equal(output.y_pred, (model.predict(X) == "yes").astype(np.int8))
    assert np.array_equal(output.y_score, model.predict_proba(X)[:, 1])
    assert output.score_source == "predict_proba"


def test_the_steps_before_the_last_run_once(data):
    X, y = data
    model = Pipeline([("scale", CountingScaler()), ("model", LogisticRegression())]).fit(X[["x", "z"]], y)
    CountingScaler.calls = 0
    predict_for_audit(model, X[["x", "z"]], "binary", ("no", "yes"), "approved")
    assert CountingScaler.calls == 1  # predict and predict_proba: twice before


def test_a_pipeline_subclass_predicts_its_own_way(data):
    X, y = data
    model = MyPipeline([("scale", CountingScaler()), ("model", LogisticRegression())]).fit(X[["x", "z"]], y)
    CountingScaler.calls = 0
    predict_for_audit(model, X[["x", "z"]], "binary", ("no", "yes"), "approved")
    assert CountingScaler.calls == 2


def test_a_step_that_raises_is_named(data):
    X, y = data
    model = Pipeline([("scale", CountingScaler()), ("model", LogisticRegression())]).fit(X[["x", "z"]], y)
    model.steps[0] = ("scale", Broken())
    with pytest.raises(ModelPredictionError, match=r"^the model raised while predicting: ValueError: no such column "
                                                   r"\(in transform\)$"):
        predict_for_audit(model, X[["x", "z"]], "binary", ("no", "yes"), "approved")
