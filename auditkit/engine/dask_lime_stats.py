"""What LIME's explainer learns from its training rows, computed on a Dask frame's partitions: no column gathered.

``LimeTabularExplainer`` (lime 0.2, quartile discretizer) learns from the training rows, coded by
:class:`~auditkit.explain.codec.TabularCodec` with each numeric column's missing and infinite values
replaced by the column's median (:func:`auditkit.explain.lime_runs.explain_with_lime`):

* each categorical column's codes present and their rows (``feature_values``, ``feature_frequencies``);
* each numeric column's quartiles (``np.percentile(t, [25, 50, 75])``, made unique), its least and
  greatest value, and per quartile bin the mean and standard deviation of its values; with
  ``discretize_continuous=False`` instead the column's mean and standard deviation (``StandardScaler``)
  and no bins.

Under the Dask engine these come from three passes over the partitions: the categories' rows and each
numeric column's sketch (:mod:`auditkit.engine.dask_order_stats`) with its missing and infinite values
counted; the order statistics the quartiles, the median, the least and the greatest values need
(exact: the quartiles and medians are numpy's to the last bit); per bin the rows, mean and sum of
squared deviations of each partition, merged by Chan et al.'s pairwise update. The bins' (and the
column's) means and standard deviations are sums in another order than numpy's, so they may differ from
the in-memory engine's in their last bits (tested to 1e-12 relative); everything else is identical. The
explainer is then built on a one-row template and given these statistics (:func:`stats_explainer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.engine.dask_order_stats import (
    RunSketch,
    brackets,
    count_partition,
    joined,
    merge_interval_counts,
    order_statistics,
)
from auditkit.explain.codec import TabularCodec
from auditkit.stats.sorted_numbers import interpolate, linear_ranks

QUARTILES = np.array([0.25, 0.5, 0.75])  # np.percentile(..., [25, 50, 75]): the same virtual indices
STD_FLOOR = 0.00000000001  # what lime's BaseDiscretizer adds to every bin's standard deviation


@dataclass(frozen=True)
class Moments:
    """Rows, mean and sum of squared deviations of some groups of numbers (one entry per group).

    Examples
    --------
    >>> a = Moments.of(np.array([1.0, 2.0]), np.array([0, 0]), 1)
    >>> b = Moments.of(np.array([6.0]), np.array([0]), 1)
    >>> both = a.merge(b)
    >>> both.n.tolist(), both.mean.tolist(), bool(np.isclose(both.std[0], np.std([1.0, 2.0, 6.0]), rtol=1e-15))
    ([3], [3.0], True)
    """

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, group: np.ndarray, n_groups: int) -> Moments:
        """The moments of ``values`` in each of ``n_groups`` groups (two passes, numpy's means)."""
        n = np.bincount(group, minlength=n_groups).astype(np.int64)
        mean, m2 = np.zeros(n_groups), np.zeros(n_groups)
        for g in np.flatnonzero(n):
            inside = values[group == g]
            mean[g] = np.mean(inside)
            m2[g] = np.sum((inside - mean[g]) ** 2)
        return cls(n, mean, m2)

    def merge(self, other: Moments) -> Moments:
        """The moments of both (Chan, Golub and LeVeque's pairwise update)."""
        n = self.n + other.n
        safe = np.maximum(n, 1)
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / safe)  # other's mean where self has none, self's where other has none
        m2 = self.m2 + other.m2 + delta ** 2 * self.n * other.n / safe
        return Moments(n, mean, m2)

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation (``np.std``); 0 for an empty group."""
        return np.sqrt(self.m2 / np.maximum(self.n, 1))


@dataclass(frozen=True)
class NumericColumn:
    """What LIME learns from one numeric column (its missing and infinite values replaced by ``median``).

    Attributes
    ----------
    median : float
    quartiles : ndarray
        The distinct quartiles: the bins' edges (``np.searchsorted(quartiles, x)`` is ``x``'s bin).
    low, high : float
        The least and greatest value.
    bins : Moments
        Per bin.
    whole : Moments
        Of the whole column (one group).

    Examples
    --------
    >>> column = NumericColumn(1.0, np.array([1.0]), 0.0, 2.0, Moments.of(np.array([0.0, 2.0]), np.array([0, 1]), 2),
    ...                        Moments.of(np.array([0.0, 2.0]), np.array([0, 0]), 1))
    >>> column.bins.n.tolist(), column.whole.mean.tolist()
    ([1, 1], [1.0])
    """

    median: float
    quartiles: np.ndarray
    low: float
    high: float
    bins: Moments
    whole: Moments


@dataclass(frozen=True)
class LimeTraining:
    """LIME's training statistics of a Dask frame's rows and the codec of its columns.

    Attributes
    ----------
    codec : TabularCodec
    medians : ndarray
        Per column: the number that replaces a missing value (numeric columns; 0 for categorical ones).
    numeric : dict of int to NumericColumn
    category_rows : dict of int to ndarray
        Per categorical column: the rows of each code.

    Examples
    --------
    >>> codec = TabularCodec(["g"], {0: ["a", None]}, {"g": np.dtype(object)})
    >>> LimeTraining(codec, np.zeros(1), {}, {0: np.array([3, 1])}).code_counts(0)
    ([0.0, 1.0], [3, 1])
    """

    codec: TabularCodec
    medians: np.ndarray
    numeric: dict[int, NumericColumn]
    category_rows: dict[int, np.ndarray]

    def code_counts(self, j: int) -> tuple[list[float], list[int]]:
        """Column ``j``'s codes present (categorical) or bins present (numeric, discretized), and their rows."""
        rows = self.category_rows[j] if j in self.category_rows else self.numeric[j].bins.n
        present = np.flatnonzero(rows)
        return [float(c) for c in present], [int(rows[c]) for c in present]


def lime_training(frame: Any, columns: list[str]) -> LimeTraining:
    """LIME's training statistics of ``frame``'s ``columns`` (a Dask frame), in three passes over its partitions.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = pd.DataFrame({"g": ["a", "b", None, "a"], "x": [1.0, np.nan, 3.0, 10.0]})
    >>> with dask.config.set(scheduler="synchronous"):
    ...     training = lime_training(dd.from_pandas(data, npartitions=2), ["g", "x"])
    >>> training.codec.categories, training.category_rows[0].tolist(), training.medians.tolist()
    ({0: ['a', 'b', None]}, [2, 1, 1], [0.0, 3.0])
    >>> column = training.numeric[1]
    >>> column.quartiles.tolist() == np.unique(np.percentile([1.0, 3.0, 3.0, 10.0], [25, 50, 75])).tolist()
    True
    """
    import dask

    meta = frame._meta[columns]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(meta[c])]
    parts = frame[columns].to_delayed()
    first = dask.compute(*[dask.delayed(_first_pass)(part, numeric) for part in parts])
    codec, category_rows = _codec(meta, numeric, [f[1] for f in first])
    positions = {c: columns.index(c) for c in numeric}
    sketches = {c: [f[0][c][0] for f in first] for c in numeric}
    counts = {c: np.sum([f[0][c][1] for f in first], axis=0) for c in numeric}  # NaN, -inf, +inf, rows
    wanted = {c: _wanted_ranks(counts[c]) for c in numeric}
    intervals = {c: joined(brackets(sketches[c], wanted[c])) if len(wanted[c]) else np.empty((0, 2))
                 for c in numeric}
    second = dask.compute(*[dask.delayed(_order_counts)(part, intervals) for part in parts])
    found = {c: order_statistics(merge_interval_counts([s[c] for s in second]), wanted[c])
             if len(wanted[c]) else np.array([]) for c in numeric}
    edges = {c: _edges(counts[c], dict(zip(wanted[c].tolist(), found[c].tolist(), strict=True))) for c in numeric}
    third = dask.compute(*[dask.delayed(_bin_moments)(part, edges) for part in parts])
    medians = np.zeros(len(columns))
    out = {}
    for c in numeric:
        median, quartiles, low, high = edges[c]
        bins, whole = _merged([t[c] for t in third])
        medians[positions[c]] = median
        out[positions[c]] = NumericColumn(median, quartiles, low, high, bins, whole)
    return LimeTraining(codec, medians, out, category_rows)


def _first_pass(part: pd.DataFrame, numeric: list[str]) -> tuple[dict, dict]:
    """Numeric columns: the finite values' sketch and ``(NaN, -inf, +inf, rows)``; others: the rows per value."""
    numbers = {}
    for c in numeric:
        values = _numbers(part[c])
        finite = np.sort(values[np.isfinite(values)])
        numbers[c] = (RunSketch.of(finite), np.array([np.isnan(values).sum(), (values == -np.inf).sum(),
                                                       (values == np.inf).sum(), len(values)], dtype=np.int64))
    others = {c: (part[c].value_counts(dropna=True), int(part[c].isna().sum())) for c in part.columns
              if c not in numeric}
    return numbers, others


def _numbers(values: pd.Series) -> np.ndarray:
    """A numeric column as :class:`TabularCodec` codes it."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _codec(meta: pd.DataFrame, numeric: list[str], counted: list[dict]) -> tuple[TabularCodec, dict[int, np.ndarray]]:
    """The codec :meth:`TabularCodec.fit` learns from the rows, and each categorical column's rows per code."""
    categories, rows = {}, {}
    for j, c in enumerate(meta.columns):
        if c in numeric:
            continue
        merged = pd.concat([part[c][0] for part in counted]) if counted else pd.Series([], dtype=np.int64)
        merged = merged[merged > 0]
        merged = pd.Series(merged.to_numpy(), index=merged.index.astype(object)).groupby(level=0, sort=False).sum()
        found = dict(zip(merged.index.tolist(), merged.to_numpy().tolist(), strict=True))
        values = sorted(set(found), key=str)
        categories[j] = [*values, None]
        missing = sum(part[c][1] for part in counted)
        rows[j] = np.array([*(int(found[v]) for v in values), missing], dtype=np.int64)
    return TabularCodec([str(c) for c in meta.columns], categories, {str(c): meta[c].dtype for c in meta.columns}), rows


def _wanted_ranks(counts: np.ndarray) -> np.ndarray:
    """The ranks among the finite values that the median, quartiles, least and greatest values need."""
    n_nan, n_low, n_high, n = (int(v) for v in counts)
    finite = n - n_nan - n_low - n_high
    if finite == 0:
        return np.array([], dtype=np.int64)
    missing = n - finite
    present = n - n_nan
    ranks = [r - n_low for r in {(present - 1) // 2, present // 2}]
    low, high, _ = linear_ranks(n, QUARTILES)
    for r in [0, n - 1, *low.tolist(), *high.tolist()]:
        ranks += [r, r - missing]
    return np.unique([r for r in ranks if 0 <= r < finite]).astype(np.int64)


def _order_counts(part: pd.DataFrame, intervals: dict[str, np.ndarray]) -> dict:
    out = {}
    for c, within in intervals.items():
        values = _numbers(part[c])
        out[c] = count_partition(np.sort(values[np.isfinite(values)]), within, np.array([]))[0]
    return out


def _edges(counts: np.ndarray, found: dict[int, float]) -> tuple[float, np.ndarray, float, float]:
    """``(median, distinct quartiles, least, greatest)`` of the column with non-finite values replaced by the median.

    The median is ``np.nanmedian``'s (infinities count; 0 when no value is finite); the column sorted is the
    finite values with the replaced values inserted at the median: its ``r``-th value is
    ``min(s[r], max(s[r - k], median))`` for the sorted finite values ``s`` and ``k`` values replaced.
    """
    n_nan, n_low, n_high, n = (int(v) for v in counts)
    finite = n - n_nan - n_low - n_high
    if finite == 0:
        return 0.0, np.array([0.0]), 0.0, 0.0

    def present(r: int) -> float:  # the r-th value that is not NaN
        return -np.inf if r < n_low else found[r - n_low] if r < n_low + finite else np.inf

    count = n - n_nan
    lo, hi = (count - 1) // 2, count // 2
    median = float(np.mean(np.array([present(lo), present(hi)]))) if lo != hi else float(present(lo))
    missing = n - finite

    def imputed(r: int) -> float:
        above = found[r] if r < finite else np.inf
        below = found[r - missing] if r - missing >= 0 else -np.inf
        return min(above, max(below, median))

    low, high, fraction = linear_ranks(n, QUARTILES)
    quartiles = interpolate(np.array([imputed(r) for r in low]), np.array([imputed(r) for r in high]), fraction)
    return median, np.unique(quartiles), imputed(0), imputed(n - 1)


def _bin_moments(part: pd.DataFrame, edges: dict[str, tuple]) -> dict[str, tuple[Moments, Moments]]:
    out = {}
    for c, (median, quartiles, _, _) in edges.items():
        values = np.array(_numbers(part[c]), copy=True)  # may be a view of the partition's column
        values[~np.isfinite(values)] = median
        out[c] = (Moments.of(values, np.searchsorted(quartiles, values), len(quartiles) + 1),
                  Moments.of(values, np.zeros(len(values), dtype=np.int64), 1))
    return out


def _merged(parts: list[tuple[Moments, Moments]]) -> tuple[Moments, Moments]:
    bins, whole = parts[0]
    for more_bins, more_whole in parts[1:]:
        bins, whole = bins.merge(more_bins), whole.merge(more_whole)
    return bins, whole


def stats_explainer(training: LimeTraining, settings: dict[str, Any]) -> Any:
    """A ``LimeTabularExplainer`` with ``settings`` that knows ``training``'s statistics instead of its rows.

    It is built on a one-row template, then given the statistics it would have learnt from the rows:
    the quartile discretizer's edges, bins' means, standard deviations and bounds (as lime computes them
    from the rows), the codes' and bins' frequencies, and (not discretized) the scaler's means and scales.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from lime.lime_tabular import LimeTabularExplainer
    >>> from auditkit.explain.lime_runs import lime_settings
    >>> data = pd.DataFrame({"g": ["a", "b", "b", "a", "b"], "x": [1.0, 2.0, 4.0, 8.0, 9.0]})
    >>> with dask.config.set(scheduler="synchronous"):
    ...     training = lime_training(dd.from_pandas(data, npartitions=2), ["g", "x"])
    >>> settings = lime_settings(training.codec, "classification", True)
    >>> ours = stats_explainer(training, settings)
    >>> theirs = LimeTabularExplainer(training.codec.encode(data), **settings)
    >>> ours.discretizer.names == theirs.discretizer.names, ours.feature_values == theirs.feature_values
    (True, True)
    """
    from lime.lime_tabular import LimeTabularExplainer

    template = np.zeros((1, len(training.codec.columns)))
    discretize = settings["discretize_continuous"]
    discretizer = _given_quartiles(training, template, settings) if discretize else "quartile"
    explainer = LimeTabularExplainer(template, **settings, discretizer=discretizer)
    for j in explainer.categorical_features:
        values, rows = training.code_counts(j)
        explainer.feature_values[j] = values
        explainer.feature_frequencies[j] = np.array(rows) / float(sum(rows))
    if not discretize:
        for j, column in training.numeric.items():
            _scale(explainer.scaler, j, column.whole)
    return explainer


def _scale(scaler: Any, j: int, whole: Moments) -> None:
    """``StandardScaler``'s mean, variance and scale of column ``j`` (a near-constant column scales by 1)."""
    n, mean = int(whole.n[0]), float(whole.mean[0])
    var = float(whole.m2[0]) / max(n, 1)
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2  # sklearn's _is_constant_feature
    scaler.mean_[j], scaler.var_[j], scaler.scale_[j] = mean, var, 1.0 if constant else np.sqrt(var)


def _given_quartiles(training: LimeTraining, template: np.ndarray, settings: dict[str, Any]) -> Any:
    """lime's quartile discretizer with the bins and their statistics of ``training`` (lime's ``data_stats``)."""
    from lime.discretize import BaseDiscretizer

    numeric = training.numeric
    stats = {"means": {j: [float(m) if n else 0 for m, n in zip(c.bins.mean, c.bins.n, strict=True)]
                       for j, c in numeric.items()},
             "stds": {j: [(float(s) if n else 0) + STD_FLOOR for s, n in zip(c.bins.std, c.bins.n, strict=True)]
                      for j, c in numeric.items()},
             "mins": {j: [c.low, *c.quartiles.tolist()] for j, c in numeric.items()},
             "maxs": {j: [*c.quartiles.tolist(), c.high] for j, c in numeric.items()}}

    class GivenQuartiles(BaseDiscretizer):
        def bins(self, data: np.ndarray, labels: Any) -> list[np.ndarray]:
            return [numeric[j].quartiles for j in self.to_discretize]

    return GivenQuartiles(template, settings["categorical_features"], settings["feature_names"], data_stats=stats)
