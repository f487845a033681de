"""Each group against the reference group: gap, ratio, bootstrap intervals and a p-value.

The p-values of all comparisons of an audit are corrected together afterwards
(:func:`correct`), so a flag means "unlikely to be chance even though many gaps were
looked at".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from auditkit.stats.bootstrap import is_degenerate, percentile_interval
from auditkit.stats.counts import RATE_CELLS
from auditkit.stats.significance import adjust_pvalues, proportion_test

Test = Callable[[int, int, str], tuple[float | None, str]]


def count_test(counts: np.ndarray) -> Test:
    """A test of a count-based rate between two groups of a ``(n_groups, 4)`` counts table.

    Examples
    --------
    >>> import numpy as np
    >>> test = count_test(np.array([[30, 10, 20, 40], [10, 10, 40, 40]]))
    >>> p_value, name = test(1, 0, "selection_rate")  # 20 of 100 selected against 40 of 100
    >>> round(p_value, 4), name
    (0.002, 'chi-square')
    """

    def test(group: int, ref: int, metric: str) -> tuple[float | None, str]:
        num, den = RATE_CELLS[metric]
        x1, n1 = int(counts[group, list(num)].sum()), int(counts[group, list(den)].sum())
        x2, n2 = int(counts[ref, list(num)].sum()), int(counts[ref, list(den)].sum())
        return proportion_test(x1, n1, x2, n2)

    return test


def comparisons(point: dict[str, np.ndarray], boot: dict[str, np.ndarray] | None, metrics: tuple[str, ...],
                eligible: Mapping[str, np.ndarray], ref: int, test: Test, level: float) -> list[dict]:
    """Every non-reference group against the reference, for each metric both are eligible for.

    Parameters
    ----------
    eligible : dict of str to ndarray of bool
        Per metric, the groups whose value rests on enough rows to compare (see
        ``_disparities``); a pair takes part only when both groups are eligible.

    Returns
    -------
    list of dict
        ``group_index``, ``metric``, ``value``, ``reference_value``, ``difference`` (group
        minus reference) and ``ratio`` (group / reference) with their intervals
        (``difference_ci``, ``ratio_ci``; ``ci_degenerate`` when the difference interval
        is a single point), ``test`` and ``p_value``. Group keys are added by the caller.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.array([[30, 10, 20, 40], [10, 10, 40, 40]])  # tp, fp, fn, tn of two groups
    >>> point = {"selection_rate": np.array([0.4, 0.2])}
    >>> eligible = {"selection_rate": np.array([True, True])}
    >>> [record] = comparisons(point, None, ("selection_rate",), eligible, 0, count_test(counts), 0.95)
    >>> record["group_index"], round(record["difference"], 2), round(record["ratio"], 2), record["test"]
    (1, -0.2, 0.5, 'chi-square')
    """
    out = []
    n_groups = len(next(iter(eligible.values()))) if eligible else 0
    for group in range(n_groups):
        for metric in metrics:
            if group == ref or not (eligible[metric][group] and eligible[metric][ref]):
                continue
            out.append(_one(point[metric], None if boot is None else boot[metric], int(group), ref,
                            metric, test, level))
    return out


def _one(point, boot, group, ref, metric, test, level) -> dict:
    value, base = float(point[group]), float(point[ref])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / base if base != 0 else float("nan")
    p_value, name = test(group, ref, metric) if np.isfinite(value) and np.isfinite(base) else (None, "undefined")
    record = {
        "group_index": group,
        "metric": metric,
        "value": _finite(value),
        "reference_value": _finite(base),
        "difference": _finite(value - base),
        "difference_ci": [None, None],
        "ci_degenerate": False,
        "ratio": _finite(ratio),
        "ratio_ci": [None, None],
        "test": name,
        "p_value": p_value,
    }
    if boot is not None and p_value is not None:
        record["difference_ci"] = _interval(boot[:, group] - boot[:, ref], level)
        lower, upper = record["difference_ci"]
        record["ci_degenerate"] = bool(lower is not None and is_degenerate(lower, upper))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(boot[:, ref] != 0, boot[:, group] / np.where(boot[:, ref] != 0, boot[:, ref], 1), np.nan)
        record["ratio_ci"] = _interval(ratios, level)
    return record


def correct(records: list[dict], method: str, alpha: float) -> None:
    """Add ``p_adjusted`` and ``significant`` to every comparison record, in place.

    Examples
    --------
    >>> records = [{"p_value": 0.01}, {"p_value": 0.04}, {"p_value": None}]
    >>> correct(records, "holm", 0.05)
    >>> [(r["p_adjusted"], r["significant"]) for r in records]
    [(0.02, True), (0.04, True), (None, False)]
    """
    adjusted = adjust_pvalues([r["p_value"] for r in records], method)
    for record, p_adj in zip(records, adjusted, strict=True):
        record["p_adjusted"] = p_adj
        record["significant"] = bool(p_adj is not None and p_adj < alpha)


def _interval(samples: np.ndarray, level: float) -> list[float | None]:
    lower, upper = percentile_interval(np.asarray(samples, dtype=float)[:, None], level)
    return [_finite(lower[0]), _finite(upper[0])]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
