"""The positive-negative pairs within score bins, by group: the row passes of binned score statistics.

For every (group, bin) of a grouping, the share of its positive-negative pairs in which the positive row scores
higher (ties a half) and whether the group has more than one score in that bin
(:mod:`auditkit.fairness.score_cells`). The rows are put in order of score once for all groupings
(:class:`RowsByScore`); each grouping then costs one radix sort of its small group codes and a few passes over
the rows, in 8- to 32-bit arrays where the counts allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def index_type(n: int) -> type:
    """The smallest of int32 and int64 that holds every index and count up to ``n``.

    Examples
    --------
    >>> index_type(10**6).__name__, index_type(2**31).__name__
    ('int32', 'int64')
    """
    return np.int32 if n < 2**31 else np.int64


def code_type(n_codes: int) -> type:
    """int16 for fewer than ``2**15`` codes (a stable sort of them is a radix sort), else int64.

    Examples
    --------
    >>> code_type(20).__name__, code_type(2**15).__name__
    ('int16', 'int64')
    """
    return np.int16 if n_codes < 2**15 else np.int64


@dataclass(frozen=True)
class RowsByScore:
    """Finest group, label, score value and bin of every row, in order of score: gathered once for all groupings.

    Attributes
    ----------
    fine : ndarray of int16 (int64 for many groups)
    label : ndarray of int8
    value : ndarray of int or None
        Rank of the row's score among the distinct scores (nondecreasing); None without ties (the rank of each
        row is then its position).
    bin : ndarray of int
        Score bin of the row (nondecreasing).
    ties : bool
        Whether two rows share a score.

    Examples
    --------
    >>> import numpy as np
    >>> rows = RowsByScore.of(np.array([0, 1, 1]), np.array([1, 0, 1]), np.array([1, 2, 0]), np.array([2, 0, 1]),
    ...                       np.array([0, 0, 1]), n_fine=2)
    >>> rows.fine.tolist(), rows.label.tolist(), rows.bin.tolist(), rows.ties
    ([1, 1, 0], [0, 1, 1], [0, 0, 1], False)
    """

    fine: np.ndarray
    label: np.ndarray
    value: np.ndarray | None
    bin: np.ndarray
    ties: bool

    @classmethod
    def of(cls, fine_codes: np.ndarray, label: np.ndarray, by_score: np.ndarray, value_of_row: np.ndarray,
           bin_of_value: np.ndarray, n_fine: int) -> RowsByScore:
        """From the rows' finest groups and labels, their order of score, score values and the bins of the values."""
        value = value_of_row[by_score]
        n_values = int(value[-1]) + 1 if len(value) else 0
        bin_ = bin_of_value.astype(index_type(len(bin_of_value)))[value]
        ties = n_values < len(value)
        fine = np.asarray(fine_codes).astype(code_type(n_fine), copy=False)[by_score]  # gathered at 2 bytes a row
        return cls(fine, np.asarray(label).astype(np.int8, copy=False)[by_score], value if ties else None, bin_, ties)


def pairs_within_bins(member: np.ndarray, n_groups: int, rows: RowsByScore,
                      n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, bin): the share of positive-negative pairs whose positive scores higher, and its slack.

    Each positive row counts the negatives of its group and bin that score lower, and half of those that score
    the same; a (group, bin) of no pairs has the share 0.5. The slack is ``max(share, 1 - share)``, 0 where
    the group has one score (or no pair) in the bin.

    Parameters
    ----------
    member : ndarray of int
        Group of each finest group.
    n_groups : int
    rows : RowsByScore
    n_bins : int

    Returns
    -------
    share, slack : ndarray of float, shape ``(n_groups, n_bins)``

    Examples
    --------
    >>> import numpy as np
    >>> score = np.array([0.1, 0.2, 0.2, 0.3, 0.9])  # one bin for the first four scores, one for the last
    >>> value, by_score = np.array([0, 1, 1, 2, 3]), np.arange(5)
    >>> rows = RowsByScore.of(np.zeros(5, dtype=int), np.array([0, 1, 0, 1, 1]), by_score, value,
    ...                       np.array([0, 0, 0, 1]), n_fine=1)
    >>> share, slack = pairs_within_bins(np.array([0]), 1, rows, n_bins=2)
    >>> share.tolist(), slack.tolist()  # pairs in bin 0: (0.2 > 0.1), (0.2 = 0.2), (0.3 > 0.1), (0.3 > 0.2)
    ([[0.875, 0.5]], [[0.875, 0.0]])
    """
    segment, positive, value = _by_group(member, n_groups, rows, n_bins)
    size, it = n_groups * n_bins, index_type(len(segment))
    rows_in = np.bincount(segment, minlength=size)
    positives_through = np.zeros(len(segment) + 1, dtype=it)  # positives among the first k rows, k = 0..n
    np.cumsum(positive, dtype=it, out=positives_through[1:])
    ends = np.cumsum(rows_in)
    positives = (positives_through[ends] - positives_through[ends - rows_in]).astype(float)
    negatives = rows_in - positives
    chosen = np.flatnonzero(positive)  # each positive row counts the negatives below it
    segment_of_positive = segment[chosen]
    if value is None:  # every score is one row's: the negatives before the k-th positive row are its position less k
        del positives_through
        start, below = None, _less_rank(chosen)
    else:  # the negatives before a row's run of equal scores, and half of those within it
        negatives_before = np.arange(len(segment), dtype=it)  # negatives before each row (any group, in this order)
        negatives_before -= positives_through[:-1]
        del positives_through
        start = np.empty(len(value), dtype=bool)
        start[:1] = True
        start[1:] = (value[1:] != value[:-1]) | (segment[1:] != segment[:-1])
        del value
        run_starts = np.flatnonzero(start)
        before_run = negatives_before[run_starts]
        in_run = np.diff(np.r_[before_run, negatives_before[-1:] + (1 - positive[-1:])])
        run = (np.cumsum(start, dtype=it) - 1)[chosen]
        below = before_run[run] + 0.5 * in_run[run]
        del run, run_starts, before_run, in_run, negatives_before
    del chosen
    below -= (np.cumsum(negatives) - negatives)[segment_of_positive]  # less the negatives of earlier (group, bin)s
    ordered = np.bincount(segment_of_positive, weights=below, minlength=size)
    del below, segment_of_positive
    scores_in = rows_in if start is None else np.bincount(segment[start], minlength=size)
    share, slack = share_and_slack(ordered, positives * negatives, scores_in > 1)
    return share.reshape(n_groups, -1), slack.reshape(n_groups, -1)


def share_and_slack(ordered: np.ndarray, pairs: np.ndarray, several: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, bin): the share of its positive-negative ``pairs`` that are ``ordered`` rightly, and its slack.

    The share of a (group, bin) of no pairs is 0.5. The slack, how far the share may move in a resample,
    is ``max(share, 1 - share)``, and 0 where the group has no pair or not ``several`` scores in the bin
    (every pair a tie). The one rule of every engine's pair counts: the rows', weighted rows' and the
    Dask workers'.

    Examples
    --------
    >>> share, slack = share_and_slack(np.array([3.0, 0.0, 1.0]), np.array([4.0, 0.0, 2.0]),
    ...                                np.array([True, True, False]))
    >>> share.tolist(), slack.tolist()
    ([0.75, 0.5, 0.5], [0.75, 0.0, 0.0])
    """
    share = np.divide(ordered, pairs, out=np.full(len(pairs), 0.5), where=pairs > 0)
    slack = np.where(~several | (pairs == 0), 0.0, np.maximum(share, 1.0 - share))
    return share, slack


ROW_BLOCK = 2**16  # rows of a temporary worked at a time (0.5 MB of int64)


def bins_of_values(first: np.ndarray, n_rows: int, max_bins: int) -> np.ndarray:
    """Bin of each distinct score from the position of its first row in order of score (``first``, int64; reused).

    A bin starts where ``first * max_bins // n_rows`` steps up, and at each score of ``n_rows / max_bins``
    rows or more (a bin of its own). Every array is one per distinct score, worked in place where it can be;
    the bins are counted in the narrowest type that holds ``2 * max_bins`` of them (int16 below ``2**15``).

    Examples
    --------
    >>> bins_of_values(np.array([0, 6, 7, 8, 9]), 10, max_bins=3).tolist()  # the first score: 6 of 10 rows
    [0, 1, 2, 2, 2]
    """
    counts = np.empty(len(first), dtype=index_type(n_rows))  # rows of each score
    np.subtract(first[1:], first[:-1], out=counts[:-1])
    counts[-1:] = n_rows - first[-1:]
    alone = counts >= -(-n_rows // max_bins)  # ``counts * max_bins >= n_rows``: a bin's worth of rows, a bin of its own
    del counts
    slot = first
    slot *= max_bins
    slot //= n_rows
    starts = np.empty(len(slot), dtype=bool)
    starts[:1] = True
    np.not_equal(slot[1:], slot[:-1], out=starts[1:])
    starts[1:] |= alone[1:]
    del alone, slot
    bin_of_value = np.cumsum(starts, dtype=code_type(2 * max_bins))  # at most max_bins slots and as many alone
    bin_of_value -= 1
    return bin_of_value


def squared_errors(y_score: np.ndarray, label: np.ndarray) -> np.ndarray:
    """``(y_score - label) ** 2`` in one array (squared in place).

    Examples
    --------
    >>> squared_errors(np.array([0.25, 0.5]), np.array([1, 0], dtype=np.int8)).tolist()
    [0.5625, 0.25]
    """
    error = np.subtract(y_score, label)
    return np.square(error, out=error)


def _less_rank(positions: np.ndarray) -> np.ndarray:
    """``positions[k] - k`` for every ``k``, as floats, a block at a time (no ``arange`` as long as the rows).

    Examples
    --------
    >>> _less_rank(np.array([1, 2, 5])).tolist()
    [1.0, 1.0, 3.0]
    """
    out = positions.astype(float)
    for start in range(0, len(out), ROW_BLOCK):
        block = out[start:start + ROW_BLOCK]
        block -= np.arange(start, start + len(block))
    return out


FEW_GROUPS = 64  # up to this many groups, the rows of each are picked by a mask (no row-long sort order)


def _by_group(member: np.ndarray, n_groups: int, rows: RowsByScore,
              n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(group, bin), label and score value of the rows by group, then by score: a stable sort of the rows by group.

    Examples
    --------
    >>> import numpy as np
    >>> rows = RowsByScore.of(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 1]), np.arange(4), np.arange(4),
    ...                       np.array([0, 0, 1, 1]), n_fine=2)
    >>> [a.tolist() for a in _by_group(np.array([0, 1]), 2, rows, n_bins=2)[:2]]  # group 0: rows 1 and 3
    [[0, 1, 2, 3], [0, 1, 1, 0]]
    """
    codes = member.astype(code_type(n_groups))[rows.fine]
    if n_groups > FEW_GROUPS:
        order = np.argsort(codes, kind="stable")  # a radix sort: by group, then (the rows being in order) by score
        segment = codes.astype(index_type(n_groups * n_bins))[order] * n_bins + rows.bin[order]
        return segment, rows.label[order], None if rows.value is None else rows.value[order]
    ends = np.cumsum(np.bincount(codes, minlength=n_groups))
    segment, label = np.empty_like(rows.bin), np.empty_like(rows.label)  # filled group by group: no parts joined
    value = None if rows.value is None else np.empty_like(rows.value)
    for group in range(n_groups):
        chosen = codes == group
        place = slice(ends[group] - int(np.count_nonzero(chosen)), ends[group])
        np.compress(chosen, rows.bin, out=segment[place])
        segment[place] += np.asarray(group * n_bins, dtype=rows.bin.dtype)
        np.compress(chosen, rows.label, out=label[place])
        if value is not None:
            np.compress(chosen, rows.value, out=value[place])
    return segment, label, value
