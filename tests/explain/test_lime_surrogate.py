"""LIME's local surrogate in closed form (LocalRidge): scikit-learn's Ridge weights and R², without its checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lime.lime_tabular import LimeTabularExplainer
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditkit.explain import lime_runs
from auditkit.explain.lime_runs import LocalRidge, explain_with_lime


@pytest.mark.parametrize(("n", "p", "alpha", "seed"), [(1000, 13, 1.0, 0), (200, 3, 1.0, 1), (50, 6, 0.01, 2),
                                                      (1000, 1, 1.0, 3)])
def test_local_ridge_gives_sklearns_weighted_ridge(n, p, alpha, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 10, p)
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    weights = np.exp(-rng.uniform(0, 3, n))
    ours = LocalRidge(alpha).fit(X, y, sample_weight=weights)
    theirs = Ridge(alpha=alpha).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-12)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-9, abs=1e-12)
    assert ours.score(X, y, weights) == pytest.approx(theirs.score(X, y, sample_weight=weights), rel=1e-9)
    np.testing.assert_allclose(ours.predict(X[:3]), theirs.predict(X[:3]), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("y", "expected"), [(np.full(5, 0.3), 1.0), (np.array([0.3, 0.3, 0.3, 0.3, 0.9]), None)])
def test_local_ridge_scores_a_constant_output_as_sklearn_does(y, expected):
    X = np.arange(10.0).reshape(5, 2)
    weights = np.ones(5)
    ours, theirs = LocalRidge().fit(X, y, weights), Ridge(alpha=1.0).fit(X, y, sample_weight=weights)
    assert ours.score(X, y, weights) == pytest.approx(theirs.score(X, y, sample_weight=weights), abs=1e-12)
    if expected is not None:
        assert ours.score(X, y, weights) == expected


@pytest.fixture(scope="module")
def loans() -> tuple[pd.DataFrame, Pipeline]:
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"income": rng.normal(50, 15, n).round(1), "debt": rng.normal(20, 5, n).round(1),
                      "age": rng.integers(18, 80, n).astype(float), "years": rng.integers(0, 30, n).astype(float),
                      "kids": rng.integers(0, 4, n).astype(float), "score": rng.normal(0, 1, n).round(2),
                      "region": rng.choice(["north", "south", "east"], n).astype(object),
                      "job": rng.choice(["a", "b", "c", "d"], n).astype(object)})
    y = (X["income"] - X["debt"] + rng.normal(0, 10, n) > 30).astype(int)
    encode = ColumnTransformer([("cat", OneHotEncoder(), ["region", "job"])], remainder="passthrough")
    return X, Pipeline([("encode", encode), ("classifier", LogisticRegression(max_iter=1000))]).fit(X, y)


@pytest.mark.parametrize("columns", [8, 3])  # LIME's default selection: highest weights (> 6 features), forward
def test_explanations_are_those_of_limes_own_ridge_and_selection(loans, monkeypatch, columns):
    X, model = loans
    X = X.iloc[:, :columns] if columns == 8 else X[["income", "debt", "region"]]
    if columns == 3:
        model = Pipeline([("encode", ColumnTransformer([("cat", OneHotEncoder(), ["region"])],
                                                       remainder="passthrough")),
                          ("classifier", LogisticRegression(max_iter=1000))]).fit(X, model.predict(loans[0]))
    ours = explain_with_lime(model, X.iloc[:3], X, seeds=[3, 4], positive_label=1, num_samples=400)
    original = LimeTabularExplainer.explain_instance

    def limes_defaults(self, *args, model_regressor=None, **kwargs):
        self.feature_selection = "auto"
        return original(self, *args, **kwargs)  # LIME's Ridge(alpha=1) and its own feature selection

    monkeypatch.setattr(LimeTabularExplainer, "explain_instance", limes_defaults)
    theirs = explain_with_lime(model, X.iloc[:3], X, seeds=[3, 4], positive_label=1, num_samples=400)
    np.testing.assert_allclose(ours.weights, theirs.weights, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.local_r2, theirs.local_r2, rtol=1e-7, atol=1e-10)
    assert [[name for name, _ in c] for c in ours.conditions] == [[name for name, _ in c] for c in theirs.conditions]


def test_no_sklearn_ridge_is_fitted_for_an_explanation(loans, monkeypatch):
    X, model = loans
    fits = []
    monkeypatch.setattr(Ridge, "fit", lambda self, *a, **k: fits.append(self) or self)
    runs = explain_with_lime(model, X.iloc[:2], X, seeds=[1], positive_label=1, num_samples=200)
    assert fits == [] and runs.weights.shape == (2, 1, 8)


def test_the_surrogate_is_fitted_on_one_blas_thread(loans, monkeypatch):
    from threadpoolctl import threadpool_info

    X, model = loans
    seen = []
    fit = LocalRidge.fit

    def spy(self, *args, **kwargs):
        seen.append({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"})
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(lime_runs.LocalRidge, "fit", spy)
    explain_with_lime(model, X.iloc[:1], X, seeds=[1, 2], positive_label=1, num_samples=200)
    assert seen == [{1}, {1}]


def test_each_explanation_measures_its_distances_once(loans, monkeypatch):
    import sklearn.metrics

    X, model = loans
    measured = []
    distances = sklearn.metrics.pairwise_distances
    monkeypatch.setattr(sklearn.metrics, "pairwise_distances", lambda *a, **k: measured.append(1) or distances(*a, **k))
    explain_with_lime(model, X.iloc[:2], X, seeds=[1, 2], positive_label=1, num_samples=200)
    assert len(measured) == 4  # 2 rows x 2 seeds: the run that only collects the samples stops before measuring
