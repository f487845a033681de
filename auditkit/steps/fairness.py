"""Fairness: metrics by sensitive group and intersection, with uncertainty and disparities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditkit.exceptions import InputError
from auditkit.fairness.analysis import FairnessSettings
from auditkit.fairness.custom_metrics import check_names
from auditkit.fairness.findings import fairness_findings
from auditkit.fairness.scores import scores_not_probabilities
from auditkit.fairness.tables import fairness_tables
from auditkit.fairness.tasks import run_fairness
from auditkit.fairness.weighted_cells import weighted_fairness
from auditkit.params import AnyOf, Boolean, CallableForm, MappingOf, Options, Text
from auditkit.result import StepResult
from auditkit.stats.comparisons import correct
from auditkit.stats.counts import groupings
from auditkit.stats.disparities import CI_METHOD as DISPARITY_CI_METHOD
from auditkit.steps._base import COUNT, LEVEL, RESAMPLES, Step


@dataclass
class FairnessStep(Step):
    """Every group metric with a bootstrap interval, disparities, and tests against a reference group.

    For binary tasks: selection rate, true/false positive and negative rates, precision,
    negative predictive value, accuracy, balanced accuracy (and ROC AUC with scores; with
    probabilities also the Brier score, calibration in the large -- mean score minus observed
    positive rate, whose gap between groups is the ``calibration`` criterion -- and a binned
    calibration table). For multiclass tasks: the same rates one class against
    the rest. For regression: mean prediction, mean target, mean error, MAE and RMSE.

    Parameters
    ----------
    min_group_size : int, optional
        Groups smaller than this are flagged and left out of disparities and tests;
        default the spec's ``min_group_size``.
    min_denominator : int, optional
        A rate of a group takes part in disparities, tests and policy checks only when its
        own denominator has at least this many rows: actual positives for the true positive
        and false negative rates, actual negatives for the false positive and true negative
        rates, positive decisions for precision, negative decisions for the negative
        predictive value, all rows for the selection rate and accuracy. Default
        ``min_group_size``. Rates left out stay in the tables and are named in a finding.
    intersections : bool, default True
        Also report intersections of the sensitive features.
    n_boot : int, default 1000
        Bootstrap resamples for the intervals (0: no intervals). Seeded by the audit seed.
    ci_level : float, default 0.95
        Confidence level of the percentile intervals. A group's rate whose bootstrap
        interval is a single point (a rate of 0 or 1) gets its Wilson score interval
        instead (``ci_method`` of its ``by_group`` row). A disparity's interval is that of
        the signed gap between the two groups that define it (``settings.disparity_ci``).
    alpha : float, default 0.05
        Significance level of the tests after correction.
    correction : {"holm", "bh"}, default "holm"
        Multiple-comparison correction across every comparison of the audit.
    extra_metrics : dict, optional
        ``{name: metric}`` with scikit-learn-style callables or import paths
        (``"sklearn.metrics:f1_score"``): ``metric(y_true, y_pred)``, or, when the signature
        has ``y_score``, ``metric(y_true, y_score=scores)`` (``"sklearn.metrics:roc_auc_score"``).
        Each takes part like a built-in metric: by group with intervals, in disparities
        (``<name>_difference``, ``<name>_ratio``, which a policy may check), and compared
        with the reference group (a bootstrap test). Multiclass audits compute it one class
        against the rest. Names must differ from the built-in metrics and criteria.
    extra_metrics_n_boot : int, default 200
        Resamples for the intervals of ``extra_metrics`` (each costs a call per group).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=300, seed=1, steps=["fairness"])
    >>> sorted(result.step("fairness").payload)[:3]
    ['by_group', 'calibration', 'comparisons']
    """

    min_group_size: int | None = None
    min_denominator: int | None = None
    intersections: bool = True
    n_boot: int = 1000
    ci_level: float = 0.95
    alpha: float = 0.05
    correction: str = "holm"
    extra_metrics: dict[str, Any] = field(default_factory=dict)
    extra_metrics_n_boot: int = 200

    name = "fairness"
    section = "fairness"
    constraints = {
        "min_group_size": [None, COUNT],
        "min_denominator": [None, COUNT],
        "intersections": [Boolean()],
        "n_boot": [RESAMPLES],
        "ci_level": [LEVEL],
        "alpha": [LEVEL],
        "correction": [Options(("holm", "bh"))],
        "extra_metrics": [MappingOf(
            Text("a name"), AnyOf((CallableForm(), Text()), "a metric"),
            "a mapping of name to a metric(y_true, y_pred) or its import path, e.g. {f1: 'sklearn.metrics:f1_score'}",
        )],
        "extra_metrics_n_boot": [RESAMPLES],
    }

    tables_from_payload = staticmethod(fairness_tables)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_names(list(self.extra_metrics))

    def check_sensitive(self, sensitive: list[str]) -> None:
        check_names(list(self.extra_metrics), sensitive)

    def settings(self, ctx) -> FairnessSettings:
        """The analysis settings for ``ctx`` (reference groups checked against its sensitive features)."""
        unknown = set(ctx.spec.reference_groups) - set(ctx.sensitive_features)
        if unknown:
            raise InputError(
                f"reference_groups names {', '.join(sorted(map(str, unknown)))}, which is not a sensitive "
                f"feature of this audit ({', '.join(ctx.sensitive_features)})"
            )
        return FairnessSettings(
            min_group_size=int(self.min_group_size or ctx.spec.min_group_size),
            min_denominator=self.min_denominator,
            n_boot=int(self.n_boot), ci_level=float(self.ci_level), alpha=float(self.alpha),
            correction=self.correction, intersections=self.intersections,
            reference_groups=dict(ctx.spec.reference_groups),
        )

    def run(self, ctx) -> StepResult:
        settings = self.settings(ctx)
        chosen = groupings(ctx.sensitive_features, settings.intersections)
        if ctx.weights is None:
            output = run_fairness(ctx, settings, chosen, self.extra_metrics, int(self.extra_metrics_n_boot))
        else:  # aggregated rows (engine="dask"): counts with weights
            output = weighted_fairness(ctx, settings, chosen, self.extra_metrics)
        correct(output.comparisons, settings.correction, settings.alpha)
        payload = {
            "by_group": output.by_group(),
            "disparities": output.disparities,
            "comparisons": output.comparisons,
            "calibration": {k: v.to_dict("records") for k, v in output.calibration.items()},
            "settings": {"task": ctx.spec.task, "min_group_size": settings.min_group_size,
                         "min_denominator": settings.rate_threshold,
                         "n_boot": settings.n_boot, "ci_level": settings.ci_level, "alpha": settings.alpha,
                         "correction": settings.correction,
                         "ci_method": "percentile bootstrap (Wilson score for a rate whose bootstrap interval is "
                                      "a single point; see ci_method of each by_group row)",
                         "disparity_ci": DISPARITY_CI_METHOD,
                         "extra_metrics": sorted(self.extra_metrics)},
            "min_group_size": settings.min_group_size,
        }
        if output.score_statistics is not None:  # how the score metrics' intervals were computed, and their bound
            payload["settings"]["score_statistics"] = output.score_statistics
        return StepResult(
            name=self.name, section=self.section, payload=payload, tables=fairness_tables(payload),
            findings=fairness_findings(output.results, output.comparisons, settings, ctx.spec.task)
            + scores_not_probabilities(ctx, self.name, "the Brier score by group and the calibration table"),
        )
