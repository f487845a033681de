"""User metrics by group: any scikit-learn-style ``metric(y_true, y_pred)`` or ``metric(y_true, y_score)``.

A metric is given as a callable or as an import path (``"sklearn.metrics:f1_score"`` or
``"sklearn.metrics.f1_score"``, so it can be named in a YAML spec). A metric whose signature
has a parameter ``y_score`` gets the audit's scores there (``roc_auc_score``,
``average_precision_score``, ``log_loss`` ...); any other gets ``(y_true, y_pred)``.
For multiclass audits a metric is computed one class against the rest (0/1 labels), like
the built-in rates. Every metric is first tried on a tiny example, so a metric with the
wrong signature is a clear input error, not a failed step.

A user metric takes part in the fairness analysis like a built-in one: by-group values with
percentile bootstrap intervals, a criterion of its own (disparities ``<name>_difference`` and
``<name>_ratio`` that policies may set thresholds on), and comparisons of each group with the
reference group. Its comparisons are tested by inverting the bootstrap (:func:`bootstrap_test`),
since no closed-form test is known for an arbitrary metric. It is called once per group for the
point estimate and once per group and resample, so it uses fewer resamples than the count-based
metrics (``extra_metrics_n_boot``). A metric that is undefined for a group (it raises
``ValueError`` or returns NaN) is reported as undefined.

An import path in a config file runs that function: treat audit config files like code.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from auditkit.exceptions import InputError
from auditkit.stats.bootstrap import row_multiplicities
from auditkit.stats.comparisons import Test
from auditkit.stats.counts import BOTH_CLASSES, RATE_CELLS
from auditkit.stats.disparities import BINARY_CRITERIA, CALIBRATION_CRITERIA, REGRESSION_CRITERIA
from auditkit.stats.regression import REGRESSION_METRICS
from auditkit.stats.significance import bootstrap_pvalue

# Names a user metric may not take: built-in metrics and criteria, and the columns of the tables.
RESERVED_NAMES = frozenset({*RATE_CELLS, *BOTH_CLASSES, "brier_score", *REGRESSION_METRICS, *BINARY_CRITERIA,
                            *REGRESSION_CRITERIA, *CALIBRATION_CRITERIA, *CALIBRATION_CRITERIA["calibration"], "n",
                            "small_group", "reference", "too_few"})


@dataclass(frozen=True)
class CustomMetric:
    """A user metric ready to call on the rows of a group.

    Attributes
    ----------
    name : str
    func : callable
    uses_scores : bool
        The metric's signature has ``y_score``: it is called as ``func(y_true, y_score=scores)``
        (with ``y_pred=`` too when it also has that parameter).
    takes_predictions : bool, default True
        The metric's signature has ``y_pred``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import f1_score
    >>> f1 = CustomMetric("f1", f1_score, uses_scores=False)
    >>> f1(np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1]), None)
    0.8
    >>> f1(np.array([]), np.array([]), None)  # no rows: undefined
    nan
    """

    name: str
    func: Callable[..., Any]
    uses_scores: bool
    takes_predictions: bool = True

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None) -> float:
        """The metric's value (NaN for no rows, a ``ValueError`` or a non-finite result)."""
        if len(y_true) == 0:
            return float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined-metric warnings: reported as undefined
            try:
                return float(self._call(y_true, y_pred, y_score))
            except ValueError:
                return float("nan")

    def _call(self, y_true, y_pred, y_score) -> Any:
        if not self.uses_scores:
            return self.func(y_true, y_pred)
        extra = {"y_pred": y_pred} if self.takes_predictions else {}
        return self.func(y_true, y_score=y_score, **extra)


def resolve_metric(name: str, spec: Any) -> CustomMetric:
    """The metric behind ``spec`` (a callable, or ``"module:function"`` / ``"module.function"``), tried once.

    Examples
    --------
    >>> resolve_metric("auc", "sklearn.metrics:roc_auc_score").uses_scores
    True
    >>> resolve_metric("f1", "sklearn.metrics:f1_score").uses_scores
    False
    """
    func = spec if callable(spec) else _import_metric(name, spec)
    parameters = _parameters(func)
    metric = CustomMetric(name, func, "y_score" in parameters, "y_pred" in parameters)
    _probe(metric)
    return metric


def check_names(names: list[str], sensitive: list[str] | None = None) -> None:
    """Raise :class:`InputError` when a user metric would take the name of a built-in metric, criterion or column.

    Examples
    --------
    >>> check_names(["f1", "auc"], ["sex"])
    >>> check_names(["selection_rate", "sex"], ["sex"])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: fairness step: extra_metrics names 'selection_rate', 'sex', which are ...
    """
    taken = [n for n in names if n in RESERVED_NAMES or n in (sensitive or [])]
    if taken:
        raise InputError(f"fairness step: extra_metrics names {', '.join(map(repr, taken))}, which "
                         f"{'is' if len(taken) == 1 else 'are'} already the name of a built-in metric, criterion "
                         "or column; choose another name")


def _parameters(func: Callable) -> Mapping[str, inspect.Parameter]:
    try:
        return inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature: called positionally
        return {}


def _probe(metric: CustomMetric) -> None:
    """Call the metric once on a tiny example; a wrong signature or return type is an input error."""
    y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 1])
    y_score = np.array([0.2, 0.9, 0.4, 0.3, 0.8])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            float(metric._call(y_true, y_pred, y_score))
    except Exception as exc:  # noqa: BLE001 - any failure here is a bad metric
        form = "metric(y_true, y_score=...)" if metric.uses_scores else "metric(y_true, y_pred)"
        raise InputError(
            f"extra metric '{metric.name}' cannot be used as {form} -> number: {type(exc).__name__}: {exc}"
        ) from None


def _import_metric(name: str, spec: Any) -> Callable:
    text = str(spec)
    module_name, _, attr = text.partition(":") if ":" in text else text.rpartition(".")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        raise InputError(
            f"extra metric '{name}': cannot import {text!r}; give 'module:function', "
            "e.g. 'sklearn.metrics:f1_score'"
        ) from None
    if not callable(func):
        raise InputError(f"extra metric '{name}': {text!r} is not callable")
    return func


def custom_metric_values(metrics: list[CustomMetric], groupings: list[np.ndarray], n_groups: list[int],
                         y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None, n_boot: int,
                         rng: np.random.Generator) -> list[tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]]:
    """Values of user metrics by group, and for every bootstrap resample.

    Parameters
    ----------
    metrics : list of CustomMetric
    groupings : list of ndarray of int
        Group code of every row, one array per grouping.
    n_groups : list of int
    y_true, y_pred : ndarray
    y_score : ndarray or None
        Required when a metric uses scores.
    n_boot : int
        Resamples (0: none); one set of row resamples is shared by every grouping and metric.
    rng : numpy.random.Generator

    Returns
    -------
    list of (point, boot)
        Per grouping: name to values ``(n_groups,)`` and name to resampled values
        ``(n_boot, n_groups)`` (None without resamples).

    Examples
    --------
    >>> import numpy as np
    >>> f1 = resolve_metric("f1", "sklearn.metrics:f1_score")
    >>> codes = np.array([0, 0, 0, 1, 1, 1])  # one grouping of two groups
    >>> y_true, y_pred = np.array([1, 0, 1, 1, 1, 0]), np.array([1, 0, 0, 1, 0, 1])
    >>> [(point, boot)] = custom_metric_values([f1], [codes], [2], y_true, y_pred, None, 0, np.random.default_rng(0))
    >>> point["f1"].round(3).tolist(), boot
    ([0.667, 0.5], None)
    >>> [(point, boot)] = custom_metric_values([f1], [codes], [2], y_true, y_pred, None, 3, np.random.default_rng(0))
    >>> boot["f1"].shape  # (n_boot, n_groups)
    (3, 2)
    """
    scored = [m.name for m in metrics if m.uses_scores]
    if scored and y_score is None:
        raise InputError(f"extra metric {', '.join(map(repr, scored))} takes y_score, but this audit has no "
                         "scores; pass scores= (a column of scores) or a model with predict_proba")
    members = [[np.flatnonzero(codes == g) for g in range(k)] for codes, k in zip(groupings, n_groups, strict=True)]

    def by_group(rows_of_groups: list[np.ndarray]) -> dict[str, list[float]]:
        return {m.name: [m(y_true[r], y_pred[r], None if y_score is None else y_score[r]) for r in rows_of_groups]
                for m in metrics}

    points = [{name: np.array(v) for name, v in by_group(rows).items()} for rows in members]
    if n_boot == 0:
        return [(p, None) for p in points]
    samples: list[dict[str, list[list[float]]]] = [{m.name: [] for m in metrics} for _ in members]
    for weights in row_multiplicities(len(y_true), n_boot, rng):
        for b in range(weights.shape[0]):
            for i, rows in enumerate(members):
                for name, values in by_group([np.repeat(r, weights[b, r]) for r in rows]).items():
                    samples[i][name].append(values)
    return [(p, {name: np.array(s[name], dtype=float) for name in s}) for p, s in zip(points, samples, strict=True)]


def bootstrap_test(boot: dict[str, np.ndarray] | None) -> Test:
    """A test of a user metric between two groups from its bootstrap resamples (see :func:`bootstrap_pvalue`).

    Examples
    --------
    >>> import numpy as np
    >>> boot = {"f1": np.array([[0.5, 0.7], [0.6, 0.8], [0.55, 0.5], [0.4, 0.9]])}  # (n_boot, n_groups)
    >>> bootstrap_test(boot)(1, 0, "f1")  # group 1 against reference group 0
    (0.8, 'bootstrap')
    >>> bootstrap_test(None)(1, 0, "f1")  # no resamples
    (None, 'undefined')
    """

    def test(group: int, ref: int, metric: str) -> tuple[float | None, str]:
        if boot is None:
            return None, "undefined"
        return bootstrap_pvalue(boot[metric][:, group] - boot[metric][:, ref])

    return test


def with_custom(test: Test, custom: Test, names: list[str]) -> Test:
    """``custom`` for the user metrics ``names``, ``test`` for every other metric.

    Examples
    --------
    >>> def built_in(group, ref, metric):
    ...     return 0.03, "chi-square"
    >>> test = with_custom(built_in, bootstrap_test(None), ["f1"])
    >>> test(1, 0, "selection_rate"), test(1, 0, "f1")
    ((0.03, 'chi-square'), (None, 'undefined'))
    """
    return lambda group, ref, metric: (custom if metric in names else test)(group, ref, metric)
