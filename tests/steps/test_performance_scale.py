"""performance at 10M rows: the overall ROC AUC from two sorts, the same number as the row-weighted AUC."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from auditkit.fairness.scores import weighted_auc
from auditkit.steps.performance import overall_auc


def _case(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(len(name))
    n = 20_000
    positive = rng.random(n) < 0.3
    scores = {"continuous": rng.random(n) + 0.2 * positive,
              "few-values": rng.integers(0, 5, n) / 4 + 0.0 * positive,  # ties everywhere
              "signed-zeros": np.where(rng.random(n) < 0.5, -0.0, 0.0) + (rng.random(n) < 0.1),
              "all-equal": np.full(n, 0.7),
              "perfect": positive.astype(float),
              "reversed": 1.0 - positive + rng.random(n) * 0.01}[name]
    return positive, scores


@pytest.mark.parametrize("name", ["continuous", "few-values", "signed-zeros", "all-equal", "perfect", "reversed"])
def test_overall_auc_is_the_weighted_auc_to_the_last_bit_and_scikit_learns(name):
    positive, scores = _case(name)
    got = overall_auc(positive, scores)
    assert got == float(weighted_auc(positive, scores, np.ones((1, len(scores))))[0])
    assert got == pytest.approx(roc_auc_score(positive, scores), abs=1e-12)


@pytest.mark.parametrize("positive", [np.zeros(4, dtype=bool), np.ones(4, dtype=bool)])
def test_overall_auc_without_both_classes_is_nan(positive):
    assert np.isnan(overall_auc(positive, np.array([0.1, 0.2, 0.3, 0.4])))
