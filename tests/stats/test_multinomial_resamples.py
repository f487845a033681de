"""multinomial_resamples draws the cell counts of row resamples: Multinomial(N, counts / N), total always N."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from auditkit.stats.bootstrap import multinomial_resamples

TABLES = {
    "poisson_then_corrected": np.array([3, 0, 50, 7, 940, 1000]),  # 6 cells, 2,000 rows
    "rows_drawn_directly": np.array([1, 0, 2, 1, 3]),  # more cells than a quarter of the rows
    "one_cell": np.array([0, 12, 0]),
}


@pytest.mark.parametrize("name", TABLES)
def test_every_resample_keeps_the_total_and_the_empty_cells(name):
    counts = TABLES[name]
    draws = np.concatenate(list(multinomial_resamples(counts, 500, np.random.default_rng(0), chunk_cells=600)))
    assert draws.shape == (500, len(counts))
    assert set(draws.sum(axis=1)) == {counts.sum()}
    assert np.all(draws[:, counts == 0] == 0) and draws.min() >= 0


@pytest.mark.parametrize("name", ["poisson_then_corrected", "rows_drawn_directly"])
def test_each_cell_follows_its_binomial(name):
    counts = TABLES[name]
    total = counts.sum()
    draws = np.concatenate(list(multinomial_resamples(counts, 20_000, np.random.default_rng(1))))
    for cell in np.flatnonzero(counts):
        p = counts[cell] / total
        values, observed = np.unique(draws[:, cell], return_counts=True)
        expected = stats.binom.pmf(values, total, p) * len(draws)
        keep = expected >= 5  # pool the sparse tails into one class
        observed = np.r_[observed[keep], len(draws) - observed[keep].sum()]
        expected = np.r_[expected[keep], len(draws) - expected[keep].sum()]
        assert stats.chisquare(observed, expected).pvalue > 1e-3, cell


def test_covariance_is_the_multinomial_covariance():
    counts = TABLES["poisson_then_corrected"]
    total, p = counts.sum(), counts / counts.sum()
    draws = np.concatenate(list(multinomial_resamples(counts, 40_000, np.random.default_rng(2))))
    expected = total * (np.diag(p) - np.outer(p, p))
    np.testing.assert_allclose(np.cov(draws.T), expected, atol=0.05 * expected.max())
    np.testing.assert_allclose(draws.mean(axis=0), counts, atol=0.5)


def test_same_seed_same_draws():
    counts = TABLES["poisson_then_corrected"]
    one = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(3))))
    again = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(3))))
    np.testing.assert_array_equal(one, again)


def test_no_rows_gives_empty_resamples():
    [draws] = list(multinomial_resamples(np.zeros(4, dtype=int), 3, np.random.default_rng(0)))
    assert draws.shape == (3, 4) and not draws.any()
