"""Significance tests of a group against the reference group, and multiple-comparison corrections.

Rates (shares of rows) are compared with Pearson's chi-square test on the 2x2 table when
every expected count is at least 5 (Cochran's rule), and with Fisher's exact test
otherwise. Means (regression errors and predictions) are compared with Welch's t-test, and
user metrics by inverting their bootstrap interval.
All p-values of one audit are corrected together, with Holm's method (controls the
chance of *any* false alarm) or Benjamini-Hochberg (controls the expected share of
false alarms among the flagged gaps).
"""

from __future__ import annotations

import numpy as np

CORRECTIONS = ("holm", "bh")
MIN_EXPECTED_COUNT = 5.0


def proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, str]:
    """Two-sided test that two proportions ``x1/n1`` and ``x2/n2`` are equal.

    Returns
    -------
    p_value : float or None
        None when either proportion is undefined (``n == 0``).
    test : str
        ``"chi-square"`` or ``"fisher-exact"`` (``"undefined"`` with no p-value).

    Examples
    --------
    >>> proportion_test(1, 8, 6, 9)[1]
    'fisher-exact'
    """
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return None, "undefined"
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    column_totals = table.sum(axis=0)
    if (column_totals == 0).any():
        return 1.0, "chi-square"  # both groups all-positive or all-negative: identical
    expected = np.outer(table.sum(axis=1), column_totals) / table.sum()
    if expected.min() < MIN_EXPECTED_COUNT:
        return float(stats.fisher_exact(table.astype(int)).pvalue), "fisher-exact"
    result = stats.chi2_contingency(table, correction=False)
    return float(result.pvalue), "chi-square"


def mean_test(values1: np.ndarray, values2: np.ndarray) -> tuple[float | None, str]:
    """Two-sided Welch t-test that two means are equal (None with fewer than 2 values a side).

    Examples
    --------
    >>> import numpy as np
    >>> p_value, name = mean_test(np.array([1., 2., 3.]), np.array([5., 6., 7.]))
    >>> round(p_value, 4), name
    (0.008, 'welch-t')
    >>> mean_test(np.array([1.0]), np.array([2.0, 3.0]))
    (None, 'undefined')
    """
    from scipy import stats

    if len(values1) < 2 or len(values2) < 2:
        return None, "undefined"
    if np.var(values1) == 0 and np.var(values2) == 0:
        return (1.0 if np.mean(values1) == np.mean(values2) else 0.0), "welch-t"
    return float(stats.ttest_ind(values1, values2, equal_var=False).pvalue), "welch-t"


def bootstrap_pvalue(differences: np.ndarray) -> tuple[float | None, str]:
    """Two-sided p-value that a gap is 0, from its bootstrap resamples (the percentile interval inverted).

    ``2 * min(P(d <= 0), P(d >= 0))`` over the defined resamples, each share counted as
    ``(k + 1) / (B + 1)`` so that no p-value is 0 (Davison & Hinkley 1997, section 4.4). A gap is
    significant at ``alpha`` about when its ``1 - alpha`` percentile interval excludes 0, so the
    test agrees with the interval reported beside it.

    Returns
    -------
    p_value : float or None
        None when no resample is defined.
    test : str
        ``"bootstrap"`` (``"undefined"`` with no p-value).

    Examples
    --------
    >>> bootstrap_pvalue(np.array([0.1, 0.2, 0.3, -0.1]))
    (0.8, 'bootstrap')
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return None, "undefined"
    below, above = (np.sum(d <= 0) + 1) / (d.size + 1), (np.sum(d >= 0) + 1) / (d.size + 1)
    return float(min(1.0, 2 * min(below, above))), "bootstrap"


def adjust_pvalues(p_values: list[float | None], method: str = "holm") -> list[float | None]:
    """Adjust p-values for multiple comparisons; None entries are skipped and stay None.

    Parameters
    ----------
    p_values : list of float or None
    method : {"holm", "bh"}
        Holm's step-down family-wise correction, or Benjamini-Hochberg's false-discovery
        rate correction.

    Returns
    -------
    list of float or None
        Adjusted p-values (capped at 1), in the input order.

    Examples
    --------
    >>> [round(p, 3) for p in adjust_pvalues([0.01, 0.04, 0.03], "holm")]
    [0.03, 0.06, 0.06]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}; got {method!r}")
    present = [i for i, p in enumerate(p_values) if p is not None]
    raw = np.array([p_values[i] for i in present], dtype=float)
    adjusted = _holm(raw) if method == "holm" else _benjamini_hochberg(raw)
    out: list[float | None] = [None] * len(p_values)
    for i, value in zip(present, adjusted, strict=True):
        out[i] = float(value)
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out
