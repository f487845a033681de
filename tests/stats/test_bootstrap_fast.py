"""The fast paths of auditkit.stats.bootstrap: Poisson counts by table inversion, Wilson intervals at once."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from auditkit.stats.bootstrap import POISSON_TABLE_MAX, PoissonTables, wilson_interval


@pytest.mark.parametrize("mean", [1, 2, 7, 10, 31, 250, POISSON_TABLE_MAX, POISSON_TABLE_MAX + 1, 40_000])
def test_poisson_tables_follow_the_poisson_distribution(mean):
    draws = PoissonTables(np.array([mean])).draw(100_000, np.random.default_rng(mean))[:, 0]
    values, observed = np.unique(draws, return_counts=True)
    expected = stats.poisson.pmf(values, mean) * len(draws)
    keep = expected >= 5  # pool the sparse tails into one class
    observed = np.r_[observed[keep], len(draws) - observed[keep].sum()]
    expected = np.r_[expected[keep], len(draws) - expected[keep].sum()]
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_poisson_tables_keep_cells_apart_and_empty_cells_empty():
    means = np.array([0, 5, 3000, 5, 0, 80])
    draws = PoissonTables(means).draw(50_000, np.random.default_rng(0))
    assert draws.shape == (50_000, 6) and draws.dtype == np.int64
    assert not draws[:, [0, 4]].any()
    np.testing.assert_allclose(draws.mean(axis=0), means, rtol=0.02)
    np.testing.assert_allclose(draws.var(axis=0), means, rtol=0.05)
    assert abs(np.corrcoef(draws[:, 1], draws[:, 3])[0, 1]) < 0.02  # independent cells of one mean


def test_poisson_tables_same_seed_same_draws():
    tables = PoissonTables(np.array([4, 0, 60, 2000]))
    np.testing.assert_array_equal(tables.draw(30, np.random.default_rng(5)), tables.draw(30, np.random.default_rng(5)))


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_wilson_interval_equals_scipy_binomtest_bit_for_bit(level):
    rng = np.random.default_rng(int(level * 100))
    trials = np.r_[0, 1, 1, 2, 3, rng.integers(1, 5000, 300)]
    successes = np.r_[0, 0, 1, 1, 3, rng.binomial(trials[5:], rng.random(300))]
    lower, upper = wilson_interval(successes.reshape(-1, 1), trials.reshape(-1, 1), level)
    assert lower.shape == (len(trials), 1)
    for k, n, lo, hi in zip(successes, trials, lower[:, 0], upper[:, 0], strict=True):
        if n == 0:
            assert np.isnan(lo) and np.isnan(hi)
            continue
        ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="wilson")
        assert (lo, hi) == (ci.low, ci.high), (k, n)
