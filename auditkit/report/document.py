"""The first screen of a report: its title, a verdict in one sentence, the scorecard and the contents.

The title names the data and what was audited (:func:`auditkit.report.card_metadata.model_name`);
the verdict counts the scorecard's rows by status (:mod:`auditkit.report.scorecard`) and the
findings by severity; the contents link to the notebook's section headings (the ids nbconvert
gives markdown headings, :func:`heading_id`). Everything is read from ``audit.json``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from auditkit.report.card_metadata import model_name
from auditkit.report.findings_view import group_findings
from auditkit.report.glossary import TermLinker
from auditkit.report.notebook_cells import sections_for
from auditkit.report.scorecard import ScoreRow, scorecard_html, scorecard_rows
from auditkit.report.summary import NO_TEX, esc

__all__ = ["STYLE", "front_html", "heading_id", "title_text", "toc_html", "verdict_text"]

REPORT_SCOPE = {
    "bias": "Bias report: the data, performance and fairness. Explanations (SHAP, LIME) are in the full report.",
    "explain": "Explainability report: what drives the model (SHAP, LIME) and whether the explanations agree. "
               "Fairness is in the bias and full reports.",
    "full": "Full report: the data, performance, fairness and explanations.",
}
STYLE = """<style>
.jp-Cell.jp-mod-noInput.jp-mod-noOutputs{display:none}
.auditkit-title{font-size:1.9em;margin:0.3em 0 0.1em}
.auditkit-subtitle{color:#455a64;margin:0 0 0.6em}
.auditkit-verdict{font-size:1.15em;padding:0.5em 0.8em;margin:0.4em 0;background:#fafafa;border-left:6px solid #546e7a}
.auditkit-verdict-fail{border-left-color:#c62828}.auditkit-verdict-uncertain{border-left-color:#f9a825}
.auditkit-verdict-pass{border-left-color:#2e7d32}
table.auditkit-scorecard{border-collapse:collapse;font-size:0.9em;margin:0.5em 0;max-width:100%}
table.auditkit-scorecard caption{caption-side:bottom;text-align:left;font-size:0.85em;color:#455a64;padding-top:0.4em}
table.auditkit-scorecard th,table.auditkit-scorecard td{padding:3px 8px;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}
table.auditkit-scorecard td:nth-child(-n+2){white-space:nowrap}
.auditkit-status,.auditkit-severity{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:bold;
white-space:nowrap;font-size:0.85em}
nav.auditkit-toc ol{display:flex;flex-wrap:wrap;gap:0.2em 1.2em;margin:0.3em 0;padding-left:0}
nav.auditkit-toc li{list-style-position:inside}
.auditkit-finding-kind{border-left:4px solid #cfd8dc;padding:0.1em 0.8em;margin:0.8em 0}
.auditkit-finding{margin:0.2em 0 0.5em}.auditkit-finding p,.auditkit-finding-guide p{margin:0.25em 0}
.auditkit-finding-guide{color:#37474f}
a.auditkit-term{color:inherit;text-decoration:underline dotted}
dl.auditkit-glossary{columns:2 28em;column-gap:2.5em}
dl.auditkit-glossary dt,dl.auditkit-glossary dd{float:none;width:auto}dl.auditkit-glossary dt{break-after:avoid}
dl.auditkit-glossary dd{break-inside:avoid}
dl.auditkit-glossary dt{font-weight:bold;margin-top:0.5em}dl.auditkit-glossary dd{margin:0 0 0 1.5em}
</style>"""
"""The report's own styles (classes only; one block, shown with the first screen)."""


def heading_id(title: str) -> str:
    """The id nbconvert's HTML export gives a markdown heading (``nbconvert.filters.strings.add_anchor``).

    Examples
    --------
    >>> heading_id("Feature attributions (SHAP)"), heading_id("Bias in the data")
    ('Feature-attributions-(SHAP)', 'Bias-in-the-data')
    """
    return quote(title.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def title_text(doc: dict[str, Any]) -> str:
    """The report's title: what was audited, on which data.

    Examples
    --------
    >>> title_text({"dataset": {"name": "adult", "mode": "reference"},
    ...             "provenance": {"model": {"name": "HistGradientBoostingClassifier"}}})
    'Audit of reference model HistGradientBoostingClassifier on adult'
    >>> title_text({"dataset": {"name": "compas", "mode": "predictions", "spec": {"predictions": "high_risk"}},
    ...             "provenance": {"model": None}})
    'Audit of decisions in column high_risk on compas'
    """
    dataset = doc["dataset"]
    name = model_name(doc)
    mode = dataset.get("mode")
    what = {"reference": f"reference model {name}", "model": f"model {name}"}.get(mode, name)
    return f"Audit of {what} on {dataset.get('name')}"


def _subtitle(doc: dict[str, Any]) -> str:
    dataset = doc["dataset"]
    rows = dataset.get("n_rows")
    parts = [f"{rows:,} rows audited" if isinstance(rows, int) else f"{rows} rows audited",
             f"target {dataset.get('target')} (positive outcome {dataset.get('positive_label')!r})"
             if dataset.get("target") is not None else "",
             f"sensitive features {', '.join(map(str, dataset.get('sensitive_features', [])))}"]
    return " · ".join(p for p in parts if p)


def _names(rows: list[ScoreRow]) -> str:
    """``"demographic parity by sex and race; equalized odds by sex"``."""
    by_criterion: dict[str, list[str]] = {}
    for row in rows:
        by_criterion.setdefault(row.name, []).append(row.grouping)
    return "; ".join(f"{name} by {_and(groupings)}" for name, groupings in by_criterion.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_text(doc: dict[str, Any]) -> str:
    """The verdict in one sentence: the scorecard's rows by status, then the findings by severity.

    Findings are counted as the findings section shows them (a failed policy check inside the
    finding about the same gap).

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, steps=["fairness"],
    ...                      sensitive=["sex"], policy={"demographic_parity_ratio": {"min": 0.8}},
    ...                      progress=False).to_dict()
    >>> verdict_text(doc)
    'Fails 1 of 4 fairness checks (demographic parity by sex); 3 uncertain, 0 pass; 2 high-severity findings.'
    """
    rows = [r for r in scorecard_rows(doc) if r.status != "not judged"]
    status = Counter(r.status for r in rows)
    if not rows:
        head = ("No fairness check has a threshold (set one in a policy)" if doc.get("fairness", {}).get("disparities")
                else "No fairness checks in this audit (the fairness step did not run)")
    elif status["fail"]:
        head = (f"Fails {status['fail']} of {_count(len(rows), 'fairness check')} "
                f"({_names([r for r in rows if r.status == 'fail'])}); {status['uncertain']} uncertain, "
                f"{status['pass']} pass")
    else:
        head = f"Passes {status['pass']} of {_count(len(rows), 'fairness check')}; {status['uncertain']} uncertain"
    if status["undefined"]:
        head += f", {status['undefined']} could not be estimated"
    severities = Counter(item.severity for items in group_findings(doc).values() for item in items)
    serious = [f"{severities[s]} {s}-severity" for s in ("high", "medium") if severities[s]]
    tail = (" and ".join(serious) + (" findings" if severities["high"] + severities["medium"] > 1 else " finding")
            if serious else "no finding of medium or high severity")
    failed = list(dict.fromkeys(f["step"] for f in doc.get("findings", []) if f["severity"] == "error"))
    if failed:
        tail += f"; {_count(len(failed), 'step')} failed ({', '.join(failed)})"
    return f"{head}; {tail}."


def _verdict_class(doc: dict[str, Any]) -> str:
    statuses = {r.status for r in scorecard_rows(doc)}
    return next((s for s in ("fail", "uncertain", "pass") if s in statuses), "none")


def toc_html(kind: str) -> str:
    """The contents: a link to each section heading of the report notebook ``kind``.

    Examples
    --------
    >>> toc_html("bias").count("<li>"), "href='#Bias-in-the-data'" in toc_html("bias")
    (10, True)
    """
    items = "".join(f"<li><a href='#{esc(heading_id(s.title))}'>{esc(s.title)}</a></li>"
                    for s in sections_for(kind) if s.title is not None)
    return f"<nav class='auditkit-toc {NO_TEX}'><b>Contents</b><ol>{items}</ol></nav>"


def front_html(doc: dict[str, Any], report: str = "full") -> str:
    """The first screen of the report ``report``: styles, title, verdict, scorecard and contents.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, steps=["fairness"],
    ...                      sensitive=["sex"], progress=False).to_dict()
    >>> html = front_html(doc, "bias")
    >>> [html.index(part) < html.index("<table id='scorecard'") < html.index("<nav")
    ...  for part in ("<h1", "<p id='verdict'")]
    [True, True]
    """
    linker = TermLinker(doc)
    parts = [STYLE,
             f"<h1 class='auditkit-title'>{esc(title_text(doc))}</h1>",
             f"<p class='auditkit-subtitle'>{esc(_subtitle(doc))}</p>",
             f"<p id='verdict' class='auditkit-verdict auditkit-verdict-{_verdict_class(doc)}'><b>Verdict:</b> "
             f"{esc(verdict_text(doc))}</p>",
             scorecard_html(doc, linker),
             toc_html(report),
             f"<p><small>{esc(REPORT_SCOPE.get(report, ''))} This report is a view of audit.json in the same "
             "folder: every number in it was computed by the auditkit library and recorded there with its "
             "provenance. Re-running the audit with the same data, model and seed gives the same numbers.</small></p>"]
    return f"<div class='auditkit-front {NO_TEX}'>" + "\n".join(p for p in parts if p) + "</div>"
