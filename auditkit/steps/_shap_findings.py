"""The SHAP step's findings about itself: its row budget, its output space and its additivity check."""

from __future__ import annotations

from auditkit.result import Finding


def worth_stating(summary: dict) -> bool:
    """True when the budget is worth a finding: rows were sampled, or a faster explainer could not be used."""
    return summary["budget"]["rows_sampled"] or summary["fallback_reason"] is not None


def budget_finding(step: str, summary: dict) -> Finding:
    """How many rows were explained and how they were chosen (with the budget as evidence)."""
    budget = summary["budget"]
    strata = " × ".join(budget["stratified_by"]) or "nothing"
    text = (
        f"SHAP values were computed with the {summary['explainer']} explainer for "
        f"{budget['rows_explained']:,} of {budget['rows_audited']:,} audited rows (a seeded sample stratified by "
        f"{strata}, means weighted back to the audited rows; at most {budget['max_rows']:,} rows, "
        f"{_LIMIT_SOURCES[budget['max_rows_from']]})"
        if budget["rows_sampled"]
        else f"SHAP values were computed with the {summary['explainer']} explainer for all rows"
    )
    if budget["background_rows"]:
        text += f", against {budget['background_rows']} background rows"
    text += "."
    if summary["fallback_reason"]:
        text += f" A model-specific explainer was not used because {summary['fallback_reason']}."
    return Finding(id=f"{step}.budget", step=step, severity="info", message=text, evidence=budget)


_LIMIT_SOURCES = {
    "max_rows": "the step's max_rows", "shap_rows": "shap_rows", "agnostic_max_rows": "the model-agnostic budget",
    "automatic": "the default budget, lowered for models whose TreeSHAP would take over about 30 s; "
                 "set shap_rows to explain more",
}


def additivity_finding(step: str, summary: dict) -> Finding:
    add = summary["additivity"]
    return Finding(
        id=f"{step}.additivity", step=step, severity="high",
        message=(
            f"SHAP values do not add up to the model output ({summary['output_space']}): max |sum + base − output| "
            f"= {add['max_abs_error']:.3g}, {add['max_rel_error']:.2g} of the output scale {add['scale']:.3g} "
            f"(tolerance {add['rtol']:.1g} of the scale for a {add['precision']} model). "
            "The attributions are not a faithful decomposition of this model's output; do not rely on "
            "them, and report the model type to the auditkit developers."
        ),
        evidence=add,
    )


def output_space_finding(step: str, summary: dict) -> Finding:
    """Said when the explained output is not the model's prediction or probability itself."""
    output = summary["output"]
    return Finding(
        id=f"{step}.output_space", step=step, severity="info",
        message=(f"SHAP values are in {output['space']} space, not in the units of the model's "
                 f"{output['model_output']}. {output['statement']}"),
        evidence=output,
    )


def states_another_scale(output: dict) -> bool:
    """True when the values are not in the units of what the model returns (log-odds of classifiers aside)."""
    return output["link"] != "identity" and output["space"] != "log-odds"
