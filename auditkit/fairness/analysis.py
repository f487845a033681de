"""Group analysis shared by every task: reference group, eligibility, intervals, disparities.

Eligibility is per group *and per metric*: a group takes part in the headline
disparities, tests and policy checks when it has ``min_group_size`` rows, and each of its
rates when that rate's own denominator (actual positives for a true positive rate,
positive decisions for precision, ...) has ``min_denominator`` rows (default
``min_group_size``). A rate left out stays in the tables, with its denominator and a flag.

One :class:`GroupingResult` holds everything the fairness step reports for one grouping
(a sensitive feature or an intersection of several), and for multiclass tasks for one
class (one-vs-rest). The task-specific engines in :mod:`auditkit.fairness.tasks` build the metric
values and their bootstrap resamples; this module turns them into results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.io.labels import find_group
from auditkit.stats.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_N_BOOT,
    is_degenerate,
    percentile_interval,
    wilson_interval,
)
from auditkit.stats.comparisons import Test, comparisons
from auditkit.stats.counts import RATE_CELLS, denominators, grouping_name, rate_numerators
from auditkit.stats.disparities import UNTESTED_CRITERIA, disparity_records
from auditkit.stats.missing_group import MISSING_GROUP, is_missing
from auditkit.stats.significance import CORRECTIONS
from auditkit.text import show


@dataclass(frozen=True)
class FairnessSettings:
    """Settings of the fairness analysis (see :class:`auditkit.steps.FairnessStep`).

    Examples
    --------
    >>> FairnessSettings(min_group_size=50).rate_threshold, FairnessSettings(min_denominator=10).rate_threshold
    (50, 10)
    >>> FairnessSettings(ci_level=1.5)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: ci_level must be in [0.5, 1); got 1.5
    """

    min_group_size: int = 30
    min_denominator: int | None = None
    n_boot: int = DEFAULT_N_BOOT
    ci_level: float = DEFAULT_LEVEL
    alpha: float = 0.05
    correction: str = "holm"
    intersections: bool = True
    reference_groups: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise InputError(f"correction must be one of {', '.join(CORRECTIONS)}; got {show(self.correction)}")
        if not 0.5 <= float(self.ci_level) < 1.0:
            raise InputError(f"ci_level must be in [0.5, 1); got {show(self.ci_level)}")
        if not 0.0 < float(self.alpha) < 0.5:
            raise InputError(f"alpha must be in (0, 0.5); got {show(self.alpha)}")
        if int(self.n_boot) < 0:
            raise InputError(f"n_boot must be 0 (no intervals) or more; got {show(self.n_boot)}")
        if self.min_denominator is not None and (isinstance(self.min_denominator, bool)
                                                 or not isinstance(self.min_denominator, int)
                                                 or self.min_denominator < 1):
            raise InputError(f"min_denominator must be a whole number of at least 1; got {show(self.min_denominator)}")

    @property
    def rate_threshold(self) -> int:
        """The fewest rows a metric's denominator needs for the metric to be compared."""
        return int(self.min_group_size if self.min_denominator is None else self.min_denominator)


@dataclass
class GroupingResult:
    """Tables, intervals, disparities and comparisons of one grouping (and class).

    Attributes
    ----------
    eligible : ndarray of bool
        Groups with at least ``min_group_size`` rows.
    denominators : dict of str to ndarray of int
        Per metric, the rows each group's value is estimated from.
    rate_eligible : dict of str to ndarray of bool
        Per metric, the groups that take part in its disparities and tests (eligible, and
        a denominator of at least ``min_denominator``).
    ci_degenerate : dict of str to ndarray of bool
        Per metric, the groups whose bootstrap interval is a single point.
    ci_wilson : dict of str to ndarray of bool
        Per rate, the groups whose ``ci`` is the Wilson score interval (their bootstrap
        interval was degenerate).
    missing : dict of str to str
        Feature to the label of its missing-value group.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> result.name, result.group_key(result.reference), result.table[["group", "n", "selection_rate"]].values.tolist()
    ('group', {'group': 'A'}, [['A', 200, 0.385], ['B', 200, 0.66]])
    """

    features: tuple[str, ...]
    table: pd.DataFrame
    metrics: list[str]
    ci: dict[str, tuple[np.ndarray, np.ndarray]]
    reference: int
    eligible: np.ndarray
    disparities: list[dict]
    comparisons: list[dict]
    klass: Any = None
    denominators: dict[str, np.ndarray] = field(default_factory=dict)
    rate_eligible: dict[str, np.ndarray] = field(default_factory=dict)
    ci_degenerate: dict[str, np.ndarray] = field(default_factory=dict)
    ci_wilson: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return grouping_name(self.features)

    def group_key(self, index: int) -> dict[str, str]:
        return {f: str(self.table.iloc[index][f]) for f in self.features}

    def is_missing_group(self, index: int) -> bool:
        """Whether the group is (or, for an intersection, includes) a missing-value group."""
        return any(self.missing.get(f) == v for f, v in self.group_key(index).items())

    def too_few(self, index: int) -> list[str]:
        """Metrics of a large-enough group left out of comparisons for a denominator below ``min_denominator``.

        Empty for a small group: all of it is left out (``small_group``).
        """
        if not self.eligible[index]:
            return []
        return [m for m in self.metrics if m in self.rate_eligible and not self.rate_eligible[m][index]]


def choose_reference(keys: pd.DataFrame, n: np.ndarray, eligible: np.ndarray,
                     features: tuple[str, ...], chosen: dict[str, Any],
                     missing: dict[str, str] | None = None) -> int:
    """Index of the reference group.

    The group named in ``chosen`` (``{feature: value}``) when every feature of the grouping is
    named; otherwise the largest eligible group among those matching the features that are
    named, never a missing-value group unless chosen. A value names a group by the rule of
    :func:`auditkit.io.labels.find_group` (the same text or the same number: ``1.0`` names the
    group shown as ``1``). ``missing`` maps a feature to the label of its missing group
    (default: ``"(missing)"`` for every feature, see ``_missing_group``).

    Raises
    ------
    InputError
        A value in ``chosen`` names no group of the grouping (the message lists the groups), or
        the chosen group is too small to compare against.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> keys = pd.DataFrame({"sex": ["(missing)", "f", "m"]})
    >>> n, eligible = np.array([500, 120, 300]), np.array([True, True, True])
    >>> choose_reference(keys, n, eligible, ("sex",), {})  # the largest group that is not the missing one
    2
    >>> choose_reference(keys, n, eligible, ("sex",), {"sex": "f"})
    1
    """
    match = np.ones(len(keys), dtype=bool)
    for feature in features:
        if feature in chosen:
            labels = keys[feature].astype(str).to_numpy()
            match &= labels == _chosen_label(feature, chosen[feature], keys, features, chosen)
    if all(f in chosen for f in features):
        return _chosen_reference(keys, n, eligible, features, chosen, match)
    if missing is None:
        missing = dict.fromkeys(features, MISSING_GROUP)
    not_missing = ~is_missing(keys, features, missing).to_numpy()
    for candidates in (match & eligible & not_missing, match & eligible, match, np.ones_like(match)):
        if candidates.any():
            masked = np.where(candidates, n, -1)
            return int(np.argmax(masked))
    return 0


def _chosen_label(feature: str, value: Any, keys: pd.DataFrame, features: tuple[str, ...],
                  chosen: dict[str, Any]) -> str:
    """The group label of ``feature`` that ``value`` names; an :class:`InputError` listing the groups if none."""
    label = find_group(value, keys[feature].astype(str).unique().tolist())
    if label is None:
        named = ", ".join(f"{f}={show(chosen[f])}" for f in features if f in chosen)
        raise InputError(f"reference group {named} does not occur in the audited rows; values are "
                         f"{_values(keys, features)}")
    return label


def _values(keys: pd.DataFrame, features: tuple[str, ...]) -> str:
    return "; ".join(f"{f}: {', '.join(sorted(keys[f].astype(str).unique()))}" for f in features)


def _chosen_reference(keys, n, eligible, features, chosen, match) -> int:
    label = ", ".join(f"{f}={show(chosen[f])}" for f in features)
    if not match.any():
        raise InputError(f"reference group {label} does not occur in the audited rows; values are "
                         f"{_values(keys, features)}")
    index = int(np.flatnonzero(match)[0])
    if not eligible[index]:
        raise InputError(
            f"reference group {label} has {int(n[index])} rows, fewer than min_group_size; "
            "choose a larger reference group or lower min_group_size"
        )
    return index


def analyse(features: tuple[str, ...], keys: pd.DataFrame, n: np.ndarray, point: dict[str, np.ndarray],
            boot: dict[str, np.ndarray] | None, settings: FairnessSettings, criteria: dict[str, tuple[str, ...]],
            test: Test, klass: Any = None, counts: np.ndarray | None = None,
            missing: dict[str, str] | None = None) -> GroupingResult:
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
    counts : ndarray of int, shape ``(n_groups, 4)``, optional
        Confusion counts by group: the denominators of the rates, and the Wilson interval
        of a rate whose bootstrap interval is degenerate.
    missing : dict of str to str, optional
        Feature to the label of its missing-value group (never the default reference).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from auditkit.stats.comparisons import count_test
    >>> from auditkit.stats.counts import rates_from_counts
    >>> from auditkit.stats.disparities import BINARY_CRITERIA
    >>> counts = np.array([[30, 10, 20, 40], [10, 10, 40, 40]])  # tp, fp, fn, tn of groups f and m
    >>> result = analyse(("sex",), pd.DataFrame({"sex": ["f", "m"]}), counts.sum(axis=1), rates_from_counts(counts),
    ...                  None, FairnessSettings(), BINARY_CRITERIA, count_test(counts), counts=counts)
    >>> result.reference, [round(d["value"], 2) for d in result.disparities[:2]]
    (0, [0.2, 0.2])
    """
    missing = dict(missing or {})
    eligible = n >= settings.min_group_size
    dens = denominators(list(point), n, counts)
    rate_eligible = {m: eligible & (dens[m] >= settings.rate_threshold) for m in point}
    ref = choose_reference(keys, n, eligible, features, settings.reference_groups,
                           {f: missing[f] for f in features if f in missing})
    ci = {m: percentile_interval(boot[m], settings.ci_level) for m in point} if boot is not None else {}
    degenerate = {m: is_degenerate(*bounds) for m, bounds in ci.items()}
    wilson = _wilson_where_degenerate(ci, degenerate, counts, dens, settings.ci_level)
    compared = tuple(dict.fromkeys(m for criterion, metrics in criteria.items() if criterion not in UNTESTED_CRITERIA
                                   for m in metrics))
    table = keys.copy()
    table["n"] = n
    for metric, values in point.items():
        table[metric] = values
    table["small_group"] = ~eligible
    table["reference"] = np.arange(len(keys)) == ref
    result = GroupingResult(
        features=features,
        table=table,
        metrics=list(point),
        ci=ci,
        reference=ref,
        eligible=eligible,
        disparities=disparity_records(point, boot, criteria, rate_eligible, ref, settings.ci_level),
        comparisons=comparisons(point, boot, compared, rate_eligible, ref, test, settings.ci_level),
        klass=klass,
        denominators=dens,
        rate_eligible=rate_eligible,
        ci_degenerate=degenerate,
        ci_wilson=wilson,
        missing=missing,
    )
    table["too_few"] = [", ".join(result.too_few(i)) for i in range(len(keys))]
    return result


def _wilson_where_degenerate(ci: dict, degenerate: dict, counts: np.ndarray | None, dens: dict,
                             level: float) -> dict[str, np.ndarray]:
    """Replace, in ``ci``, the degenerate bootstrap interval of a count-based rate by its Wilson interval."""
    if counts is None:
        return {}
    numerators = rate_numerators(counts)
    replaced = {}
    for metric in [m for m in ci if m in RATE_CELLS]:
        where = degenerate[metric] & (dens[metric] > 0)
        if not where.any():
            continue
        lower, upper = (np.array(bound, dtype=float) for bound in ci[metric])
        wl, wu = wilson_interval(np.where(where, numerators[metric], 0), np.where(where, dens[metric], 0), level)
        ci[metric] = (np.where(where, wl, lower), np.where(where, wu, upper))
        replaced[metric] = where
    return replaced
