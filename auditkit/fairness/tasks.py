"""Fairness engines per task: metric values by group and their bootstrap resamples.

* binary -- confusion counts by group; rates, disparities and tests from counts; ROC AUC by
  group when there are scores, and with probabilities the Brier score, calibration in the large
  (the ``calibration`` criterion) and the binned calibration table;
* multiclass -- one-vs-rest confusion counts per class, from one resample of the full
  (group x true class x predicted class) table;
* regression -- errors and mean predictions by group from weighted sums.

User metrics (``extra_metrics``) join the metrics of every grouping (and class) before it is
analysed, each as a criterion of its own, so they take part in disparities, comparisons and
policy checks like the built-in ones.

Each engine returns a :class:`FairnessOutput`; nothing here writes text for people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditkit.fairness.analysis import FairnessSettings, GroupingResult, analyse
from auditkit.fairness.custom_metrics import (
    CustomMetric,
    bootstrap_test,
    custom_metric_values,
    resolve_metric,
    with_custom,
)
from auditkit.fairness.records import by_group_rows, labelled_comparisons, labelled_disparities
from auditkit.fairness.scores import CalibrationCells, ScoreMetrics, score_metrics
from auditkit.stats.bootstrap import resample_counts
from auditkit.stats.comparisons import Test, count_test
from auditkit.stats.counts import Partition, confusion_cells, group_counts, grouping_name, partition, rates_from_counts
from auditkit.stats.disparities import BINARY_CRITERIA, CALIBRATION_CRITERIA, REGRESSION_CRITERIA
from auditkit.stats.levels import wide
from auditkit.stats.regression import regression_bootstrap, regression_metrics, regression_test

COUNT_COLUMNS = ("tp", "fp", "fn", "tn")


@dataclass
class FairnessOutput:
    """Results of every grouping, plus what goes beside them in ``audit.json``.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> output.task, [r.name for r in output.results], len(output.comparisons)
    ('binary', ['group'], 4)
    >>> output.by_group()[0]["counts"]
    {'tp': 65, 'fp': 12, 'fn': 62, 'tn': 61}
    """

    task: str
    results: list[GroupingResult]
    counts: list[pd.DataFrame | None]
    calibration: dict[str, pd.DataFrame] = field(default_factory=dict)
    comparisons: list[dict] = field(default_factory=list)
    score_statistics: dict[str, Any] | None = None  # how the score metrics were computed (ScoreMetrics.summary)

    def __post_init__(self) -> None:
        self.comparisons = [c for r in self.results for c in labelled_comparisons(r)]

    @property
    def disparities(self) -> list[dict]:
        return [d for r in self.results for d in labelled_disparities(r)]

    def by_group(self) -> list[dict]:
        rows = []
        for result, counts in zip(self.results, self.counts, strict=True):
            rows.extend(by_group_rows(result, None if counts is None else {"counts": counts}))
        return rows


def run_fairness(ctx, settings: FairnessSettings, groupings: list[tuple[str, ...]],
                 extra_metrics: dict[str, Any], extra_n_boot: int) -> FairnessOutput:
    """Dispatch on the audit's task.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> from auditkit.examples import biased_decisions
    >>> frame = biased_decisions(400)  # decisions by group; the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> output = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0)
    >>> [result] = output.results
    >>> [(d["name"], round(d["value"], 3)) for d in output.disparities if d["method"] == "between_groups"][:2]
    [('demographic_parity_difference', 0.275), ('demographic_parity_ratio', 0.583)]
    """
    parts = partition(ctx.sensitive, groupings, codes_of=ctx.group_codes)  # the finest codes: shared with data_bias
    engine = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}[ctx.spec.task]
    custom = UserMetrics(ctx, parts, [resolve_metric(n, m) for n, m in extra_metrics.items()],
                         min(int(extra_n_boot), settings.n_boot))
    return engine(ctx, settings, parts, custom)


@dataclass
class UserMetrics:
    """The audit's ``extra_metrics``, evaluated by group on first use (per class for multiclass audits).

    Examples
    --------
    >>> import pandas as pd
    >>> from auditkit import AuditSpec, build_context
    >>> from auditkit.stats.counts import partition
    >>> frame = pd.DataFrame({"group": list("AAABBB"), "label": [1, 0, 1, 1, 1, 0], "decision": [1, 0, 0, 1, 0, 1]})
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> user = UserMetrics(ctx, partition(ctx.sensitive, [("group",)]),
    ...                    [resolve_metric("f1", "sklearn.metrics:f1_score")], n_boot=0)
    >>> counts = np.array([[1, 0, 1, 1], [1, 1, 1, 0]])  # tp, fp, fn, tn of groups A and B
    >>> point, boot, criteria, test = user.join(0, None, {"selection_rate": np.array([1 / 3, 2 / 3])}, None,
    ...                                         {"demographic_parity": ("selection_rate",)}, count_test(counts))
    >>> point["f1"].round(3).tolist(), criteria["f1"]
    ([0.667, 0.5], ('f1',))
    >>> test(1, 0, "selection_rate")[1], test(1, 0, "f1")  # no resamples: no test of the user metric
    ('fisher-exact', (None, 'undefined'))
    """

    ctx: Any
    parts: Partition
    metrics: list[CustomMetric]
    n_boot: int
    _values: dict[int | None, list] = field(default_factory=dict)

    def join(self, grouping: int, klass: int | None, point: dict[str, np.ndarray], boot: dict[str, np.ndarray] | None,
             criteria: dict[str, tuple[str, ...]], test: Test) -> tuple[dict, dict | None, dict, Test]:
        """``point``, ``boot``, ``criteria`` and ``test`` of one grouping (and class) with the user metrics added."""
        if not self.metrics:
            return point, boot, criteria, test
        names = [m.name for m in self.metrics]
        own_point, own_boot = self._by_class(klass)[grouping]
        if boot is not None and own_boot is None:  # intervals for the built-in metrics only
            own_boot = {name: np.full((1, len(own_point[name])), np.nan) for name in names}
        joined_boot = None if boot is None else {**boot, **own_boot}
        return ({**point, **own_point}, joined_boot, {**criteria, **{n: (n,) for n in names}},
                with_custom(test, bootstrap_test(own_boot), names))

    def _by_class(self, klass: int | None) -> list:
        if klass not in self._values:
            ctx, parts = self.ctx, self.parts
            y_true, y_pred, salt = ctx.y_true, ctx.y_pred, "fairness.custom"
            if klass is not None:  # one class against the rest
                y_true, y_pred = (ctx.y_true == klass).astype(np.int8), (ctx.y_pred == klass).astype(np.int8)
                salt = f"fairness.custom.class{klass}"
            codes = [parts.row_codes(i) for i in range(len(parts.groupings))]
            self._values[klass] = custom_metric_values(self.metrics, codes, [len(k) for k in parts.keys], y_true,
                                                       y_pred, ctx.y_score, self.n_boot, ctx.rng(salt))
        return self._values[klass]


def binary_grouping(parts: Partition, i: int, fine: np.ndarray, boot_fine: np.ndarray | None,
                    scores: ScoreMetrics | None, settings: FairnessSettings,
                    join: Callable[..., tuple[dict, dict | None, dict, Test]] | None = None,
                    ) -> tuple[GroupingResult, np.ndarray]:
    """The analysis of grouping ``i`` of a binary audit, and its confusion counts by group.

    ``fine``: confusion counts (tp, fp, fn, tn) by finest group, ``boot_fine`` their resamples (or None);
    ``scores``: the score metrics of every grouping (or None); ``join``: adds user metrics
    (``UserMetrics.join``). The rows' and the weighted cells' fairness (:mod:`auditkit.fairness.weighted_cells`)
    both analyse their groupings here.

    Examples
    --------
    >>> from auditkit.stats.counts import partition
    >>> parts = partition(pd.DataFrame({"g": ["a", "b"]}), [("g",)])
    >>> fine = np.array([[40, 5, 10, 45], [20, 10, 10, 60]])  # tp, fp, fn, tn of groups a and b
    >>> result, counts = binary_grouping(parts, 0, fine, None, None, FairnessSettings(n_boot=0))
    >>> counts.sum(axis=1).tolist(), result.table["selection_rate"].round(2).tolist()
    ([100, 100], [0.45, 0.3])
    """
    counts = parts.aggregate(fine, i, axis=0)
    boot = parts.aggregate(boot_fine, i, axis=1) if boot_fine is not None else None
    point, boot_rates = rates_from_counts(counts), None if boot is None else rates_from_counts(boot)
    if scores is not None:
        point.update(scores.by_grouping[i][0])
        if boot_rates is not None:
            boot_rates.update(scores.by_grouping[i][1])
    criteria = {**BINARY_CRITERIA, **(CALIBRATION_CRITERIA if "calibration_in_the_large" in point else {})}
    test = count_test(counts)
    if join is not None:
        point, boot_rates, criteria, test = join(i, None, point, boot_rates, criteria, test)
    result = analyse(parts.groupings[i], parts.keys[i], counts.sum(axis=1), point, boot_rates, settings,
                     criteria, test, counts=counts, missing=parts.missing)
    return result, counts


def _binary(ctx, settings: FairnessSettings, parts: Partition, custom: UserMetrics) -> FairnessOutput:
    fine = group_counts(parts.fine_codes, confusion_cells(ctx.y_true, ctx.y_pred), parts.n_fine)
    boot_fine = resample_counts(fine, settings.n_boot, ctx.rng("fairness.counts")) if settings.n_boot else None
    scores = calibration_cells = None
    if ctx.y_score is not None:
        scores = score_metrics(parts.fine_codes, parts.n_fine, parts.members, ctx.y_true, ctx.y_score,
                               settings.n_boot, ctx.rng("fairness.scores"), ctx.score_kind == "probability")
        if ctx.score_kind == "probability":  # one pass over the rows for every grouping's calibration table
            calibration_cells = CalibrationCells.of(parts.fine_codes, parts.n_fine, ctx.y_true, ctx.y_score)
    results, counts_frames, calibration = [], [], {}
    for i, features in enumerate(parts.groupings):
        result, counts = binary_grouping(parts, i, fine, boot_fine, scores, settings, custom.join)
        results.append(result)
        counts_frames.append(pd.DataFrame(counts, columns=list(COUNT_COLUMNS)))
        if calibration_cells is not None:
            calibration[grouping_name(features)] = calibration_cells.table(parts.members[i], parts.keys[i],
                                                                           settings.ci_level)
    return FairnessOutput("binary", results, counts_frames, calibration,
                          score_statistics=None if scores is None else scores.summary)


def ovr_counts(confusion: np.ndarray, k: int) -> np.ndarray:
    """One-vs-rest ``(tp, fp, fn, tn)`` of class ``k`` from ``(..., true, predicted)`` confusion counts.

    Examples
    --------
    >>> import numpy as np
    >>> confusion = np.array([[5, 1, 0], [2, 6, 1], [0, 0, 4]])  # rows: true class, columns: predicted
    >>> ovr_counts(confusion, 1).tolist()  # tp, fp, fn, tn of class 1 against the rest
    [6, 1, 3, 9]
    """
    tp = confusion[..., k, k]
    fp = confusion[..., :, k].sum(axis=-1) - tp
    fn = confusion[..., k, :].sum(axis=-1) - tp
    tn = confusion.sum(axis=(-1, -2)) - tp - fp - fn
    return np.stack([tp, fp, fn, tn], axis=-1)


def _multiclass(ctx, settings: FairnessSettings, parts: Partition, custom: UserMetrics) -> FairnessOutput:
    k = len(ctx.labels)
    cells = wide(parts.fine_codes) * k * k + ctx.y_true.astype(np.int64) * k + ctx.y_pred.astype(np.int64)
    fine = np.bincount(cells, minlength=parts.n_fine * k * k).reshape(parts.n_fine, k, k)
    boot_fine = resample_counts(fine, settings.n_boot, ctx.rng("fairness.counts")) if settings.n_boot else None
    results, counts_frames = [], []
    for i, features in enumerate(parts.groupings):
        confusion = parts.aggregate(fine, i, axis=0)
        boot = parts.aggregate(boot_fine, i, axis=1) if boot_fine is not None else None
        for c, label in enumerate(ctx.labels):
            counts = ovr_counts(confusion, c)
            boot_rates = None if boot is None else rates_from_counts(ovr_counts(boot, c))
            point, boot_rates, criteria, test = custom.join(i, c, rates_from_counts(counts), boot_rates,
                                                            BINARY_CRITERIA, count_test(counts))
            results.append(analyse(features, parts.keys[i], counts.sum(axis=1), point, boot_rates, settings,
                                   criteria, test, klass=label, counts=counts, missing=parts.missing))
            counts_frames.append(pd.DataFrame(counts, columns=list(COUNT_COLUMNS)))
    return FairnessOutput("multiclass", results, counts_frames)


def _regression(ctx, settings: FairnessSettings, parts: Partition, custom: UserMetrics) -> FairnessOutput:
    codes = [parts.row_codes(i) for i in range(len(parts.groupings))]
    sizes = [len(k) for k in parts.keys]
    boots = [None] * len(codes)
    if settings.n_boot:
        boots = regression_bootstrap(codes, sizes, ctx.y_true, ctx.y_pred, settings.n_boot,
                                     ctx.rng("fairness.regression"))
    results = []
    for i, features in enumerate(parts.groupings):
        point = regression_metrics(codes[i], sizes[i], ctx.y_true, ctx.y_pred)
        n = np.bincount(codes[i], minlength=sizes[i])
        point, boot, criteria, test = custom.join(i, None, point, boots[i], REGRESSION_CRITERIA,
                                                  regression_test(codes[i], ctx.y_true, ctx.y_pred))
        results.append(analyse(features, parts.keys[i], n, point, boot, settings, criteria, test,
                               missing=parts.missing))
    return FairnessOutput("regression", results, [None] * len(results))

