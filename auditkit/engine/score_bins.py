"""The in-memory engine's score bins, found range by range of the scores: no task holds all the scores.

:class:`~auditkit.fairness.score_cells.ScoreBins` cuts the sorted distinct scores into bins of about
``n / max_bins`` rows: a distinct value ``v`` starts a bin when ``floor(below(v) * max_bins / n)``
differs from its predecessor's (``below(v)``: the rows scoring less than ``v``), or when ``v`` alone
holds ``n / max_bins`` rows or more. The first happens exactly at the smallest value above the order
statistic ``x_(t - 1)`` for ``t = ceil(k n / max_bins)``, ``k = 1 .. max_bins - 1``; so a score's bin
is the number of those order statistics below it plus the number of lone values at or below it that
no order statistic starts already (:class:`BinEdges`).

The scores are cut into ranges of values (each partition's scores go to one task per range, with the
rows below the range); a range's task finds the order statistics and lone values inside it
(:func:`range_edges`), and :func:`merge_edges` joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BinEdges:
    """Where the score bins start: after each of ``above`` (strictly), and at each of ``at``.

    Attributes
    ----------
    above : ndarray of float
        Sorted: a score greater than one of these is past one more bin start.
    at : ndarray of float
        Sorted: a score at or above one of these is past one more bin start.
    n_bins : int
    exact : bool
        One bin per distinct score (``at`` holds them all but the first).

    Examples
    --------
    >>> edges = BinEdges.exact_values(np.array([0.1, 0.5, 0.9]))
    >>> edges.of(np.array([0.9, 0.1, 0.5])).tolist(), edges.n_bins
    ([2, 0, 1], 3)
    """

    above: np.ndarray
    at: np.ndarray
    n_bins: int
    exact: bool

    @classmethod
    def exact_values(cls, values: np.ndarray) -> BinEdges:
        """One bin per distinct score (``values``: sorted, distinct)."""
        return cls(np.zeros(0), np.asarray(values, dtype=float)[1:], len(values), True)

    def of(self, y_score: np.ndarray) -> np.ndarray:
        """The bin of each score (int32)."""
        found = np.searchsorted(self.above, y_score, side="left")
        found += np.searchsorted(self.at, y_score, side="right")
        return found.astype(np.int32)


@dataclass(frozen=True)
class RangeEdges:
    """What one range of the scores holds of the bins' edges.

    Attributes
    ----------
    thresholds, through : ndarray
        The order statistics ``x_(ceil(k n / max_bins) - 1)`` in the range, and the rows at or below each.
    lone, below : ndarray
        The values of ``n / max_bins`` rows or more in the range (but the smallest score), and the rows below each.
    n_distinct : int

    Examples
    --------
    >>> range_edges(np.array([0.2, 0.4]), np.array([3, 1]), 6, 10, 2).n_distinct
    2
    """

    thresholds: np.ndarray
    through: np.ndarray
    lone: np.ndarray
    below: np.ndarray
    n_distinct: int


def range_edges(values: np.ndarray, counts: np.ndarray, below: int, n: int, max_bins: int) -> RangeEdges:
    """The :class:`RangeEdges` of a range whose distinct ``values`` (sorted) hold ``counts`` rows, ``below`` rows
    of all ``n`` scoring less.

    Examples
    --------
    >>> edges = range_edges(np.array([0.1, 0.5, 0.7]), np.array([1, 5, 4]), 0, 10, 2)  # 0.5: half the rows
    >>> edges.thresholds.tolist(), edges.through.tolist(), edges.lone.tolist(), edges.below.tolist()
    ([0.5], [6], [0.5], [1])
    """
    through = below + np.cumsum(counts, dtype=np.int64)
    k = np.arange(1, max_bins, dtype=np.int64)
    ranks = -(-k * n // max_bins) - 1
    ranks = ranks[(ranks >= below) & (ranks < (through[-1] if len(through) else below))]
    at = np.unique(np.searchsorted(through, ranks + 1, side="left"))  # the first value with rank + 1 rows through it
    starts = through - counts
    lone = (counts * max_bins >= n) & (starts > 0)
    return RangeEdges(values[at], through[at], values[lone], starts[lone], len(values))


def merge_edges(ranges: list[RangeEdges], largest: float) -> tuple[BinEdges, int]:
    """The :class:`BinEdges` (binned) of all the ranges' scores, whose largest is ``largest``, and the distinct count.

    A lone value is left out of ``at`` when an order statistic's bin starts at it already (the order
    statistic is the value just below it: the rows through it are the rows below the lone value).

    Examples
    --------
    >>> scores = np.sort(np.r_[0.1, np.full(5, 0.5), 0.7, 0.8, 0.9, 0.95])
    >>> low = range_edges(np.array([0.1, 0.5]), np.array([1, 5]), 0, 10, 2)
    >>> high = range_edges(np.array([0.7, 0.8, 0.9, 0.95]), np.ones(4, dtype=int), 6, 10, 2)
    >>> edges, n_distinct = merge_edges([low, high], 0.95)  # 0.5 holds half the rows: a bin of its own
    >>> edges.of(scores).tolist(), edges.n_bins, n_distinct
    ([0, 1, 1, 1, 1, 1, 2, 2, 2, 2], 3, 6)
    """
    thresholds = np.unique(np.concatenate([r.thresholds for r in ranges]))
    through = set(np.concatenate([r.through for r in ranges]).tolist())
    lone, below = np.concatenate([r.lone for r in ranges]), np.concatenate([r.below for r in ranges])
    at = np.sort(lone[[int(b) not in through for b in below]])
    n_bins = int(np.searchsorted(thresholds, largest, side="left") + np.searchsorted(at, largest, side="right")) + 1
    return BinEdges(thresholds, at, n_bins, False), int(sum(r.n_distinct for r in ranges))
