"""Exact order statistics and distinct counts of a column split in partitions, in two passes: no column gathered.

``numpy.quantile`` of a column (method ``"linear"``) interpolates between two of its order statistics
(:func:`auditkit.stats.sorted_numbers.linear_ranks`); these are found without holding the column:

1. Each partition sorts its present values and hands over a :class:`RunSketch`: every ``step``-th of
   them (with its rank in the partition) and the last, about :data:`SAMPLES` numbers.
2. :func:`plan_numbers` bounds each wanted order statistic between two of the sketches' numbers: by
   the ranks in the sketches, at most ``lo`` values lie below the ``k``-th and at least ``k + 1`` at or
   below ``hi`` (:func:`brackets`); overlapping brackets are joined into disjoint intervals.
3. Each partition counts its values below each interval and its distinct values inside it with their
   rows (:func:`count_partition`); summed (:func:`merge_interval_counts`), they give every order
   statistic and the rows below any number in the intervals exactly (:func:`order_statistics`).
   A bracket holds about ``2 / SAMPLES`` of the rows (ties counted once).

The distinct values are counted by range, in the same second pass: the sketches cut the values into
ranges of about equal rows (:func:`range_cuts`); each partition hands over its distinct values per
range, merged per range by a tree of tasks, so that no task holds more than a range.

This module is pure NumPy: the Dask graph lives in :mod:`auditkit.engine.dask_bias_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from auditkit.stats.sorted_numbers import interpolate, linear_ranks

SAMPLES = 1024  # numbers of a partition's sorted values in its sketch (plus the last)


@dataclass(frozen=True)
class RunSketch:
    """Every ``step``-th of a partition's sorted present values, with their ranks, and the last one.

    Attributes
    ----------
    values : ndarray of float
    ranks : ndarray of int
        Each value's 0-based rank in the partition's sorted values (0, step, 2 step, ..., n - 1).
    n : int
        The partition's present values.

    Examples
    --------
    >>> sketch = RunSketch.of(np.arange(10.0), samples=4)
    >>> sketch.ranks.tolist(), sketch.values.tolist(), sketch.n
    ([0, 3, 6, 9], [0.0, 3.0, 6.0, 9.0], 10)
    """

    values: np.ndarray
    ranks: np.ndarray
    n: int

    @classmethod
    def of(cls, ordered: np.ndarray, samples: int = SAMPLES) -> RunSketch:
        """The sketch of ``ordered`` (sorted floats, no NaN)."""
        n = len(ordered)
        step = max(1, -(-n // samples))
        ranks = np.unique(np.r_[np.arange(0, n, step), [n - 1] if n else []]).astype(np.int64)
        return cls(ordered[ranks], ranks, n)


@dataclass(frozen=True)
class NumberPlan:
    """What the second pass over a numeric column looks for: the order statistics' intervals and the ranges' cuts.

    Attributes
    ----------
    n : int
        Present values in the column.
    intervals : ndarray of float, shape (m, 2)
        Disjoint closed intervals ``[lo, hi]``, sorted, that hold the wanted order statistics.
    cuts : ndarray of float
        Sorted numbers that split the values into ranges (``[cut_i, cut_i+1)``) for the distinct count.

    Examples
    --------
    >>> plan = plan_numbers([RunSketch.of(np.arange(10.0), samples=4)], np.array([0.5]), 2)
    >>> plan.n, plan.intervals.tolist(), plan.cuts.tolist()
    (10, [[3.0, 6.0]], [6.0])
    """

    n: int
    intervals: np.ndarray
    cuts: np.ndarray


@dataclass(frozen=True)
class IntervalCounts:
    """Per interval of a :class:`NumberPlan`: the values below it, and its distinct values with their rows.

    Attributes
    ----------
    below : ndarray of int
    values : list of ndarray of float
        Sorted distinct values inside each interval.
    counts : list of ndarray of int
        Rows of each of those values.

    Examples
    --------
    >>> counts = count_partition(np.array([1.0, 2.0, 2.0, 5.0]), np.array([[2.0, 3.0]]), np.array([]))[0]
    >>> counts.below.tolist(), counts.values[0].tolist(), counts.counts[0].tolist()
    ([1], [2.0], [2])
    """

    below: np.ndarray
    values: list[np.ndarray]
    counts: list[np.ndarray]


def _samples(sketches: list[RunSketch]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The sketches' values sorted (ties in partition order), the rank steps up and down at each, and the rows."""
    values = np.concatenate([s.values for s in sketches]) if sketches else np.array([])
    up = np.concatenate([np.diff(s.ranks, prepend=-1) for s in sketches]) if sketches else np.array([], np.int64)
    down = np.concatenate([np.diff(s.ranks, append=s.n) for s in sketches]) if sketches else np.array([], np.int64)
    order = np.argsort(values, kind="stable")
    return values[order], up[order], down[order], sum(s.n for s in sketches)


def brackets(sketches: list[RunSketch], ranks: np.ndarray) -> np.ndarray:
    """Per 0-based ``rank``: two of the sketches' numbers ``lo <= x_(rank) <= hi``, shape ``(len(ranks), 2)``.

    ``hi`` is the smallest sketch number at or below which at least ``rank + 1`` values surely lie (each
    partition: 1 + the rank of its last sketch number at or below it); ``lo`` the largest above which
    at least ``n - rank`` values surely lie (each partition: its values from its first sketch number
    at or above it on).

    Examples
    --------
    >>> sketches = [RunSketch.of(np.arange(0.0, 20.0, 2), 3), RunSketch.of(np.arange(1.0, 20.0, 2), 3)]
    >>> brackets(sketches, np.array([0, 9, 19])).tolist()
    [[0.0, 0.0], [8.0, 9.0], [19.0, 19.0]]
    """
    values, up, down, n = _samples(sketches)
    ranks = np.asarray(ranks, dtype=np.int64)
    at_or_below = np.cumsum(up)  # a lower bound of the values at or below each (ties: the last is exact)
    hi = values[np.searchsorted(at_or_below, ranks + 1, side="left")]
    at_or_above = np.cumsum(down[::-1])  # a lower bound of the values at or above each, from the top
    lo = values[::-1][np.searchsorted(at_or_above, n - ranks, side="left")]
    return np.column_stack([lo, hi])


def joined(pairs: np.ndarray) -> np.ndarray:
    """Closed intervals ``pairs`` (shape ``(m, 2)``) joined where they overlap: disjoint, sorted.

    Examples
    --------
    >>> joined(np.array([[5.0, 6.0], [1.0, 3.0], [2.0, 4.0]])).tolist()
    [[1.0, 4.0], [5.0, 6.0]]
    """
    out: list[list[float]] = []
    for lo, hi in sorted(map(tuple, np.asarray(pairs, dtype=float))):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return np.array(out, dtype=float).reshape(-1, 2)


def range_cuts(sketches: list[RunSketch], n_ranges: int) -> np.ndarray:
    """Numbers that cut the values into about ``n_ranges`` ranges of equal rows (by the sketches).

    Examples
    --------
    >>> range_cuts([RunSketch.of(np.arange(100.0), 10)], 4).tolist()
    [30.0, 50.0, 80.0]
    """
    values, up, _, n = _samples(sketches)
    if n == 0 or n_ranges <= 1:
        return np.array([])
    at_or_below = np.cumsum(up)
    wanted = n * np.arange(1, n_ranges) // n_ranges
    return np.unique(values[np.minimum(np.searchsorted(at_or_below, wanted, side="left"), len(values) - 1)])


def plan_numbers(sketches: list[RunSketch], q: np.ndarray, n_ranges: int) -> NumberPlan:
    """The :class:`NumberPlan` of a column whose partitions gave ``sketches``, for ``numpy.quantile``'s ``q``.

    Each quantile's two order statistics (:func:`~auditkit.stats.sorted_numbers.linear_ranks`) fall in
    one interval, and so does every number between them.

    Examples
    --------
    >>> plan = plan_numbers([RunSketch.of(np.arange(10.0), samples=4)], np.array([0.5]), 2)
    >>> plan.n, plan.intervals.tolist(), plan.cuts.tolist()
    (10, [[3.0, 6.0]], [6.0])
    """
    n = sum(s.n for s in sketches)
    if n == 0:
        return NumberPlan(0, np.empty((0, 2)), np.array([]))
    low, high, _ = linear_ranks(n, q)
    bounds = brackets(sketches, np.column_stack([low, high]).ravel()).reshape(-1, 2, 2)  # quantile, rank, lo/hi
    return NumberPlan(n, joined(np.column_stack([bounds[:, 0, 0], bounds[:, 1, 1]])), range_cuts(sketches, n_ranges))


def count_partition(ordered: np.ndarray, intervals: np.ndarray, cuts: np.ndarray) -> tuple[IntervalCounts,
                                                                                            list[np.ndarray]]:
    """One partition's counts for a :class:`NumberPlan`: :class:`IntervalCounts` and its distinct values per range.

    ``ordered``: the partition's present values, sorted.

    Examples
    --------
    >>> counts, ranges = count_partition(np.array([1.0, 2.0, 2.0, 5.0]), np.empty((0, 2)), np.array([2.0]))
    >>> [r.tolist() for r in ranges]
    [[1.0], [2.0, 5.0]]
    """
    starts = np.searchsorted(ordered, intervals[:, 0], side="left")
    ends = np.searchsorted(ordered, intervals[:, 1], side="right")
    inside = [_distinct_counts(ordered[a:b]) for a, b in zip(starts, ends, strict=True)]
    distinct = distinct_sorted(ordered)
    return (IntervalCounts(starts.astype(np.int64), [v for v, _ in inside], [c for _, c in inside]),
            np.split(distinct, np.searchsorted(distinct, cuts, side="left")))


def _distinct_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``ordered`` (``-0.0`` is ``0.0``) and the rows of each."""
    if len(ordered) == 0:
        return ordered, np.array([], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[starts], np.diff(np.r_[starts, len(ordered)]).astype(np.int64)


def merge_interval_counts(parts: list[IntervalCounts]) -> IntervalCounts:
    """The :class:`IntervalCounts` of several partitions, summed.

    Examples
    --------
    >>> one = IntervalCounts(np.array([1]), [np.array([2.0])], [np.array([2])])
    >>> two = IntervalCounts(np.array([0]), [np.array([2.0, 3.0])], [np.array([1, 1])])
    >>> merged = merge_interval_counts([one, two])
    >>> merged.below.tolist(), merged.values[0].tolist(), merged.counts[0].tolist()
    ([1], [2.0, 3.0], [3, 1])
    """
    values, counts = [], []
    for i in range(len(parts[0].values)):
        distinct, which = np.unique(np.concatenate([p.values[i] for p in parts]), return_inverse=True)
        values.append(distinct)
        counts.append(np.bincount(which, weights=np.concatenate([p.counts[i] for p in parts]),
                                  minlength=len(distinct)).astype(np.int64))
    return IntervalCounts(np.sum([p.below for p in parts], axis=0), values, counts)


def distinct_sorted(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of sorted ``ordered`` (``-0.0`` is ``0.0``): one comparison of neighbours.

    Examples
    --------
    >>> distinct_sorted(np.array([-0.0, 0.0, 1.0, 1.0])).tolist()
    [-0.0, 1.0]
    """
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def union_sorted(parts: list[np.ndarray]) -> np.ndarray:
    """The distinct values of several sorted arrays of distinct values.

    Examples
    --------
    >>> union_sorted([np.array([1.0, 3.0]), np.array([-0.0, 3.0])]).tolist()
    [-0.0, 1.0, 3.0]
    """
    return distinct_sorted(np.sort(np.concatenate(parts)))


def order_statistics(counts: IntervalCounts, ranks: np.ndarray) -> np.ndarray:
    """The ``ranks``-th smallest values (0-based), each in one of ``intervals``, from the summed counts.

    Examples
    --------
    >>> ordered = np.array([1.0, 2.0, 2.0, 5.0])
    >>> counts = count_partition(ordered, np.array([[2.0, 5.0]]), np.array([]))[0]
    >>> order_statistics(counts, np.array([1, 2, 3])).tolist()
    [2.0, 2.0, 5.0]
    """
    out = np.empty(len(ranks))
    for i, rank in enumerate(np.asarray(ranks, dtype=np.int64)):
        m = _interval_of_rank(counts, rank)
        rows = counts.below[m] + np.cumsum(counts.counts[m])  # values at or below each distinct value
        out[i] = counts.values[m][np.searchsorted(rows, rank + 1, side="left")]
    return out


def _interval_of_rank(counts: IntervalCounts, rank: int) -> int:
    for m, below in enumerate(counts.below):
        if below <= rank < below + counts.counts[m].sum():
            return m
    raise AssertionError(f"order statistic {rank} outside every interval")  # the brackets hold it, by the ranks


def rows_below(counts: IntervalCounts, intervals: np.ndarray, edge: float, n: int) -> tuple[int, float]:
    """Values below ``edge`` (a number in one of ``intervals``; NaN: all ``n``) and the smallest at or above it.

    Examples
    --------
    >>> ordered = np.array([1.0, 2.0, 2.0, 5.0])
    >>> counts = count_partition(ordered, np.array([[2.0, 5.0]]), np.array([]))[0]
    >>> rows_below(counts, np.array([[2.0, 5.0]]), 3.5, 4)
    (3, 5.0)
    """
    if np.isnan(edge):  # sorted last, as numpy sorts NaN: every value is below it
        return n, np.nan
    m = int(np.searchsorted(intervals[:, 0], edge, side="right")) - 1
    if m < 0 or edge > intervals[m, 1]:
        raise AssertionError(f"{edge} outside the intervals")  # a quantile lies between its order statistics
    at = int(np.searchsorted(counts.values[m], edge, side="left"))
    above = float(counts.values[m][at]) if at < len(counts.values[m]) else np.nan
    return int(counts.below[m] + counts.counts[m][:at].sum()), above


def quantiles_from_counts(counts: IntervalCounts, n: int, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile`` (method ``"linear"``) at ``q`` of the ``n`` values whose plan's intervals gave ``counts``.

    Examples
    --------
    >>> runs = [np.array([1.0, 4.0]), np.array([2.0, 2.0, 3.0])]
    >>> plan = plan_numbers([RunSketch.of(r, 1) for r in runs], np.array([0.5, 0.9]), 1)
    >>> counts = merge_interval_counts([count_partition(r, plan.intervals, plan.cuts)[0] for r in runs])
    >>> quantiles_from_counts(counts, plan.n, np.array([0.5, 0.9])).tolist()
    [2.0, 3.6]
    """
    low, high, fraction = linear_ranks(n, q)
    statistics = order_statistics(counts, np.r_[low, high])
    return interpolate(statistics[:len(low)], statistics[len(low):], fraction)
