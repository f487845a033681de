"""Report views for the explanation half of an audit (SHAP, LIME, agreement).

Only formatting: every number comes from ``audit.json`` or, for the per-row plots, from the
SHAP artifacts saved beside it; the plots are ``result.plot``'s. Every string is HTML-escaped,
and shown as plain text in plots (a ``$`` in a column name is a dollar).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.report.figure_cache import plot_html
from auditkit.report.plots_explain import SHAP_ARTIFACTS
from auditkit.report.summary import SEVERITY_ORDER
from auditkit.report.views import esc, plain_html, table_html

if TYPE_CHECKING:
    from auditkit.result import AuditResult

EXPLANATION_STEPS = ("shap", "lime", "agreement")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}


def show(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Display the explanation sections of ``doc`` in a notebook (nothing when the audit has none).

    The plots are drawn by ``result.plot`` (the same audit, e.g.
    :func:`auditkit.report.views.load_result`); without ``result`` they are left out.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from auditkit.examples import shap_audit
    >>> result = shap_audit()  # SHAP of a reference model on 300 rows of German credit
    >>> show(result.to_dict(), result)  # doctest: +ELLIPSIS
    <IPython.core.display.HTML object>
    ...
    >>> matplotlib.pyplot.close("all")
    """
    from IPython.display import HTML, display

    def show_html(fragment: str) -> None:
        display(HTML(plain_html(fragment)))

    section = doc.get("explanations")
    step_findings = [f for f in doc.get("findings", []) if f["step"] in EXPLANATION_STEPS]
    if not section:
        if step_findings:
            show_html(f"<p>No explanations in this audit. {findings_pointer(step_findings)}</p>")
        return
    if "shap" in section:
        _show_shap(section, result, show_html)
    if section.get("lime", {}).get("instances"):
        show_html("<h3>LIME: local explanations and their stability</h3>" + lime_html(section["lime"]))
    if section.get("agreement", {}).get("instances"):
        show_html("<h3>Do SHAP and LIME agree?</h3>" + agreement_html(section["agreement"]))
    if step_findings:
        show_html(f"<p><i>{findings_pointer(step_findings)}</i></p>")


def _show_shap(section: dict[str, Any], result: AuditResult | None, show_html) -> None:
    shap = section["shap"]
    show_html("<h3>SHAP: what drives the model's output</h3>" + shap_summary_html(shap))
    show_html(table_html(_importance_frame(section), digits=4))
    if result is None:
        return
    show_html(plot_html(result, "importance", "Horizontal bar chart of the mean absolute SHAP value per feature"))
    if not all(name in result.step("shap").artifacts for name in SHAP_ARTIFACTS):
        show_html("<p><i>The per-row SHAP values (artifacts/shap__*.parquet) are missing; "
                  "beeswarm and dependence plots are not shown.</i></p>")
    else:
        show_html(plot_html(result, "beeswarm", "Beeswarm plot: one dot per explained row and feature"))
        for feature in shap["top_features"]:
            show_html(plot_html(result, "dependence", "Dependence plot of one feature's SHAP values", feature))
    for view in section.get("group_attributions", []):
        figure = plot_html(result, "group_attribution",
                           "Horizontal bar chart of each feature's part in the gaps between groups",
                           view["sensitive_feature"])
        show_html(group_html(view, shap["output_space"]) + figure)


def shap_summary_html(shap: dict[str, Any]) -> str:
    """Explainer, output space, budget and the additivity statement, as HTML.

    Examples
    --------
    >>> from auditkit.examples import shap_audit
    >>> doc = shap_audit().to_dict()  # SHAP of a reference model on 300 rows of German credit
    >>> section = doc["explanations"]
    >>> "Explainer: <b>tree</b>" in shap_summary_html(section["shap"])
    True
    """
    budget = shap["budget"]
    rows = (f"all {budget['rows_audited']:,} audited rows" if not budget["rows_sampled"]
            else f"a seeded sample of {budget['rows_explained']:,} of {budget['rows_audited']:,} audited rows")
    background = ("none (path-dependent TreeSHAP uses the training cover stored in the trees)"
                  if not budget.get("background_rows")
                  else f"a seeded sample of {budget['background_rows']} {budget['background_source']}")
    output = shap.get("output", {})
    items = [
        f"Explainer: <b>{esc(shap['explainer'])}</b> for the model's final estimator "
        f"<code>{esc(shap['model'])}</code>; values are in <b>{esc(shap['output_space'])}</b> space"
        + (f" of class <code>{esc(shap['explained_class'])}</code>." if shap.get("explained_class") else ".")
        + (f" {esc(output['statement'])}" if output.get("statement") else ""),
        f"Rows explained: {esc(rows)}. Background: {esc(background)}."
        + (f" Permutations per row: {esc(budget['n_permutations'])}." if "n_permutations" in budget else ""),
        additivity_text(shap),
        features_text(shap.get("encoded_columns") or {}),
    ]
    if shap.get("fallback_reason"):
        items.append(f"A model-specific explainer was not used: {esc(shap['fallback_reason'])}.")
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def additivity_text(shap: dict[str, Any]) -> str:
    """Whether the SHAP values add up to the model output, with the errors and the tolerance used (HTML).

    Examples
    --------
    >>> from auditkit.examples import shap_audit
    >>> doc = shap_audit().to_dict()  # SHAP of a reference model on 300 rows of German credit
    >>> section = doc["explanations"]
    >>> section["shap"]["additivity"]["holds"], additivity_text(section["shap"])[:40]
    (True, 'SHAP values satisfy additivity: max |sum')
    """
    add = shap["additivity"]
    verdict = "satisfy" if add["holds"] else "<b>violate</b>"
    text = (f"SHAP values {verdict} additivity: max |sum + base − output| = {add['max_abs_error']:.2e} "
            f"({esc(shap['output_space'])})")
    if "rtol" not in add:  # audit.json written before the tolerance was relative
        return text + f" (tolerance {add['tolerance']:.0e}); base value {shap['base_value']:.4g}."
    return text + (
        f", i.e. {add['max_rel_error']:.1e} of the output scale {add['scale']:.4g} (tolerance {add['rtol']:.1e} of "
        f"the scale, {add['tolerance']:.2e}, for a model computing in {esc(add['precision'])}); "
        f"base value {shap['base_value']:.4g}."
    )


def _importance_frame(section: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(section.get("global_importance", []), columns=["feature", "mean_abs_shap"])


def group_html(view: dict[str, Any], space: str) -> str:
    """Mean SHAP by group and the decomposition of the gaps in mean output, as HTML tables.

    Examples
    --------
    >>> from auditkit.examples import shap_audit
    >>> doc = shap_audit().to_dict()  # SHAP of a reference model on 300 rows of German credit
    >>> section = doc["explanations"]
    >>> view = section["group_attributions"][0]
    >>> html = group_html(view, section["shap"]["output_space"])
    >>> html.count("<h4>"), html.count("<details")  # two tables of 20 features: the rows after 10 folded
    (1, 2)
    """
    feature = view["sensitive_feature"]
    columns = {f"{g['group']} (n={g['n']:,})": {"mean model output": g["mean_output"], **g["mean_shap"]}
               for g in view["groups"]}
    parts = [
        f"<h4>Attributions by {esc(feature)}</h4>",
        f"<p>Mean model output and mean SHAP value per feature ({esc(space)}) in each group.</p>",
        table_html(pd.DataFrame(columns).rename_axis("").reset_index(), digits=3),
    ]
    if view["gaps"]:
        parts.append(
            f"<p>Gap in mean output between each group and the reference group "
            f"<b>{esc(feature)}={esc(view['reference'])}</b>, in {esc(space)} space, split into per-feature "
            f"parts. By SHAP additivity the parts sum to the gap (residual = additivity error).</p>"
        )
        parts.append(table_html(gap_frame(view), digits=3))
    else:
        parts.append(f"<p>No gap decomposition: fewer than two groups of {esc(feature)} have at least "
                     f"{esc(view['min_group_size'])} explained rows.</p>")
    return "".join(parts)


def gap_frame(view: dict[str, Any]) -> pd.DataFrame:
    """Features × compared groups table of gap contributions, with gap/residual rows on top.

    Examples
    --------
    >>> from auditkit.examples import shap_audit
    >>> doc = shap_audit().to_dict()  # SHAP of a reference model on 300 rows of German credit
    >>> section = doc["explanations"]
    >>> table = gap_frame(section["group_attributions"][0])
    >>> table.columns.tolist(), table.iloc[:2, 0].tolist()
    (['', 'female − male'], ['gap in mean output', 'residual'])
    """
    columns = {}
    for gap in view["gaps"]:
        label = f"{gap['group']} − {gap['reference']}"
        column = {"gap in mean output": gap["gap"], "residual": gap["residual"]}
        column.update({c["feature"]: c["contribution"] for c in gap["contributions"]})
        columns[label] = column
    return pd.DataFrame(columns).rename_axis("").reset_index()


def features_text(encoded_columns: dict[str, int]) -> str:
    """What the features of the SHAP values are: the original columns, and which were one-hot encoded for the model.

    Examples
    --------
    >>> features_text({"age": 1, "sex": 2, "race": 5})
    'Features are the original columns; the one-hot dummies of race and sex are summed back into their column.'
    >>> features_text({"age": 1, "sex": 1})
    'Features are the original columns, each one input of the model.'
    """
    split = sorted(column for column, n in encoded_columns.items() if n > 1)
    if not split:
        return "Features are the original columns, each one input of the model."
    names = split[0] if len(split) == 1 else ", ".join(split[:-1]) + " and " + split[-1]
    return f"Features are the original columns; the one-hot dummies of {names} are summed back into their column."


def lime_html(lime: dict[str, Any]) -> str:
    """Settings, stability summary and one row per explained instance.

    Examples
    --------
    >>> from auditkit.examples import lime_audit
    >>> section = lime_audit().to_dict()["explanations"]  # LIME and its agreement with SHAP on German credit
    >>> lime_html(section["lime"]).count("<table")
    1
    """
    stability = lime.get("stability", {})
    intro = (
        f"<p>{len(lime['instances'])} instances, each explained {esc(lime['repeats'])} times with different "
        f"seeds ({esc(lime['num_samples'])} perturbed samples each; weights explain the "
        f"{esc(lime['output_space'])} of the positive class). Stability: mean top-{esc(lime['top_k'])} "
        f"Jaccard index across repeats {stability.get('mean_top_k_jaccard', float('nan')):.2f} "
        f"(1 = the same top features every time); {esc(stability.get('unstable_instances', 0))} "
        f"instance(s) below {esc(lime['min_jaccard'])}.</p>"
    )
    rows = []
    for inst in lime["instances"]:
        conditions = "; ".join(f"{c['condition']} ({c['weight']:+.3f})" for c in inst["conditions"][:3])
        rows.append({
            "row": inst["row_id"], "why chosen": inst["reason"], "true": inst["y_true"],
            "decision": inst["y_pred"], "score": inst["score"], f"top-{lime['top_k']} Jaccard": inst["top_k_jaccard"],
            "max weight std": inst["max_weight_std"], "local R²": inst["local_r2"],
            "strongest conditions (first repeat)": conditions,
        })
    return intro + table_html(pd.DataFrame(rows), digits=3)


def agreement_html(agreement: dict[str, Any]) -> str:
    """Mean agreement metrics and the per-instance table.

    Examples
    --------
    >>> from auditkit.examples import lime_audit
    >>> section = lime_audit().to_dict()["explanations"]  # LIME and its agreement with SHAP on German credit
    >>> agreement_html(section["agreement"]).count("<table")
    2
    """
    summary = agreement["summary"]
    intro = (
        f"<p>Metrics of Krishna et al. (2022) on the LIME instances, top-{esc(agreement['k'])} features; "
        f"SHAP ({esc(agreement['shap_explainer'])}) explains {esc(agreement['shap_output_space'])}, LIME "
        f"(averaged over {esc(agreement['lime_repeats_averaged'])} repeats) explains "
        f"{esc(agreement['lime_output_space'])}. 1 means full agreement. Top features — SHAP: "
        f"{esc(', '.join(summary['shap_top_features']))}; LIME: {esc(', '.join(summary['lime_top_features']))}.</p>"
    )
    means = pd.DataFrame({"metric": list(summary["mean"]), "mean": list(summary["mean"].values()),
                          "min": [summary["min"][m] for m in summary["mean"]]})
    instances = pd.DataFrame(agreement["instances"])
    return intro + table_html(means, digits=3) + "<details><summary>Per instance</summary>" + \
        table_html(instances, digits=3) + "</details>"


def findings_pointer(findings: list[dict[str, Any]]) -> str:
    """One sentence that points to the explanation steps' findings in the findings list (shown once, there).

    Examples
    --------
    >>> findings_pointer([{"step": "shap", "severity": "medium", "message": "..."},
    ...                   {"step": "shap", "severity": "info", "message": "..."},
    ...                   {"step": "agreement", "severity": "info", "message": "..."}])
    'The explanation steps left 3 findings (shap: 1 medium, 1 info; agreement: 1 info); they are in the findings \
list with the others.'
    """
    by_step: dict[str, Counter] = {}
    for f in findings:
        by_step.setdefault(f["step"], Counter())[f["severity"]] += 1
    counts = "; ".join(f"{esc(step)}: " + ", ".join(f"{n} {esc(s)}" for s, n in sorted(
        counter.items(), key=lambda item: _RANK.get(item[0], len(_RANK)))) for step, counter in by_step.items())
    plural = "s" if len(findings) > 1 else ""
    return (f"The explanation steps left {len(findings)} finding{plural} ({counts}); "
            f"{'they are' if plural else 'it is'} in the findings list with the others.")
