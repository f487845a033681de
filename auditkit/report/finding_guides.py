"""What each kind of finding means and what to check next, in plain words, with a short title.

A finding's kind is the second part of its id (``data_bias.proxies.sex`` is of kind
``data_bias.proxies``); a fairness gap's guide depends on its criterion
(``fairness.gap`` with ``evidence["criterion"]``). Findings of steps this module does not know
(plugins) get a title from their id and no guide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["GUIDES", "Guide", "guide_for", "kind_of", "title_for"]


@dataclass(frozen=True)
class Guide:
    """A kind of finding: its title (``{subject}`` filled from the finding) and two plain sentences.

    Examples
    --------
    >>> Guide("Proxies of {subject}", "It means.", "Check this.").title_of("sex")
    'Proxies of sex'
    """

    title: str
    means: str
    next: str

    def title_of(self, subject: str) -> str:
        return self.title.format(subject=subject)


_GAP_NEXT = ("check whether the groups' intervals overlap (Fairness by group), whether the gap is already in the "
             "recorded outcome (Bias in the data), and which features carry it (Explanations).")
GUIDES: dict[str, Guide] = {
    "performance.training_rows": Guide(
        "Audited rows the model may have been trained on", "A model does better on rows it was trained on, so "
        "figures that include them look better than the model will do on new data.", "Audit the dataset's "
        "held-out rows (the default split), unless the model was not trained on this dataset."),
    "data_overview.missing_values": Guide(
        "Missing values", "Rows with missing values are filled in or dropped before a model sees them, so the model "
        "may work less well where data are missing.", "See whether the missing values fall more on some groups "
        "(Bias in the data: missing values by group) and how the model handles them."),
    "data_bias.missing_sensitive": Guide(
        "Missing values of {subject}", "Rows without a recorded sensitive value form a group of their own; the audit "
        "cannot say which group they belong to.", "Find out why the value is missing and whether those rows differ "
        "from the others."),
    "data_bias.under_represented": Guide(
        "Small groups of {subject}", "Groups with few rows give uncertain rates, and a model learns less about them.",
        "Read their rates with the intervals; collect more data for these groups if they matter to the decision."),
    "data_bias.base_rate_gap": Guide(
        "The recorded outcome differs by {subject}", "The labels themselves differ between groups, so a model that "
        "learns them reproduces the gap. Whether the gap is real or comes from how the labels were recorded cannot be "
        "told from the data alone.", "Ask how the outcome was recorded and whether it is a fair target; compare the "
        "decisions' selection rates by group with these base rates."),
    "data_bias.missingness_gap": Guide(
        "Missing more often in some groups: {subject}", "How missing values are filled in or dropped then "
        "affects these groups more than others.", "Check how the column's missing values are handled and whether "
        "the column matters to the model (Explanations)."),
    "data_bias.proxies": Guide(
        "Proxies of {subject}", "Leaving the sensitive feature out of the model does not stop the model from using it: "
        "these columns carry much of the same information.", "Look at these columns' SHAP values by group "
        "(Explanations) and whether they are needed; audit a model trained without them."),
    "fairness.small_groups": Guide(
        "Groups too small to compare by {subject}", "Their rates are shown but left out of the scorecard, the tests "
        "and the policy checks, so a gap for these groups could go unseen.", "Read their rates with the intervals; "
        "lower min_group_size only if you accept the uncertainty."),
    "fairness.too_few": Guide(
        "Rates resting on too few rows by {subject}", "A rate is estimated from its own denominator (e.g. the actual "
        "positives for a true positive rate); with few rows it is too uncertain to compare.", "Read these rates "
        "with their intervals; more data for these groups would make them comparable."),
    "fairness.undefined_rates": Guide(
        "Rates that cannot be computed by {subject}", "A group has none of the rows a rate is a share of, so the rate "
        "is undefined (not 0).", "Check whether the group ever gets (or deserves) a positive decision."),
    "fairness.degenerate_intervals": Guide(
        "Intervals that are a single point by {subject}", "Every resample gave the same value (a rate of 0 or 1), "
        "which does not make the value certain.", "Read the Wilson score intervals in the tables instead."),
    "fairness.missing_group": Guide(
        "Rows without a recorded {subject}", "They are compared as a group of their own, never the reference.",
        "Find out why the value is missing."),
    "fairness.scores_not_probabilities": Guide(
        "Scores are not probabilities", "Metrics that need probabilities (Brier score, calibration) are left out.",
        "Give the audit probability scores (e.g. predict_proba) to check calibration."),
    "fairness.gap.demographic_parity": Guide(
        "Demographic parity by {subject}", "The groups get positive decisions at different rates. That is a "
        "difference in outcomes; it may follow differences in the true outcome or come from bias in the decisions.",
        "Compare with the base rates in the data; see whether the errors differ too (equalized odds); " + _GAP_NEXT),
    "fairness.gap.equalized_odds": Guide(
        "Equalized odds by {subject}", "The decisions' errors fall unequally: people with the same true outcome are "
        "treated differently by group (true positive rate: deserving people missed; false positive rate: others "
        "selected).", "Check the scores' calibration by group and the quality of the labels by group; " + _GAP_NEXT),
    "fairness.gap.predictive_parity": Guide(
        "Predictive parity by {subject}", "A positive decision is right more often for some groups than for others, "
        "so it means something different by group.", "Check calibration by group and the base rates: when base "
        "rates differ, predictive parity and equalized odds cannot both hold; " + _GAP_NEXT),
    "fairness.gap": Guide(
        "Gap in {subject}", "The groups differ on this measure by more than chance would explain.",
        _GAP_NEXT[0].upper() + _GAP_NEXT[1:]),
    "policy": Guide(
        "Policy check {subject}", "A threshold the audit's policy sets was not met (or could not be evaluated, which "
        "counts as not met).", "See the scorecard and the disparities table for the value and its interval."),
    "shap.group_gap": Guide(
        "What drives the gap in model output by {subject}", "SHAP splits the gap in average model output between "
        "groups exactly over the features.", "Check whether the largest parts come from features that should "
        "matter for the decision."),
    "shap.direct_use": Guide(
        "The model uses {subject} directly", "Part of the gap between groups comes from the sensitive feature itself; "
        "the rest comes through other features, so removing the column alone would not close the gap.", "Decide "
        "whether the feature may be used; look at its proxies (Bias in the data)."),
    "shap.budget": Guide("How much SHAP explained", "SHAP explained a sample of rows within its budget.",
                         "Raise the budget for more precise attributions."),
    "shap.additivity": Guide(
        "SHAP values do not add up", "The attributions do not add up to the model output, so they cannot be trusted "
        "as they are.", "Report the problem with the model type and the explainer used."),
    "shap.output_space": Guide("What SHAP values are in", "The scale (log-odds, probability) SHAP values are in.",
                               "Keep the scale in mind when comparing with LIME."),
    "lime.missing_rows": Guide("Rows LIME could not explain", "Some chosen rows were not explained.",
                               "See the LIME section for which rows."),
    "lime.unstable": Guide("Unstable LIME explanations", "Repeating LIME with other seeds gave different top "
                           "features, so a single LIME explanation should not be relied on.",
                           "Raise num_samples, or rely on SHAP for these rows."),
    "agreement.agree": Guide("SHAP and LIME agree", "Two different methods name mostly the same top features.",
                             "Look at the instances where they do not agree."),
    "agreement.disagree": Guide("SHAP and LIME disagree", "The two methods name different top features, so "
                                "explanations of single rows are uncertain.", "Compare the per-instance table; prefer "
                                "SHAP's global importance for conclusions."),
    "mitigation.cost": Guide(
        "What mitigating for {subject} costs", "Each option changes the decisions to narrow a gap between groups; "
        "measured on held-out rows it never saw, it shows how far the gap shrinks and how much accuracy it costs.",
        "Weigh the smaller gap against the accuracy lost (the Mitigation section plots them together), and read the "
        "intervals: on few rows neither change may be certain."),
    "mitigation.sensitive_at_decision": Guide(
        "Post-processing decides by {subject}", "ThresholdOptimizer sets a different threshold for each group, so "
        "every decision needs the person's group.", "Check whether decisions may depend on the feature where the "
        "model is used; the reductions do not need it to decide unless the model takes it as an input."),
    "mitigation.skipped": Guide(
        "Mitigations not evaluated", "An option could not be fitted; each finding says why.", "Audit with the "
        "reference model, or with an estimator that can be copied and trained with sample weights."),
    "mitigation.not_binary": Guide("Mitigation did not run", "The mitigations of fairlearn handle binary decisions "
                                   "only.",
                                   "Audit a binary decision to compare mitigations."),
    "failed": Guide("The {subject} step failed", "Its results are missing from this report.",
                    "Read the error in audit.json (the finding's evidence keeps the traceback) and re-run."),
    "needs_model": Guide("The {subject} step did not run", "It needs the model, and this audit checks existing "
                         "decisions only.", "Audit with a model to run it."),
}
"""Guides by kind (``step.kind``; ``fairness.gap.<criterion>``; ``failed`` and ``needs_model`` of any step)."""


def kind_of(finding: dict[str, Any]) -> str:
    """The kind of a finding, which picks its guide (``fairness.gap.<criterion>`` for a fairness gap).

    Examples
    --------
    >>> kind_of({"id": "fairness.gap.sex.demographic_parity", "step": "fairness",
    ...          "evidence": {"criterion": "demographic_parity"}})
    'fairness.gap.demographic_parity'
    >>> kind_of({"id": "shap.failed", "step": "shap"}), kind_of({"id": "policy.x[sex]", "step": "policy"})
    ('failed', 'policy')
    """
    parts = str(finding["id"]).split(".")
    step = finding.get("step", parts[0])
    if step == "policy":
        return "policy"
    kind = parts[1] if len(parts) > 1 else ""
    if kind in ("failed", "needs_model"):
        return kind
    key = f"{step}.{kind}"
    criterion = (finding.get("evidence") or {}).get("criterion")
    if key == "fairness.gap" and f"fairness.gap.{criterion}" in GUIDES:
        return f"fairness.gap.{criterion}"
    return key


def guide_for(finding: dict[str, Any]) -> Guide | None:
    """The guide of a finding (an ``audit.json`` finding record), or None for a kind without one.

    Examples
    --------
    >>> guide_for({"id": "data_bias.proxies.sex", "step": "data_bias"}).title
    'Proxies of {subject}'
    >>> guide_for({"id": "myplugin.odd", "step": "myplugin"}) is None
    True
    """
    return GUIDES.get(kind_of(finding))


def _subject(finding: dict[str, Any]) -> str:
    evidence = finding.get("evidence") or {}
    parts = str(finding["id"]).split(".")
    if parts[-1] in ("failed", "needs_model"):
        return finding.get("step", parts[0])
    if finding.get("step") == "policy":
        return ".".join(parts[1:])
    if "column" in evidence and "feature" in evidence:
        return f"{evidence['column']} by {evidence['feature']}"
    subject = (evidence.get("grouping") or evidence.get("sensitive_feature") or evidence.get("feature")
               or ".".join(parts[2:]))
    if "class" in evidence:
        subject += f" (class {evidence['class']})"
    if kind_of(finding) == "fairness.gap" and evidence.get("criterion"):
        subject = f"{str(evidence['criterion']).replace('_', ' ')} by {subject}"
    return subject


def title_for(finding: dict[str, Any]) -> str:
    """A short title for a finding: its guide's, filled with what it is about, or its id.

    Examples
    --------
    >>> title_for({"id": "fairness.gap.sex.demographic_parity", "step": "fairness",
    ...            "evidence": {"grouping": "sex", "criterion": "demographic_parity"}})
    'Demographic parity by sex'
    >>> title_for({"id": "myplugin.odd.x", "step": "myplugin"})
    'myplugin.odd.x'
    """
    guide = guide_for(finding)
    if guide is None:
        return str(finding["id"])
    title = guide.title_of(_subject(finding))
    return title[:1].upper() + title[1:]
