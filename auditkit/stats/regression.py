"""Regression metrics by group (errors and mean predictions) with bootstrap intervals.

Every metric is a ratio of weighted sums over the rows of a group, so all groups of a
grouping and a whole chunk of resamples (row multiplicities, as in ``_bootstrap``) are
evaluated with one matrix product.
"""

from __future__ import annotations

import numpy as np

from auditkit.stats.bootstrap import row_multiplicities
from auditkit.stats.significance import mean_test
from auditkit.threads import fixed_order_matmul

REGRESSION_METRICS = ("mean_prediction", "mean_target", "mean_error", "mae", "rmse")
# Per-row values whose group means are compared by Welch's t-test, per metric.
_TESTED = {
    "mean_prediction": lambda t, p: p,
    "mean_error": lambda t, p: p - t,
    "mae": lambda t, p: np.abs(p - t),
    "rmse": lambda t, p: (p - t) ** 2,  # RMSE differs exactly when mean squared error does
}


def _columns(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    error = y_pred - y_true
    return np.column_stack([np.ones_like(y_true), y_pred, y_true, error, np.abs(error), error**2])


def _metrics_from_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    n = sums[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(n[..., None] > 0, sums[..., 1:] / np.where(n > 0, n, 1)[..., None], np.nan)
    return {
        "mean_prediction": means[..., 0],
        "mean_target": means[..., 1],
        "mean_error": means[..., 2],
        "mae": means[..., 3],
        "rmse": np.sqrt(means[..., 4]),
    }


def regression_metrics(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray,
                       weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Metrics by group; with ``weights`` ``(n_resamples, n_rows)``, for every resample.

    Returns
    -------
    dict of str to ndarray
        Shape ``(n_groups,)`` without weights, ``(n_resamples, n_groups)`` with them.

    Examples
    --------
    >>> import numpy as np
    >>> m = regression_metrics(np.array([0, 0, 1]), 2, np.array([1., 2., 3.]), np.array([2., 2., 1.]))
    >>> m["mae"].tolist(), m["mean_error"].tolist()
    ([0.5, 2.0], [0.5, -2.0])
    """
    values = _columns(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))
    onehot = np.zeros((len(codes), n_groups))
    onehot[np.arange(len(codes)), codes] = 1.0
    design = (onehot[:, :, None] * values[:, None, :]).reshape(len(codes), -1)
    if weights is None:
        sums = design.sum(axis=0).reshape(n_groups, -1)
    else:
        sums = fixed_order_matmul(np.asarray(weights, dtype=float), design).reshape(len(weights), n_groups, -1)
    return _metrics_from_sums(sums)


def regression_bootstrap(groupings: list[np.ndarray], n_groups: list[int], y_true: np.ndarray,
                         y_pred: np.ndarray, n_boot: int, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Resampled metrics ``(n_boot, n_groups)`` per grouping; the resamples are shared by all groupings.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([0, 0, 1, 1])
    >>> [boot] = regression_bootstrap([codes], [2], np.array([1., 2., 3., 4.]), np.array([1., 3., 3., 2.]), 50,
    ...                               np.random.default_rng(0))
    >>> boot["mae"].shape
    (50, 2)
    """
    parts: list[list[dict]] = [[] for _ in groupings]
    for weights in row_multiplicities(len(y_true), n_boot, rng):
        for i, (codes, k) in enumerate(zip(groupings, n_groups, strict=True)):
            parts[i].append(regression_metrics(codes, k, y_true, y_pred, weights))
    return [{m: np.concatenate([p[m] for p in chunk]) for m in REGRESSION_METRICS} for chunk in parts]


def regression_test(codes: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray):
    """``test(group, reference, metric)``: Welch's t-test on the per-row values behind ``metric``.

    Examples
    --------
    >>> import numpy as np
    >>> test = regression_test(np.array([0, 0, 0, 1, 1, 1]), np.zeros(6), np.array([1., 2., 3., 5., 6., 7.]))
    >>> p_value, name = test(1, 0, "mean_prediction")
    >>> round(p_value, 4), name
    (0.008, 'welch-t')
    """

    def test(group: int, ref: int, metric: str) -> tuple[float | None, str]:
        values = _TESTED[metric](y_true, y_pred)
        return mean_test(values[codes == group], values[codes == ref])

    return test
