"""Binned score statistics' row passes at scale: the pairs within bins and the score bins equal the previous
implementations (kept verbatim below, from commit 28fc41a) on adversarial rows."""

from __future__ import annotations

import numpy as np
import pytest

from auditkit.fairness import score_pairs
from auditkit.fairness.score_cells import ScoreBins, ScoreStatistics
from auditkit.fairness.score_pairs import RowsByScore, code_type, index_type, pairs_within_bins


def previous_bins(y_score, max_bins):
    """``ScoreBins.of`` as of 28fc41a: value of each row, bin of each value."""
    by_score = np.argsort(y_score, kind="stable")
    ordered = y_score[by_score]
    rank = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    value_of_row = np.empty(len(y_score), dtype=np.int64)
    value_of_row[by_score] = rank
    counts = np.bincount(rank)
    if len(counts) <= max_bins:
        return value_of_row, np.arange(len(counts))
    slot = (np.cumsum(counts) - counts) * max_bins // len(y_score)
    alone = counts * max_bins >= len(y_score)
    starts = np.r_[True, (slot[1:] != slot[:-1]) | alone[1:]]
    return value_of_row, np.cumsum(starts) - 1


def previous_pairs_within_bins(member, n_groups, fine_codes, label, bins):
    """``_RowsByScore.of`` and ``_pairs_within_bins`` as of 28fc41a (segments of (group, score))."""
    order_by_score = np.argsort(np.asarray(bins.value_of_row), kind="stable")
    fine, lab, value = fine_codes[order_by_score], label[order_by_score], bins.value_of_row[order_by_score]
    codes = member[fine]
    order = np.argsort(codes, kind="stable")
    group, value = codes[order], value[order]
    starts = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) | (value[1:] != value[:-1])])
    positives = np.add.reduceat(lab[order].astype(float), starts)
    negatives = np.diff(np.r_[starts, len(group)]) - positives
    segment = group[starts].astype(np.int64) * bins.n_bins + bins.bin_of_value[value[starts]]
    first = np.r_[True, segment[1:] != segment[:-1]]
    negatives_before = np.cumsum(negatives) - negatives
    below = negatives_before - negatives_before[first][np.cumsum(first) - 1]
    size = n_groups * bins.n_bins
    ordered = np.bincount(segment, weights=positives * (below + 0.5 * negatives), minlength=size)
    pairs = (np.bincount(segment, weights=positives, minlength=size)
             * np.bincount(segment, weights=negatives, minlength=size))
    within = np.divide(ordered, pairs, out=np.full(size, 0.5), where=pairs > 0)
    one_score = np.bincount(segment, minlength=size) <= 1
    slack = np.where(one_score | (pairs == 0), 0.0, np.maximum(within, 1.0 - within))
    return within.reshape(n_groups, -1), slack.reshape(n_groups, -1)


def _rows(case: str, n: int = 4000, seed: int = 0):
    rng = np.random.default_rng(seed)
    fine = rng.choice(6, n, p=[.4, .3, .2, .07, .02, .01])
    score = rng.random(n)
    if case == "ties":
        score = score.round(2)
    elif case == "heavy ties":  # a few values of many rows: bins of their own beside bins of many values
        score = np.where(rng.random(n) < 0.5, rng.choice([0.2, 0.7], n), score.round(3))
    elif case == "all equal":
        score = np.full(n, 0.4)
    elif case == "tiny groups":
        fine[:1], fine[1:3] = 6, 7
    elif case == "one label in a group":
        pass
    label = (rng.random(n) < score).astype(np.int64)
    if case == "one label in a group":
        label[fine == 1] = 1
    return fine, label, score


CASES = ["distinct", "ties", "heavy ties", "all equal", "tiny groups", "one label in a group"]
MEMBERS = {"finest": lambda k: np.arange(k), "two": lambda k: np.arange(k) % 2, "one": lambda k: np.zeros(k, int),
           "unsorted": lambda k: (np.arange(k) * 7 + 3) % max(k - 1, 1)}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("max_bins", [3, 16, 64])
def test_score_bins_equal_the_stable_sort_bins(case, max_bins):
    _, _, score = _rows(case)
    bins = ScoreBins.of(score, max_bins)
    value_of_row, bin_of_value = previous_bins(score, max_bins)
    np.testing.assert_array_equal(bins.value_of_row, value_of_row)
    np.testing.assert_array_equal(bins.bin_of_value, bin_of_value)
    np.testing.assert_array_equal(score[bins.by_score], np.sort(score))  # in order of score


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("members", sorted(MEMBERS))
@pytest.mark.parametrize("max_bins", [3, 64])
@pytest.mark.parametrize("few_groups", [score_pairs.FEW_GROUPS, 0], ids=["by mask", "by sort"])
def test_pairs_within_bins_equal_the_segments_of_group_and_score(case, members, max_bins, few_groups, monkeypatch):
    monkeypatch.setattr(score_pairs, "FEW_GROUPS", few_groups)  # both ways of putting the rows in order of group
    fine, label, score = _rows(case)
    n_fine = int(fine.max()) + 1
    member = MEMBERS[members](n_fine)
    bins = ScoreBins.of(score, max_bins)
    rows = RowsByScore.of(fine, label, bins.by_score, bins.value_of_row, bins.bin_of_value, n_fine)
    share, slack = pairs_within_bins(member, int(member.max()) + 1, rows, bins.n_bins)
    expected_share, expected_slack = previous_pairs_within_bins(member, int(member.max()) + 1, fine, label, bins)
    np.testing.assert_array_equal(share, expected_share)  # sums of halves: exact, not merely close
    np.testing.assert_array_equal(slack, expected_slack)
    assert rows.ties == (bins.n_values < len(score))


def test_statistics_of_int16_codes_do_not_overflow_their_keys():
    """Finest codes of a small integer type still give 64-bit cell keys (``code * bins`` would wrap in int16)."""
    fine, label, score = _rows("distinct", n=3000)
    fine16 = (fine * 3000).astype(np.int16)  # codes up to 15,000: times 64 bins exceeds 2**15
    n_fine = int(fine16.max()) + 1
    ours = ScoreStatistics.of(fine16, n_fine, [np.arange(n_fine)], label, score, max_bins=64)
    wide = ScoreStatistics.of(fine16.astype(np.int64), n_fine, [np.arange(n_fine)], label, score, max_bins=64)
    np.testing.assert_array_equal(ours.cells, wide.cells)
    assert ours.cells.max() > np.iinfo(np.int16).max  # keys past what 16 bits hold


def test_many_groups_are_sorted_by_group():
    """More groups than ``FEW_GROUPS``: a radix sort of the group codes, same shares as the previous segments."""
    rng = np.random.default_rng(3)
    fine, score = rng.integers(0, 300, 6000), rng.random(6000).round(3)
    label = (rng.random(6000) < score).astype(np.int64)
    member = np.arange(300) % 150
    bins = ScoreBins.of(score, 16)
    rows = RowsByScore.of(fine, label, bins.by_score, bins.value_of_row, bins.bin_of_value, 300)
    assert 150 > score_pairs.FEW_GROUPS
    got = pairs_within_bins(member, 150, rows, bins.n_bins)
    expected = previous_pairs_within_bins(member, 150, fine, label, bins)
    for ours, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(("n", "expected"), [(2**31 - 1, np.int32), (2**31, np.int64)])
def test_index_type_holds_every_count(n, expected):
    assert index_type(n) is expected and np.iinfo(index_type(n)).max >= n


@pytest.mark.parametrize(("n", "expected"), [(2**15 - 1, np.int16), (2**15, np.int64)])
def test_code_type_holds_every_code(n, expected):
    assert code_type(n) is expected and np.iinfo(code_type(n)).max >= n - 1
