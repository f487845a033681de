"""The mitigation options the step compares, and their names.

An option is a fairlearn method with a fairness criterion (``threshold_optimizer.equalized_odds``),
or a point of comparison: the audited model itself (``unmitigated``) or, for a user's model, its
estimator refitted without a constraint on the rows the reductions train on (``unmitigated_refit``).
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = "threshold_optimizer"
REDUCTIONS = "exponentiated_gradient"
METHODS: tuple[str, ...] = (THRESHOLD, REDUCTIONS)
CRITERIA: tuple[str, ...] = ("demographic_parity", "equalized_odds")
UNMITIGATED = "unmitigated"
REFIT = "unmitigated_refit"

_METHOD_NAMES = {THRESHOLD: "ThresholdOptimizer", REDUCTIONS: "ExponentiatedGradient"}
_KINDS = {THRESHOLD: "post-processing", REDUCTIONS: "reductions", UNMITIGATED: "none", REFIT: "none"}
_BASELINE_LABELS = {UNMITIGATED: "Unmitigated (the audited model)",
                    REFIT: "Unmitigated (refitted on the reductions' training rows)"}


@dataclass(frozen=True)
class Option:
    """One row of the comparison: a method and the criterion it enforces (None for a baseline).

    Examples
    --------
    >>> option = Option(THRESHOLD, "equalized_odds")
    >>> option.key, option.label, option.kind
    ('threshold_optimizer.equalized_odds', 'ThresholdOptimizer (equalized odds)', 'post-processing')
    >>> Option(UNMITIGATED).label
    'Unmitigated (the audited model)'
    """

    method: str
    criterion: str | None = None

    @property
    def key(self) -> str:
        return self.method if self.criterion is None else f"{self.method}.{self.criterion}"

    @property
    def label(self) -> str:
        if self.criterion is None:
            return _BASELINE_LABELS[self.method]
        return f"{_METHOD_NAMES[self.method]} ({criterion_words(self.criterion)})"

    @property
    def kind(self) -> str:
        """``"post-processing"``, ``"reductions"`` or ``"none"`` (a baseline)."""
        return _KINDS[self.method]

    @property
    def uses_sensitive_at_decision(self) -> bool:
        """Whether each decision needs the person's sensitive feature (a threshold per group)."""
        return self.method == THRESHOLD


def criterion_words(criterion: str) -> str:
    """A criterion in words: ``"equalized odds"``.

    Examples
    --------
    >>> criterion_words("demographic_parity")
    'demographic parity'
    """
    return criterion.replace("_", " ")


def options_for(methods: list[str] | tuple[str, ...], criteria: list[str] | tuple[str, ...]) -> list[Option]:
    """The options of the chosen methods and criteria, in the order of :data:`METHODS` and :data:`CRITERIA`.

    Examples
    --------
    >>> [o.key for o in options_for(["exponentiated_gradient", "threshold_optimizer"], ["equalized_odds"])]
    ['threshold_optimizer.equalized_odds', 'exponentiated_gradient.equalized_odds']
    """
    return [Option(m, c) for m in METHODS if m in methods for c in CRITERIA if c in criteria]


def baseline_for(option: Option, refit: bool) -> str | None:
    """The key of the option ``option`` is compared with.

    Post-processing changes the audited model's decisions, so it is compared with the audited
    model. The reductions train the estimator anew: with the reference model, on its own
    training rows, so the audited model is the same estimator trained without a constraint;
    with a user's model (``refit``), on rows the model may not have been trained on, so the
    comparison is the estimator refitted on those rows without a constraint.

    Examples
    --------
    >>> baseline_for(Option(REDUCTIONS, "demographic_parity"), refit=True)
    'unmitigated_refit'
    >>> baseline_for(Option(THRESHOLD, "demographic_parity"), refit=True)
    'unmitigated'
    """
    if option.criterion is None:
        return None
    return REFIT if refit and option.method == REDUCTIONS else UNMITIGATED
