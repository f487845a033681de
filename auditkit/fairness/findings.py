"""Plain-language findings of the fairness step, each with the numbers (and intervals) behind it."""

from __future__ import annotations

from itertools import groupby

import numpy as np

from auditkit.fairness.analysis import FairnessSettings, GroupingResult
from auditkit.result import Finding
from auditkit.stats.counts import denominator_words
from auditkit.text import number, p_value, show

STEP = "fairness"
FOUR_FIFTHS = 0.8
# Severity of a significant gap in a rate, by its absolute size.
RATE_GAP_HIGH, RATE_GAP_MEDIUM = 0.10, 0.05
# Severity of a significant gap in a regression metric, by its size relative to the reference.
RELATIVE_GAP_HIGH, RELATIVE_GAP_MEDIUM = 0.20, 0.10

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
UNDEFINED_REASONS = {
    "true_positive_rate": "no actual positives",
    "false_positive_rate": "no actual negatives",
    "precision": "no positive decisions",
    "negative_predictive_value": "no negative decisions",
}


def group_text(group: dict) -> str:
    """A group key as text: ``sex=female, race=Black``.

    Examples
    --------
    >>> group_text({"sex": "female", "race": "Black"})
    'sex=female, race=Black'
    """
    return ", ".join(f"{k}={v}" for k, v in group.items())


def _about(result: GroupingResult) -> str:
    return result.name if result.klass is None else f"{result.name} (class {show(result.klass)} against the rest)"


def _suffix(result: GroupingResult) -> str:
    return result.name if result.klass is None else f"{result.name}.class={result.klass}"


def small_group_findings(result: GroupingResult, settings: FairnessSettings) -> list[Finding]:
    """A medium finding naming the groups smaller than ``min_group_size`` (left out of comparisons).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, group_proportion=0.05, seed=0).frame
    >>> frame["decision"] = (frame["x0"] > 0).astype(int)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> settings = FairnessSettings(n_boot=0)
    >>> [result] = run_fairness(ctx, settings, [("group",)], {}, 0).results
    >>> [(f.id, f.severity, f.evidence["groups"]) for f in small_group_findings(result, settings)]
    [('fairness.small_groups.group', 'medium', [{'group': {'group': 'B'}, 'n': 20}])]
    """
    small = result.table[result.table["small_group"]]
    if small.empty:
        return []
    listing = "; ".join(f"{group_text(result.group_key(i))} (n={int(result.table.iloc[i]['n'])})"
                        for i in small.index)
    return [Finding(
        id=f"{STEP}.small_groups.{result.name}", step=STEP, severity="medium",
        message=(f"{len(small)} group(s) by {result.name} have fewer than {settings.min_group_size} rows: "
                 f"{listing}. They stay in the tables, but their rates are too uncertain to compare, "
                 "so they are left out of the headline disparities and significance tests."),
        evidence={"min_group_size": settings.min_group_size,
                  "groups": [{"group": result.group_key(i), "n": int(result.table.iloc[i]["n"])} for i in small.index]},
    )]


def undefined_findings(result: GroupingResult) -> list[Finding]:
    """An info finding naming the rates a group has no rows for (undefined, not 0).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = ((frame["x0"] > 0) & (frame["group"] == "A")).astype(int)  # none for B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> settings = FairnessSettings(n_boot=0)
    >>> [result] = run_fairness(ctx, settings, [("group",)], {}, 0).results
    >>> [(f.id, f.evidence["undefined"]) for f in undefined_findings(result)]
    [('fairness.undefined_rates.group',
      [{'group': {'group': 'B'}, 'metric': 'precision', 'reason': 'no positive decisions'}])]
    """
    items = []
    for i in np.flatnonzero(result.eligible):
        for metric, reason in UNDEFINED_REASONS.items():
            if metric in result.table and not np.isfinite(result.table.iloc[i][metric]):
                items.append({"group": result.group_key(i), "metric": metric, "reason": reason})
    if not items:
        return []
    listing = "; ".join(f"{METRIC_WORDS.get(x['metric'], x['metric']).split(' (')[0]} of "
                        f"{group_text(x['group'])} ({x['reason']})" for x in items)
    return [Finding(
        id=f"{STEP}.undefined_rates.{_suffix(result)}", step=STEP, severity="info",
        message=(f"Some rates by {_about(result)} cannot be computed because the group has none of the rows "
                 f"they are a share of: {listing}. They are reported as undefined (not 0) and left out "
                 "of the disparities."),
        evidence={"undefined": items},
    )]


def missing_group_findings(result: GroupingResult) -> list[Finding]:
    """Say that missing sensitive values form a group of their own, apart from any value in the data.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] > 0).astype(int)
    >>> frame.loc[:39, "group"] = None
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> settings = FairnessSettings(n_boot=0)
    >>> [result] = run_fairness(ctx, settings, [("group",)], {}, 0).results
    >>> [(f.id, f.evidence) for f in missing_group_findings(result)]
    [('fairness.missing_group.group', {'feature': 'group', 'label': '(missing)', 'n': 40})]
    """
    if len(result.features) != 1 or not result.missing:
        return []
    rows = [i for i in range(len(result.table)) if result.is_missing_group(i)]
    if not rows:
        return []
    feature, i = result.features[0], rows[0]
    label, n = result.group_key(i)[feature], int(result.table.iloc[i]["n"])
    return [Finding(
        id=f"{STEP}.missing_group.{feature}", step=STEP, severity="info",
        message=(f"{n} audited rows have no recorded {feature}. They form a group of their own, labelled "
                 f"'{label}' in every table (missing_group in audit.json), kept apart from every value written "
                 "in the data, so a category such as 'missing' stays a separate group. It is never the default "
                 "reference group."),
        evidence={"feature": feature, "label": label, "n": n},
    )]


def too_few_findings(result: GroupingResult, settings: FairnessSettings) -> list[Finding]:
    """Rates of large-enough groups that rest on too few rows (their own denominator) to compare.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] > 2).astype(int)  # few positive decisions
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> settings = FairnessSettings(n_boot=0)
    >>> [result] = run_fairness(ctx, settings, [("group",)], {}, 0).results
    >>> [(f.id, [(r["metric"], r["group"], r["denominator"]) for r in f.evidence["rates"]])
    ...  for f in too_few_findings(result, settings)]
    [('fairness.too_few.group', [('precision', {'group': 'A'}, 18), ('precision', {'group': 'B'}, 7)])]
    """
    compared = list(dict.fromkeys(m for record in result.disparities for m in record["metrics"]))
    items = [{"group": result.group_key(i), "metric": m, "denominator": int(result.denominators[m][i]),
              "counted": denominator_words(m)}
             for m in compared if m in result.rate_eligible
             for i in np.flatnonzero(result.eligible & ~result.rate_eligible[m])
             if result.denominators[m][i] > 0]  # none at all: an undefined rate, said by undefined_findings
    if not items:
        return []
    listing = "; ".join(f"{METRIC_WORDS.get(x['metric'], x['metric']).split(' (')[0]} of {group_text(x['group'])} "
                        f"({x['counted']}: {x['denominator']})" for x in items)
    return [Finding(
        id=f"{STEP}.too_few.{_suffix(result)}", step=STEP, severity="medium",
        message=(f"Not enough rows to estimate some rates by {_about(result)}: a rate rests on its own denominator "
                 f"(the actual positives for a true positive rate, the positive decisions for precision), and "
                 f"these have fewer than {settings.rate_threshold}: {listing}. They stay in the tables, with "
                 "their intervals, but are left out of the headline disparities, the significance tests and "
                 "the policy checks."),
        evidence={"min_denominator": settings.rate_threshold, "rates": items},
    )]


def degenerate_interval_findings(result: GroupingResult, level: float) -> list[Finding]:
    """Bootstrap intervals of a group's metric that collapsed to one value, and what is shown instead.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = ((frame["x0"] > 0) & (frame["group"] == "A")).astype(int)  # none for B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> settings = FairnessSettings(n_boot=100)
    >>> [result] = run_fairness(ctx, settings, [("group",)], {}, 0).results
    >>> [finding] = degenerate_interval_findings(result, 0.95)
    >>> [(x["metric"], x["value"], x["shown"]) for x in finding.evidence["intervals"]][:2]
    [('selection_rate', 0.0, 'wilson score'), ('true_positive_rate', 0.0, 'wilson score')]
    """
    items = [{"group": result.group_key(i), "metric": m, "value": float(result.table.iloc[i][m]),
              "shown": "wilson score" if m in result.ci_wilson and result.ci_wilson[m][i] else "percentile bootstrap"}
             for m in result.metrics if m in result.ci_degenerate
             for i in np.flatnonzero(result.ci_degenerate[m])]
    if not items:
        return []
    listing = "; ".join(f"{x['metric']} of {group_text(x['group'])} = {number(x['value'])}" for x in items[:10])
    more = f" and {len(items) - 10} more" if len(items) > 10 else ""
    return [Finding(
        id=f"{STEP}.degenerate_intervals.{_suffix(result)}", step=STEP, severity="info",
        message=(f"Some bootstrap intervals by {_about(result)} are a single point, because every resample gave "
                 f"the same value (a rate of 0 or 1 stays 0 or 1 when its rows are resampled): {listing}{more}. "
                 f"That does not mean the value is certain. For rates the tables show the {level:.0%} Wilson score "
                 "interval instead (ci_method in audit.json); other metrics are flagged as ci_degenerate."),
        evidence={"intervals": items},
    )]


def four_fifths_findings(result: GroupingResult, level: float) -> list[Finding]:
    """A finding when the lowest selection rate is below 0.8 times the highest (high when its CI is too).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.analysis import FairnessSettings
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)  # the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> output = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0)
    >>> [result] = output.results
    >>> [(f.id, f.severity, round(f.evidence["ratio"], 3)) for f in four_fifths_findings(result, 0.95)]
    [('fairness.four_fifths.group', 'high', 0.583)]
    """
    record = next((d for d in result.disparities if d["name"] == "demographic_parity_ratio"
                   and d["method"] == "between_groups"), None)
    if record is None or record["value"] is None or record["value"] >= FOUR_FIFTHS:
        return []
    compared = result.rate_eligible.get("selection_rate", result.eligible)
    rates = np.where(compared, result.table["selection_rate"].to_numpy(dtype=float), np.nan)
    low, high = int(np.nanargmin(rates)), int(np.nanargmax(rates))
    lo, hi = record["ci"]
    sure = hi is not None and hi < FOUR_FIFTHS
    ci_text = f" ({level:.0%} CI {lo:.2f} to {hi:.2f})" if lo is not None else ""
    return [Finding(
        id=f"{STEP}.four_fifths.{_suffix(result)}", step=STEP, severity="high" if sure else "medium",
        message=(f"Four-fifths rule: by {_about(result)}, {group_text(result.group_key(low))} gets a positive "
                 f"decision {rates[low]:.1%} of the time, only {record['value']:.2f} times the rate of "
                 f"{group_text(result.group_key(high))} ({rates[high]:.1%}){ci_text}. A ratio below 0.8 is the "
                 "usual warning sign of adverse impact"
                 + ("." if sure else "; the interval reaches 0.8, so the evidence is not conclusive.")),
        evidence={"ratio": record["value"], "ci": record["ci"], "threshold": FOUR_FIFTHS,
                  "lowest": {"group": result.group_key(low), "selection_rate": float(rates[low])},
                  "highest": {"group": result.group_key(high), "selection_rate": float(rates[high])}},
    )]


def gap_findings(comparisons: list[dict], settings: FairnessSettings, task: str) -> list[Finding]:
    """One finding per grouping, metric and class with at least one significant gap to the reference.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.analysis import FairnessSettings
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)  # the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> output = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0)
    >>> [result] = output.results
    >>> from auditkit.stats.comparisons import correct
    >>> correct(output.comparisons, "holm", 0.05)
    >>> [(f.id, f.severity) for f in gap_findings(output.comparisons, FairnessSettings(), "binary")][:2]
    [('fairness.gap.group.false_positive_rate', 'high'), ('fairness.gap.group.precision', 'high')]
    """
    n_tests = sum(1 for c in comparisons if c["p_value"] is not None)
    key = lambda c: (c["grouping"], str(c.get("class", "")), c["metric"])  # noqa: E731
    findings = []
    for _, items in groupby(sorted((c for c in comparisons if c["significant"]), key=key), key=key):
        findings.append(_gap_finding(list(items), settings, task, n_tests))
    return findings


def _severity(record: dict, task: str) -> str:
    if task != "regression":
        size = abs(record["difference"])
        high, medium = RATE_GAP_HIGH, RATE_GAP_MEDIUM
    else:
        base = abs(record["reference_value"]) if record["metric"] != "mean_error" else None
        size = abs(record["difference"]) / base if base else abs(record["difference"])
        high, medium = RELATIVE_GAP_HIGH, RELATIVE_GAP_MEDIUM
    return "high" if size >= high else "medium" if size >= medium else "low"


def _gap_finding(items: list[dict], settings: FairnessSettings, task: str, n_tests: int) -> Finding:
    first = items[0]
    severities = [_severity(c, task) for c in items]
    worst = min(severities, key=["high", "medium", "low"].index)
    about = first["grouping"] + (f" (class {show(first['class'])} against the rest)" if "class" in first else "")
    words = METRIC_WORDS.get(first["metric"], first["metric"])
    level = f"{settings.ci_level:.0%}"
    parts = [f"{group_text(c['group'])} {number(c['value'])} (difference {number(c['difference'], True)}, {level} CI "
             f"{_bound(c['difference_ci'][0])} to {_bound(c['difference_ci'][1])}; adjusted p {_p(c['p_adjusted'])})"
             for c in items]
    method = {"holm": "Holm", "bh": "Benjamini-Hochberg"}[settings.correction]
    message = (f"By {about}, the {words} differs from the reference group {group_text(first['reference'])} "
               f"({number(first['reference_value'])}): {'; '.join(parts)}. Gaps like these are unlikely to be chance: "
               f"they stay significant at {settings.alpha:g} after a {method} correction for the {n_tests} "
               "comparisons made in this audit.")
    suffix = first["grouping"] + (f".class={first['class']}" if "class" in first else "")
    return Finding(id=f"{STEP}.gap.{suffix}.{first['metric']}", step=STEP, severity=worst, message=message,
                   evidence={"metric": first["metric"], "reference": first["reference"], "comparisons": items,
                             "correction": settings.correction, "alpha": settings.alpha, "n_tests": n_tests})


def _bound(value: float | None) -> str:
    return number(value, sign=True)


def _p(value: float) -> str:
    return p_value(value)


def fairness_findings(results: list[GroupingResult], comparisons: list[dict], settings: FairnessSettings,
                      task: str) -> list[Finding]:
    """Every finding of the fairness step, in a stable order.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.fairness.analysis import FairnessSettings
    >>> from auditkit.fairness.tasks import run_fairness
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)  # the proxy favours group B
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> output = run_fairness(ctx, FairnessSettings(n_boot=200), [("group",)], {}, 0)
    >>> [result] = output.results
    >>> from auditkit.stats.comparisons import correct
    >>> correct(output.comparisons, "holm", 0.05)
    >>> [f.id for f in fairness_findings(output.results, output.comparisons, FairnessSettings(), "binary")][:3]
    ['fairness.four_fifths.group', 'fairness.gap.group.false_positive_rate', 'fairness.gap.group.precision']
    """
    findings: list[Finding] = []
    seen_small: set[str] = set()
    for result in results:
        if result.name not in seen_small:
            seen_small.add(result.name)
            findings.extend(missing_group_findings(result))
            findings.extend(small_group_findings(result, settings))
        findings.extend(too_few_findings(result, settings))
        findings.extend(degenerate_interval_findings(result, settings.ci_level))
        if task != "regression":
            findings.extend(undefined_findings(result))
            findings.extend(four_fifths_findings(result, settings.ci_level))
    findings.extend(gap_findings(comparisons, settings, task))
    return findings
