"""Score-based metrics by group (ROC AUC, Brier score, calibration in the large) with bootstrap intervals.

Calibration in the large is the mean score minus the observed positive rate: above 0 the
scores over-state the chance of a positive outcome in that group, below 0 they under-state it.
Its gap between groups is the ``calibration`` criterion (a difference of the signed values); the
binned table (:func:`calibration_table`) shows where in the score range the groups differ.

These need the rows, not only counts, so each bootstrap resample is a vector of row
multiplicities (``_bootstrap.row_multiplicities``) over the whole audited data -- the
same resampling scheme as ``MetricFrame(n_boot=...)`` -- and the metrics are computed
from weighted sums, vectorised over resamples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.result import Finding
from auditkit.stats.bootstrap import DEFAULT_LEVEL, row_multiplicities, wilson_interval

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
    if ctx.y_score is None or ctx.score_kind != "decision":
        return []
    source = (ctx.provenance.get("scores") or {}).get("source", "")
    origin = f"the model's {source}" if source in {"decision_function", "predict_proba"} else source
    low, high = float(np.min(ctx.y_score)), float(np.max(ctx.y_score))
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


@dataclass(frozen=True)
class _Sorted:
    """One group's rows ordered by score, with the start of each run of tied scores."""

    rows: np.ndarray
    starts: np.ndarray
    positive: np.ndarray
    squared_error: np.ndarray
    residual: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, y_true: np.ndarray, y_score: np.ndarray) -> _Sorted:
        rows = rows[np.argsort(y_score[rows], kind="stable")]
        scores = y_score[rows]
        starts = np.flatnonzero(np.r_[True, np.diff(scores) != 0]) if len(rows) else np.zeros(0, dtype=int)
        return cls(rows, starts, y_true[rows].astype(float), (scores - y_true[rows]) ** 2, scores - y_true[rows])

    def auc(self, w: np.ndarray) -> np.ndarray:
        """ROC AUC for each column of multiplicities ``w`` ``(n_rows, n_resamples)``, rows in sorted order."""
        if len(self.rows) == 0:
            return np.full(w.shape[1], np.nan)
        pos = w * self.positive[:, None]
        neg = w - pos
        if len(self.starts) < len(self.rows):  # pool tied scores
            pos = np.add.reduceat(pos, self.starts, axis=0)
            neg = np.add.reduceat(neg, self.starts, axis=0)
        below = np.cumsum(neg, axis=0) - neg
        numerator = (pos * (below + 0.5 * neg)).sum(axis=0)
        denominator = pos.sum(axis=0) * neg.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)

    def brier(self, w: np.ndarray) -> np.ndarray:
        return self._mean(self.squared_error, w)

    def calibration_in_the_large(self, w: np.ndarray) -> np.ndarray:
        """Mean score minus observed positive rate, for each column of multiplicities ``w``."""
        return self._mean(self.residual, w)

    @staticmethod
    def _mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, values @ w / np.where(total > 0, total, 1), np.nan)


def weighted_auc(y_true: np.ndarray, y_score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``weights`` (multiplicities), ties counted as one half.

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
    group = _Sorted.of(np.arange(len(y_true)), np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float))
    return group.auc(np.asarray(weights, dtype=float).T[group.rows])


def score_metrics(groupings: list[np.ndarray], n_groups: list[int], y_true: np.ndarray, y_score: np.ndarray,
                  n_boot: int, rng: np.random.Generator, probabilities: bool) -> list[tuple[dict, dict | None]]:
    """ROC AUC (and, for probabilities, Brier score and calibration in the large) by group for several groupings.

    Parameters
    ----------
    groupings : list of ndarray of int
        Group code of every row, one array per grouping.
    n_groups : list of int
        Number of groups of each grouping.
    y_true, y_score : ndarray
    n_boot : int
        Resamples (0: no intervals); one set of resamples is shared by all groupings.
    rng : numpy.random.Generator
    probabilities : bool
        Whether the scores are probabilities (``AuditContext.score_kind``): the Brier score
        and calibration in the large (mean score minus observed positive rate) are computed
        only for them.

    Returns
    -------
    list of (point, boot)
        Per grouping: metric name to values ``(n_groups,)`` and to resampled values
        ``(n_boot, n_groups)`` (None without resamples).

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> y_true, y_score = np.array([0, 0, 1, 1, 0, 1, 0, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.3, 0.6, 0.9])
    >>> [(point, boot)] = score_metrics([codes], [2], y_true, y_score, 0, np.random.default_rng(0), probabilities=True)
    >>> point["roc_auc"].tolist(), point["brier_score"].round(4).tolist(), boot
    ([0.75, 0.75], [0.1581, 0.225], None)
    >>> point["calibration_in_the_large"].round(4).tolist()  # mean score minus observed positive rate
    [-0.0875, 0.0]
    """
    y_true, y_score = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    names = ["roc_auc"] + (["brier_score", "calibration_in_the_large"] if probabilities else [])
    prepared = [[_Sorted.of(np.flatnonzero(codes == g), y_true, y_score) for g in range(k)]
                for codes, k in zip(groupings, n_groups, strict=True)]
    points = [{m: v[0] for m, v in _evaluate(names, groups, np.ones((len(y_true), 1))).items()}
              for groups in prepared]
    if n_boot == 0:
        return [(p, None) for p in points]
    chunks: list[list[dict]] = [[] for _ in groupings]
    for weights in row_multiplicities(len(y_true), n_boot, rng):
        weights = np.ascontiguousarray(weights.T, dtype=float)  # rows first: gathers and sums run along rows
        for i, groups in enumerate(prepared):
            chunks[i].append(_evaluate(names, groups, weights))
    boots = [{m: np.concatenate([c[m] for c in parts]) for m in names} for parts in chunks]
    return list(zip(points, boots, strict=True))


def _evaluate(names: list[str], groups: list[_Sorted], weights: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics ``(n_resamples, n_groups)`` from multiplicities ``weights`` ``(n_rows, n_resamples)``."""
    out = {m: np.full((weights.shape[1], len(groups)), np.nan) for m in names}
    for g, group in enumerate(groups):
        w = weights[group.rows]
        out["roc_auc"][:, g] = group.auc(w)
        if "brier_score" in out:
            out["brier_score"][:, g] = group.brier(w)
            out["calibration_in_the_large"][:, g] = group.calibration_in_the_large(w)
    return out


def calibration_table(codes: np.ndarray, keys: pd.DataFrame, y_true: np.ndarray, y_score: np.ndarray,
                      n_bins: int = CALIBRATION_BINS, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Observed positive rate against mean score, in equal-width score bins, by group.

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
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, y_score, side="right") - 1, 0, n_bins - 1)
    frame = pd.DataFrame({"group": codes, "bin": bins, "score": y_score, "y": np.asarray(y_true, dtype=float)})
    stats = frame.groupby(["group", "bin"], sort=True).agg(
        n=("y", "size"), mean_score=("score", "mean"), observed_rate=("y", "mean"), positives=("y", "sum")
    ).reset_index()
    table = keys.iloc[stats["group"].to_numpy()].reset_index(drop=True)
    table["bin_lower"] = edges[stats["bin"].to_numpy()]
    table["bin_upper"] = edges[stats["bin"].to_numpy() + 1]
    for column in ("n", "mean_score", "observed_rate"):
        table[column] = stats[column].to_numpy()
    low, high = wilson_interval(stats["positives"].to_numpy(), stats["n"].to_numpy(), level)
    table["observed_rate_ci_low"], table["observed_rate_ci_high"] = low, high
    return table

