"""Sufficient statistics of scores: ROC AUC, Brier score and calibration in the large from counts of cells.

Every row falls in one *cell*: (finest group, score bin, label). A bootstrap resample of the rows
changes only how many rows each cell holds, and the counts of all cells of one resample follow
``Multinomial(N, cell counts / N)`` exactly (:func:`auditkit.stats.bootstrap.multinomial_resamples`),
so a resample costs ``groups x bins`` instead of ``rows``. The groups of every grouping are unions of
finest groups, so one draw of the cells serves all groupings, as one set of row resamples did.

*Exact* when the scores take at most ``n_bins`` distinct values: each bin is one score value, the
pairs of rows within a bin are ties (half a pair each, as in ``roc_auc_score``) and every cell's rows
share one score, so the metrics of each resample are the metrics of that row resample.

*Binned* otherwise: bins of about equal numbers of rows (a score value is never split; a value more
frequent than a bin holds gets a bin of its own). A pair of a positive and a negative row within one
bin is ordered as in the data on average: each (group, bin) counts the share ``c`` of its pairs in
which the positive row scores higher (ties a half), from the rows, and a resample counts ``c`` of its
pairs in that bin. The Brier score and the mean score of a resample take each cell's mean. So:

* every point estimate is exact (``c`` and the cell means are those of the data);
* within a resample, the ROC AUC differs from the exact AUC of the same row resample by at most
  ``sum over bins of max(c, 1 - c) * positives * negatives / (P * N)`` (bins holding one score of the
  group count 0), and the Brier score (calibration in the large) by at most the resample's mean over
  its rows of the largest distance of a squared error (score) from its cell's mean. These bounds are
  computed for every resample and group; :attr:`ScoreStatistics.summary` reports the largest.

With bins of ``n / B`` rows the AUC bound is about ``0.4 / B`` for smooth scores; the error actually made
is far smaller (about ``1 / (B * sqrt(n))``: the share ``c`` of a bin changes little between resamples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SCORE_BINS = 4096
MIN_SCORE_BINS = 256
SCORE_CELL_BUDGET = 2**15  # cells (finest groups x bins x 2 labels) resampled at most, above MIN_SCORE_BINS


def bins_for(n_fine: int) -> int:
    """Score bins used with ``n_fine`` finest groups: as many as the cell budget allows, within limits.

    Examples
    --------
    >>> bins_for(1), bins_for(20), bins_for(1000)
    (4096, 819, 256)
    """
    return int(np.clip(SCORE_CELL_BUDGET // (2 * max(n_fine, 1)), MIN_SCORE_BINS, MAX_SCORE_BINS))


@dataclass(frozen=True)
class ScoreBins:
    """The distinct scores and the bin of each.

    Bins hold about equal numbers of rows (``len(y_score) / max_bins``); a score value is never split,
    and a value of that many rows or more gets a bin of its own (so a bin may be added for each such
    value, up to ``2 * max_bins`` bins in all).

    Attributes
    ----------
    value_of_row : ndarray of int
        Rank of each row's score among the distinct scores.
    bin_of_value : ndarray of int
        Bin of each distinct score (nondecreasing).
    n_bins : int
    exact : bool
        Whether each bin is one distinct score.
    by_score : ndarray of int
        The rows in order of score (stable).

    Examples
    --------
    >>> import numpy as np
    >>> few = ScoreBins.of(np.array([0.3, 0.1, 0.3, 0.9]), max_bins=4)
    >>> few.exact, few.n_bins, few.of_row.tolist()
    (True, 3, [1, 0, 1, 2])
    >>> many = ScoreBins.of(np.array([0.5] * 6 + [0.1, 0.2, 0.7, 0.8]), max_bins=3)  # 0.5 gets a bin of its own
    >>> many.exact, many.n_bins, many.of_row.tolist()
    (False, 3, [1, 1, 1, 1, 1, 1, 0, 0, 2, 2])
    """

    value_of_row: np.ndarray
    bin_of_value: np.ndarray
    n_bins: int
    exact: bool
    by_score: np.ndarray

    @classmethod
    def of(cls, y_score: np.ndarray, max_bins: int) -> ScoreBins:
        by_score = np.argsort(y_score, kind="stable")
        ordered = y_score[by_score]
        rank = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
        value_of_row = np.empty(len(y_score), dtype=np.int64)
        value_of_row[by_score] = rank
        counts = np.bincount(rank)
        if len(counts) <= max_bins:
            return cls(value_of_row, np.arange(len(counts)), len(counts), True, by_score)
        slot = (np.cumsum(counts) - counts) * max_bins // len(y_score)
        alone = counts * max_bins >= len(y_score)  # a score of a bin's worth of rows or more: a bin of its own
        starts = np.r_[True, (slot[1:] != slot[:-1]) | alone[1:]]
        bin_of_value = np.cumsum(starts) - 1
        return cls(value_of_row, bin_of_value, int(bin_of_value[-1]) + 1, False, by_score)

    @property
    def of_row(self) -> np.ndarray:
        """Bin of each row."""
        return self.bin_of_value[self.value_of_row]

    @property
    def n_values(self) -> int:
        return len(self.bin_of_value)


@dataclass(frozen=True)
class _Grouping:
    """How one grouping sums finest groups, and its pairs within bins."""

    order: np.ndarray  # finest groups sorted by their group
    starts: np.ndarray  # where each group starts in ``order``
    within: np.ndarray  # (n_groups, n_bins): share of positive-negative pairs within the bin ordered rightly
    slack: np.ndarray  # (n_groups, n_bins): how far that share may move in a resample (0 where it cannot)

    def sum_groups(self, fine: np.ndarray) -> np.ndarray:
        """Sum axis 1 (finest groups) into this grouping's groups."""
        if len(self.starts) == len(self.order) and bool(np.all(self.order == np.arange(len(self.order)))):
            return fine  # the finest grouping itself
        return np.add.reduceat(fine[:, self.order], self.starts, axis=1)


@dataclass(frozen=True)
class ScoreStatistics:
    """Cells of (finest group, score bin, label) with what each grouping needs to score a resample.

    Attributes
    ----------
    counts : ndarray of int, shape ``(n_fine, n_bins, 2)``
        Rows of each cell (label 0, then 1).
    cell_means : ndarray, shape ``(2, n_fine, n_bins, 2)``
        Mean score and mean squared error ``(score - label)**2`` of each cell's rows (0 where empty).
    cell_spreads : ndarray, shape ``(2, n_fine, n_bins, 2)``
        Largest distance of a row's score (squared error) from its cell's mean.
    bins : ScoreBins

    Examples
    --------
    >>> import numpy as np
    >>> fine = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> y_true, y_score = np.array([0, 0, 1, 1, 0, 1, 0, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.3, 0.6, 0.9])
    >>> stats = ScoreStatistics.of(fine, 2, [np.array([0, 1]), np.array([0, 0])], y_true, y_score, max_bins=4)
    >>> stats.bins.exact, stats.bins.n_bins  # 8 distinct scores in 4 bins
    (False, 4)
    >>> point, bounds = stats.metrics(stats.counts[None].astype(float), probabilities=True)
    >>> point[0]["roc_auc"].tolist(), point[1]["roc_auc"].tolist()  # exact: 0.75 and 0.75; both groups: 0.75
    ([[0.75, 0.75]], [[0.75]])
    >>> bounds[0]["roc_auc"].tolist()  # no bin holds a positive and a negative row of one group: exact
    [[0.0, 0.0]]
    >>> coarse = ScoreStatistics.of(fine, 2, [np.array([0, 1])], y_true, y_score, max_bins=2)
    >>> point, bounds = coarse.metrics(coarse.counts[None].astype(float), probabilities=False)
    >>> point[0]["roc_auc"].tolist(), bounds[0]["roc_auc"].tolist()  # still exact; a resample may move pairs
    ([[0.75, 0.75]], [[0.5, 0.5]])
    """

    counts: np.ndarray
    cell_means: np.ndarray
    cell_spreads: np.ndarray
    bins: ScoreBins
    groupings: list[_Grouping]

    @classmethod
    def of(cls, fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray], y_true: np.ndarray,
           y_score: np.ndarray, max_bins: int) -> ScoreStatistics:
        """The statistics of the rows: finest group, label and score of each; ``members`` maps finest groups."""
        bins = ScoreBins.of(y_score, max_bins)
        label = np.asarray(y_true).astype(np.int64)
        cell = (np.asarray(fine_codes, dtype=np.int64) * bins.n_bins + bins.of_row) * 2 + label
        shape = (n_fine, bins.n_bins, 2)
        counts = np.bincount(cell, minlength=int(np.prod(shape)))
        error = (y_score - label) ** 2
        means = np.stack([_cell_mean(cell, values, counts) for values in (y_score, error)])
        spreads = np.zeros_like(means) if bins.exact else np.stack(  # one score per cell: no spread
            [_cell_spread(cell, values, means[i], counts) for i, values in enumerate((y_score, error))])
        groupings = [_grouping(np.asarray(member), fine_codes, label, bins) for member in members]
        return cls(counts.reshape(shape), means.reshape(2, *shape), spreads.reshape(2, *shape), bins, groupings)

    def metrics(self, counts: np.ndarray, probabilities: bool) -> tuple[list[dict], list[dict]]:
        """Metrics and their bounds, per grouping, from resampled ``counts`` ``(n_resamples, n_fine, n_bins, 2)``.

        Returns
        -------
        metrics, bounds : list of dict of str to ndarray ``(n_resamples, n_groups)``
            ``roc_auc`` (and with ``probabilities`` ``brier_score`` and ``calibration_in_the_large``);
            the bound of each metric's distance from the exact value of the same row resample.
        """
        fine_sums = self._fine_sums(counts) if probabilities else None
        out = [_score(g, counts, fine_sums) for g in self.groupings]
        return [m for m, _ in out], [b for _, b in out]

    def _fine_sums(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Per finest group ``(n_resamples, n_fine)``: rows, positives, sums of scores and errors, spreads."""
        n_resamples, n_fine = counts.shape[:2]
        columns = [np.ones(self.counts.shape), *self.cell_means, *self.cell_spreads]
        weights = np.stack(columns, axis=-1).reshape(n_fine, -1, len(columns))  # (n_fine, cells, 5)
        cells = counts.reshape(n_resamples, n_fine, -1).transpose(1, 0, 2)  # (n_fine, n_resamples, cells)
        rows, score, error, score_spread, error_spread = np.matmul(cells, weights).transpose(2, 1, 0)
        return {"rows": rows, "positives": counts[..., 1].sum(axis=2), "score": score, "error": error,
                "score_spread": score_spread, "error_spread": error_spread}


def _cell_mean(cell: np.ndarray, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    total = np.bincount(cell, weights=values, minlength=len(counts))
    return np.divide(total, counts, out=np.zeros(len(counts)), where=counts > 0)


def _cell_spread(cell: np.ndarray, values: np.ndarray, mean: np.ndarray, counts: np.ndarray) -> np.ndarray:
    spread = np.zeros(len(counts))
    np.maximum.at(spread, cell, np.abs(values - mean[cell]))
    return spread


def _grouping(member: np.ndarray, fine_codes: np.ndarray, label: np.ndarray, bins: ScoreBins) -> _Grouping:
    order = np.argsort(member, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(member[order]) != 0])
    n_groups = len(starts)
    if bins.exact:  # every pair within a bin is a tie, in the data and in every resample
        flat = np.full((n_groups, bins.n_bins), 0.5)
        return _Grouping(order, starts, flat, np.zeros_like(flat))
    within, slack = _pairs_within_bins(member[fine_codes], n_groups, label, bins)
    return _Grouping(order, starts, within, slack)


def _pairs_within_bins(codes: np.ndarray, n_groups: int, label: np.ndarray,
                       bins: ScoreBins) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, bin): the share of positive-negative pairs whose positive scores higher, and its slack."""
    small = np.int16 if n_groups < 2**15 else np.int64  # a stable sort of 16-bit codes is a radix sort
    order = bins.by_score[np.argsort(codes[bins.by_score].astype(small), kind="stable")]  # by group, then score
    group, value = codes[order], bins.value_of_row[order]
    starts = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) | (value[1:] != value[:-1])])  # (group, score)
    positives = np.add.reduceat(label[order].astype(float), starts)
    negatives = np.diff(np.r_[starts, len(order)]) - positives
    segment = group[starts] * bins.n_bins + bins.bin_of_value[value[starts]]  # (group, bin), nondecreasing
    first = np.r_[True, segment[1:] != segment[:-1]]
    negatives_before = np.cumsum(negatives) - negatives
    below = negatives_before - negatives_before[first][np.cumsum(first) - 1]  # within the same (group, bin)
    size = n_groups * bins.n_bins
    ordered = np.bincount(segment, weights=positives * (below + 0.5 * negatives), minlength=size)
    pairs = (np.bincount(segment, weights=positives, minlength=size)
             * np.bincount(segment, weights=negatives, minlength=size))
    within = np.divide(ordered, pairs, out=np.full(size, 0.5), where=pairs > 0)
    one_score = np.bincount(segment, minlength=size) <= 1
    slack = np.where(one_score | (pairs == 0), 0.0, np.maximum(within, 1.0 - within))
    return within.reshape(n_groups, -1), slack.reshape(n_groups, -1)


def _score(grouping: _Grouping, counts: np.ndarray,
           fine_sums: dict[str, np.ndarray] | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    by_group = grouping.sum_groups(counts)  # (n_resamples, n_groups, n_bins, 2)
    negatives, positives = by_group[..., 0], by_group[..., 1]
    below = np.cumsum(negatives, axis=2) - negatives
    pairs = positives * negatives
    all_pairs = positives.sum(axis=2) * negatives.sum(axis=2)
    ordered = (positives * below).sum(axis=2) + (pairs * grouping.within).sum(axis=2)
    metrics = {"roc_auc": _ratio(ordered, all_pairs)}
    bounds = {"roc_auc": _ratio((pairs * grouping.slack).sum(axis=2), all_pairs)}
    if fine_sums is not None:
        sums = {name: grouping.sum_groups(values) for name, values in fine_sums.items()}
        metrics["brier_score"] = _ratio(sums["error"], sums["rows"])
        metrics["calibration_in_the_large"] = _ratio(sums["score"] - sums["positives"], sums["rows"])
        bounds["brier_score"] = _ratio(sums["error_spread"], sums["rows"])
        bounds["calibration_in_the_large"] = _ratio(sums["score_spread"], sums["rows"])
    return metrics, bounds


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.full(np.shape(numerator), np.nan), where=denominator > 0)
