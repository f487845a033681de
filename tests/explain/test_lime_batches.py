"""LIME asks the model about many explanations' samples in one call, with the weights of one call per explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditkit.explain import lime_runs
from auditkit.explain.lime_runs import explain_with_lime


class CountingModel(Pipeline):
    """A Pipeline that counts its calls of ``predict_proba`` and the rows asked about."""

    calls: list[int] = []

    def predict_proba(self, X, **params):
        CountingModel.calls.append(len(X))
        return super().predict_proba(X, **params)


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame({"income": rng.normal(50, 15, n).round(1), "debt": rng.normal(20, 5, n).round(1),
                         "region": rng.choice(["north", "south", "east"], n).astype(object),
                         "approved": rng.integers(0, 2, n)})


@pytest.fixture(scope="module")
def model(loans) -> CountingModel:
    encode = ColumnTransformer([("region", OneHotEncoder(), ["region"])], remainder="passthrough")
    return CountingModel([("encode", encode), ("classifier", LogisticRegression())]).fit(
        loans.drop(columns="approved"), loans["approved"])


def explain(model, loans, **settings):
    X = loans.drop(columns="approved")
    CountingModel.calls = []
    return explain_with_lime(model, X.iloc[:4], X, seeds=[3, 4, 5], positive_label=1, num_samples=200, **settings)


def test_the_model_is_called_once_for_all_explanations(model, loans):
    runs = explain(model, loans)
    assert runs.weights.shape == (4, 3, 3)
    assert CountingModel.calls == [4 * 3 * 200]  # 12 explanations of 200 samples: one call, not twelve


@pytest.mark.parametrize("batch_rows", [1, 200, 600, 1000])
def test_batches_give_the_weights_of_one_call_per_explanation(model, loans, monkeypatch, batch_rows):
    monkeypatch.setattr(lime_runs, "BATCH_ROWS", 1)  # one explanation per call: LIME as it is usually called
    alone = explain(model, loans)
    assert CountingModel.calls == [200] * 12
    monkeypatch.setattr(lime_runs, "BATCH_ROWS", batch_rows)
    batched = explain(model, loans)
    per_call = max(1, batch_rows // 200)
    assert len(CountingModel.calls) == -(-12 // per_call)
    np.testing.assert_array_equal(batched.weights, alone.weights)
    np.testing.assert_array_equal(batched.local_r2, alone.local_r2)
    assert batched.conditions == alone.conditions


def test_without_continuous_discretization_too(model, loans, monkeypatch):
    monkeypatch.setattr(lime_runs, "BATCH_ROWS", 1)
    alone = explain(model, loans, discretize_continuous=False)
    monkeypatch.setattr(lime_runs, "BATCH_ROWS", 10_000)
    batched = explain(model, loans, discretize_continuous=False)
    assert len(CountingModel.calls) == 1
    np.testing.assert_array_equal(batched.weights, alone.weights)
