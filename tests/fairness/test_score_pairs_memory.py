"""The pairs within score bins with fewer row-long temporaries: the same shares and slacks, bit for bit.

The version they replaced (commit 19a86da) is kept verbatim below. Positive rows around the row block
(``ROW_BLOCK``) check the pass that goes a block at a time; the peak of Python-traced memory (numpy's
allocations, counted exactly by ``tracemalloc``) checks that the row-long temporaries are gone.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from auditkit.fairness import score_pairs
from auditkit.fairness.score_cells import ScoreBins
from auditkit.fairness.score_pairs import ROW_BLOCK, RowsByScore, code_type, index_type, pairs_within_bins


def pairs_within_bins_before(member: np.ndarray, n_groups: int, rows: RowsByScore,
                             n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``pairs_within_bins`` as of 19a86da."""
    segment, positive, value = by_group_before(member, n_groups, rows, n_bins)
    size, it = n_groups * n_bins, index_type(len(segment))
    rows_in = np.bincount(segment, minlength=size)
    positives_through = np.zeros(len(segment) + 1, dtype=it)  # positives among the first k rows, k = 0..n
    np.cumsum(positive, dtype=it, out=positives_through[1:])
    ends = np.cumsum(rows_in)
    positives = (positives_through[ends] - positives_through[ends - rows_in]).astype(float)
    negatives = rows_in - positives
    negatives_before = np.arange(len(segment), dtype=it)  # negatives before each row (any group, in this order)
    negatives_before -= positives_through[:-1]
    del positives_through
    chosen = np.flatnonzero(positive)  # each positive row counts the negatives below it
    segment_of_positive = segment[chosen]
    if value is None:  # every score is one row's
        start, below = None, negatives_before[chosen].astype(float)
    else:  # the negatives before a row's run of equal scores, and half of those within it
        start = np.empty(len(value), dtype=bool)
        start[:1] = True
        start[1:] = (value[1:] != value[:-1]) | (segment[1:] != segment[:-1])
        del value
        run_starts = np.flatnonzero(start)
        before_run = negatives_before[run_starts]
        in_run = np.diff(np.r_[before_run, negatives_before[-1:] + (1 - positive[-1:])])
        run = (np.cumsum(start, dtype=it) - 1)[chosen]
        below = before_run[run] + 0.5 * in_run[run]
        del run, run_starts, before_run, in_run
    del negatives_before, chosen
    below -= (np.cumsum(negatives) - negatives)[segment_of_positive]  # less the negatives of earlier (group, bin)s
    ordered = np.bincount(segment_of_positive, weights=below, minlength=size)
    del below, segment_of_positive
    pairs = positives * negatives
    share = np.divide(ordered, pairs, out=np.full(size, 0.5), where=pairs > 0)
    scores_in = rows_in if start is None else np.bincount(segment[start], minlength=size)
    slack = np.where((scores_in <= 1) | (pairs == 0), 0.0, np.maximum(share, 1.0 - share))
    return share.reshape(n_groups, -1), slack.reshape(n_groups, -1)


def by_group_before(member: np.ndarray, n_groups: int, rows: RowsByScore,
                    n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``_by_group`` as of 19a86da."""
    codes = member.astype(code_type(n_groups))[rows.fine]
    if n_groups > score_pairs.FEW_GROUPS:
        order = np.argsort(codes, kind="stable")  # a radix sort: by group, then (the rows being in order) by score
        segment = codes.astype(index_type(n_groups * n_bins))[order] * n_bins + rows.bin[order]
        return segment, rows.label[order], None if rows.value is None else rows.value[order]
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in range(n_groups):
        chosen = codes == group
        parts[0].append(rows.bin[chosen] + np.asarray(group * n_bins, dtype=rows.bin.dtype))
        parts[1].append(rows.label[chosen])
        if rows.value is not None:
            parts[2].append(rows.value[chosen])
    del codes
    return np.concatenate(parts[0]), np.concatenate(parts[1]), np.concatenate(parts[2]) if parts[2] else None


def _rows(n_positive: int, ties: bool, n_fine: int, seed: int) -> tuple[np.ndarray, ...]:
    """Rows with exactly ``n_positive`` positives; scores distinct or rounded (ties)."""
    rng = np.random.default_rng(seed)
    n = 2 * n_positive + 5
    score = rng.random(n).round(2) if ties else rng.random(n)
    label = np.zeros(n, dtype=np.int8)
    label[rng.choice(n, n_positive, replace=False)] = 1
    return rng.integers(0, n_fine, n).astype(np.int8), label, score


@pytest.mark.parametrize("n_positive", [1, ROW_BLOCK - 1, ROW_BLOCK, ROW_BLOCK + 1, 2 * ROW_BLOCK + 1])
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("few_groups", [score_pairs.FEW_GROUPS, 0], ids=["by mask", "by sort"])
def test_pairs_within_bins_equal_the_replaced_ones(n_positive: int, ties: bool, few_groups: int,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(score_pairs, "FEW_GROUPS", few_groups)  # both ways of putting the rows in order of group
    fine, label, score = _rows(n_positive, ties, n_fine=6, seed=n_positive)
    bins = ScoreBins.of(score, 64)
    rows = RowsByScore.of(fine, label, bins.by_score, bins.value_of_row, bins.bin_of_value, 6)
    for member in (np.arange(6), np.array([0, 1, 0, 1, 2, 2]), np.zeros(6, dtype=int)):
        n_groups = int(member.max()) + 1
        got = pairs_within_bins(member, n_groups, rows, bins.n_bins)
        expected = pairs_within_bins_before(member, n_groups, rows, bins.n_bins)
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(a, b) and a.dtype == b.dtype


def test_pairs_within_bins_hold_no_row_long_count_of_negatives():
    n = 2**20
    rng = np.random.default_rng(3)
    fine, label = rng.integers(0, 20, n).astype(np.int8), (rng.random(n) < 0.4).astype(np.int8)
    bins = ScoreBins.of(rng.random(n), 819)
    rows = RowsByScore.of(fine, label, bins.by_score, bins.value_of_row, bins.bin_of_value, 20)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        pairs_within_bins(np.arange(20) % 10, 10, rows, bins.n_bins)
        peak = (tracemalloc.get_traced_memory()[1] - start) / n
    finally:
        tracemalloc.stop()
    # the rows by group (4 + 1 bytes), positions of the positives (0.4 x 8) and their values: 14; 18.5 on 19a86da
    assert peak < 16, peak
