"""The mitigation step's findings: what each option costs, what post-processing needs, what was skipped.

Every finding is ``info``: the options are what could be done, not a property of the audited model,
so they leave the audit's verdict alone.
"""

from __future__ import annotations

from typing import Any

from auditkit.mitigation.options import criterion_words
from auditkit.result import Finding

STEP = "mitigation"


def mitigation_findings(payload: dict[str, Any]) -> list[Finding]:
    """Findings from the mitigation step's payload (in the order of its options).

    Examples
    --------
    >>> base = {"option": "unmitigated", "status": "evaluated", "metrics": {"equalized_odds_difference": 0.17}}
    >>> option = {"option": "threshold_optimizer.equalized_odds", "label": "ThresholdOptimizer (equalized odds)",
    ...           "status": "evaluated", "criterion": "equalized_odds", "baseline": "unmitigated",
    ...           "uses_sensitive_at_decision": True,
    ...           "metrics": {"equalized_odds_difference": 0.04}, "change": {"accuracy": -0.012},
    ...           "change_ci": {"accuracy": [-0.019, -0.005]}}
    >>> settings = {"sensitive_feature": "sex", "split": {"evaluation_rows": 7327}, "ci_level": 0.95}
    >>> for finding in mitigation_findings({"settings": settings, "options": [base, option]}):
    ...     print(finding.id, finding.message)  # doctest: +NORMALIZE_WHITESPACE
    mitigation.cost.threshold_optimizer.equalized_odds ThresholdOptimizer (equalized odds) cuts the equalized odds
    difference by sex from 0.17 to 0.04 at a cost of 1.2 points of accuracy (95% CI 0.5 to 1.9), on 7,327
    held-out rows.
    mitigation.sensitive_at_decision ThresholdOptimizer (equalized odds) uses sex at decision time: each person's
    threshold depends on their group, so every decision needs their sex. Treating people differently by a
    protected characteristic may be unlawful in some settings (e.g. in employment or credit).
    """
    settings = payload["settings"]
    by_key = {o["option"]: o for o in payload["options"]}
    findings = []
    for option in payload["options"]:
        if option["status"] == "skipped":
            findings.append(_skipped(option, settings))
        elif option.get("criterion") and option.get("baseline") in by_key:
            findings.append(_cost(option, by_key[option["baseline"]], settings))
    post = [o["label"] for o in payload["options"]
            if o.get("uses_sensitive_at_decision") and o["status"] == "evaluated"]
    if post:
        findings.append(_sensitive_at_decision(post, settings))
    return findings


def _cost(option: dict[str, Any], baseline: dict[str, Any], settings: dict[str, Any]) -> Finding:
    name = f"{option['criterion']}_difference"
    before, after = baseline.get("metrics", {}).get(name), option["metrics"].get(name)
    what = f"the {criterion_words(option['criterion'])} difference by {settings['sensitive_feature']}"
    if before is None or after is None:
        effect = f"leaves {what} undefined (groups too small to compare)"
    elif after < before:
        effect = f"cuts {what} from {before:.2f} to {after:.2f}"
    else:
        effect = f"does not cut {what} ({before:.2f} before, {after:.2f} after)"
    rows = settings["split"]["evaluation_rows"]
    against = (" (against the same estimator refitted without a constraint on the same rows)"
               if option["baseline"] == "unmitigated_refit" else "")
    message = f"{option['label']} {effect} {_accuracy_words(option, settings)}{against}, on {rows:,} held-out rows."
    evidence = {"option": option["option"], "sensitive_feature": settings["sensitive_feature"],
                "criterion": option["criterion"], "before": before, "after": after,
                "accuracy_change": option.get("change", {}).get("accuracy"),
                "accuracy_change_ci": option.get("change_ci", {}).get("accuracy"),
                "baseline": option["baseline"], "evaluation_rows": rows}
    return Finding(id=f"{STEP}.cost.{option['option']}", step=STEP, severity="info", message=message,
                   evidence=evidence)


def _accuracy_words(option: dict[str, Any], settings: dict[str, Any]) -> str:
    """``"at a cost of 1.2 points of accuracy (95% CI 0.5 to 1.9)"``, or the gain, or no change."""
    delta = option.get("change", {}).get("accuracy")
    if delta is None:
        return "(accuracy not comparable)"
    points = -100 * delta
    low, high = option.get("change_ci", {}).get("accuracy") or (None, None)
    level = f"{settings.get('ci_level', 0.95):.0%}"
    if low is None or high is None:
        interval = ""
    elif round(points, 1) == 0:
        interval = f" ({level} CI of the change {100 * low:.1f} to {100 * high:.1f} points)"
    elif points > 0:
        interval = f" ({level} CI {-100 * high:.1f} to {-100 * low:.1f})"
    else:
        interval = f" ({level} CI {100 * low:.1f} to {100 * high:.1f})"
    if round(points, 1) == 0:
        return f"with no change in accuracy{interval}"
    if points > 0:
        return f"at a cost of {points:.1f} points of accuracy{interval}"
    return f"with a gain of {-points:.1f} points of accuracy{interval}"


def _sensitive_at_decision(labels: list[str], settings: dict[str, Any]) -> Finding:
    feature = settings["sensitive_feature"]
    message = (f"{' and '.join(labels)} {'uses' if len(labels) == 1 else 'use'} {feature} at decision time: each "
               f"person's threshold depends on their group, so every decision needs their {feature}. Treating "
               "people differently by a protected characteristic may be unlawful in some settings (e.g. in "
               "employment or credit).")
    return Finding(id=f"{STEP}.sensitive_at_decision", step=STEP, severity="info", message=message,
                   evidence={"sensitive_feature": feature, "options": labels,
                             "model_uses_feature": settings.get("model_uses_feature")})


def _skipped(option: dict[str, Any], settings: dict[str, Any]) -> Finding:
    message = f"{option['label']} was not evaluated: {option['reason']}."
    return Finding(id=f"{STEP}.skipped.{option['option']}", step=STEP, severity="info", message=message,
                   evidence={"option": option["option"], "reason": option["reason"],
                             "sensitive_feature": settings["sensitive_feature"]})
