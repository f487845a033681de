"""Run every mitigation option on one audit and measure it on held-out rows: the mitigation step's work.

1. The audited rows are split (seeded, by outcome and group) into a fitting part and evaluation rows.
2. ``ThresholdOptimizer`` learns a threshold per group for the audited model on the fitting part.
3. ``ExponentiatedGradient`` trains the model's estimator anew with a constraint: for the reference
   model on its own training rows; for a user's model on the fitting part (auditkit does not know
   the rows it was trained on), where the same estimator refitted without a constraint is the
   point of comparison.
4. Every option's decisions on the evaluation rows are measured with the fairness step's machinery
   (:mod:`auditkit.mitigation.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from auditkit.fairness.analysis import FairnessSettings
from auditkit.mitigation.evaluate import OptionMeasures, change, measure_options, pareto_optimal
from auditkit.mitigation.fitting import NotFitted, reduction_decisions, refit_decisions, threshold_decisions
from auditkit.mitigation.options import REDUCTIONS, REFIT, THRESHOLD, UNMITIGATED, Option, baseline_for, options_for
from auditkit.mitigation.split import Split, fitting_split
from auditkit.stats.missing_group import sensitive_frame

CI_METHOD = ("paired percentile bootstrap of the evaluation rows (the counts-based bootstrap of the fairness step, "
             "drawn once for every option's confusion cells together); a disparity's interval is that of the signed "
             "gap between the two groups that define it, as in the fairness step")


@dataclass(frozen=True)
class MitigationSettings:
    """What the mitigation step compares (see :class:`auditkit.steps.MitigationStep`).

    Examples
    --------
    >>> settings = MitigationSettings("sex", ("threshold_optimizer",), ("equalized_odds",), 0.5, 50)
    >>> settings.feature, settings.fairness.n_boot
    ('sex', 1000)
    """

    feature: str
    methods: tuple[str, ...]
    criteria: tuple[str, ...]
    evaluation_share: float
    max_iter: int
    fairness: FairnessSettings = field(default_factory=FairnessSettings)


@dataclass
class Fitted:
    """One option's decisions on the evaluation rows (None when skipped) and how they were made.

    Examples
    --------
    >>> Fitted(Option("threshold_optimizer", "equalized_odds"), None, {}, "fairlearn could not fit it").reason
    'fairlearn could not fit it'
    """

    option: Option
    decisions: np.ndarray | None
    details: dict[str, Any]
    reason: str | None = None


def run_mitigation(ctx, settings: MitigationSettings) -> dict[str, Any]:
    """The mitigation step's payload for ``ctx`` (a binary audit with a model).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> ctx = build_context(AuditSpec(data=datasets.make_biased(1000, seed=0).frame, target="label",
    ...                               sensitive=["group"], seed=0))
    >>> payload = run_mitigation(ctx, MitigationSettings("group", ("threshold_optimizer",), ("demographic_parity",),
    ...                                                  0.5, 10, FairnessSettings(n_boot=50)))
    >>> [(o["option"], o["status"]) for o in payload["options"]]
    [('unmitigated', 'evaluated'), ('threshold_optimizer.demographic_parity', 'evaluated')]
    >>> {k: v for k, v in payload["settings"]["split"].items() if k != "seed"}
    {'fitting_rows': 150, 'evaluation_rows': 150, 'stratified_by': 'outcome and group'}
    """
    groups = ctx.sensitive[settings.feature].astype(str).to_numpy()
    seed = int(ctx.rng("mitigation.split").integers(2**31 - 1))
    split = fitting_split(ctx.y_true, groups, settings.evaluation_share, seed)
    refit = ctx.train_frame is None
    fitted = [Fitted(Option(UNMITIGATED), ctx.y_pred[split.evaluate].astype(np.int8), {})]
    chosen = options_for(settings.methods, settings.criteria)
    if refit and any(o.method == REDUCTIONS for o in chosen):
        fitted.append(_refit_baseline(ctx, _training_rows(ctx, settings.feature, split, groups),
                                      ctx.X.iloc[split.evaluate]))
    fitted += [_fit(ctx, option, settings, split, groups) for option in chosen]
    evaluated = {f.option.key: f.decisions for f in fitted if f.decisions is not None}
    sensitive = sensitive_frame(ctx.sensitive.iloc[split.evaluate], [settings.feature])
    measured = measure_options(evaluated, ctx.y_true[split.evaluate], sensitive, settings.fairness,
                               ctx.rng("mitigation.bootstrap"))
    options = [_option_record(f, measured, refit, settings.fairness.ci_level) for f in fitted]
    _mark_pareto(options)
    return {
        "settings": _settings_record(settings, split, refit, ctx),
        "options": options,
        "by_group": [{"option": key, **row} for key, m in measured.items() for row in m.by_group()],
    }


def _training_rows(ctx, feature: str, split: Split, groups: np.ndarray) -> tuple:
    """``(X, y, sensitive)`` the reductions train on: the reference model's training rows, else the fitting part."""
    if ctx.train_frame is not None:
        y = (ctx.train_frame[ctx.target] == ctx.labels[1]).to_numpy(dtype=np.int8)
        train_groups = sensitive_frame(ctx.train_frame, [feature])[feature].astype(str).to_numpy()
        return ctx.X_train, y, train_groups
    return ctx.X.iloc[split.fit], ctx.y_true[split.fit].astype(np.int8), groups[split.fit]


def _random_state(ctx, option: Option) -> int:
    return int(ctx.rng(f"mitigation.{option.key}").integers(2**31 - 1))


def _refit_baseline(ctx, train: tuple, X_eval) -> Fitted:
    option = Option(REFIT)
    try:
        return Fitted(option, refit_decisions(ctx.model, train, X_eval), {"trained_on": "fitting part"})
    except NotFitted as exc:
        return Fitted(option, None, {}, str(exc))


def _fit(ctx, option: Option, settings: MitigationSettings, split: Split, groups: np.ndarray) -> Fitted:
    state = _random_state(ctx, option)
    try:
        if option.method == THRESHOLD:
            fit = (ctx.X.iloc[split.fit], ctx.y_true[split.fit].astype(np.int8), groups[split.fit])
            decisions, method = threshold_decisions(ctx.model, ctx.labels, option.criterion, fit,
                                                    (ctx.X.iloc[split.evaluate], groups[split.evaluate]), state)
            return Fitted(option, decisions, {"random_state": state, "predict_method": method,
                                              "fitted_on": "fitting part"})
        train = _training_rows(ctx, settings.feature, split, groups)
        decisions, calls = reduction_decisions(ctx.model, option.criterion, train, ctx.X.iloc[split.evaluate],
                                               state, settings.max_iter)
        return Fitted(option, decisions, {"random_state": state, "oracle_calls": calls,
                                          "trained_on": "fitting part" if ctx.train_frame is None
                                          else "reference model's training rows", "training_rows": len(train[1])})
    except NotFitted as exc:
        return Fitted(option, None, {"random_state": state}, str(exc))


def _option_record(fitted: Fitted, measured: dict[str, OptionMeasures], refit: bool, level: float) -> dict[str, Any]:
    option = fitted.option
    baseline = baseline_for(option, refit)
    record: dict[str, Any] = {
        "option": option.key, "label": option.label, "method": option.method, "kind": option.kind,
        "criterion": option.criterion, "baseline": baseline,
        "uses_sensitive_at_decision": option.uses_sensitive_at_decision, **fitted.details,
    }
    if option.key not in measured:
        return {**record, "status": "skipped", "reason": fitted.reason}
    mine = measured[option.key]
    record.update(status="evaluated", reason=None, metrics=mine.metrics(), ci=mine.intervals(level))
    if baseline is not None and baseline in measured:
        record["change"], record["change_ci"] = change(mine, measured[baseline], level)
    return record


def _mark_pareto(options: list[dict[str, Any]]) -> None:
    """Add ``pareto_optimal``: the disparities for which no other evaluated option beats this one."""
    evaluated = [o for o in options if o["status"] == "evaluated"]
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        best = set(pareto_optimal({o["option"]: (o["metrics"][name], o["metrics"]["accuracy"]) for o in evaluated}))
        for o in evaluated:
            o.setdefault("pareto_optimal", [])
            if o["option"] in best:
                o["pareto_optimal"].append(name)


def _settings_record(settings: MitigationSettings, split: Split, refit: bool, ctx) -> dict[str, Any]:
    return {
        "sensitive_feature": settings.feature,
        "methods": list(settings.methods), "criteria": list(settings.criteria),
        "evaluation_share": settings.evaluation_share,
        "split": split.describe(),
        "reductions_trained_on": "fitting part" if refit else "reference model's training rows",
        "max_iter": settings.max_iter,
        "n_boot": settings.fairness.n_boot, "ci_level": settings.fairness.ci_level,
        "min_group_size": settings.fairness.min_group_size,
        "ci_method": CI_METHOD,
        "model_uses_feature": settings.feature in ctx.X.columns,
    }
