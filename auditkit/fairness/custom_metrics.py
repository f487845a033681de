"""User metrics by group: any scikit-learn-style ``metric(y_true, y_pred)``.

A metric is given as a callable or as an import path (``"sklearn.metrics:f1_score"`` or
``"sklearn.metrics.f1_score"``, so it can be named in a YAML spec). It is called once per
group for the point estimate and once per group and resample for the interval, so its
intervals use fewer resamples than the count-based metrics (``extra_metrics_n_boot``).
A metric that is undefined for a group (it raises ``ValueError`` or returns NaN) is
reported as undefined. Every metric is first tried on a tiny example, so a metric with the
wrong signature is a clear input error, not a failed step.

An import path in a config file runs that function: treat audit config files like code.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from auditkit.exceptions import InputError
from auditkit.stats.bootstrap import percentile_interval, row_multiplicities


def resolve_metric(name: str, spec: Any) -> Callable[[np.ndarray, np.ndarray], float]:
    """The callable behind ``spec`` (a callable, or ``"module:function"`` / ``"module.function"``).

    Examples
    --------
    >>> resolve_metric("f1", "sklearn.metrics:f1_score").__name__
    'f1_score'
    >>> resolve_metric("f1", "sklearn.metrics:no_such_metric")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: extra metric 'f1': cannot import 'sklearn.metrics:no_such_metric';
    give 'module:function', e.g. 'sklearn.metrics:f1_score'
    """
    func = spec if callable(spec) else _import_metric(name, spec)
    _probe(name, func)
    return func


def _probe(name: str, func: Callable) -> None:
    """Call the metric once on a tiny example; a wrong signature or return type is an input error."""
    y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            float(func(y_true, y_pred))
    except Exception as exc:  # noqa: BLE001 - any failure here is a bad metric
        raise InputError(
            f"extra metric '{name}' cannot be used as metric(y_true, y_pred) -> number: "
            f"{type(exc).__name__}: {exc}"
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


def _call(func, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if len(y_true) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined-metric warnings: reported as undefined
        try:
            return float(func(y_true, y_pred))
        except ValueError:
            return float("nan")


def custom_metrics(metrics: dict[str, Any], groupings: list[np.ndarray], n_groups: list[int],
                   y_true: np.ndarray, y_pred: np.ndarray, n_boot: int, rng: np.random.Generator,
                   level: float) -> list[tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """Point values and percentile intervals of user metrics, per grouping and group.

    Returns
    -------
    list of (point, ci)
        Per grouping: name to values ``(n_groups,)`` and name to ``(lower, upper)``.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([0, 0, 0, 1, 1, 1])
    >>> y_true, y_pred = np.array([1, 0, 1, 1, 0, 0]), np.array([1, 0, 0, 1, 1, 0])
    >>> [(point, ci)] = custom_metrics({"f1": "sklearn.metrics:f1_score"}, [codes], [2], y_true, y_pred, 0,
    ...                                np.random.default_rng(0), 0.95)
    >>> point["f1"].round(3).tolist(), ci
    ([0.667, 0.667], {})
    """
    funcs = {name: resolve_metric(name, spec) for name, spec in metrics.items()}
    members = [[np.flatnonzero(codes == g) for g in range(k)] for codes, k in zip(groupings, n_groups, strict=True)]
    points = [{name: np.array([_call(f, y_true[r], y_pred[r]) for r in rows]) for name, f in funcs.items()}
              for rows in members]
    if n_boot == 0:
        return [(p, {}) for p in points]
    samples = [{name: [] for name in funcs} for _ in members]
    for weights in row_multiplicities(len(y_true), n_boot, rng):
        for b in range(weights.shape[0]):
            for i, rows in enumerate(members):
                picked = [np.repeat(r, weights[b, r]) for r in rows]
                for name, func in funcs.items():
                    samples[i][name].append([_call(func, y_true[p], y_pred[p]) for p in picked])
    return [(p, {name: percentile_interval(np.array(s[name]), level) for name in funcs})
            for p, s in zip(points, samples, strict=True)]
