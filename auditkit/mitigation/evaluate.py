"""The options' decisions on the evaluation rows, measured as the fairness step measures a model.

Every option is measured with the fairness step's machinery: confusion counts by group
(:mod:`auditkit.stats.counts`), :func:`auditkit.fairness.analysis.analyse` for the rates, their
intervals and the disparities, and the counts-based bootstrap (:func:`auditkit.stats.bootstrap.resample_counts`).

The resamples are **paired**: each row's group and its confusion cell under every option form
one joint cell, and the joint counts are resampled at once (a multinomial draw, which is a row
bootstrap of the evaluation rows). Each option's counts in a resample are the margins of that
draw, so every option is measured on the same resampled rows, and the change in accuracy from
the option's point of comparison has an interval of its own. Each option's own intervals are
those the fairness step would give its decisions on these rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.fairness.analysis import FairnessSettings, GroupingResult, analyse
from auditkit.fairness.records import by_group_rows
from auditkit.fairness.tasks import COUNT_COLUMNS
from auditkit.stats.bootstrap import interval_pairs, percentile_interval, resample_counts
from auditkit.stats.comparisons import count_test
from auditkit.stats.counts import confusion_cells, group_codes, group_counts, rates_from_counts
from auditkit.stats.disparities import BINARY_CRITERIA

OVERALL = ("accuracy", "balanced_accuracy")
DISPARITIES = {"demographic_parity_difference": "demographic_parity",
               "equalized_odds_difference": "equalized_odds"}
BY_GROUP = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
CELLS = 4


@dataclass
class OptionMeasures:
    """What one option's decisions give on the evaluation rows.

    Attributes
    ----------
    result : GroupingResult
        Rates by group with intervals, and the disparities (as the fairness step has them).
    counts : ndarray of int, shape ``(n_groups, 4)``
        Confusion counts ``tp, fp, fn, tn`` by group.
    overall : dict of str to float
        Accuracy and balanced accuracy over all evaluation rows.
    overall_boot : dict of str to ndarray, shape ``(n_boot,)``, or None
        The same for every paired resample.

    Examples
    --------
    >>> y = np.array([1, 0] * 20)
    >>> measured = measure_options({"model": y.copy()}, y, pd.DataFrame({"sex": ["f", "m"] * 20}),
    ...                            FairnessSettings(min_group_size=5, n_boot=20), np.random.default_rng(0))
    >>> measured["model"].metrics()["accuracy"], measured["model"].by_group()[0]["group"]
    (1.0, {'sex': 'f'})
    """

    result: GroupingResult
    counts: np.ndarray
    overall: dict[str, float]
    overall_boot: dict[str, np.ndarray] | None

    def metrics(self) -> dict[str, float | None]:
        """Accuracy, balanced accuracy and the two headline disparities (between groups)."""
        out: dict[str, float | None] = {m: _finite(v) for m, v in self.overall.items()}
        out.update({name: self.disparity(name)["value"] for name in DISPARITIES})
        return out

    def intervals(self, level: float) -> dict[str, list[float | None]]:
        """The intervals of :meth:`metrics` (bootstrap percentile; a disparity's as the fairness step has it)."""
        out: dict[str, list[float | None]] = {}
        if self.overall_boot is not None:
            out.update({m: interval_pairs(*percentile_interval(b[:, None], level))[0]
                        for m, b in self.overall_boot.items()})
        out.update({name: self.disparity(name)["ci"] for name in DISPARITIES})
        return out

    def disparity(self, name: str) -> dict:
        """The between-groups record of disparity ``name`` (``demographic_parity_difference``, ...)."""
        return next(d for d in self.result.disparities if d["name"] == name and d["method"] == "between_groups")

    def by_group(self) -> list[dict]:
        """Rows by group: ``n``, counts, and :data:`BY_GROUP` rates with their intervals."""
        rows = by_group_rows(self.result, {"counts": pd.DataFrame(self.counts, columns=list(COUNT_COLUMNS))})
        keep = ("group", "n", "counts", "small_group", "reference")
        return [{**{k: row[k] for k in keep},
                 "metrics": {m: row["metrics"][m] for m in BY_GROUP},
                 "ci": {m: row["ci"][m] for m in BY_GROUP if m in row["ci"]}} for row in rows]


def measure_options(decisions: dict[str, np.ndarray], y_true: np.ndarray, sensitive: pd.DataFrame,
                    settings: FairnessSettings, rng: np.random.Generator) -> dict[str, OptionMeasures]:
    """Measure every option's decisions on the same rows, with paired bootstrap resamples.

    Parameters
    ----------
    decisions : dict of str to ndarray
        Option key to its 0/1 decisions on the evaluation rows.
    y_true : ndarray
        0/1 outcomes of the evaluation rows.
    sensitive : DataFrame
        One column: the sensitive feature's group label of each evaluation row.
    settings : FairnessSettings
        Group size rules, resamples and level (as the fairness step's).
    rng : numpy.random.Generator

    Examples
    --------
    >>> y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    >>> sensitive = pd.DataFrame({"sex": list("ffffmmmm")})
    >>> measured = measure_options({"unmitigated": np.array([1, 1, 1, 0, 0, 0, 0, 0]), "fair": y.copy()}, y,
    ...                            sensitive, FairnessSettings(min_group_size=1, n_boot=50), np.random.default_rng(0))
    >>> measured["unmitigated"].metrics()
    {'accuracy': 0.625, 'balanced_accuracy': 0.625, 'demographic_parity_difference': 0.75, \
'equalized_odds_difference': 1.0}
    >>> measured["fair"].metrics()["accuracy"], measured["fair"].metrics()["equalized_odds_difference"]
    (1.0, 0.0)
    """
    feature = str(sensitive.columns[0])
    codes, keys = group_codes(sensitive, (feature,))
    cells = {key: confusion_cells(y_true, d) for key, d in decisions.items()}
    counts = {key: group_counts(codes, c, len(keys)) for key, c in cells.items()}
    boots = _paired_resamples(codes, len(keys), cells, settings.n_boot, rng) if settings.n_boot else None
    missing = dict(sensitive.attrs.get("missing_groups", {}))
    out = {}
    for key, table in counts.items():
        boot = None if boots is None else boots[key]
        result = analyse((feature,), keys, table.sum(axis=1), rates_from_counts(table),
                         None if boot is None else rates_from_counts(boot), settings, BINARY_CRITERIA,
                         count_test(table), counts=table, missing=missing)
        overall = {m: float(rates_from_counts(table.sum(axis=0))[m]) for m in OVERALL}
        overall_boot = None if boot is None else {m: rates_from_counts(boot.sum(axis=1))[m] for m in OVERALL}
        out[key] = OptionMeasures(result, table, overall, overall_boot)
    return out


def _paired_resamples(codes: np.ndarray, n_groups: int, cells: dict[str, np.ndarray], n_boot: int,
                      rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Counts by group of every option in each of ``n_boot`` paired resamples, shape ``(n_boot, n_groups, 4)``.

    Examples
    --------
    >>> codes = np.array([0, 0, 1, 1])
    >>> cells = {"a": np.array([0, 3, 0, 3]), "b": np.array([0, 0, 3, 3])}
    >>> boots = _paired_resamples(codes, 2, cells, 5, np.random.default_rng(0))
    >>> boots["a"].shape, bool((boots["a"].sum(axis=(1, 2)) == 4).all())
    ((5, 2, 4), True)
    >>> bool((boots["a"].sum(axis=2) == boots["b"].sum(axis=2)).all())  # the same resampled rows: same group sizes
    True
    """
    keys = list(cells)
    joint = codes.astype(np.int64)
    for key in keys:
        joint = joint * CELLS + cells[key]
    distinct, inverse = np.unique(joint, return_inverse=True)
    draws = resample_counts(np.bincount(inverse, minlength=len(distinct)), n_boot, rng)  # (n_boot, n_distinct)
    out = {}
    for position, key in enumerate(keys):
        power = CELLS ** (len(keys) - 1 - position)
        cell = (distinct // power) % CELLS
        group = distinct // CELLS ** len(keys)
        onehot = np.zeros((len(distinct), n_groups * CELLS), dtype=np.int64)
        onehot[np.arange(len(distinct)), group * CELLS + cell] = 1
        out[key] = (draws @ onehot).reshape(n_boot, n_groups, CELLS)
    return out


def change(measured: OptionMeasures, baseline: OptionMeasures, level: float) -> tuple[dict, dict]:
    """``(change, change_ci)``: the option's accuracy, balanced accuracy and disparities minus its baseline's.

    Accuracy changes have a paired bootstrap interval; the disparities' changes are point
    estimates (each disparity has its own interval).

    Examples
    --------
    >>> y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    >>> sensitive = pd.DataFrame({"sex": list("ffffmmmm")})
    >>> measured = measure_options({"base": np.array([1, 1, 1, 0, 0, 0, 0, 0]), "fair": y.copy()}, y, sensitive,
    ...                            FairnessSettings(min_group_size=1, n_boot=50), np.random.default_rng(0))
    >>> delta, delta_ci = change(measured["fair"], measured["base"], 0.95)
    >>> delta["accuracy"], delta["demographic_parity_difference"]
    (0.375, -0.75)
    """
    now, before = measured.metrics(), baseline.metrics()
    delta = {m: None if now[m] is None or before[m] is None else now[m] - before[m] for m in now}
    delta_ci = {}
    if measured.overall_boot is not None and baseline.overall_boot is not None:
        delta_ci = {m: interval_pairs(*percentile_interval(
            (measured.overall_boot[m] - baseline.overall_boot[m])[:, None], level))[0] for m in OVERALL}
    return delta, delta_ci


def pareto_optimal(points: dict[str, tuple[float | None, float | None]]) -> list[str]:
    """Keys of the points no other point beats: at most the disparity and at least the accuracy, better in one.

    ``points`` maps a key to ``(disparity, accuracy)``; undefined points take no part.

    Examples
    --------
    >>> pareto_optimal({"a": (0.2, 0.85), "b": (0.05, 0.84), "c": (0.1, 0.83), "d": (None, 0.9)})
    ['a', 'b']
    """
    defined = {k: p for k, p in points.items() if p[0] is not None and p[1] is not None}
    return [k for k, (d, a) in defined.items()
            if not any(d2 <= d and a2 >= a and (d2 < d or a2 > a) for k2, (d2, a2) in defined.items() if k2 != k)]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
