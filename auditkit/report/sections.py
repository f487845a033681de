"""One call per section of a report notebook: each displays its section of an ``audit.json``.

The report notebooks stay thin: a heading and prose in markdown, then one of these calls. Each
shows what the audit has for its section, or says in one line that the step behind it did not
run (and why, when a finding says so). The evidence itself is drawn by the view modules
(:mod:`~auditkit.report.views`, :mod:`~auditkit.report.bias_views`,
:mod:`~auditkit.report.explain_views`); the bias and explanation views are given the part of the
document their section is about. Findings are shown once, in the findings section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.report import bias_views, context_views, explain_views, mitigation_views, views
from auditkit.report.figure_cache import plot_html
from auditkit.report.findings_view import findings_html
from auditkit.report.glossary import glossary_html
from auditkit.report.summary import esc

if TYPE_CHECKING:
    from auditkit.result import AuditResult

__all__ = ["agreement", "context", "data", "data_bias", "disparities", "explanations", "findings", "glossary",
           "groups", "lime", "mitigation", "performance", "provenance", "shap"]

_EXPLAIN_PARTS = {"shap": ("shap", "global_importance", "group_attributions"), "lime": ("lime",),
                  "agreement": ("agreement",)}


def _show(fragment: str) -> None:
    from IPython.display import HTML, display

    display(HTML(views.plain_html(fragment)))


def _show_plot(result: AuditResult, plot: str, what: str, *args: Any) -> None:
    """Display ``result.plot.<plot>(*args)`` as an image (drawn ahead when it was: see ``figure_cache``)."""
    from IPython.display import HTML, display

    display(HTML(plot_html(result, plot, what, *args)))


def _not_run(doc: dict[str, Any], steps: tuple[str, ...], what: str) -> None:
    """Say that ``what`` is not in this audit, with the reason a step left (failed, needs a model)."""
    reasons = [f["message"] for f in doc.get("findings", []) if f["step"] in steps
               and str(f["id"]).split(".")[1:2] in (["failed"], ["needs_model"])]
    why = " ".join(reasons) if reasons else "the step did not run."
    _show(f"<p><i>{esc(what)}: not in this audit; {esc(why)}</i></p>")


def findings(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """The findings, by theme, each with what it means and what to check next.

    Examples
    --------
    >>> findings({"findings": [], "steps": []})  # outside a notebook, IPython prints what it would show
    <IPython.core.display.HTML object>
    """
    _show(findings_html(doc))


def data(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Group sizes and the columns with missing values (the ``data_overview`` step).

    Examples
    --------
    >>> data({"findings": []})
    <IPython.core.display.HTML object>
    """
    overview = doc.get("data", {}).get("overview")
    if not overview:
        _not_run(doc, ("data_overview",), "The data overview")
        return
    columns = pd.DataFrame(overview["columns"])
    missing = columns[columns["n_missing"] > 0] if "n_missing" in columns else columns.iloc[0:0]
    _show(views.table_html(pd.DataFrame(overview["group_sizes"]))
          + (f"<p>No missing values in any of the {len(columns)} columns.</p>" if missing.empty
             else views.table_html(missing)))


def data_bias(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Bias in the data before any model: representation, outcome by group, missing values, proxies.

    Examples
    --------
    >>> data_bias({"findings": [], "data": {}})
    <IPython.core.display.HTML object>
    """
    if not doc.get("data", {}).get("bias"):
        _not_run(doc, ("data_bias",), "The data bias analysis")
        return
    _show(bias_views.bias_html({**doc, "fairness": {}, "checks": {}}))


def performance(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """The overall performance metrics.

    Examples
    --------
    >>> performance({"findings": [], "performance": {"overall": {"n": 10, "accuracy": 0.8}}})
    <IPython.core.display.HTML object>
    """
    if not doc.get("performance", {}).get("overall"):
        _not_run(doc, ("performance",), "Performance")
        return
    _show(views.table_html(views.performance_table(doc), digits=4))


def groups(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """For each grouping, a heading, the rates by group and (given ``result``) their plot with intervals.

    Examples
    --------
    >>> groups({"findings": [], "fairness": {}})
    <IPython.core.display.HTML object>
    """
    if not doc.get("fairness", {}).get("by_group"):
        _not_run(doc, ("fairness",), "Fairness by group")
        return
    for features in views.groupings_in(doc):
        _show(f"<h3>{esc(' × '.join(features))}</h3>"
              + views.table_html(views.by_group_frame(doc, features).drop(columns=["grouping"])))
        if result is not None:
            _show_plot(result, "group_rates", "Bar chart of rates by group with confidence intervals", features)
    note = views.score_statistics_note(doc)
    if note:
        _show(f"<p>{esc(note)}</p>")


def disparities(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Disparities with intervals, each group against the reference, policy checks and calibration.

    Examples
    --------
    >>> disparities({"findings": [], "fairness": {}})
    <IPython.core.display.HTML object>
    """
    if not doc.get("fairness", {}).get("disparities"):
        _not_run(doc, ("fairness",), "Disparities")
        return
    data_part = {k: v for k, v in doc.get("data", {}).items() if k != "bias"}
    _show(bias_views.bias_html({**doc, "data": data_part}, result))


def _explain(doc: dict[str, Any], result: AuditResult | None, parts: tuple[str, ...], steps: tuple[str, ...],
             what: str) -> None:
    section = doc.get("explanations") or {}
    kept = {k: v for k, v in section.items() if k in parts}
    if not any(kept.get(p) for p in parts):
        _not_run(doc, steps, what)
        return
    explain_views.show({**doc, "explanations": kept, "findings": []}, result)  # findings: in their own section


def explanations(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """SHAP (importance, plots, group attributions), LIME and their agreement.

    Examples
    --------
    >>> explanations({"findings": []})
    <IPython.core.display.HTML object>
    """
    _explain(doc, result, tuple(p for parts in _EXPLAIN_PARTS.values() for p in parts), tuple(_EXPLAIN_PARTS),
             "Explanations")


def shap(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """SHAP: global importance, beeswarm and dependence plots, and the attributions by group.

    Examples
    --------
    >>> shap({"findings": []})
    <IPython.core.display.HTML object>
    """
    _explain(doc, result, _EXPLAIN_PARTS["shap"], ("shap",), "SHAP explanations")


def lime(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """LIME: local explanations of chosen rows and their stability.

    Examples
    --------
    >>> lime({"findings": []})
    <IPython.core.display.HTML object>
    """
    _explain(doc, result, _EXPLAIN_PARTS["lime"], ("lime",), "LIME explanations")


def agreement(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """How far SHAP and LIME agree on the rows LIME explained.

    Examples
    --------
    >>> agreement({"findings": []})
    <IPython.core.display.HTML object>
    """
    _explain(doc, result, _EXPLAIN_PARTS["agreement"], ("agreement",), "The agreement of SHAP and LIME")


def mitigation(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """fairlearn's mitigations compared on held-out rows: a table, rates by group and (given ``result``) the plot.

    Examples
    --------
    >>> mitigation({"findings": [], "steps": []})
    <IPython.core.display.HTML object>
    """
    if not (doc.get("mitigation") or {}).get("options"):
        if "mitigation" in [s.get("name") for s in doc.get("steps", [])]:
            reasons = [f["message"] for f in doc.get("findings", []) if f["step"] == "mitigation"]
            why = " ".join(reasons) if reasons else "the step recorded no options."
            _show(f"<p><i>Mitigation: not in this audit; {esc(why)}</i></p>")
        else:
            _show("<p><i>Mitigation: not in this audit. It trains models, so the standard audit leaves it out; "
                  "add it with <code>steps=[..., \"mitigation\"]</code>.</i></p>")
        return
    _show(mitigation_views.mitigation_html(doc))
    if result is not None:
        _show_plot(result, "mitigation", "Scatter plot of accuracy against disparity for each mitigation option, "
                   "with confidence intervals")


def glossary(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """The glossary of the terms the report uses.

    Examples
    --------
    >>> glossary({"fairness": {"by_group": []}})
    <IPython.core.display.HTML object>
    """
    _show(glossary_html(doc))


def context(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """What was audited: the target and groups, the model, the data and its datasheet, intended use, limitations.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=300, steps=["performance"],
    ...                      progress=False).to_dict()
    >>> context(doc)
    <IPython.core.display.HTML object>
    """
    _show(views.header_html(doc) + context_views.context_html(doc))


def provenance(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Hashes, versions, seed and times, with a link to ``audit.json``.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=300, steps=["performance"],
    ...                      progress=False).to_dict()
    >>> provenance(doc)
    <IPython.core.display.HTML object>
    """
    _show(context_views.provenance_html(doc))
