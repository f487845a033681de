"""Sufficient statistics of scores: ROC AUC, Brier score and calibration in the large from counts of cells.

Every row falls in one *cell*: (finest group, score bin, label). A bootstrap resample of the rows
(``MetricFrame(n_boot=...)``'s scheme: all rows of the audit, with replacement) changes only how many
rows each cell holds, and the counts of all cells of one resample follow ``Multinomial(N, cell counts / N)``
exactly (:func:`auditkit.stats.bootstrap.multinomial_resamples`; not a Poisson bootstrap: the total stays
``N``), so a resample costs the non-empty cells, about ``groups x bins x 2``, instead of the rows. The
groups of every grouping are unions of finest groups, so one draw of the cells serves all groupings,
as one set of row resamples did.

*Exact* when the scores take at most as many distinct values as bins are allowed
(:func:`bins_for`: every score of an audit of at most ``SCORE_CELL_BUDGET`` rows): each bin is one
score value, the pairs of rows within a bin are ties (half a pair each, as in ``roc_auc_score``) and
every cell's rows share one score, so the metrics of each resample are those of that row resample.

*Binned* otherwise: bins of about equal numbers of rows (a score value is never split; a value of a
bin's worth of rows or more gets a bin of its own). Each (group, bin) counts from the rows the share
``c`` of its positive-negative pairs in which the positive row scores higher (ties a half), and a
resample counts ``c`` of its pairs within that bin; the Brier score and the mean score of a resample
take each cell's mean. So:

* every point estimate is exact (``c`` and the cell means are those of the data);
* within a resample, the ROC AUC differs from the exact AUC of the same row resample by at most
  ``sum over bins of max(c, 1 - c) * positives * negatives / (P * N)`` (a bin holding one score of
  the group counts 0), and the Brier score (calibration in the large) by at most the resample's mean
  over its rows of the largest distance of a squared error (score) from its cell's mean. These
  bounds are computed for every resample and group; ``ScoreMetrics.summary`` reports the largest.

With ``B`` bins of equal size the AUC bound is about ``0.4 / B`` for smooth scores (tested); the
error actually made is far smaller, about ``1 / (B * sqrt(n))`` for a group of ``n`` rows (the share
``c`` of a bin changes little between resamples; measured in ``benchmarks/bench_scale.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from auditkit.fairness.score_pairs import (
    ROW_BLOCK,
    RowsByScore,
    bins_of_values,
    index_type,
    pairs_within_bins,
    squared_errors,
)
from auditkit.stats.levels import wide
from auditkit.threads import one_blas_thread

MAX_SCORE_BINS = 4096
MIN_SCORE_BINS = 256
SCORE_CELL_BUDGET = 2**15  # non-empty cells (finest groups x bins x 2 labels) resampled, above MIN_SCORE_BINS
FEW_GROUPS = 32  # up to this many groups, each group's sum of products is one ``einsum`` (no temporary)
CHUNK_CELLS = 2**18  # cells x resamples scored at once: arrays of 2 MB stay in the processor's cache


def bins_for(n_fine: int, n_rows: int = 0) -> int:
    """Score bins allowed with ``n_fine`` finest groups and ``n_rows`` rows: within the cell budget.

    An audit of at most ``SCORE_CELL_BUDGET`` rows has no more non-empty cells than that, so it may
    have a bin for every row (exact); otherwise the bins are as many as the budget allows, within
    ``MIN_SCORE_BINS`` and ``MAX_SCORE_BINS``.

    Examples
    --------
    >>> bins_for(1), bins_for(20), bins_for(1000), bins_for(20, n_rows=10_000)
    (4096, 819, 256, 10000)
    """
    if 0 < n_rows <= SCORE_CELL_BUDGET:
        return n_rows
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
    by_score : ndarray of int or None
        The rows in order of score (equal scores in any order); None once used.

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
    by_score: np.ndarray | None

    @classmethod
    def of(cls, y_score: np.ndarray, max_bins: int) -> ScoreBins:
        n_rows = len(y_score)
        by_score = np.argsort(y_score)  # the order of equal scores does not matter: they are one value
        ordered = y_score[by_score]
        new_value = np.empty(n_rows, dtype=bool)
        new_value[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
        del ordered
        rank = np.cumsum(new_value, dtype=index_type(n_rows))
        rank -= 1
        value_of_row = np.empty_like(rank)
        value_of_row[by_score] = rank
        del rank
        first = np.flatnonzero(new_value)  # where each score's rows start among the rows in order of score
        del new_value
        if len(first) <= max_bins:
            return cls(value_of_row, np.arange(len(first)), len(first), True, by_score)
        bin_of_value = bins_of_values(first, n_rows, max_bins)
        return cls(value_of_row, bin_of_value, int(bin_of_value[-1]) + 1, False, by_score)

    @property
    def of_row(self) -> np.ndarray:
        """Bin of each row."""
        return self.bin_of_value[self.value_of_row]

    @property
    def n_values(self) -> int:
        return len(self.bin_of_value)


@dataclass
class _Grouping:
    """How one grouping sums the cells of finest groups into its own (group, bin) *slots*, and their pairs.

    A slot holds a negative and a positive count (either may be 0); slots are in the order of (group,
    bin). Each label's counts of the slots are sums of finest cells (``take``, summed over ``starts``;
    a slot without a cell of that label takes the zero column ``n_cells`` of the padded draws).
    """

    members: np.ndarray  # group of each finest group
    take: tuple[np.ndarray, np.ndarray]  # per label: the padded draws' columns summed into the slots
    starts: tuple[np.ndarray | None, np.ndarray | None]  # per label: where each slot starts in ``take``
    within: np.ndarray  # per slot: share of its positive-negative pairs ordered rightly
    slack: np.ndarray  # per slot: how far that share may move in a resample
    group_starts: np.ndarray  # first slot of each group
    exact: bool  # every pair within a slot is a tie (``within`` is 0.5, ``slack`` 0)

    def sum_groups(self, fine: np.ndarray) -> np.ndarray:
        """Sum axis 1 (finest groups) into this grouping's groups."""
        if self.finest:
            return fine
        return np.add.reduceat(fine[:, self.member_order], self.member_starts, axis=1)

    @cached_property
    def finest(self) -> bool:
        return bool(np.array_equal(self.members, np.arange(len(self.members))))

    @cached_property
    def member_order(self) -> np.ndarray:
        return np.argsort(self.members, kind="stable")

    @cached_property
    def member_starts(self) -> np.ndarray:
        return np.flatnonzero(np.r_[True, np.diff(self.members[self.member_order]) != 0])

    def slots(self, padded: np.ndarray, label: int) -> np.ndarray:
        """This grouping's counts of ``label`` per slot ``(n_resamples, n_slots)`` from padded finest draws."""
        taken = np.take(padded, self.take[label], axis=1)  # row-major, unlike ``padded[:, take]``: fast along rows
        starts = self.starts[label]
        return taken if starts is None else np.add.reduceat(taken, starts, axis=1)


@dataclass(frozen=True)
class ScoreStatistics:
    """The non-empty cells of (finest group, score bin, label), with what each grouping needs to score a resample.

    Attributes
    ----------
    cells : ndarray of int, shape ``(n_cells,)``
        Key ``(finest group * n_bins + bin) * 2 + label`` of each non-empty cell, sorted.
    counts : ndarray of int, shape ``(n_cells,)``
        Rows of each cell.
    columns : ndarray, shape ``(n_cells, 4)``
        Per cell: mean score, mean squared error ``(score - label)**2``, and the largest distance of a
        row's score (squared error) from its cell's mean.
    bins : ScoreBins

    Examples
    --------
    >>> import numpy as np
    >>> fine = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> y_true, y_score = np.array([0, 0, 1, 1, 0, 1, 0, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.3, 0.6, 0.9])
    >>> stats = ScoreStatistics.of(fine, 2, [np.array([0, 1]), np.array([0, 0])], y_true, y_score, max_bins=4)
    >>> stats.bins.exact, stats.bins.n_bins, len(stats.cells)  # 8 distinct scores in 4 bins, 8 non-empty cells
    (False, 4, 8)
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

    cells: np.ndarray
    counts: np.ndarray
    columns: np.ndarray
    bins: ScoreBins
    fine_starts: np.ndarray
    groupings: list[_Grouping]

    @classmethod
    def of(cls, fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray], y_true: np.ndarray,
           y_score: np.ndarray, max_bins: int) -> ScoreStatistics:
        """The statistics of the rows: finest group, label and score of each; ``members`` maps finest groups."""
        bins = ScoreBins.of(y_score, max_bins)
        label, fine_codes = np.asarray(y_true).astype(np.int8), np.asarray(fine_codes)
        by_score = None if bins.exact else RowsByScore.of(fine_codes, label, bins.by_score, bins.value_of_row,
                                                           bins.bin_of_value, n_fine)
        bins = replace(bins, by_score=None)  # the order of the rows is in ``by_score`` now: 8 bytes a row freed
        cells, counts, columns = _cell_columns(fine_codes, n_fine, bins, label, y_score)
        fine_of_cell = cells // (2 * bins.n_bins)
        fine_starts = np.searchsorted(fine_of_cell, np.arange(n_fine))
        groupings = [_grouping(m, cells, bins, None if by_score is None else
                               pairs_within_bins(m, int(m.max()) + 1, by_score, bins.n_bins))
                     for m in map(np.asarray, members)]
        return cls(cells, counts, columns, bins, fine_starts, groupings)

    def metrics(self, draws: np.ndarray, probabilities: bool) -> tuple[list[dict], list[dict]]:
        """Metrics and their bounds, per grouping, from resampled cell counts ``draws`` ``(n_resamples, n_cells)``.

        Any counts of the cells will do (``self.counts[None]`` gives the point estimates); the draws of a
        distributed engine's resamples too.

        Returns
        -------
        metrics, bounds : list of dict of str to ndarray ``(n_resamples, n_groups)``
            ``roc_auc`` (and with ``probabilities`` ``brier_score`` and ``calibration_in_the_large``);
            the bound of each metric's distance from the exact value of the same row resample.
        """
        draws = np.asarray(draws)
        padded = np.zeros((len(draws), len(self.cells) + 1))  # the last column: a cell of no rows
        padded[:, :-1] = draws
        fine_sums = self._fine_sums(padded[:, :-1]) if probabilities else None
        out = [_score(g, padded, fine_sums) for g in self.groupings]
        return [m for m, _ in out], [b for _, b in out]

    def _fine_sums(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Per finest group ``(n_resamples, n_fine)``: rows, positives, sums of scores and errors, spreads."""
        weights = np.column_stack([np.ones(len(self.cells)), self.cells % 2, self.columns])
        ends = np.r_[self.fine_starts[1:], len(self.cells)]
        with one_blas_thread():  # the same sums on any thread count
            sums = np.stack([draws[:, a:b] @ weights[a:b] for a, b in zip(self.fine_starts, ends, strict=True)], axis=1)
        names = ("rows", "positives", "score", "error", "score_spread", "error_spread")
        return {name: sums[:, :, i] for i, name in enumerate(names)}


def _cells_of(fine_codes: np.ndarray, bins: ScoreBins, label: np.ndarray,
              n_fine: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``numpy.unique(keys, return_inverse=True, return_counts=True)`` of the rows' cell keys.

    Counted (``bincount``, no sort) when there are no more possible keys than about four per row.
    """
    keys = np.multiply(fine_codes, bins.n_bins, dtype=np.int64)  # (fine * n_bins + bin) * 2 + label, in place
    for start in range(0, len(keys), ROW_BLOCK):  # each row's bin gathered a block at a time, not a row-long array
        block = slice(start, start + ROW_BLOCK)
        keys[block] += bins.bin_of_value[bins.value_of_row[block]]
    keys *= 2
    keys += label
    possible = n_fine * bins.n_bins * 2
    if possible > 4 * len(keys) + 2**16:
        return np.unique(keys, return_inverse=True, return_counts=True)
    counts = np.bincount(keys, minlength=possible)
    present = counts > 0
    rank = np.cumsum(present) - 1
    cell_of_row = np.take(rank, keys, out=keys, mode="clip")  # into the keys' own array (every key is in range)
    return np.flatnonzero(present), cell_of_row, counts[present]


def _cell_columns(fine_codes: np.ndarray, n_fine: int, bins: ScoreBins, label: np.ndarray,
                  y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty cells, their rows and :attr:`ScoreStatistics.columns` (the row-long arrays freed on return)."""
    cells, cell_of_row, counts = _cells_of(fine_codes, bins, label, n_fine)
    means, spreads = [], []
    for squared in (False, True):  # the scores, then the squared errors: one row-long array of values at a time
        values = squared_errors(y_score, label) if squared else y_score
        means.append(np.bincount(cell_of_row, weights=values, minlength=len(cells)) / counts)
        spreads.append(np.zeros(len(cells)) if bins.exact else _spread(cell_of_row, values, means[-1]))  # exact: 0
        del values
    return cells, counts, np.column_stack(means + spreads)


def _spread(cell_of_row: np.ndarray, values: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Largest distance of a row's value from its cell's mean, per cell."""
    spread = np.zeros(len(mean))
    for start in range(0, len(values), ROW_BLOCK):  # a block of rows at a time: the largest is the same in any order
        cells = cell_of_row[start:start + ROW_BLOCK]
        distance = mean[cells]  # |values - mean| in place
        np.subtract(values[start:start + ROW_BLOCK], distance, out=distance)
        np.abs(distance, out=distance)
        np.maximum.at(spread, cells, distance)
    return spread


def _grouping(member: np.ndarray, cells: np.ndarray, bins: ScoreBins,
              shares: tuple[np.ndarray, np.ndarray] | None = None) -> _Grouping:
    """A grouping's slots of ``cells``; ``shares``: per (group, bin) the share of pairs ordered rightly and its slack
    (binned scores; without, every pair within a slot is a tie, as in exact bins in the data and every resample)."""
    fine_bin = cells // 2
    slot_key = wide(member)[fine_bin // bins.n_bins] * bins.n_bins + fine_bin % bins.n_bins  # (group, bin) of each cell
    slots, slot_of_cell = np.unique(slot_key, return_inverse=True)
    take, starts = zip(*(_sources(slot_of_cell, cells % 2 == lab, len(slots)) for lab in (0, 1)), strict=True)
    group = slots // bins.n_bins
    group_starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    within, slack = np.full(len(slots), 0.5), np.zeros(len(slots))
    if shares is not None:
        within, slack = shares[0].ravel()[slots], shares[1].ravel()[slots]
    return _Grouping(member, take, starts, within, slack, group_starts, bins.exact)


def _sources(slot_of_cell: np.ndarray, chosen: np.ndarray, n_slots: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The cells (``chosen``) summed into each slot, in order of slot; the zero column for a slot of none."""
    cell = np.flatnonzero(chosen)
    empty = np.setdiff1d(np.arange(n_slots), slot_of_cell[cell])
    slot = np.r_[slot_of_cell[cell], empty]
    order = np.argsort(slot, kind="stable")
    take = np.r_[cell, np.full(len(empty), len(slot_of_cell))][order]
    starts = np.flatnonzero(np.r_[True, slot[order][1:] != slot[order][:-1]])
    return take, None if len(starts) == len(take) else starts


def _score(grouping: _Grouping, padded: np.ndarray,
           fine_sums: dict[str, np.ndarray] | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Metrics and bounds ``(n_resamples, n_groups)`` of a grouping from padded cell counts ``(n_resamples, ...)``."""
    negatives, positives = grouping.slots(padded, 0), grouping.slots(padded, 1)
    through = np.cumsum(negatives, axis=1)  # negatives in this slot and earlier ones, of any group
    starts = grouping.group_starts
    before = through[:, starts] - negatives[:, starts]  # negatives of the groups before each group
    n_positive, n_negative = np.add.reduceat(positives, starts, axis=1), np.add.reduceat(negatives, starts, axis=1)
    all_pairs = n_positive * n_negative
    if grouping.exact:
        ordered, pairs = _tied_pairs_ordered(positives, negatives, through, starts), None
    else:
        pairs = positives * negatives  # positive-negative pairs within a slot
        terms = positives * through  # every pair within a slot counted as ordered rightly ...
        terms -= pairs * (1.0 - grouping.within)  # ... less the share that is not
        ordered = np.add.reduceat(terms, starts, axis=1)
    ordered -= n_positive * before
    metrics = {"roc_auc": _ratio(ordered, all_pairs)}
    if pairs is None or not grouping.slack.any():
        bounds = {"roc_auc": np.where(all_pairs > 0, 0.0, np.nan)}
    else:
        bounds = {"roc_auc": _ratio(np.add.reduceat(pairs * grouping.slack, starts, axis=1), all_pairs)}
    if fine_sums is not None:
        sums = {name: grouping.sum_groups(values) for name, values in fine_sums.items()}
        metrics["brier_score"] = _ratio(sums["error"], sums["rows"])
        metrics["calibration_in_the_large"] = _ratio(sums["score"] - sums["positives"], sums["rows"])
        bounds["brier_score"] = _ratio(sums["error_spread"], sums["rows"])
        bounds["calibration_in_the_large"] = _ratio(sums["score_spread"], sums["rows"])
    return metrics, bounds


def _tied_pairs_ordered(positives: np.ndarray, negatives: np.ndarray, through: np.ndarray,
                        starts: np.ndarray) -> np.ndarray:
    """Per group, the sum over its slots of ``positives * (through - negatives / 2)``: pairs within a slot are ties.

    The terms are the general formula's with ``within`` 0.5; they are whole or half numbers of pairs, so
    their sums are exact in any order: the same numbers in fewer passes (``through`` is overwritten).
    """
    through -= 0.5 * negatives
    if len(starts) > FEW_GROUPS:  # many groups: one product, summed by group
        through *= positives
        return np.add.reduceat(through, starts, axis=1)
    ends = np.r_[starts[1:], positives.shape[1]]
    return np.stack([np.einsum("ij,ij->i", positives[:, a:b], through[:, a:b])
                     for a, b in zip(starts, ends, strict=True)], axis=1)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.full(np.shape(numerator), np.nan), where=denominator > 0)
