"""Exact score cells count a group's rightly ordered pairs in fewer passes: the same numbers as the general formula."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from auditkit.fairness import score_cells
from auditkit.fairness.score_cells import ScoreStatistics, _tied_pairs_ordered


def _general(positives, negatives, through, starts):
    terms = positives * through - positives * negatives * 0.5
    return np.add.reduceat(terms, starts, axis=1)


@pytest.mark.parametrize("n_groups", [1, 2, 5, 40])
@pytest.mark.parametrize("few_groups", [0, 1_000])  # the product-and-reduceat branch, and the einsum branch
def test_tied_pairs_equal_the_general_formula(n_groups, few_groups, monkeypatch):
    monkeypatch.setattr(score_cells, "FEW_GROUPS", few_groups)
    rng = np.random.default_rng(n_groups)
    positives = rng.integers(0, 4, size=(7, 300)).astype(float)
    negatives = rng.integers(0, 4, size=(7, 300)).astype(float)
    starts = np.r_[0, np.sort(rng.choice(np.arange(1, 300), n_groups - 1, replace=False))]
    through = np.cumsum(negatives, axis=1)
    expected = _general(positives, negatives, through, starts)
    assert np.array_equal(_tied_pairs_ordered(positives, negatives, through.copy(), starts), expected)


@pytest.mark.parametrize("few_groups", [0, 1_000])
def test_exact_cells_auc_by_group_equals_scikit_learn(few_groups, monkeypatch):
    monkeypatch.setattr(score_cells, "FEW_GROUPS", few_groups)
    rng = np.random.default_rng(3)
    n = 2_000
    fine = rng.integers(0, 6, n)
    y = rng.integers(0, 2, n)
    score = np.round(rng.random(n) * 0.6 + 0.3 * y, 2)  # ties within and across groups
    members = [np.arange(6), np.array([0, 0, 0, 1, 1, 1])]
    stats = ScoreStatistics.of(fine, 6, members, y, score, max_bins=n)
    assert stats.bins.exact
    points, bounds = stats.metrics(stats.counts[None].astype(float), probabilities=True)
    for member, point in zip(members, points, strict=True):
        group = member[fine]
        expected = [roc_auc_score(y[group == g], score[group == g]) for g in range(member.max() + 1)]
        np.testing.assert_allclose(point["roc_auc"][0], expected, rtol=1e-14)
    assert all(np.all(b["roc_auc"] == 0.0) for b in bounds)
