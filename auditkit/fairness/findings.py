"""Plain-language findings of the fairness step, each with the numbers (and intervals) behind it.

The gaps themselves (one finding per grouping and criterion) are in
:mod:`auditkit.fairness.criterion_findings`; this module adds what limits them (small groups,
rates on too few rows, undefined rates, degenerate intervals, the missing-value group) and
orders every finding of the step.
"""

from __future__ import annotations

import numpy as np

from auditkit.fairness.analysis import FairnessSettings, GroupingResult
from auditkit.fairness.criterion_findings import METRIC_WORDS, criterion_findings, group_text
from auditkit.result import Finding
from auditkit.stats.counts import denominator_words
from auditkit.text import number, show

__all__ = ["degenerate_interval_findings", "fairness_findings", "group_text", "missing_group_findings",
           "small_group_findings", "too_few_findings", "undefined_findings"]

STEP = "fairness"
UNDEFINED_REASONS = {
    "true_positive_rate": "no actual positives",
    "false_positive_rate": "no actual negatives",
    "precision": "no positive decisions",
    "negative_predictive_value": "no negative decisions",
}


def _about(result: GroupingResult) -> str:
    return result.name if result.klass is None else f"{result.name} (class {show(result.klass)} against the rest)"


def _suffix(result: GroupingResult) -> str:
    return result.name if result.klass is None else f"{result.name}.class={result.klass}"


def _subject(result: GroupingResult) -> dict:
    """The evidence naming what a finding is about: its grouping (and class)."""
    return {"grouping": result.name, **({} if result.klass is None else {"class": result.klass})}


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
        evidence={**_subject(result), "min_group_size": settings.min_group_size,
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
        evidence={**_subject(result), "undefined": items},
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
    [('fairness.missing_group.group', {'grouping': 'group', 'feature': 'group', 'label': '(missing)', 'n': 40})]
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
        evidence={**_subject(result), "feature": feature, "label": label, "n": n},
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
        evidence={**_subject(result), "min_denominator": settings.rate_threshold, "rates": items},
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
        evidence={**_subject(result), "intervals": items},
    )]


def fairness_findings(results: list[GroupingResult], comparisons: list[dict], settings: FairnessSettings,
                      task: str) -> list[Finding]:
    """Every finding of the fairness step, grouping by grouping: what limits the comparisons, then the gaps.

    The gaps are one finding per grouping and criterion (:func:`criterion_findings`).

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> from auditkit.fairness.analysis import FairnessSettings
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> from auditkit.stats.comparisons import correct
    >>> correct(output.comparisons, "holm", 0.05)
    >>> [f.id for f in fairness_findings(output.results, output.comparisons, FairnessSettings(), "binary")]
    ['fairness.gap.group.demographic_parity', 'fairness.gap.group.equalized_odds',
     'fairness.gap.group.predictive_parity']
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
        findings.extend(criterion_findings(result, comparisons, settings, task))
    return findings
