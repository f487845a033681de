"""Fairness: metrics by sensitive group and intersection, with uncertainty and disparities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._comparisons import correct
from .._fairness import FairnessSettings
from .._fairness_findings import fairness_findings
from .._fairness_tasks import run_fairness
from .._group_scores import scores_not_probabilities
from .._metrics import groupings
from ..exceptions import InputError
from ..result import StepResult
from ._base import Step


@dataclass
class FairnessStep(Step):
    """Every group metric with a bootstrap interval, disparities, and tests against a reference group.

    For binary tasks: selection rate, true/false positive and negative rates, precision,
    negative predictive value, accuracy, balanced accuracy (and ROC AUC, Brier score and a
    calibration table with scores). For multiclass tasks: the same rates one class against
    the rest. For regression: mean prediction, mean target, mean error, MAE and RMSE.

    Parameters
    ----------
    min_group_size : int, optional
        Groups smaller than this are flagged and left out of disparities and tests;
        default the spec's ``min_group_size``.
    intersections : bool, default True
        Also report intersections of the sensitive features.
    n_boot : int, default 1000
        Bootstrap resamples for the intervals (0: no intervals). Seeded by the audit seed.
    ci_level : float, default 0.95
        Confidence level of the percentile intervals.
    alpha : float, default 0.05
        Significance level of the tests after correction.
    correction : {"holm", "bh"}, default "holm"
        Multiple-comparison correction across every comparison of the audit.
    extra_metrics : dict, optional
        ``{name: metric}`` with scikit-learn-style ``metric(y_true, y_pred)`` callables or
        import paths (``"sklearn.metrics:f1_score"``), reported by group.
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
    intersections: bool = True
    n_boot: int = 1000
    ci_level: float = 0.95
    alpha: float = 0.05
    correction: str = "holm"
    extra_metrics: dict[str, Any] = field(default_factory=dict)
    extra_metrics_n_boot: int = 200

    name = "fairness"
    section = "fairness"

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
            n_boot=int(self.n_boot), ci_level=float(self.ci_level), alpha=float(self.alpha),
            correction=self.correction, intersections=self.intersections,
            reference_groups=dict(ctx.spec.reference_groups),
        )

    def run(self, ctx) -> StepResult:
        settings = self.settings(ctx)
        chosen = groupings(ctx.sensitive_features, settings.intersections)
        output = run_fairness(ctx, settings, chosen, self.extra_metrics, int(self.extra_metrics_n_boot))
        correct(output.comparisons, settings.correction, settings.alpha)
        payload = {
            "by_group": output.by_group(),
            "disparities": output.disparities,
            "comparisons": output.comparisons,
            "calibration": {k: v.to_dict("records") for k, v in output.calibration.items()},
            "settings": {"task": ctx.spec.task, "min_group_size": settings.min_group_size,
                         "n_boot": settings.n_boot, "ci_level": settings.ci_level, "alpha": settings.alpha,
                         "correction": settings.correction, "ci_method": "percentile bootstrap",
                         "extra_metrics": sorted(self.extra_metrics)},
            "min_group_size": settings.min_group_size,
        }
        return StepResult(
            name=self.name, section=self.section, payload=payload, tables=output.tables(),
            findings=fairness_findings(output.results, output.comparisons, settings, ctx.spec.task)
            + scores_not_probabilities(ctx, self.name, "the Brier score by group and the calibration table"),
        )
