"""One finding per grouping and fairness criterion: significant gaps to the reference group, the four-fifths rule.

A gap in a rate shows up in two ways: each group against the grouping's reference group (a
test, corrected for the audit's many comparisons) and, for the selection rate, the lowest
rate against the highest (the four-fifths rule of adverse impact). Both are about one
criterion, so they make one finding, whose evidence names the grouping, the criterion, the
reference group and the numbers of both. Every finding of a grouping compares with the same
reference group (the four-fifths part says that it compares lowest with highest, as the rule
defines).

Criteria of findings: ``demographic_parity`` (selection rate, with the four-fifths rule),
``equalized_odds`` (true and false positive rates; its true positive rate part is equal
opportunity), ``predictive_parity`` (precision); each regression metric and each user metric is
a criterion of its own.
"""

from __future__ import annotations

from itertools import groupby

from auditkit.fairness.analysis import FairnessSettings, GroupingResult
from auditkit.result import Finding
from auditkit.text import number, p_value, show

STEP = "fairness"
FOUR_FIFTHS = 0.8
# Severity of a significant gap in a rate, by its absolute size.
RATE_GAP_HIGH, RATE_GAP_MEDIUM = 0.10, 0.05
# Severity of a significant gap in a regression metric, by its size relative to the reference.
RELATIVE_GAP_HIGH, RELATIVE_GAP_MEDIUM = 0.20, 0.10
SEVERITY_RANK = ("high", "medium", "low")
SHOWN_GAPS = 3  # significant gaps of one metric named in a message, largest first

FINDING_CRITERIA = {
    "selection_rate": "demographic_parity",
    "true_positive_rate": "equalized_odds",
    "false_positive_rate": "equalized_odds",
    "precision": "predictive_parity",
}
"""The criterion of a compared metric's finding (any other metric is a criterion of its own)."""

CRITERION_WORDS = {
    "demographic_parity": "Demographic parity",
    "equalized_odds": "Equalized odds",
    "predictive_parity": "Predictive parity",
    "mean_prediction": "Average prediction",
    "mean_error": "Average error",
    "mae": "Mean absolute error",
    "rmse": "Root mean squared error",
}
METRIC_WORDS = {
    "selection_rate": "share of positive decisions (selection rate)",
    "true_positive_rate": "true positive rate (share of actual positives who got a positive decision)",
    "false_positive_rate": "false positive rate (share of actual negatives who got a positive decision)",
    "false_negative_rate": "false negative rate (share of actual positives who got a negative decision)",
    "precision": "precision (share of positive decisions that were right)",
    "mean_prediction": "average prediction",
    "mean_error": "average error (prediction minus truth; above 0 means over-predicted)",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
}


def group_text(group: dict) -> str:
    """A group key as text: ``sex=female, race=Black``.

    Examples
    --------
    >>> group_text({"sex": "female", "race": "Black"})
    'sex=female, race=Black'
    """
    return ", ".join(f"{k}={v}" for k, v in group.items())


def finding_criterion(metric: str) -> str:
    """The criterion whose finding reports a gap in ``metric``.

    Examples
    --------
    >>> finding_criterion("false_positive_rate"), finding_criterion("mae"), finding_criterion("f1")
    ('equalized_odds', 'mae', 'f1')
    """
    return FINDING_CRITERIA.get(metric, metric)


def criterion_findings(result: GroupingResult, comparisons: list[dict], settings: FairnessSettings,
                       task: str) -> list[Finding]:
    """The findings of one grouping (and class): one per criterion with a significant gap or a four-fifths breach.

    ``comparisons`` are every comparison of the audit, corrected together
    (:func:`auditkit.stats.comparisons.correct`); those of ``result`` are picked out.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> from auditkit.stats.comparisons import correct
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)  # the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> output = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0)
    >>> correct(output.comparisons, "holm", 0.05)
    >>> findings = criterion_findings(output.results[0], output.comparisons, FairnessSettings(), "binary")
    >>> [(f.id, f.severity, f.evidence["reference"]) for f in findings]
    [('fairness.gap.group.demographic_parity', 'high', {'group': 'A'}),
     ('fairness.gap.group.equalized_odds', 'high', {'group': 'A'}),
     ('fairness.gap.group.predictive_parity', 'high', {'group': 'A'})]
    >>> round(findings[0].evidence["four_fifths"]["ratio"], 3)
    0.583
    """
    n_tests = sum(1 for c in comparisons if c["p_value"] is not None)
    mine = [c for c in comparisons if c["grouping"] == result.name and c.get("class") == result.klass]
    significant = [c for c in mine if c["significant"]]
    four_fifths = four_fifths_evidence(result) if task != "regression" else None
    criteria = list(dict.fromkeys([*(["demographic_parity"] if four_fifths else []),
                                   *(finding_criterion(c["metric"]) for c in mine)]))
    findings = []
    for criterion in criteria:
        items = [c for c in significant if finding_criterion(c["metric"]) == criterion]
        rule = four_fifths if criterion == "demographic_parity" else None
        if items or rule:
            findings.append(_finding(result, criterion, items, rule, settings, task, n_tests))
    return findings


def four_fifths_evidence(result: GroupingResult) -> dict | None:
    """The four-fifths rule's numbers when the lowest selection rate is below 0.8 times the highest, else None.

    ``sure`` is whether the whole interval of the ratio is below 0.8.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)  # the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> [result] = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0).results
    >>> rule = four_fifths_evidence(result)
    >>> round(rule["ratio"], 3), rule["lowest"], rule["highest"], rule["sure"]
    (0.583, {'group': {'group': 'A'}, 'selection_rate': 0.385}, {'group': {'group': 'B'}, 'selection_rate': 0.66}, True)
    """
    record = next((d for d in result.disparities if d["name"] == "demographic_parity_ratio"
                   and d["method"] == "between_groups"), None)
    if record is None or record["value"] is None or record["value"] >= FOUR_FIFTHS or record["gap"] is None:
        return None
    low, high = record["gap"]["first"], record["gap"]["second"]  # a ratio's gap is lowest / highest
    rates = result.table["selection_rate"]
    upper = record["ci"][1]
    return {"ratio": record["value"], "ci": record["ci"], "threshold": FOUR_FIFTHS,
            "sure": upper is not None and upper < FOUR_FIFTHS,
            "lowest": {"group": result.group_key(low), "selection_rate": float(rates.iloc[low])},
            "highest": {"group": result.group_key(high), "selection_rate": float(rates.iloc[high])}}


def _finding(result: GroupingResult, criterion: str, items: list[dict], rule: dict | None,
             settings: FairnessSettings, task: str, n_tests: int) -> Finding:
    reference = result.group_key(result.reference)
    about = result.name + ("" if result.klass is None else f" (class {show(result.klass)} against the rest)")
    title = CRITERION_WORDS.get(criterion, criterion.replace("_", " "))
    sentences = [f"{title} by {about}, compared with the reference group {group_text(reference)}: "]
    if items:
        order = list(dict.fromkeys(c["metric"] for c in items))
        items = sorted(items, key=lambda c: order.index(c["metric"]))  # by metric, then group (a stable sort)
        parts = [_metric_part(list(group), settings) for _, group in groupby(items, key=lambda c: c["metric"])]
        method = {"holm": "Holm", "bh": "Benjamini-Hochberg"}[settings.correction]
        sentences[0] += "; ".join(parts) + "."
        sentences.append(f"Gaps like these are unlikely to be chance: they stay significant at {settings.alpha:g} "
                         f"after a {method} correction for the {n_tests} comparisons made in this audit.")
    else:
        sentences[0] += "no selection rate differs significantly from the reference group's."
    if rule:
        sentences.append(_four_fifths_text(rule, settings.ci_level))
    severities = [_severity(c, task) for c in items] + ([("high" if rule["sure"] else "medium")] if rule else [])
    evidence = {"grouping": result.name, "criterion": criterion,
                "metrics": list(dict.fromkeys(c["metric"] for c in items)), "reference": reference,
                "comparisons": items, "four_fifths": rule, "correction": settings.correction,
                "alpha": settings.alpha, "n_tests": n_tests}
    suffix = result.name
    if result.klass is not None:
        evidence["class"] = result.klass
        suffix += f".class={result.klass}"
    return Finding(id=f"{STEP}.gap.{suffix}.{criterion}", step=STEP, severity=min(severities, key=SEVERITY_RANK.index),
                   message=" ".join(sentences), evidence=evidence)


def _metric_part(items: list[dict], settings: FairnessSettings) -> str:
    """One metric's significant gaps, the largest :data:`SHOWN_GAPS` first (all of them are in the evidence)."""
    first = items[0]
    level = f"{settings.ci_level:.0%}"
    largest = sorted(items, key=lambda c: -abs(c["difference"]))
    groups = "; ".join(
        f"{group_text(c['group'])} {number(c['value'])} (difference {number(c['difference'], True)}, {level} CI "
        f"{number(c['difference_ci'][0], True)} to {number(c['difference_ci'][1], True)}; "
        f"adjusted p {p_value(c['p_adjusted'])})" for c in largest[:SHOWN_GAPS])
    more = len(items) - SHOWN_GAPS
    if more > 0:
        groups += f"; and {more} more group{'s' if more > 1 else ''} (every comparison is in the evidence)"
    return (f"the {METRIC_WORDS.get(first['metric'], first['metric'])} is {number(first['reference_value'])} "
            f"for the reference group against {groups}")


def _four_fifths_text(rule: dict, level: float) -> str:
    low, high = rule["lowest"], rule["highest"]
    lo, hi = rule["ci"]
    ci_text = f" ({level:.0%} CI {lo:.2f} to {hi:.2f})" if lo is not None else ""
    return (f"Four-fifths rule (it compares the lowest selection rate with the highest, whichever groups they are): "
            f"{group_text(low['group'])} gets a positive decision {low['selection_rate']:.1%} of "
            f"the time, only {rule['ratio']:.2f} times the rate of {group_text(high['group'])} "
            f"({high['selection_rate']:.1%}){ci_text}. A ratio below 0.8 is the usual warning sign of adverse impact"
            + ("." if rule["sure"] else "; the interval reaches 0.8, so the evidence is not conclusive."))


def _severity(record: dict, task: str) -> str:
    if task != "regression":
        size = abs(record["difference"])
        high, medium = RATE_GAP_HIGH, RATE_GAP_MEDIUM
    else:
        base = abs(record["reference_value"]) if record["metric"] != "mean_error" else None
        size = abs(record["difference"]) / base if base else abs(record["difference"])
        high, medium = RELATIVE_GAP_HIGH, RELATIVE_GAP_MEDIUM
    return "high" if size >= high else "medium" if size >= medium else "low"


