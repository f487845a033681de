"""The binary fairness analysis of weighted rows: each row stands for ``weight`` rows of the data.

The Dask engine hands the client one row per distinct (sensitive values, label, decision[, score])
cell with its count (``AuditContext.weights``) instead of one row per audited row. Everything the
binary fairness step computes is a function of counts: the confusion counts by finest group (and
their multinomial bootstrap), the (finest group, score bin, label) cells of the score metrics
(:mod:`auditkit.fairness.score_cells`) and the calibration table's sums. Here they are summed with
the weights, so the numbers equal those of the rows the cells stand for (the same random draws from
the same counts; sums of scores in another order may differ in their last bits).

The statistics are built as :meth:`ScoreStatistics.of <auditkit.fairness.score_cells.ScoreStatistics.of>`
builds them, with weighted counts and sums, and resampled by
:func:`auditkit.fairness.scores.metrics_from_statistics`, as for the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.fairness.analysis import FairnessSettings
from auditkit.fairness.score_cells import ScoreBins, ScoreStatistics, _grouping, bins_for
from auditkit.fairness.score_pairs import bins_of_values, share_and_slack
from auditkit.fairness.scores import CALIBRATION_BINS, ScoreMetrics, metrics_from_statistics
from auditkit.fairness.tasks import COUNT_COLUMNS, FairnessOutput, binary_grouping
from auditkit.stats.bootstrap import DEFAULT_LEVEL, resample_counts, wilson_interval
from auditkit.stats.counts import confusion_cells, grouping_name, partition
from auditkit.stats.levels import wide


def weighted_fairness(ctx: Any, settings: FairnessSettings, groupings: list[tuple[str, ...]],
                      extra_metrics: dict[str, Any]) -> FairnessOutput:
    """:func:`auditkit.fairness.tasks.run_fairness` of a binary audit whose rows carry ``ctx.weights``.

    Raises
    ------
    InputError
        Another task, or ``extra_metrics`` (a user metric needs the rows themselves).

    Examples
    --------
    >>> import pandas as pd
    >>> from auditkit import AuditSpec, build_context
    >>> from auditkit.io.data import LoadedData
    >>> cells = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1, 0, 1, 0], "d": [1, 0, 0, 0]})
    >>> loaded = LoadedData(cells, "cells", "0", row_weights=np.array([30, 10, 5, 25]))
    >>> ctx = build_context(AuditSpec(data=cells, target="y", sensitive=["g"], predictions="d"), loaded=loaded)
    >>> output = weighted_fairness(ctx, FairnessSettings(n_boot=0), [("g",)], {})
    >>> output.by_group()[0]["counts"], ctx.n_rows
    ({'tp': 30, 'fp': 0, 'fn': 0, 'tn': 10}, 70)
    """
    if ctx.spec.task != "binary":
        raise InputError(f"weighted rows (engine='dask') are audited for binary tasks; got task={ctx.spec.task!r}")
    if extra_metrics:
        raise InputError(f"extra_metrics need the audited rows, which engine='dask' does not gather (it audits "
                         f"counts); leave extra_metrics out; got {', '.join(map(str, extra_metrics))}")
    parts = partition(ctx.sensitive, groupings)
    weights = np.asarray(ctx.weights)
    cells = wide(parts.fine_codes) * 4 + confusion_cells(ctx.y_true, ctx.y_pred)
    fine = _weighted_bincount(cells, weights, parts.n_fine * 4).reshape(parts.n_fine, 4)
    boot_fine = resample_counts(fine, settings.n_boot, ctx.rng("fairness.counts")) if settings.n_boot else None
    scores, cells = None, getattr(ctx, "score_cells", None)  # cells: the scores' statistics (engine="dask")
    if ctx.y_score is not None:
        scores = weighted_score_metrics(parts.fine_codes, parts.n_fine, parts.members, ctx.y_true, ctx.y_score,
                                        weights, settings.n_boot, ctx.rng("fairness.scores"),
                                        ctx.score_kind == "probability")
    elif cells is not None:
        stats = cells.statistics(parts.fine_codes, parts.n_fine, parts.members, parts.groupings, ctx.y_true)
        scores = metrics_from_statistics(stats, settings.n_boot, ctx.rng("fairness.scores"),
                                         ctx.score_kind == "probability")
    calibrated = cells.calibration(parts.fine_codes, parts.n_fine, ctx.y_true) if (
        cells is not None and ctx.score_kind == "probability") else None
    results, counts_frames, calibration = [], [], {}
    for i, features in enumerate(parts.groupings):
        result, counts = binary_grouping(parts, i, fine, boot_fine, scores, settings)
        results.append(result)
        counts_frames.append(pd.DataFrame(counts, columns=list(COUNT_COLUMNS)))
        if ctx.y_score is not None and ctx.score_kind == "probability":
            calibration[grouping_name(features)] = weighted_calibration_table(
                parts.row_codes(i), parts.keys[i], ctx.y_true, ctx.y_score, weights, level=settings.ci_level)
        elif calibrated is not None:
            calibration[grouping_name(features)] = calibrated.table(parts.members[i], parts.keys[i],
                                                                    settings.ci_level)
    return FairnessOutput("binary", results, counts_frames, calibration,
                          score_statistics=None if scores is None else scores.summary)


def _weighted_bincount(codes: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Rows per code: the weights summed (whole numbers, exact below 2**53 rows)."""
    return np.bincount(codes, weights=weights, minlength=size).astype(np.int64)


def weighted_score_metrics(fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray], y_true: np.ndarray,
                           y_score: np.ndarray, weights: np.ndarray, n_boot: int, rng: np.random.Generator,
                           probabilities: bool, max_bins: int | None = None) -> ScoreMetrics:
    """:func:`auditkit.fairness.scores.score_metrics` of rows that stand for ``weights`` rows each.

    Equal to ``score_metrics`` of the rows repeated (the same cells, counts and random draws).

    Examples
    --------
    >>> from auditkit.fairness.scores import score_metrics
    >>> codes, y, w = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([3, 1, 2, 2])
    >>> s = np.array([.2, .7, .4, .4])
    >>> got = weighted_score_metrics(codes, 2, [np.array([0, 1])], y, s, w, 50, np.random.default_rng(0), True)
    >>> rows = np.repeat(np.arange(4), w)
    >>> want = score_metrics(codes[rows], 2, [np.array([0, 1])], y[rows], s[rows], 50, np.random.default_rng(0), True)
    >>> got.by_grouping[0][0]["roc_auc"].tolist(), bool(np.allclose(got.by_grouping[0][1]["brier_score"],
    ...                                                              want.by_grouping[0][1]["brier_score"]))
    ([1.0, 0.5], True)
    """
    y_true, y_score = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    weights = np.asarray(weights, dtype=np.int64)
    stats = weighted_statistics(fine_codes, n_fine, members, y_true, y_score, weights,
                                max_bins or bins_for(n_fine, int(weights.sum())))
    return metrics_from_statistics(stats, n_boot, rng, probabilities)


def weighted_statistics(fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray], y_true: np.ndarray,
                        y_score: np.ndarray, weights: np.ndarray, max_bins: int) -> ScoreStatistics:
    """``ScoreStatistics.of`` the rows, each repeated ``weights`` times (not materialised).

    Examples
    --------
    >>> stats = weighted_statistics(np.array([0, 0]), 1, [np.array([0])], np.array([0, 1]), np.array([.2, .9]),
    ...                             np.array([4, 6]), max_bins=8)
    >>> stats.counts.tolist(), stats.bins.exact
    ([4, 6], True)
    """
    bins = _weighted_bins(y_score, weights, max_bins)
    label = np.asarray(y_true).astype(np.int64)
    fine_codes = np.asarray(fine_codes, dtype=np.int64)
    keys = (fine_codes * bins.n_bins + bins.of_row) * 2 + label
    cells, cell_of_row = np.unique(keys, return_inverse=True)
    cell_of_row = cell_of_row.reshape(-1)
    counts = _weighted_bincount(cell_of_row, weights, len(cells))
    error = (y_score - label) ** 2
    means = [np.bincount(cell_of_row, weights=values * weights, minlength=len(cells)) / counts
             for values in (y_score, error)]
    spreads = [np.zeros(len(cells)) if bins.exact else _spread(cell_of_row, values, mean)
               for values, mean in ((y_score, means[0]), (error, means[1]))]
    fine_starts = np.searchsorted(cells // (2 * bins.n_bins), np.arange(n_fine))
    groupings = [_weighted_grouping(np.asarray(m), fine_codes, label, weights, cells, bins) for m in members]
    return ScoreStatistics(cells, counts, np.column_stack(means + spreads), bins, fine_starts, groupings)


def _weighted_bins(y_score: np.ndarray, weights: np.ndarray, max_bins: int) -> ScoreBins:
    """``ScoreBins.of`` the rows repeated: bins of about equal numbers of *weighted* rows."""
    by_score = np.argsort(y_score, kind="stable")
    ordered = y_score[by_score]
    rank = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    value_of_row = np.empty(len(y_score), dtype=np.int64)
    value_of_row[by_score] = rank
    counts = _weighted_bincount(rank, weights[by_score], int(rank[-1]) + 1 if len(rank) else 0)
    if len(counts) <= max_bins:
        return ScoreBins(value_of_row, np.arange(len(counts)), len(counts), True, by_score)
    bin_of_value = bins_of_values(np.cumsum(counts) - counts, int(counts.sum()), max_bins)  # weighted rows below
    return ScoreBins(value_of_row, bin_of_value, int(bin_of_value[-1]) + 1, False, by_score)


def _spread(cell_of_row: np.ndarray, values: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Largest distance of a row's value from its cell's mean, per cell (weights do not change a largest)."""
    spread = np.zeros(len(mean))
    np.maximum.at(spread, cell_of_row, np.abs(values - mean[cell_of_row]))
    return spread


def _weighted_grouping(member: np.ndarray, fine_codes: np.ndarray, label: np.ndarray, weights: np.ndarray,
                       cells: np.ndarray, bins: ScoreBins) -> Any:
    """The grouping's slots (``score_cells``' own), with the pairs within binned slots counted with the weights."""
    return _grouping(member, cells, bins,  # exact bins: every pair within a bin is a tie
                     None if bins.exact else _pairs_within_bins(member, fine_codes, label, weights, bins))


def _pairs_within_bins(member: np.ndarray, fine_codes: np.ndarray, label: np.ndarray, weights: np.ndarray,
                       bins: ScoreBins) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, bin): the share of positive-negative pairs whose positive scores higher, and its slack."""
    n_groups = int(member.max()) + 1
    codes = member[fine_codes[bins.by_score]]
    order = np.argsort(codes, kind="stable")  # by group, then score
    rows = bins.by_score[order]
    group, value = codes[order], bins.value_of_row[rows]
    starts = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) | (value[1:] != value[:-1])])
    positives = np.add.reduceat((label[rows] * weights[rows]).astype(float), starts)
    negatives = np.add.reduceat(weights[rows].astype(float), starts) - positives
    segment = group[starts].astype(np.int64) * bins.n_bins + bins.bin_of_value[value[starts]]
    first = np.r_[True, segment[1:] != segment[:-1]]
    negatives_before = np.cumsum(negatives) - negatives
    below = negatives_before - negatives_before[first][np.cumsum(first) - 1]
    size = n_groups * bins.n_bins
    ordered = np.bincount(segment, weights=positives * (below + 0.5 * negatives), minlength=size)
    pairs = (np.bincount(segment, weights=positives, minlength=size)
             * np.bincount(segment, weights=negatives, minlength=size))
    within, slack = share_and_slack(ordered, pairs, np.bincount(segment, minlength=size) > 1)
    return within.reshape(n_groups, -1), slack.reshape(n_groups, -1)


def weighted_calibration_table(codes: np.ndarray, keys: pd.DataFrame, y_true: np.ndarray, y_score: np.ndarray,
                               weights: np.ndarray, n_bins: int = CALIBRATION_BINS,
                               level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """:func:`auditkit.fairness.scores.calibration_table` of rows that stand for ``weights`` rows each.

    Examples
    --------
    >>> table = weighted_calibration_table(np.array([0, 0, 1]), pd.DataFrame({"sex": ["f", "m"]}),
    ...                                    np.array([1, 0, 1]), np.array([0.9, 0.15, 0.8]), np.array([2, 1, 1]),
    ...                                    n_bins=2)
    >>> table.iloc[:, :6]
      sex  bin_lower  bin_upper  n  mean_score  observed_rate
    0   f        0.0        0.5  1        0.15            0.0
    1   f        0.5        1.0  2        0.90            1.0
    2   m        0.5        1.0  1        0.80            1.0
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    y_score, weights = np.asarray(y_score, dtype=float), np.asarray(weights, dtype=float)
    bins = np.clip(np.searchsorted(edges, y_score, side="right") - 1, 0, n_bins - 1)
    frame = pd.DataFrame({"group": codes, "bin": bins, "n": weights, "score": weights * y_score,
                          "positives": weights * np.asarray(y_true, dtype=float)})
    stats = frame.groupby(["group", "bin"], sort=True)[["n", "score", "positives"]].sum().reset_index()
    n = stats["n"].to_numpy().astype(np.int64)
    table = keys.iloc[stats["group"].to_numpy()].reset_index(drop=True)
    table["bin_lower"] = edges[stats["bin"].to_numpy()]
    table["bin_upper"] = edges[stats["bin"].to_numpy() + 1]
    table["n"] = n
    table["mean_score"] = stats["score"].to_numpy() / n
    table["observed_rate"] = stats["positives"].to_numpy() / n
    low, high = wilson_interval(stats["positives"].to_numpy(), n, level)
    table["observed_rate_ci_low"], table["observed_rate_ci_high"] = low, high
    return table
