"""Score bins and score cells with fewer row-long temporaries: the same bins, cells and statistics, bit for bit.

The versions they replaced (commit 19a86da) are kept verbatim below. Row counts around the row block
(``ROW_BLOCK``) check the passes that go a block of rows at a time; the peaks of Python-traced memory
(numpy's allocations, counted exactly by ``tracemalloc``) check that the row-long temporaries are gone.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from auditkit.fairness.score_cells import ROW_BLOCK, ScoreBins, _cell_columns, bins_for
from auditkit.fairness.score_pairs import index_type


def bins_before(y_score: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray, int, bool, np.ndarray]:
    """``ScoreBins.of`` as of 19a86da: value of each row, bin of each value, bins, exact, rows by score."""
    by_score = np.argsort(y_score)
    ordered = y_score[by_score]
    new_value = np.empty(len(y_score), dtype=bool)
    new_value[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
    rank = np.cumsum(new_value, dtype=index_type(len(y_score)))
    rank -= 1
    value_of_row = np.empty_like(rank)
    value_of_row[by_score] = rank
    counts = np.bincount(rank)
    if len(counts) <= max_bins:
        return value_of_row, np.arange(len(counts)), len(counts), True, by_score
    slot = (np.cumsum(counts) - counts) * max_bins // len(y_score)
    alone = counts * max_bins >= len(y_score)
    starts = np.r_[True, (slot[1:] != slot[:-1]) | alone[1:]]
    bin_of_value = np.cumsum(starts) - 1
    return value_of_row, bin_of_value, int(bin_of_value[-1]) + 1, False, by_score


def cell_columns_before(fine_codes, n_fine, bins, label, y_score):
    """``_cell_columns`` (with ``_cells_of`` and ``_spread``) as of 19a86da."""
    keys = np.multiply(fine_codes, bins.n_bins, dtype=np.int64)
    keys += bins.of_row
    keys *= 2
    keys += label
    possible = n_fine * bins.n_bins * 2
    if possible > 4 * len(keys) + 2**16:
        cells, cell_of_row, counts = np.unique(keys, return_inverse=True, return_counts=True)
    else:
        counts = np.bincount(keys, minlength=possible)
        present = counts > 0
        rank = np.cumsum(present) - 1
        cells, cell_of_row, counts = np.flatnonzero(present), rank[keys], counts[present]
    error = (y_score - label) ** 2
    means = [np.bincount(cell_of_row, weights=values, minlength=len(cells)) / counts for values in (y_score, error)]

    def spread_of(values, mean):
        spread = np.zeros(len(mean))
        distance = mean[cell_of_row]
        np.subtract(values, distance, out=distance)
        np.abs(distance, out=distance)
        np.maximum.at(spread, cell_of_row, distance)
        return spread

    spreads = [np.zeros(len(cells)) if bins.exact else spread_of(values, mean)
               for values, mean in ((y_score, means[0]), (error, means[1]))]
    return cells, counts, np.column_stack(means + spreads)


def _scores(case: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if case == "distinct":
        return rng.random(n)
    if case == "ties":
        return rng.random(n).round(3)
    if case == "a heavy score":  # a third of the rows on one score: a bin of its own
        return np.where(rng.random(n) < 1 / 3, 0.5, rng.random(n))
    if case == "two values":
        return rng.integers(0, 2, n) * 1.0
    if case == "extremes":
        return rng.choice(np.array([-np.inf, -0.0, 0.0, 1e-300, 1.0, np.inf]), n) + rng.random(n) * (rng.random(n) < .5)
    raise ValueError(case)


CASES = ["distinct", "ties", "a heavy score", "two values", "extremes"]
SIZES = [1, 2, 257, ROW_BLOCK - 1, ROW_BLOCK, ROW_BLOCK + 1, 2 * ROW_BLOCK + 3]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("max_bins", [1, 3, 819, 4096])
def test_bins_equal_the_replaced_ones(case: str, n: int, max_bins: int):
    y_score = _scores(case, n, np.random.default_rng(n))
    got = ScoreBins.of(y_score, max_bins)
    value_of_row, bin_of_value, n_bins, exact, by_score = bins_before(y_score, max_bins)
    assert (got.n_bins, got.exact) == (n_bins, exact)
    assert np.array_equal(got.value_of_row, value_of_row) and got.value_of_row.dtype == value_of_row.dtype
    assert np.array_equal(got.bin_of_value, bin_of_value)  # the same bins, now in a narrow type
    assert np.array_equal(got.by_score, by_score)


@pytest.mark.parametrize("n", SIZES[1:])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n_fine", [1, 20])
def test_cells_and_their_statistics_equal_the_replaced_ones_bit_for_bit(case: str, n: int, n_fine: int):
    rng = np.random.default_rng(n + n_fine)
    y_score = _scores(case, n, rng)
    y_score[~np.isfinite(y_score)] = 0.5  # scores a model gives
    fine = rng.integers(0, n_fine, n).astype(np.int8)
    label = (rng.random(n) < 0.4).astype(np.int8)
    bins = ScoreBins.of(y_score, bins_for(n_fine, 2**20))
    got = _cell_columns(fine, n_fine, bins, label, y_score)
    expected = cell_columns_before(fine, n_fine, bins, label, y_score)
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b, equal_nan=True) and a.dtype == b.dtype


def test_the_bins_are_counted_in_a_narrow_type():
    bins = ScoreBins.of(np.random.default_rng(0).random(10_000), 819)
    assert bins.bin_of_value.dtype == np.int16 and not bins.exact


def _traced_peak(func, *args) -> int:
    """Bytes of the largest Python-traced allocation total while ``func(*args)`` runs, above its start."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        func(*args)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


ROWS = 2**20


def test_score_bins_hold_no_row_long_array_of_counts():
    y_score = np.random.default_rng(1).random(ROWS)
    peak = _traced_peak(ScoreBins.of, y_score, 819) / ROWS
    # order (8 bytes a row), value (4), first row of each score (8), its rows (4), flags: 25; 44 on 19a86da
    assert peak < 27, peak


def test_cell_statistics_hold_one_row_long_array_of_values_at_a_time():
    rng = np.random.default_rng(2)
    y_score = rng.random(ROWS)
    y_score.flags.writeable = False  # as a column read from Parquet: numpy's bincount copies it
    bins = ScoreBins.of(y_score, 819)
    fine, label = rng.integers(0, 20, ROWS).astype(np.int8), (rng.random(ROWS) < 0.4).astype(np.int8)
    peak = _traced_peak(_cell_columns, fine, 20, bins, label, y_score) / ROWS
    # keys and the cell of each row (8 + 8), then the cell of each row and one array of values (8 + 8), and
    # blocks of 64k rows: 18.5; 24 on 19a86da (the squared errors and numpy's copy of the scores at once)
    assert peak < 20, peak

