"""LIME draws each explanation's samples once: its second run (given the predictions) gets the same draws back."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from lime.lime_tabular import LimeTabularExplainer
from sklearn.linear_model import LogisticRegression

from auditkit.explain import lime_runs
from auditkit.explain.lime_runs import explain_with_lime

DRAW = "_LimeTabularExplainer__data_inverse"


@pytest.fixture(scope="module")
def loans() -> tuple[pd.DataFrame, LogisticRegression]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(50, 15, 200).round(1), "debt": rng.normal(20, 5, 200).round(1),
                      "years": rng.integers(0, 30, 200).astype(float)})
    y = (X["income"] - 2 * X["debt"] + rng.normal(0, 5, 200) > 10).astype(int)
    return X, LogisticRegression().fit(X, y)


@pytest.fixture
def draws(monkeypatch) -> list[int]:
    """The number of samples of each draw LIME makes (its private sampler, counted)."""
    drawn: list[int] = []
    draw = getattr(LimeTabularExplainer, DRAW)

    def counted(self, data_row, num_samples, *args, **kwargs):
        drawn.append(num_samples)
        return draw(self, data_row, num_samples, *args, **kwargs)

    monkeypatch.setattr(LimeTabularExplainer, DRAW, counted)
    return drawn


@pytest.mark.parametrize("discretize", [True, False])
def test_each_explanation_draws_its_samples_once(loans, draws, discretize):
    X, model = loans
    runs = explain_with_lime(model, X.iloc[:3], X, seeds=[1, 2], num_samples=150, discretize_continuous=discretize)
    assert runs.weights.shape == (3, 2, 3)
    assert draws == [150] * 6  # 3 rows x 2 seeds; drawing again for the second run would make it 12


@pytest.mark.parametrize(("discretize", "batch_rows"), [(True, 1), (True, 10_000), (False, 10_000)])
def test_weights_equal_those_of_drawing_again(loans, monkeypatch, discretize, batch_rows):
    X, model = loans
    monkeypatch.setattr(lime_runs, "BATCH_ROWS", batch_rows)
    kept = explain_with_lime(model, X.iloc[:3], X, seeds=[1, 2], num_samples=150, discretize_continuous=discretize)
    monkeypatch.setattr(lime_runs._Draws, "replaying", lambda self: nullcontext())  # the second run draws again
    again = explain_with_lime(model, X.iloc[:3], X, seeds=[1, 2], num_samples=150, discretize_continuous=discretize)
    np.testing.assert_array_equal(kept.weights, again.weights)
    np.testing.assert_array_equal(kept.local_r2, again.local_r2)
    assert kept.conditions == again.conditions


def test_the_explainer_draws_as_usual_afterwards(loans):
    X, model = loans
    explainer = LimeTabularExplainer(X.to_numpy(), random_state=0)
    draws = lime_runs._Draws(explainer)
    with draws.recording():
        pass
    with draws.replaying():
        pass
    assert DRAW not in vars(explainer)  # no patched sampler left on the explainer
