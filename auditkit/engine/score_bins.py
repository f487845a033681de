"""The in-memory engine's score bins, found from order statistics of the scores: no score gathered.

:class:`~auditkit.fairness.score_cells.ScoreBins` cuts the sorted distinct scores into bins of about
``n / max_bins`` rows: a distinct value ``v`` starts a bin when ``floor(below(v) * max_bins / n)``
differs from its predecessor's (``below(v)``: the rows scoring less than ``v``), or when ``v`` alone
holds ``n / max_bins`` rows or more. The first happens exactly at the smallest value above the order
statistic ``x_(t - 1)`` for ``t = ceil(k n / max_bins)``, ``k = 1 .. max_bins - 1``; so a score's bin
is the number of those order statistics below it plus the number of lone values at or below it that
no order statistic starts already (:class:`BinEdges`). A lone value spans ``n / max_bins`` ranks, so it
is one of those order statistics or the largest score: their exact counts
(:class:`~auditkit.engine.dask_order_stats.IntervalCounts`) find every one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from auditkit.engine.dask_order_stats import IntervalCounts, order_statistics


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


def order_ranks(n: int, max_bins: int) -> np.ndarray:
    """The 0-based ranks whose order statistics the bins need: ``ceil(k n / max_bins) - 1`` and the largest.

    Examples
    --------
    >>> order_ranks(10, 3).tolist()
    [3, 6, 9]
    """
    k = np.arange(1, max_bins, dtype=np.int64)
    return np.unique(np.r_[-(-k * n // max_bins) - 1, n - 1])


def binned_edges(counts: IntervalCounts, n: int, max_bins: int) -> BinEdges:
    """The :class:`BinEdges` of ``ScoreBins.of(scores, max_bins)`` (binned: more distinct scores than bins) from
    the interval counts that hold the :func:`order_ranks`.

    Examples
    --------
    >>> from auditkit.engine.dask_order_stats import count_partition
    >>> scores = np.sort(np.r_[0.1, np.full(5, 0.5), 0.7, 0.8, 0.9, 0.95])
    >>> counts = count_partition(scores, np.array([[0.1, 0.95]]), np.array([]))[0]
    >>> edges = binned_edges(counts, 10, 2)  # 0.5 holds half the rows: a bin of its own
    >>> edges.of(scores).tolist(), edges.n_bins
    ([0, 1, 1, 1, 1, 1, 2, 2, 2, 2], 3)
    """
    k = np.arange(1, max_bins, dtype=np.int64)
    thresholds = np.unique(order_statistics(counts, -(-k * n // max_bins) - 1))
    largest = float(order_statistics(counts, np.array([n - 1]))[0])
    candidates = np.unique(np.r_[thresholds, largest])
    below, rows = np.array([_rows_at(counts, v) for v in candidates], dtype=np.int64).reshape(-1, 2).T
    lone = (rows * max_bins >= n) & (below > 0)  # the smallest score starts the first bin anyway
    through = {int(b + r) for v, b, r in zip(candidates, below, rows, strict=True) if v in set(thresholds)}
    started = np.array([int(b) in through for b in below], dtype=bool)  # the value just above a threshold
    at = candidates[lone & ~started]
    n_bins = int(np.searchsorted(thresholds, largest, side="left") + np.searchsorted(at, largest, side="right")) + 1
    return BinEdges(thresholds, at, n_bins, False)


def _rows_at(counts: IntervalCounts, value: float) -> tuple[int, int]:
    """Rows below ``value`` and rows equal to it (``value``: a score inside one of the intervals)."""
    for m, values in enumerate(counts.values):
        at = int(np.searchsorted(values, value, side="left"))
        if at < len(values) and values[at] == value:
            return int(counts.below[m] + counts.counts[m][:at].sum()), int(counts.counts[m][at])
    raise AssertionError(f"{value} is in no interval")  # an order statistic, found in its interval
