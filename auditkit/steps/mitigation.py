"""Mitigation: what fairlearn's post-processing and reductions would change, and what they cost."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditkit.exceptions import InputError
from auditkit.fairness.analysis import FairnessSettings
from auditkit.mitigation.findings import mitigation_findings
from auditkit.mitigation.options import CRITERIA, METHODS
from auditkit.mitigation.tables import mitigation_tables
from auditkit.params import Interval, ListOf, Options, Text
from auditkit.result import StepResult
from auditkit.steps._base import LEVEL, RESAMPLES, Step


@dataclass
class MitigationStep(Step):
    """fairlearn's mitigations of the audited model, each measured on held-out rows like the fairness step.

    The options: ``ThresholdOptimizer`` (post-processing: a decision threshold per group, learnt
    for the audited model, which is not refitted) and ``ExponentiatedGradient`` (reductions: the
    model's estimator trained anew under a constraint), each for demographic parity and for
    equalized odds. The audited rows are split, seeded and by outcome and group, into a fitting
    part, where the thresholds are learnt, and evaluation rows, which no mitigation sees. The
    reductions train on the reference model's training rows; for a user's model, whose training
    rows auditkit does not know, on the fitting part, and then the same estimator refitted there
    without a constraint is what they are compared with. An option that cannot be fitted (a model
    that cannot be copied, an estimator without sample weights) is skipped with a finding that
    says why.

    Every option (the unmitigated model included) is measured on the evaluation rows with the
    fairness step's machinery: accuracy, balanced accuracy, rates by group and the demographic
    parity and equalized odds differences, with bootstrap intervals; resamples are paired
    across options, so the change in accuracy has an interval too. Tables ``options`` and
    ``by_group``; plot ``result.plot.mitigation()``. Binary tasks with a model only.

    Not in the standard audit (it trains models: ``ExponentiatedGradient`` on Adult takes
    minutes); add it with ``steps=[..., "mitigation"]``.

    Parameters
    ----------
    sensitive_feature : str, optional
        The sensitive feature to mitigate for; default the audit's first.
    methods : list of str, default ["threshold_optimizer", "exponentiated_gradient"]
    criteria : list of str, default ["demographic_parity", "equalized_odds"]
    evaluation_share : float, default 0.5
        Share of the audited rows held out for evaluation.
    n_boot : int, default 1000
        Paired bootstrap resamples (0: no intervals).
    ci_level : float, default 0.95
    max_iter : int, default 50
        Rounds of ``ExponentiatedGradient`` (each trains the estimator once; fairlearn's default).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data=auditkit.datasets.make_biased(2000, seed=0).frame, target="label",
    ...                         sensitive=["group"], seed=0, steps=["mitigation"],
    ...                         step_options={"mitigation": {"methods": ["threshold_optimizer"], "n_boot": 100}})
    >>> table = result.table("mitigation", "options")
    >>> for row in table.itertuples():
    ...     print(f"{row.option:40} {row.accuracy:.3f} {row.demographic_parity_difference:.3f}")
    unmitigated                              0.917 0.186
    threshold_optimizer.demographic_parity   0.903 0.066
    threshold_optimizer.equalized_odds       0.913 0.165
    """

    sensitive_feature: str | None = None
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    criteria: list[str] = field(default_factory=lambda: list(CRITERIA))
    evaluation_share: float = 0.5
    n_boot: int = 1000
    ci_level: float = 0.95
    max_iter: int = 50

    name = "mitigation"
    section = "mitigation"
    needs_model = True
    constraints = {
        "sensitive_feature": [None, Text("a sensitive column's name")],
        "methods": [ListOf(Options(METHODS), f"a non-empty list of {', '.join(METHODS)}", unique=True, min_items=1)],
        "criteria": [ListOf(Options(CRITERIA), f"a non-empty list of {', '.join(CRITERIA)}", unique=True,
                            min_items=1)],
        "evaluation_share": [Interval(float, 0, 1, closed="neither")],
        "n_boot": [RESAMPLES],
        "ci_level": [LEVEL],
        "max_iter": [Interval(int, 1, 10_000)],
    }

    tables_from_payload = staticmethod(mitigation_tables)

    def check_sensitive(self, sensitive: list[str]) -> None:
        if self.sensitive_feature is not None and self.sensitive_feature not in sensitive:
            raise InputError(f"mitigation step: sensitive_feature must be a sensitive feature of this audit "
                             f"({', '.join(sensitive)}); got {self.sensitive_feature!r}")

    def run(self, ctx) -> StepResult:
        if ctx.spec.task != "binary":
            return self.result(findings=[self.finding(
                "info", "not_binary", f"The mitigation step did not run: fairlearn's ThresholdOptimizer and "
                f"ExponentiatedGradient mitigate binary decisions, and this audit's task is {ctx.spec.task}.")])
        from auditkit.mitigation.compare import MitigationSettings, run_mitigation  # imports scikit-learn

        self.check_sensitive(ctx.sensitive_features)
        fairness = FairnessSettings(min_group_size=int(ctx.spec.min_group_size), n_boot=int(self.n_boot),
                                    ci_level=float(self.ci_level), reference_groups=dict(ctx.spec.reference_groups))
        settings = MitigationSettings(
            feature=self.sensitive_feature or ctx.sensitive_features[0], methods=tuple(self.methods),
            criteria=tuple(self.criteria), evaluation_share=float(self.evaluation_share),
            max_iter=int(self.max_iter), fairness=fairness)
        payload = run_mitigation(ctx, settings)
        return self.result(payload=payload, tables=mitigation_tables(payload), findings=mitigation_findings(payload))
