"""Summaries of a column of numbers from one sort: distinct values and quantiles, exactly as NumPy computes them.

Sorting 10M floats once (NumPy's vectorised sort) costs less than ``numpy.unique`` (which builds the
array of distinct values) and than ``numpy.quantile`` (one partitioning pass per order statistic),
and one sort serves both: data_overview counts the distinct values of a column and data_bias cuts it
at its deciles (:meth:`auditkit.context.AuditContext.number_summary` sorts each column once per audit).

This module imports nothing from auditkit.
"""

from __future__ import annotations

import numpy as np

DECILES = np.linspace(0, 1, 11)[1:-1]


def sorted_quantiles(ordered: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(ordered, q)`` (method ``"linear"``) of numbers sorted already, without NaN.

    Each quantile is ``numpy.quantile`` of its two neighbouring order statistics at the same
    fraction (:func:`linear_ranks`, :func:`interpolate`): the same interpolation arithmetic, the
    same numbers to the last bit.

    Examples
    --------
    >>> import numpy as np
    >>> numbers = np.sort(np.random.default_rng(0).normal(size=1001))
    >>> bool(np.array_equal(sorted_quantiles(numbers, DECILES), np.quantile(numbers, DECILES)))
    True
    """
    low, high, fraction = linear_ranks(len(ordered), q)
    return interpolate(ordered[low], ordered[high], fraction)


def linear_ranks(n: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order statistics (0-based ranks) ``numpy.quantile`` interpolates between for ``q`` of ``n`` numbers.

    Returns the lower and upper neighbours' ranks and the fraction of the way from one to the other
    (method ``"linear"``: the virtual index ``(n - 1) * q``).

    Examples
    --------
    >>> low, high, fraction = linear_ranks(5, [0.5, 0.9])
    >>> low.tolist(), high.tolist(), [round(f, 2) for f in fraction.tolist()]
    ([2, 3], [3, 4], [0.0, 0.6])
    """
    position = (n - 1) * np.asarray(q, dtype=float)  # numpy's virtual index of method "linear"
    below = np.floor(position)
    fraction = position - below
    low = below.astype(np.intp)
    return low, np.minimum(low + 1, n - 1), fraction


def interpolate(low: np.ndarray, high: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """``numpy.quantile`` between two neighbouring order statistics ``low`` and ``high`` at ``fraction`` (each).

    The numbers :func:`linear_ranks` asks for give ``numpy.quantile`` of all the numbers, to the last bit.

    Examples
    --------
    >>> interpolate(np.array([1.0]), np.array([2.0]), np.array([0.25])).tolist()
    [1.25]
    """
    return np.array([np.quantile(np.array([a, b], dtype=float), f)
                     for a, b, f in zip(low, high, fraction, strict=True)], dtype=float)


def quantiles(numbers: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(numbers, q)`` (method ``"linear"``; ``numbers`` without NaN), from one sort of the numbers.

    Examples
    --------
    >>> import numpy as np
    >>> quantiles(np.array([3.0, 1.0, 2.0, 4.0]), [0.5, 0.9]).tolist()
    [2.5, 3.7]
    """
    return sorted_quantiles(np.sort(numbers), q)


def number_summary(numbers: np.ndarray) -> tuple[int, np.ndarray]:
    """Distinct values of ``numbers`` (NaN left out; ``-0.0`` equals ``0.0``) and the :data:`DECILES` of the rest.

    The deciles are ``numpy.quantile`` of the numbers that are not NaN (empty when none is).

    Examples
    --------
    >>> import numpy as np
    >>> n, deciles = number_summary(np.array([0.0, -0.0, np.nan, 2.5, 2.5, 1.0]))
    >>> n, [round(d, 2) for d in deciles.tolist()]
    (3, [0.0, 0.0, 0.2, 0.6, 1.0, 1.6, 2.2, 2.5, 2.5])
    """
    ordered = np.sort(numbers)
    if ordered.dtype.kind == "f":
        ordered = ordered[:np.searchsorted(ordered, np.nan)]  # NaNs (any payload) sort last: left out
    n_unique = int(len(ordered) > 0) + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    deciles = sorted_quantiles(ordered.astype(float, copy=False), DECILES) if len(ordered) else np.array([])
    return n_unique, deciles
