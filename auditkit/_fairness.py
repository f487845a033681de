"""Group analysis shared by every task: reference group, eligibility, intervals, disparities.

One :class:`GroupingResult` holds everything the fairness step reports for one grouping
(a sensitive feature or an intersection of several), and for multiclass tasks for one
class (one-vs-rest). The task-specific engines in ``_fairness_tasks`` build the metric
values and their bootstrap resamples; this module turns them into results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._bootstrap import DEFAULT_LEVEL, DEFAULT_N_BOOT, interval_pairs, percentile_interval
from ._comparisons import Test, comparisons
from ._disparities import disparity_records
from ._metrics import grouping_name
from ._significance import CORRECTIONS
from .context import MISSING_GROUP
from .exceptions import InputError


@dataclass(frozen=True)
class FairnessSettings:
    """Settings of the fairness analysis (see :class:`auditkit.steps.FairnessStep`)."""

    min_group_size: int = 30
    n_boot: int = DEFAULT_N_BOOT
    ci_level: float = DEFAULT_LEVEL
    alpha: float = 0.05
    correction: str = "holm"
    intersections: bool = True
    reference_groups: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise InputError(f"correction must be one of {', '.join(CORRECTIONS)}; got {self.correction!r}")
        if not 0.5 <= float(self.ci_level) < 1.0:
            raise InputError(f"ci_level must be in [0.5, 1); got {self.ci_level!r}")
        if not 0.0 < float(self.alpha) < 0.5:
            raise InputError(f"alpha must be in (0, 0.5); got {self.alpha!r}")
        if int(self.n_boot) < 0:
            raise InputError(f"n_boot must be 0 (no intervals) or more; got {self.n_boot!r}")


@dataclass
class GroupingResult:
    """Tables, intervals, disparities and comparisons of one grouping (and class)."""

    features: tuple[str, ...]
    table: pd.DataFrame
    metrics: list[str]
    ci: dict[str, tuple[np.ndarray, np.ndarray]]
    reference: int
    eligible: np.ndarray
    disparities: list[dict]
    comparisons: list[dict]
    klass: Any = None

    @property
    def name(self) -> str:
        return grouping_name(self.features)

    def group_key(self, index: int) -> dict[str, str]:
        return {f: str(self.table.iloc[index][f]) for f in self.features}


def choose_reference(keys: pd.DataFrame, n: np.ndarray, eligible: np.ndarray,
                     features: tuple[str, ...], chosen: dict[str, Any]) -> int:
    """Index of the reference group.

    The group named in ``chosen`` (``{feature: value}``, matched as text) when every
    feature of the grouping is named; otherwise the largest eligible group among those
    matching the features that are named, never the ``"missing"`` group unless chosen.
    """
    match = np.ones(len(keys), dtype=bool)
    for feature in features:
        if feature in chosen:
            match &= keys[feature].astype(str).to_numpy() == str(chosen[feature])
    if all(f in chosen for f in features):
        return _chosen_reference(keys, n, eligible, features, chosen, match)
    not_missing = ~keys[list(features)].astype(str).eq(MISSING_GROUP).any(axis=1).to_numpy()
    for candidates in (match & eligible & not_missing, match & eligible, match, np.ones_like(match)):
        if candidates.any():
            masked = np.where(candidates, n, -1)
            return int(np.argmax(masked))
    return 0


def _chosen_reference(keys, n, eligible, features, chosen, match) -> int:
    label = ", ".join(f"{f}={chosen[f]}" for f in features)
    if not match.any():
        values = "; ".join(f"{f}: {', '.join(sorted(keys[f].astype(str).unique()))}" for f in features)
        raise InputError(f"reference group {label} does not occur in the audited rows; values are {values}")
    index = int(np.flatnonzero(match)[0])
    if not eligible[index]:
        raise InputError(
            f"reference group {label} has {int(n[index])} rows, fewer than min_group_size; "
            "choose a larger reference group or lower min_group_size"
        )
    return index


def analyse(features: tuple[str, ...], keys: pd.DataFrame, n: np.ndarray, point: dict[str, np.ndarray],
            boot: dict[str, np.ndarray] | None, settings: FairnessSettings, criteria: dict[str, tuple[str, ...]],
            test: Test, klass: Any = None) -> GroupingResult:
    """Assemble the result of one grouping from its metric values and resamples.

    Parameters
    ----------
    features : tuple of str
        Sensitive features of the grouping.
    keys : DataFrame
        One row per group: its value of each feature.
    n : ndarray of int
        Rows per group.
    point : dict of str to ndarray, shape ``(n_groups,)``
        Metric values.
    boot : dict of str to ndarray, shape ``(n_boot, n_groups)``, or None
        The same metrics for every bootstrap resample (None: no intervals).
    settings : FairnessSettings
    criteria : dict
        Fairness criterion to the metrics it compares (``_disparities``).
    test : callable
        ``test(group, reference, metric) -> (p_value, test_name)``.
    klass : optional
        The class of a one-vs-rest analysis (multiclass tasks).
    """
    eligible = n >= settings.min_group_size
    ref = choose_reference(keys, n, eligible, features, settings.reference_groups)
    ci = {m: percentile_interval(boot[m], settings.ci_level) for m in point} if boot is not None else {}
    compared = tuple(dict.fromkeys(m for metrics in criteria.values() for m in metrics))
    table = keys.copy()
    table["n"] = n
    for metric, values in point.items():
        table[metric] = values
    table["small_group"] = ~eligible
    table["reference"] = np.arange(len(keys)) == ref
    return GroupingResult(
        features=features,
        table=table,
        metrics=list(point),
        ci=ci,
        reference=ref,
        eligible=eligible,
        disparities=disparity_records(point, boot, criteria, eligible, ref, settings.ci_level),
        comparisons=comparisons(point, boot, compared, eligible, ref, test, settings.ci_level),
        klass=klass,
    )


def by_group_rows(result: GroupingResult, extra: dict[str, pd.DataFrame] | None = None) -> list[dict]:
    """The ``fairness.by_group`` rows of one grouping (``extra``: more columns per row, e.g. counts)."""
    cis = {m: interval_pairs(*bounds) for m, bounds in result.ci.items()}
    rows = []
    for i, record in enumerate(result.table.to_dict("records")):
        row: dict[str, Any] = {"group": result.group_key(i), "n": int(record["n"])}
        if result.klass is not None:
            row["class"] = result.klass
        for name, frame in (extra or {}).items():
            row[name] = frame.iloc[i].to_dict()
        row["metrics"] = {m: record[m] for m in result.metrics}
        row["ci"] = {m: cis[m][i] for m in result.metrics if m in cis}
        row["small_group"] = bool(record["small_group"])
        row["reference"] = bool(record["reference"])
        rows.append(row)
    return rows


def labelled_disparities(result: GroupingResult) -> list[dict]:
    """Disparity records with the grouping, reference group and class they are about."""
    head = {"grouping": result.name, "features": list(result.features),
            "reference": result.group_key(result.reference)}
    if result.klass is not None:
        head["class"] = result.klass
    return [{**head, **record} for record in result.disparities]


def labelled_comparisons(result: GroupingResult) -> list[dict]:
    """Comparison records with group and reference keys in place of indices."""
    out = []
    for record in result.comparisons:
        record = dict(record)
        index = record.pop("group_index")
        labelled = {"grouping": result.name, "group": result.group_key(index),
                    "reference": result.group_key(result.reference),
                    "n": int(result.table.iloc[index]["n"]),
                    "reference_n": int(result.table.iloc[result.reference]["n"])}
        if result.klass is not None:
            labelled["class"] = result.klass
        out.append({**labelled, **record})
    return out
