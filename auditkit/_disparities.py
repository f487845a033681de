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
is undefined. Only *eligible* groups (at least ``min_group_size`` rows) take part.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ._bootstrap import percentile_interval

BINARY_CRITERIA: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
    "predictive_parity": ("precision",),
}
REGRESSION_CRITERIA: dict[str, tuple[str, ...]] = {
    "mean_prediction": ("mean_prediction",),
    "mean_error": ("mean_error",),
    "mae": ("mae",),
    "rmse": ("rmse",),
}
# Which measures make sense for which criterion (a ratio of signed errors does not).
MEASURES: dict[str, tuple[str, ...]] = {
    "mean_error": ("difference",),
    "mae": ("difference", "ratio", "worst_group"),
    "rmse": ("difference", "ratio", "worst_group"),
}
DEFAULT_MEASURES = ("difference", "ratio")
METHODS = ("between_groups", "to_reference")


def criteria_for(task: str) -> dict[str, tuple[str, ...]]:
    """The fairness criteria reported for ``task`` (multiclass uses the binary ones per class)."""
    return REGRESSION_CRITERIA if task == "regression" else BINARY_CRITERIA


def measures_for(criterion: str) -> tuple[str, ...]:
    return MEASURES.get(criterion, DEFAULT_MEASURES)


def check_names(task: str) -> list[str]:
    """Every ``<criterion>_<measure>`` name a policy may set a threshold on."""
    return [f"{c}_{m}" for c in criteria_for(task) for m in measures_for(c)]


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


def disparity(values: dict[str, np.ndarray], metrics: tuple[str, ...], measure: str, method: str,
              eligible: np.ndarray, ref: int) -> np.ndarray:
    """One disparity over the eligible groups, for the point estimate or every resample.

    Parameters
    ----------
    values : dict of str to ndarray
        Metric name to values with the group axis last.
    metrics : tuple of str
        Metrics of the criterion (worst of them is taken).
    measure : {"difference", "ratio", "worst_group"}
    method : {"between_groups", "to_reference"}
    eligible : ndarray of bool, shape ``(n_groups,)``
    ref : int
        Index of the reference group (eligible).

    Returns
    -------
    ndarray
        Shape of ``values[m]`` without its last axis; NaN where undefined.
    """
    func = _MEASURE_FUNCTIONS[(measure, method)]
    keep = np.flatnonzero(eligible)
    shape = np.shape(values[metrics[0]])[:-1]
    if keep.size < 2 or (method == "to_reference" and ref not in keep):
        return np.full(shape, np.nan)
    ref_pos = int(np.searchsorted(keep, ref))
    parts = [func(np.asarray(values[m], dtype=float)[..., keep], ref_pos) for m in metrics]
    combine = np.fmin if measure == "ratio" else np.fmax
    out = parts[0]
    for part in parts[1:]:
        out = combine(out, part)
    return out


def disparity_records(point: dict[str, np.ndarray], boot: dict[str, np.ndarray] | None,
                      criteria: dict[str, tuple[str, ...]], eligible: np.ndarray, ref: int,
                      level: float) -> list[dict]:
    """Every criterion x measure x method as a record with its bootstrap interval."""
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
    ci = [None, None]
    if boot is not None and np.isfinite(value):
        samples = disparity(boot, metrics, measure, method, eligible, ref)
        lower, upper = percentile_interval(samples[:, None], level)
        ci = [_finite(lower[0]), _finite(upper[0])]
    return {
        "name": f"{criterion}_{measure}",
        "criterion": criterion,
        "metrics": list(metrics),
        "measure": measure,
        "method": method,
        "value": _finite(value),
        "ci": ci,
        "n_groups_compared": int(eligible.sum()),
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
