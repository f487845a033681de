"""Score-based metrics by group (ROC AUC, Brier score, calibration in the large) with bootstrap intervals.

Calibration in the large is the mean score minus the observed positive rate: above 0 the
scores over-state the chance of a positive outcome in that group, below 0 they under-state it.
Its gap between groups is the ``calibration`` criterion (a difference of the signed values); the
binned table (:func:`calibration_table`) shows where in the score range the groups differ.

They are computed from counts of (finest group, score bin, label) cells, exact where the scores
take few distinct values and otherwise with a bound on each resample's error that the audit
reports (:mod:`auditkit.fairness.score_cells`). A bootstrap resample of all the rows -- the
scheme of ``MetricFrame(n_boot=...)`` -- is a multinomial draw of the cell counts, so it costs
groups x bins, not rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.fairness.score_cells import CHUNK_CELLS, ScoreStatistics, bins_for
from auditkit.result import Finding
from auditkit.stats.bootstrap import DEFAULT_LEVEL, multinomial_resamples, wilson_interval
from auditkit.stats.levels import wide
from auditkit.threads import one_blas_thread

CALIBRATION_BINS = 10


def scores_not_probabilities(ctx: Any, step: str, skipped: str) -> list[Finding]:
    """An info finding when the audit's scores are decision scores, naming what ``step`` left out.

    Parameters
    ----------
    ctx : AuditContext
    step : str
        Name of the step that skipped metrics.
    skipped : str
        What was not computed, e.g. ``"the Brier score"``.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(200, seed=0).frame
    >>> frame = frame.assign(decision=(frame["x0"] > 0).astype(int), margin=frame["x0"] * 3)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                               scores="margin"))
    >>> [(f.id, f.evidence["score_kind"]) for f in scores_not_probabilities(ctx, "fairness", "the Brier score")]
    [('fairness.scores_not_probabilities', 'decision')]
    """
    cells = getattr(ctx, "score_cells", None)  # engine="dask": the scores' statistics, not the scores
    if (ctx.y_score is None and cells is None) or ctx.score_kind != "decision":
        return []
    source = (ctx.provenance.get("scores") or {}).get("source", "")
    origin = f"the model's {source}" if source in {"decision_function", "predict_proba"} else source
    low, high = (float(np.min(ctx.y_score)), float(np.max(ctx.y_score))) if ctx.y_score is not None else (
        cells.score_range())
    return [Finding(
        id=f"{step}.scores_not_probabilities",
        step=step,
        severity="info",
        message=(
            f"The scores (from {origin}) are decision scores, not probabilities: they range from {low:.4g} to "
            f"{high:.4g}. ROC AUC uses only their order and is reported. Not computed, because they need "
            f"probabilities: {skipped}."
        ),
        evidence={"score_kind": ctx.score_kind, "source": source, "min": low, "max": high},
    )]


def weighted_auc(y_true: np.ndarray, y_score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``weights`` (multiplicities), ties counted as one half.

    Computed from the rows (the reference that the statistics of :mod:`auditkit.fairness.score_cells`
    are tested against).

    Parameters
    ----------
    y_true : ndarray of 0/1, shape ``(n,)``
    y_score : ndarray, shape ``(n,)``
    weights : ndarray, shape ``(n_resamples, n)``

    Returns
    -------
    ndarray, shape ``(n_resamples,)``
        NaN where a resample has no positive or no negative row.

    Examples
    --------
    >>> import numpy as np
    >>> float(weighted_auc(np.array([0, 0, 1, 1]), np.array([.1, .4, .35, .8]), np.ones((1, 4)))[0])
    0.75
    """
    y_true, y_score = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    values, value_of_row = np.unique(y_score, return_inverse=True)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    positives = np.stack([np.bincount(value_of_row, weights=w * y_true, minlength=len(values)) for w in weights])
    negatives = np.stack([np.bincount(value_of_row, weights=w * (1 - y_true), minlength=len(values))
                          for w in weights])
    below = np.cumsum(negatives, axis=1) - negatives
    ordered = (positives * (below + 0.5 * negatives)).sum(axis=1)
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    return np.divide(ordered, pairs, out=np.full(len(weights), np.nan), where=pairs > 0)


@dataclass
class ScoreMetrics:
    """Score metrics by group for every grouping, and how their resamples were computed.

    Attributes
    ----------
    by_grouping : list of (point, boot)
        Per grouping: metric name to values ``(n_groups,)`` and to resampled values
        ``(n_boot, n_groups)`` (None without resamples).
    summary : dict
        ``method`` (``"exact"``: one bin per distinct score, or ``"binned"``), ``distinct_scores``,
        ``bins`` and, with resamples, ``*_error_bound``: the largest distance, over every group and
        resample, between a resampled metric and the exact metric of the same row resample (0 when exact).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y_score = rng.random(2000)
    >>> y_true = (rng.random(2000) < y_score).astype(int)
    >>> scores = score_metrics(np.zeros(2000, dtype=int), 1, [np.array([0])], y_true, y_score, 100,
    ...                        np.random.default_rng(1), probabilities=True, max_bins=256)
    >>> scores.summary["method"], scores.summary["bins"], scores.summary["auc_error_bound"] < 0.002
    ('binned', 256, True)
    >>> [(point, boot)] = scores.by_grouping
    >>> boot["roc_auc"].shape
    (100, 1)
    """

    by_grouping: list[tuple[dict, dict | None]]
    summary: dict[str, Any]


def score_metrics(fine_codes: np.ndarray, n_fine: int, members: list[np.ndarray], y_true: np.ndarray,
                  y_score: np.ndarray, n_boot: int, rng: np.random.Generator, probabilities: bool,
                  max_bins: int | None = None) -> ScoreMetrics:
    """ROC AUC (and, for probabilities, Brier score and calibration in the large) by group for several groupings.

    Computed from counts of (finest group, score bin, label) cells (:mod:`auditkit.fairness.score_cells`):
    point estimates are exact; each resample draws the cell counts of a resample of all the rows
    (``Multinomial(N, counts / N)``, the same scheme as ``MetricFrame(n_boot=...)``), shared by all groupings.

    Parameters
    ----------
    fine_codes : ndarray of int
        Finest-group code of every row (:class:`auditkit.stats.counts.Partition`).
    n_fine : int
    members : list of ndarray of int
        Per grouping, the group of each finest group.
    y_true, y_score : ndarray
    n_boot : int
        Resamples (0: no intervals).
    rng : numpy.random.Generator
    probabilities : bool
        Whether the scores are probabilities (``AuditContext.score_kind``): the Brier score
        and calibration in the large (mean score minus observed positive rate) are computed
        only for them.
    max_bins : int, optional
        Score bins (exact when the scores take no more distinct values); by default
        :func:`auditkit.fairness.score_cells.bins_for` the number of finest groups and rows.

    Returns
    -------
    ScoreMetrics

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> y_true, y_score = np.array([0, 0, 1, 1, 0, 1, 0, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.3, 0.6, 0.9])
    >>> scores = score_metrics(codes, 2, [np.array([0, 1])], y_true, y_score, 0, np.random.default_rng(0),
    ...                        probabilities=True)
    >>> [(point, boot)] = scores.by_grouping
    >>> point["roc_auc"].tolist(), point["brier_score"].round(4).tolist(), boot
    ([0.75, 0.75], [0.1581, 0.225], None)
    >>> np.allclose(point["calibration_in_the_large"], [-0.0875, 0.0])  # mean score minus observed positive rate
    True
    >>> scores.summary
    {'method': 'exact', 'distinct_scores': 8, 'bins': 8}
    """
    y_score = np.asarray(y_score, dtype=float)
    stats = ScoreStatistics.of(fine_codes, n_fine, members, y_true, y_score, max_bins or bins_for(n_fine, len(y_true)))
    return metrics_from_statistics(stats, n_boot, rng, probabilities)


def metrics_from_statistics(stats: ScoreStatistics, n_boot: int, rng: np.random.Generator,
                            probabilities: bool) -> ScoreMetrics:
    """The score metrics of :func:`score_metrics` from its cells' statistics: the point estimates, and ``n_boot``
    multinomial resamples of the cell counts with the largest error bound of each metric over them.

    Examples
    --------
    >>> codes, y, s = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([.2, .7, .4, .9])
    >>> stats = ScoreStatistics.of(codes, 2, [np.array([0, 1])], y, s, 8)
    >>> [(point, boot)] = metrics_from_statistics(stats, 20, np.random.default_rng(0), True).by_grouping
    >>> point["roc_auc"].tolist(), boot["roc_auc"].shape
    ([1.0, 1.0], (20, 2))
    """
    points, _ = stats.metrics(stats.counts[None].astype(float), probabilities)
    summary: dict[str, Any] = {"method": "exact" if stats.bins.exact else "binned",
                               "distinct_scores": stats.bins.n_values, "bins": stats.bins.n_bins}
    points = [{m: v[0] for m, v in p.items()} for p in points]
    if n_boot == 0:
        return ScoreMetrics([(p, None) for p in points], summary)
    chunks: list[list[dict]] = [[] for _ in points]
    largest: dict[str, float] = {}
    with one_blas_thread():  # once for every chunk (each chunk's products would set it again)
        for draws in multinomial_resamples(stats.counts, n_boot, rng, chunk_cells=CHUNK_CELLS):
            metrics, bounds = stats.metrics(draws.astype(float), probabilities)
            for i, values in enumerate(metrics):
                chunks[i].append(values)
            for name in metrics[0]:
                largest[name] = max([largest.get(name, 0.0)] + [float(np.nanmax(b[name], initial=0.0))
                                                                 for b in bounds])
    for name, key in BOUND_NAMES.items():
        if name in largest:
            summary[key] = largest[name]
    boots = [{m: np.concatenate([c[m] for c in parts]) for m in parts[0]} for parts in chunks]
    return ScoreMetrics(list(zip(points, boots, strict=True)), summary)


BOUND_NAMES = {"roc_auc": "auc_error_bound", "brier_score": "brier_error_bound",
               "calibration_in_the_large": "calibration_error_bound"}


@dataclass(frozen=True)
class CalibrationCells:
    """Rows, positives and the sum of scores of every (finest group, equal-width score bin): one pass over the rows.

    Every grouping's calibration table (:meth:`table`) sums these cells of its finest groups, so the rows
    are read once for all groupings (no per-grouping ``groupby`` of the rows).

    Attributes
    ----------
    rows, positives : ndarray of int, shape ``(n_fine, n_bins)``
    score_sums : ndarray of float, shape ``(n_fine, n_bins)``
    edges : ndarray of float, shape ``(n_bins + 1,)``

    Examples
    --------
    >>> import numpy as np
    >>> cells = CalibrationCells.of(np.array([0, 0, 1, 1]), 2, np.array([1, 0, 1, 1]), np.array([.85, .15, .95, .8]),
    ...                             n_bins=2)
    >>> cells.rows.tolist(), cells.positives.tolist(), cells.score_sums.round(2).tolist()
    ([[1, 1], [0, 2]], [[0, 1], [0, 2]], [[0.15, 0.85], [0.0, 1.75]])
    """

    rows: np.ndarray
    positives: np.ndarray
    score_sums: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, fine_codes: np.ndarray, n_fine: int, y_true: np.ndarray, y_score: np.ndarray,
           n_bins: int = CALIBRATION_BINS) -> CalibrationCells:
        """The cells of the rows: finest group, 0/1 label and score of each."""
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        key = np.searchsorted(edges, y_score, side="right")  # bin + 1, clipped below: scores of 1 in the last bin
        np.clip(key, 1, n_bins, out=key)
        key += wide(fine_codes) * n_bins - 1
        del fine_codes
        size, shape = n_fine * n_bins, (n_fine, n_bins)
        rows = np.bincount(key, minlength=size).reshape(shape)
        positives = np.bincount(key, weights=np.asarray(y_true, dtype=float), minlength=size)
        score_sums = np.bincount(key, weights=y_score, minlength=size).reshape(shape)
        return cls(rows, positives.round().astype(np.int64).reshape(shape), score_sums, edges)

    def table(self, member: np.ndarray, keys: pd.DataFrame, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
        """The calibration table (:func:`calibration_table`) of the grouping whose group of each finest group is
        ``member`` and whose groups are ``keys``."""
        sums = [np.zeros((len(keys), self.rows.shape[1]), dtype=a.dtype) for a in (self.rows, self.positives,
                                                                                  self.score_sums)]
        for total, cells in zip(sums, (self.rows, self.positives, self.score_sums), strict=True):
            np.add.at(total, np.asarray(member), cells)
        rows, positives, score_sums = sums
        group, bin_ = np.nonzero(rows)  # by group, then bin; empty bins left out
        n, hits = rows[group, bin_], positives[group, bin_]
        table = keys.iloc[group].reset_index(drop=True)
        table["bin_lower"], table["bin_upper"] = self.edges[bin_], self.edges[bin_ + 1]
        table["n"], table["mean_score"], table["observed_rate"] = n, score_sums[group, bin_] / n, hits / n
        table["observed_rate_ci_low"], table["observed_rate_ci_high"] = wilson_interval(hits, n, level)
        return table


def calibration_table(codes: np.ndarray, keys: pd.DataFrame, y_true: np.ndarray, y_score: np.ndarray,
                      n_bins: int = CALIBRATION_BINS, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Observed positive rate against mean score, in equal-width score bins, by group.

    Counted in one pass over the rows (:class:`CalibrationCells`; with several groupings, build those once).

    Returns
    -------
    DataFrame
        The group's keys, ``bin_lower``, ``bin_upper``, ``n``, ``mean_score``, ``observed_rate``
        and its Wilson score interval at ``level`` (``observed_rate_ci_low``, ``observed_rate_ci_high``:
        a bin of few rows has a wide one); empty bins are left out.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> table = calibration_table(np.array([0, 0, 0, 1]), pd.DataFrame({"sex": ["f", "m"]}), np.array([1, 0, 1, 1]),
    ...                           np.array([0.85, 0.15, 0.95, 0.8]), n_bins=2)
    >>> table.iloc[:, :6]
      sex  bin_lower  bin_upper  n  mean_score  observed_rate
    0   f        0.0        0.5  1        0.15            0.0
    1   f        0.5        1.0  2        0.90            1.0
    2   m        0.5        1.0  1        0.80            1.0
    >>> table[["observed_rate_ci_low", "observed_rate_ci_high"]].round(3).values.tolist()
    [[0.0, 0.793], [0.342, 1.0], [0.207, 1.0]]
    """
    cells = CalibrationCells.of(codes, len(keys), y_true, y_score, n_bins)
    return cells.table(np.arange(len(keys)), keys, level)
