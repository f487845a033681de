"""Review of the score-cell metrics: the resampled sums do not depend on how many threads BLAS uses."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from auditkit.fairness.score_cells import ScoreStatistics
from auditkit.stats.bootstrap import multinomial_resamples


def _metrics(threads: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    n = 6000
    fine = rng.choice(2, n)
    score = rng.random(n)  # every score distinct: thousands of cells per finest group
    y = (rng.random(n) < score).astype(np.int8)
    stats = ScoreStatistics.of(fine, 2, [np.array([0, 1]), np.array([0, 0])], y, score, max_bins=n)
    draws = next(multinomial_resamples(stats.counts, 400, np.random.default_rng(0)))
    with threadpool_limits(limits=threads, user_api="blas"):
        metrics, _ = stats.metrics(draws, probabilities=True)
    return metrics


def test_resampled_brier_and_calibration_are_the_same_on_one_or_two_blas_threads():
    one, two = _metrics(1), _metrics(2)
    for a, b in zip(one, two, strict=True):
        for name in ("brier_score", "calibration_in_the_large"):
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
