"""Score statistics of aggregated rows, computed where the rows are: what the score metrics need, without the scores.

The Dask engine's context holds one row per cell (sensitive values, label, decision) with its count
(``AuditContext.weights``). A model's continuous scores would make about one cell per row if the score
were a key of the cells, so the workers reduce the rows instead to the sufficient statistics that
:class:`~auditkit.fairness.score_cells.ScoreStatistics` keeps: per (cell, score bin, calibration bin)
the rows, the sums of the scores and of the squared errors, and their smallest and largest values;
and, for binned scores, per (group, bin) of every grouping the positive-negative pairs of the bin
ordered rightly (ties a half), counted by one task per range of bins over the rows of every partition.

From these :class:`CellScores` builds the in-memory engine's score statistics (the same bins, cells
and counts, hence the same bootstrap draws), calibration cells, overall ROC AUC and Brier score: every
count equal; with one score per bin, each cell's mean score and squared error are the in-memory ones to the
last bit (:func:`repeated_sum`); with binned scores they are sums in another order (equal to about 1e-16
relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from auditkit.fairness.score_cells import ScoreBins, ScoreStatistics, _grouping
from auditkit.fairness.score_pairs import share_and_slack
from auditkit.fairness.scores import CALIBRATION_BINS, CalibrationCells
from auditkit.stats.levels import wide

OVERALL: tuple[str, ...] = ()  # the grouping of all rows in one group (the overall ROC AUC)


@dataclass(frozen=True)
class CountedBins(ScoreBins):
    """:class:`~auditkit.fairness.score_cells.ScoreBins` known by their numbers only: no row or value held.

    Examples
    --------
    >>> bins = CountedBins.counted(n_bins=3, exact=False, n_values=10_000)
    >>> bins.n_values, bins.n_bins, bins.exact
    (10000, 3, False)
    """

    n_distinct: int = 0

    @classmethod
    def counted(cls, n_bins: int, exact: bool, n_values: int) -> CountedBins:
        """Bins of ``n_values`` distinct scores."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, n_bins, exact, None, n_values)

    @property
    def n_values(self) -> int:
        return self.n_distinct


@dataclass(frozen=True)
class CellScores:
    """The score statistics of the rows each context row (cell) stands for.

    Attributes
    ----------
    row, bin, calibration_bin : ndarray of int, shape ``(n,)``
        Per entry: the context row (cell), the score bin (:class:`~auditkit.fairness.score_cells.ScoreBins`'
        bins of all the rows) and the equal-width calibration bin of its rows.
    counts : ndarray of int, shape ``(n,)``
    sums, low, high : ndarray of float, shape ``(n, 2)``
        Per entry, of the scores and of the squared errors ``(score - label) ** 2``: sum, smallest, largest.
    bins : CountedBins
    fine_codes : ndarray of int
        Finest group of each context row (of every sensitive feature), as the fairness step's partition gives.
    pairs : dict of tuple to (ndarray, ndarray)
        Binned scores only. Per grouping (its features; ``()`` all rows): per (group, bin), shape
        ``(n_groups, n_bins)``, the positive-negative pairs ordered rightly (ties a half) and whether the
        group has more than one score in the bin.
    members : dict of tuple to ndarray
        Per grouping of ``pairs``: the group of each finest group.

    Examples
    --------
    >>> import numpy as np
    >>> label_of_cell = np.array([0, 1])  # two cells (context rows): a negative and a positive one
    >>> cells = CellScores.of_rows(np.array([0, 1, 0, 1]), np.array([.2, .7, .4, .9]), label_of_cell,
    ...                            fine_codes=np.array([0, 0]))
    >>> cells.overall(label_of_cell, probabilities=True)["roc_auc"], cells.score_range()
    (1.0, (0.2, 0.9))
    """

    row: np.ndarray
    bin: np.ndarray
    calibration_bin: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    low: np.ndarray
    high: np.ndarray
    bins: CountedBins
    fine_codes: np.ndarray
    pairs: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    members: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of_rows(cls, cell_of_row: np.ndarray, y_score: np.ndarray, label_of_cell: np.ndarray,
                fine_codes: np.ndarray) -> CellScores:
        """Exact statistics of rows given one by one (one bin per distinct score): a reference for tests.

        ``cell_of_row``: each row's context row; ``label_of_cell``: the 0/1 label of each context row.
        """
        values, bin_ = np.unique(y_score, return_inverse=True)
        calibration = calibration_bins(y_score)
        label = np.asarray(label_of_cell)[cell_of_row]
        error = (y_score - label) ** 2
        key = (wide(cell_of_row) * len(values) + bin_) * CALIBRATION_BINS + calibration
        entries, entry = np.unique(key, return_inverse=True)
        by_entry = [np.bincount(entry, weights=v, minlength=len(entries)) for v in (y_score, error)]
        low, high = np.full((len(entries), 2), np.inf), np.full((len(entries), 2), -np.inf)
        for j, v in enumerate((y_score, error)):
            np.minimum.at(low[:, j], entry, v)
            np.maximum.at(high[:, j], entry, v)
        cell, rest = np.divmod(entries, len(values) * CALIBRATION_BINS)
        return cls(cell, rest // CALIBRATION_BINS, rest % CALIBRATION_BINS, np.bincount(entry),
                   np.column_stack(by_entry), low, high, CountedBins.counted(len(values), True, len(values)),
                   np.asarray(fine_codes))

    def statistics(self, fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray],
                   features: list[tuple[str, ...]], y_true: np.ndarray) -> ScoreStatistics:
        """The :class:`~auditkit.fairness.score_cells.ScoreStatistics` of the rows, for the groupings ``features``
        whose group of each finest group is ``members``; ``fine_codes`` and ``y_true`` of the context rows."""
        self._check_codes(fine_codes)
        n_bins, label = self.bins.n_bins, np.asarray(y_true).astype(np.int64)[self.row]
        keys = (wide(fine_codes)[self.row] * n_bins + self.bin) * 2 + label
        cells, entry = np.unique(keys, return_inverse=True)
        counts = np.bincount(entry, weights=self.counts, minlength=len(cells)).round().astype(np.int64)
        if self.bins.exact:  # every row of a cell has one score: its sum in memory is the repeated addition of it
            values = [np.zeros(len(cells)) for _ in (0, 1)]
            for j in (0, 1):
                values[j][entry] = self.low[:, j]
            means = [np.array([repeated_sum(v, k) for v, k in zip(vals, counts.tolist(), strict=True)]) / counts
                     for vals in values]
        else:
            means = [np.bincount(entry, weights=self.sums[:, j], minlength=len(cells)) / counts for j in (0, 1)]
        spreads = [np.zeros(len(cells)) if self.bins.exact else self._spread(entry, len(cells), j, means[j])
                   for j in (0, 1)]
        fine_starts = np.searchsorted(cells // (2 * n_bins), np.arange(n_fine))
        groupings = [self._grouping(np.asarray(m), f, cells, counts) for m, f in zip(members, features, strict=True)]
        return ScoreStatistics(cells, counts, np.column_stack(means + spreads), self.bins, fine_starts, groupings)

    def _spread(self, entry: np.ndarray, n_cells: int, column: int, mean: np.ndarray) -> np.ndarray:
        """Largest distance of a row's value from its cell's mean: at the cell's smallest or largest value."""
        low, high = np.full(n_cells, np.inf), np.full(n_cells, -np.inf)
        np.minimum.at(low, entry, self.low[:, column])
        np.maximum.at(high, entry, self.high[:, column])
        return np.maximum(np.abs(high - mean), np.abs(low - mean))

    def _grouping(self, member: np.ndarray, features: tuple[str, ...], cells: np.ndarray, counts: np.ndarray):
        return _grouping(member, cells, self.bins,  # exact bins: every pair within a bin is a tie
                         None if self.bins.exact else self.shares(features, member, cells, counts))

    def shares(self, features: tuple[str, ...], member: np.ndarray, cells: np.ndarray,
               counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per (group, bin): the share of positive-negative pairs ordered rightly and its slack, as
        :func:`~auditkit.fairness.score_pairs.pairs_within_bins` computes them from the rows."""
        if features not in self.pairs or not np.array_equal(self.members[features], member):
            raise AssertionError(f"no pairs counted for the groups of {features}")  # counted for every grouping
        ordered, several = self.pairs[features]
        n_bins, n_groups = self.bins.n_bins, ordered.shape[0]
        fine_bin, label = cells // 2, cells % 2
        slot = wide(member)[fine_bin // n_bins] * n_bins + fine_bin % n_bins
        positives, negatives = (np.bincount(slot, weights=counts * (label == y), minlength=n_groups * n_bins)
                                for y in (1, 0))
        share, slack = share_and_slack(ordered.ravel(), positives * negatives, several.ravel())
        return share.reshape(n_groups, -1), slack.reshape(n_groups, -1)

    def calibration(self, fine_codes: np.ndarray, n_fine: int, y_true: np.ndarray) -> CalibrationCells:
        """The :class:`~auditkit.fairness.scores.CalibrationCells` of the rows (finest groups ``fine_codes``)."""
        self._check_codes(fine_codes)
        key = wide(fine_codes)[self.row] * CALIBRATION_BINS + self.calibration_bin
        size, shape = n_fine * CALIBRATION_BINS, (n_fine, CALIBRATION_BINS)
        rows = np.bincount(key, weights=self.counts, minlength=size).round().astype(np.int64).reshape(shape)
        hits = self.counts * np.asarray(y_true, dtype=float)[self.row]
        positives = np.bincount(key, weights=hits, minlength=size).round().astype(np.int64).reshape(shape)
        sums = np.bincount(key, weights=self.sums[:, 0], minlength=size).reshape(shape)
        return CalibrationCells(rows, positives, sums, np.linspace(0.0, 1.0, CALIBRATION_BINS + 1))

    def overall(self, y_true: np.ndarray, probabilities: bool) -> dict[str, float]:
        """ROC AUC and Brier score of all rows, as the performance step computes them from the rows.

        The larger label present is the positive one (as ``roc_auc_score``); the ordered pairs are
        counted exactly (halves), so the AUC is the rows' to the last bit.
        """
        label = np.asarray(y_true).astype(np.int64)[self.row]
        present = np.unique(label[self.counts > 0])
        out = {"roc_auc": float("nan"), "brier_score": float("nan")}
        if len(present) == 2:
            out["roc_auc"] = self._overall_auc(label)
        if probabilities:
            n = float(self.counts.sum())
            squared = self.sums[:, 1].sum()
            if len(present) == 1 and present[0] == 0:  # the only label is the "positive" one: (1 - score) ** 2
                squared = n - 2 * self.sums[:, 0].sum() + squared
            out["brier_score"] = float(squared / n)
        return out

    def _overall_auc(self, label: np.ndarray) -> float:
        n_bins = self.bins.n_bins
        positives, negatives = (np.bincount(self.bin, weights=self.counts * (label == y), minlength=n_bins)
                                for y in (1, 0))
        within = 0.5 * positives * negatives if self.bins.exact else self.pairs[OVERALL][0][0]
        ordered = float(np.sum(positives * (np.cumsum(negatives) - negatives)) + np.sum(within))
        return ordered / float(positives.sum() * negatives.sum())

    def score_range(self) -> tuple[float, float]:
        """The smallest and the largest score."""
        return float(self.low[:, 0].min()), float(self.high[:, 0].max())

    def extremes(self, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decisions and scores of stand-in rows: each decision's lowest and highest score, for
        :func:`~auditkit.steps.lime_step.decision_threshold` (which reads only those)."""
        decided = np.asarray(y_pred)[self.row]
        return np.r_[decided, decided], np.r_[self.low[:, 0], self.high[:, 0]]

    def _check_codes(self, fine_codes: np.ndarray) -> None:
        if not np.array_equal(np.asarray(fine_codes), self.fine_codes):
            raise AssertionError("the context's finest groups are not those the scores were counted by")


def calibration_bins(y_score: np.ndarray, n_bins: int = CALIBRATION_BINS) -> np.ndarray:
    """Equal-width calibration bin of each score, as :class:`~auditkit.fairness.scores.CalibrationCells` bins them.

    Examples
    --------
    >>> calibration_bins(np.array([0.0, 0.05, 0.1, 0.99, 1.0])).tolist()
    [0, 0, 1, 9, 9]
    """
    key = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1), y_score, side="right")
    np.clip(key, 1, n_bins, out=key)
    return key - 1


def repeated_sum(value: float, count: int) -> float:
    """``value`` added ``count`` times to 0.0, one addition at a time (as ``numpy.bincount`` sums a cell's equal
    weights), in about 3 steps per power of two the sum crosses.

    Within a power of two the float grid is even, so after at most one step (a tie rounded to even) every
    addition adds the same amount until the sum nears the next power: those are taken at once.

    Examples
    --------
    >>> value, count = 0.1, 1_000_003
    >>> repeated_sum(value, count) == float(np.bincount(np.zeros(count, dtype=int), weights=np.full(count, value))[0])
    True
    >>> repeated_sum(0.1, 3), 0.1 * 3, 0.1 + 0.1 + 0.1
    (0.30000000000000004, 0.30000000000000004, 0.30000000000000004)
    """
    v = float(value)
    if count <= 0 or v == 0.0:
        return 0.0
    if not math.isfinite(v):
        return v
    sign, v = math.copysign(1.0, v), abs(v)  # rounding to nearest is symmetric
    total, left = 0.0, int(count)
    while left > 0:
        total += v
        left -= 1
        step = (total + v) - total
        if left == 0 or step == 0.0:  # nothing left, or the value too small to change the sum
            break
        if ((total + v) + v) - (total + v) != step:  # the tie's one different step
            continue
        top = math.ldexp(1.0, math.frexp(total)[1])  # the power of two above the sum
        jump = min(int((top - total - v) // step) - 2, left)  # additions that stay well below it
        if jump > 0:
            total += jump * step  # exact: a multiple of the grid, below the power
            left -= jump
    return sign * total
