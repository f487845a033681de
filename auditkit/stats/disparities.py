"""Headline disparities: one number per fairness criterion, between groups and to a reference.

Every function works on arrays whose last axis is the group axis, so the same code gives
the point estimate (shape ``(n_groups,)``) and every bootstrap resample at once (shape
``(n_boot, n_groups)``). Conventions follow ``fairlearn.metrics.MetricFrame``:

* ``difference`` between groups is ``max - min``; ``ratio`` between groups is ``min / max``;
* to a reference group, ``difference`` is the largest absolute gap to the reference and
  ``ratio`` the smallest of ``group / reference`` and ``reference / group``
  (as MetricFrame does ``to_overall``, with the reference in place of the overall value);
* criteria made of several metrics (equalized odds: TPR and FPR) take the worst of them:
  the largest difference, the smallest ratio.

Undefined group values (NaN) are skipped; a disparity with fewer than two defined groups
is undefined. Only *eligible* groups take part, and eligibility is per metric: a group
takes part in a rate when the rate's own denominator (its actual positives for a true
positive rate, see ``_metrics.denominators``) is large enough, not merely the group.

Interval of a disparity
-----------------------
The point estimate is fairlearn's, but its interval is **not** the percentile interval of
``max - min`` over resamples (what ``MetricFrame.difference_ci`` gives): that statistic
is never below 0 and is biased away from 0 under resampling, so its interval can exclude
0 where a test of the very same gap finds nothing. Instead, the pair of groups that
defines the point estimate is fixed (the highest and the lowest group; or the group
furthest from the reference and the reference), and the interval is the percentile
interval of that pair's *signed* gap, oriented like the estimate: ``first - second`` for
a difference, ``first / second`` for a ratio, the group's own value for ``worst_group``.
For a pair of groups that is the interval of the group-against-reference comparison of
the same gap (up to sign), so the two always agree; it may include 0 (or 1 for a ratio):
no evidence of a gap. It does not widen for having picked the widest gap among many groups.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from auditkit.stats.bootstrap import is_degenerate, percentile_interval

BINARY_CRITERIA: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
    "predictive_parity": ("precision",),
}
# With probability scores: the gap between groups in calibration in the large (mean score minus observed
# positive rate). Described with its interval, never tested against the reference group (UNTESTED_CRITERIA).
CALIBRATION_CRITERIA: dict[str, tuple[str, ...]] = {"calibration": ("calibration_in_the_large",)}
UNTESTED_CRITERIA = frozenset(CALIBRATION_CRITERIA)
REGRESSION_CRITERIA: dict[str, tuple[str, ...]] = {
    "mean_prediction": ("mean_prediction",),
    "mean_error": ("mean_error",),
    "mae": ("mae",),
    "rmse": ("rmse",),
}
# Which measures make sense for which criterion (a ratio of signed errors does not).
MEASURES: dict[str, tuple[str, ...]] = {
    "calibration": ("difference",),
    "mean_error": ("difference",),
    "mae": ("difference", "ratio", "worst_group"),
    "rmse": ("difference", "ratio", "worst_group"),
}
DEFAULT_MEASURES = ("difference", "ratio")
METHODS = ("between_groups", "to_reference")
CI_METHOD = ("percentile bootstrap of the signed gap between the pair of groups that defines the estimate "
             "(highest and lowest group; or the group furthest from the reference and the reference): "
             "first - second for a difference, first / second for a ratio; it matches the comparison of the "
             "same two groups and may include 0 (1 for a ratio), which means no evidence of a gap. The p-values "
             "of the comparisons come from chi-square, Fisher or Welch tests, not the bootstrap, so right at the "
             "significance threshold the two can fall on different sides")

Eligible = np.ndarray | Mapping[str, np.ndarray]


def criteria_for(task: str, extra_metrics: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """The fairness criteria reported for ``task`` (multiclass uses the binary ones per class).

    Each user metric (``extra_metrics``) is a criterion of its own, named after it. Binary
    audits with probability scores also have ``calibration``.

    Examples
    --------
    >>> criteria_for("binary")["equalized_odds"]
    ('true_positive_rate', 'false_positive_rate')
    >>> criteria_for("binary", ["f1"])["f1"]
    ('f1',)
    >>> "calibration" in criteria_for("binary"), "calibration" in criteria_for("multiclass")
    (True, False)
    """
    builtin = {"regression": REGRESSION_CRITERIA, "binary": {**BINARY_CRITERIA, **CALIBRATION_CRITERIA}}.get(
        task, BINARY_CRITERIA)
    return {**builtin, **{name: (name,) for name in extra_metrics}}


def measures_for(criterion: str) -> tuple[str, ...]:
    """The measures reported for ``criterion`` (a ratio of signed errors is not).

    Examples
    --------
    >>> measures_for("demographic_parity"), measures_for("mean_error")
    (('difference', 'ratio'), ('difference',))
    """
    return MEASURES.get(criterion, DEFAULT_MEASURES)


def check_names(task: str, extra_metrics: Sequence[str] = ()) -> list[str]:
    """Every ``<criterion>_<measure>`` name a policy may set a threshold on (user metrics' included).

    Examples
    --------
    >>> check_names("binary", ["f1"])[-2:]
    ['f1_difference', 'f1_ratio']
    """
    return [f"{c}_{m}" for c in criteria_for(task, extra_metrics) for m in measures_for(c)]


def _quiet(func: Callable[..., np.ndarray], *args, **kwargs) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are undefined
        return func(*args, **kwargs)


def _between_difference(values: np.ndarray, ref: int) -> np.ndarray:
    return _quiet(np.nanmax, values, axis=-1) - _quiet(np.nanmin, values, axis=-1)


def _between_ratio(values: np.ndarray, ref: int) -> np.ndarray:
    low, high = _quiet(np.nanmin, values, axis=-1), _quiet(np.nanmax, values, axis=-1)
    return _ratio(low, high, values)


def _worst_group(values: np.ndarray, ref: int) -> np.ndarray:
    return _quiet(np.nanmax, values, axis=-1)


def _reference_difference(values: np.ndarray, ref: int) -> np.ndarray:
    others = np.delete(values, ref, axis=-1)
    return _quiet(np.nanmax, np.abs(others - values[..., ref : ref + 1]), axis=-1)


def _reference_ratio(values: np.ndarray, ref: int) -> np.ndarray:
    others = np.delete(values, ref, axis=-1)
    base = values[..., ref : ref + 1]
    up = _quiet(np.divide, others, base)
    down = _quiet(np.divide, base, others)
    both = _quiet(np.fmin, up, down)
    both = np.where(np.isinf(both), np.nan, both)
    low = _quiet(np.nanmin, both, axis=-1)
    return np.where(_quiet(np.nanmin, values, axis=-1) < 0, np.nan, low)


def _ratio(low: np.ndarray, high: np.ndarray, values: np.ndarray) -> np.ndarray:
    ratio = _quiet(np.divide, low, high)
    ratio = np.where(np.isinf(ratio), np.nan, ratio)
    return np.where(low < 0, np.nan, ratio)  # ratios of signed quantities mean nothing


_MEASURE_FUNCTIONS: dict[tuple[str, str], Callable[[np.ndarray, int], np.ndarray]] = {
    ("difference", "between_groups"): _between_difference,
    ("ratio", "between_groups"): _between_ratio,
    ("worst_group", "between_groups"): _worst_group,
    ("difference", "to_reference"): _reference_difference,
    ("ratio", "to_reference"): _reference_ratio,
}


def _eligible_for(eligible: Eligible, metric: str) -> np.ndarray:
    return np.asarray(eligible[metric] if isinstance(eligible, Mapping) else eligible, dtype=bool)


def disparity(values: dict[str, np.ndarray], metrics: tuple[str, ...], measure: str, method: str,
              eligible: Eligible, ref: int) -> np.ndarray:
    """One disparity over the eligible groups, for the point estimate or every resample.

    Parameters
    ----------
    values : dict of str to ndarray
        Metric name to values with the group axis last.
    metrics : tuple of str
        Metrics of the criterion (worst of them is taken).
    measure : {"difference", "ratio", "worst_group"}
    method : {"between_groups", "to_reference"}
    eligible : ndarray of bool, shape ``(n_groups,)``, or dict of str to such arrays
        Groups that take part: the same for every metric, or per metric.
    ref : int
        Index of the reference group.

    Returns
    -------
    ndarray
        Shape of ``values[m]`` without its last axis; NaN where undefined (fewer than
        two groups take part in every metric, or, to a reference, the reference does not).

    Examples
    --------
    >>> import numpy as np
    >>> rates = {"selection_rate": np.array([0.2, 0.5, 0.4])}
    >>> eligible = np.array([True, True, True])
    >>> float(disparity(rates, ("selection_rate",), "difference", "between_groups", eligible, 0))
    0.3
    >>> float(disparity(rates, ("selection_rate",), "ratio", "to_reference", eligible, 2))
    0.5
    """
    func = _MEASURE_FUNCTIONS[(measure, method)]
    shape = np.shape(values[metrics[0]])[:-1]
    parts = []
    for metric in metrics:
        keep = np.flatnonzero(_eligible_for(eligible, metric))
        if keep.size < 2 or (method == "to_reference" and ref not in keep):
            parts.append(np.full(shape, np.nan))
            continue
        ref_pos = int(np.searchsorted(keep, ref))
        kept = np.asarray(values[metric], dtype=float)[..., keep]
        defined = np.isfinite(kept).sum(axis=-1) >= 2  # one defined group is no gap of 0
        parts.append(np.where(defined, func(kept, ref_pos), np.nan))
    combine = np.fmin if measure == "ratio" else np.fmax
    out = parts[0]
    for part in parts[1:]:
        out = combine(out, part)
    return out


@dataclass(frozen=True)
class Gap:
    """The pair of groups whose gap in one metric is a disparity's point estimate.

    The disparity equals ``value[first] - value[second]`` (difference),
    ``value[first] / value[second]`` (ratio) or ``value[first]`` (worst group, ``second`` None).

    Examples
    --------
    >>> import numpy as np
    >>> gap = Gap("selection_rate", "difference", first=1, second=0)
    >>> gap.of({"selection_rate": np.array([[0.2, 0.5], [0.3, 0.4]])}).round(2).tolist()  # two resamples
    [0.3, 0.1]
    """

    metric: str
    measure: str
    first: int
    second: int | None

    def of(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """The same statistic for other values (e.g. every resample, group axis last)."""
        v = np.asarray(values[self.metric], dtype=float)
        if self.measure == "worst_group":
            return v[..., self.first]
        a, b = v[..., self.first], v[..., self.second]
        if self.measure == "difference":
            return a - b
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


def defining_gap(point: dict[str, np.ndarray], metrics: tuple[str, ...], measure: str, method: str,
                 eligible: Eligible, ref: int) -> Gap | None:
    """The :class:`Gap` behind :func:`disparity` on the point estimate (None where undefined).

    Ties go to the first group in key order and the first metric of the criterion.

    Examples
    --------
    >>> import numpy as np
    >>> gap = defining_gap({"selection_rate": np.array([0.3, 0.5, 0.4])}, ("selection_rate",),
    ...                    "difference", "between_groups", np.ones(3, bool), 0)
    >>> gap.first, gap.second
    (1, 0)
    """
    best: tuple[float, Gap] | None = None
    for metric in metrics:
        values = np.asarray(point[metric], dtype=float)
        keep = np.flatnonzero(_eligible_for(eligible, metric) & np.isfinite(values))
        found = _pair(values, keep, measure, method, ref)
        if found is None:
            continue
        gap = Gap(metric, measure, *found)
        size = float(gap.of(point))
        better = best is None or (size < best[0] if measure == "ratio" else size > best[0])
        if np.isfinite(size) and better:
            best = (size, gap)
    return None if best is None else best[1]


def _pair(values: np.ndarray, keep: np.ndarray, measure: str, method: str, ref: int) -> tuple[int, int | None] | None:
    if keep.size < 2 or (method == "to_reference" and ref not in keep):
        return None
    v = values[keep]
    if measure == "worst_group":
        return int(keep[np.argmax(v)]), None
    if measure == "ratio" and v.min() < 0:
        return None
    if method == "between_groups":
        high, low = int(keep[np.argmax(v)]), int(keep[np.argmin(v)])
        return (high, low) if measure == "difference" else (low, high)
    others = keep[keep != ref]
    gaps = values[others] - values[ref]
    if measure == "difference":
        group = int(others[np.argmax(np.abs(gaps))])
        return (group, ref) if values[group] >= values[ref] else (ref, group)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.fmin(values[others] / values[ref], values[ref] / values[others])
    ratios = np.where(np.isinf(ratios), np.nan, ratios)
    if np.isnan(ratios).all():
        return None
    group = int(others[np.nanargmin(ratios)])
    return (group, ref) if values[group] <= values[ref] else (ref, group)


def disparity_records(point: dict[str, np.ndarray], boot: dict[str, np.ndarray] | None,
                      criteria: dict[str, tuple[str, ...]], eligible: Eligible, ref: int,
                      level: float) -> list[dict]:
    """Every criterion x measure x method as a record with its bootstrap interval.

    Returns
    -------
    list of dict
        ``name``, ``criterion``, ``metrics``, ``measure``, ``method``, ``value`` (as
        fairlearn computes it), ``ci`` (of the signed gap of the pair that defines the
        value, see the module notes), ``ci_degenerate`` (the interval is a single point:
        every resample gave the same gap), ``gap`` (``metric``, ``first`` and ``second``
        group index of that pair; None where undefined) and ``n_groups_compared`` (groups
        that take part in at least one metric of the criterion).

    Examples
    --------
    >>> import numpy as np
    >>> point = {"selection_rate": np.array([0.2, 0.5])}
    >>> records = disparity_records(point, None, {"demographic_parity": ("selection_rate",)}, np.array([True, True]),
    ...                             0, 0.95)
    >>> [(r["name"], r["method"], round(r["value"], 2)) for r in records]
    [('demographic_parity_difference', 'between_groups', 0.3),
     ('demographic_parity_difference', 'to_reference', 0.3),
     ('demographic_parity_ratio', 'between_groups', 0.4),
     ('demographic_parity_ratio', 'to_reference', 0.4)]
    """
    records = []
    for criterion, metrics in criteria.items():
        for measure in measures_for(criterion):
            for method in METHODS:
                if (measure, method) not in _MEASURE_FUNCTIONS:
                    continue
                records.append(_record(point, boot, criterion, metrics, measure, method, eligible, ref, level))
    return records


def _record(point, boot, criterion, metrics, measure, method, eligible, ref, level) -> dict:
    value = float(disparity(point, metrics, measure, method, eligible, ref))
    gap = defining_gap(point, metrics, measure, method, eligible, ref) if np.isfinite(value) else None
    ci = [None, None]
    if boot is not None and gap is not None:
        lower, upper = percentile_interval(gap.of(boot)[:, None], level)
        ci = [_finite(lower[0]), _finite(upper[0])]
    taking_part = np.logical_or.reduce([_eligible_for(eligible, m) for m in metrics])
    return {
        "name": f"{criterion}_{measure}",
        "criterion": criterion,
        "metrics": list(metrics),
        "measure": measure,
        "method": method,
        "value": _finite(value),
        "ci": ci,
        "ci_degenerate": bool(ci[0] is not None and is_degenerate(ci[0], ci[1])),
        "gap": None if gap is None else {"metric": gap.metric, "first": gap.first, "second": gap.second},
        "n_groups_compared": int(taking_part.sum()),
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
