"""The score-cell metrics laid out resamples-first, per (group, bin) slot: equal to metrics computed from the rows.

The cases stress what the slot layout adds: groupings whose finest groups are not in order, slots holding one label
only (a group all positive in a bin), groups absent from a resample, and counts given from outside (``metrics`` is
what a distributed engine calls with its own cell counts).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from auditkit.fairness.score_cells import ScoreBins, ScoreStatistics, _cells_of
from auditkit.stats.bootstrap import row_multiplicities

N = 1200


def _rows(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    fine = rng.choice(6, N, p=[0.3, 0.25, 0.2, 0.15, 0.08, 0.02])
    score = np.round(rng.random(N), 2)  # 101 values: exact with enough bins
    y = (rng.random(N) < score).astype(np.int8)
    y[fine == 4] = 1  # every slot of group 4 holds positives only
    members = [np.array([2, 0, 1, 0, 2, 1]), np.array([1, 1, 0, 0, 1, 0]), np.arange(6)]  # not in order
    return {"fine": fine, "score": score, "y": y, "members": members}


def _weighted_reference(rows: dict, grouping: int, weights: np.ndarray) -> dict[str, np.ndarray]:
    """ROC AUC, Brier score, calibration in the large of each group, from the rows repeated ``weights`` times."""
    codes = rows["members"][grouping][rows["fine"]]
    out = {name: np.full(codes.max() + 1, np.nan) for name in ("roc_auc", "brier_score", "calibration_in_the_large")}
    for group in range(codes.max() + 1):
        take = np.repeat(np.flatnonzero(codes == group), weights[codes == group].astype(int))
        if len(take) == 0:
            continue
        y, score = rows["y"][take], rows["score"][take]
        if len(np.unique(y)) == 2:
            out["roc_auc"][group] = roc_auc_score(y, score)
        out["brier_score"][group] = brier_score_loss(y, score, labels=[0, 1])
        out["calibration_in_the_large"][group] = score.mean() - y.mean()
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_metrics_of_row_resamples_equal_the_rows_metrics(seed):
    rows = _rows(seed)
    stats = ScoreStatistics.of(rows["fine"], 6, rows["members"], rows["y"], rows["score"], max_bins=4096)
    assert stats.bins.exact
    cell = np.searchsorted(stats.cells, (rows["fine"] * stats.bins.n_bins + stats.bins.of_row) * 2 + rows["y"])
    [weights] = list(row_multiplicities(N, 6, np.random.default_rng(seed)))
    weights[0, rows["fine"] == 5] = 0  # group 5 absent from the first resample
    counts = np.stack([np.bincount(cell, weights=w, minlength=len(stats.cells)) for w in weights]).astype(np.int64)
    metrics, bounds = stats.metrics(counts, probabilities=True)
    for index in range(len(rows["members"])):
        for r, w in enumerate(weights):
            expected = _weighted_reference(rows, index, w)
            for name, values in expected.items():
                np.testing.assert_allclose(metrics[index][name][r], values, rtol=0, atol=1e-12, err_msg=name)
                assert np.array_equal(np.isnan(bounds[index][name][r]), np.isnan(values)), name


def test_point_metrics_of_a_binned_grouping_out_of_order_equal_scikit_learn():
    rows = _rows(2)
    rows["score"] = rows["score"] * 0.99 + np.random.default_rng(3).random(N) * 1e-3  # every row its own score: binned
    stats = ScoreStatistics.of(rows["fine"], 6, rows["members"], rows["y"], rows["score"], max_bins=16)
    assert not stats.bins.exact
    metrics, _ = stats.metrics(stats.counts[None], probabilities=True)
    for index in range(len(rows["members"])):
        expected = _weighted_reference(rows, index, np.ones(N))
        for name, values in expected.items():
            np.testing.assert_allclose(metrics[index][name][0], values, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(("n_rows", "n_fine", "max_bins"), [(5000, 20, 819), (300, 3, 4096), (40, 50, 4096)])
def test_cells_counted_without_a_sort_equal_numpy_unique(n_rows, n_fine, max_bins):
    rng = np.random.default_rng(n_rows)
    fine, label, score = rng.integers(0, n_fine, n_rows), rng.integers(0, 2, n_rows), rng.random(n_rows)
    bins = ScoreBins.of(score, max_bins)
    expected = np.unique((fine * bins.n_bins + bins.of_row) * 2 + label, return_inverse=True, return_counts=True)
    for got, want in zip(_cells_of(fine, bins, label, n_fine), expected, strict=True):
        np.testing.assert_array_equal(got, want)
