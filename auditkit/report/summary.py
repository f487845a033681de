"""The short views of an audit result: its notebook display and its text repr.

The notebook display (``AuditResult._repr_html_``) is a page, not the report: a verdict
line, the findings by severity, a scorecard with one row per grouping (its worst disparity,
the interval and the two groups behind it, and the policy checks when a policy was set),
and the names of the detailed tables. Every string is HTML-escaped and kept out of the
notebook's TeX typesetting. Nothing is computed here that a step did not compute: the
worst disparity is chosen among the step's own records.

The functions take the result's parts (steps are objects with ``name``, ``payload``,
``tables`` and ``findings``; findings have ``step``, ``severity`` and ``message``), so this
module does not import :mod:`auditkit.result`.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from auditkit.report.card_metadata import model_name
from auditkit.text import number

SEVERITY_ORDER = ("error", "high", "medium", "low", "info")
SEVERITY_COLOURS = {"error": "#7f0000", "high": "#c62828", "medium": "#ef6c00", "low": "#f9a825", "info": "#546e7a"}
NO_TEX = "tex2jax_ignore mathjax_ignore"  # classes MathJax leaves alone: a "$" in data stays a dollar
FINDINGS_SHOWN = 10  # findings above "info" listed before the rest fold away


def esc(value: Any) -> str:
    """``value`` as HTML-escaped text (every string from data or models that reaches HTML).

    Examples
    --------
    >>> esc("<b>A & B</b>")
    '&lt;b&gt;A &amp; B&lt;/b&gt;'
    """
    return html.escape(str(value))


def _sorted_findings(steps: Sequence[Any]) -> list[Any]:
    """Every finding, most severe first; within a severity in the order of the steps (then as made)."""
    findings = [(i, f) for i, step in enumerate(steps) for f in step.findings]
    rank = {s: r for r, s in enumerate(SEVERITY_ORDER)}
    return [f for _, f in sorted(findings, key=lambda pair: (rank.get(pair[1].severity, len(rank)), pair[0]))]


def _failed_steps(steps: Sequence[Any]) -> list[str]:
    """Names of the steps that failed (they left an ``error`` finding)."""
    return list(dict.fromkeys(f.step for step in steps for f in step.findings if f.severity == "error"))


def _what_is_audited(dataset: dict[str, Any], provenance: dict[str, Any]) -> str:
    """``"reference model HistGradientBoostingClassifier in a Pipeline"``, ``"model credit-v2"``, ``"decisions in
    column y_hat"`` (the model named by :func:`auditkit.report.card_metadata.model_name`)."""
    name = model_name({"dataset": dataset, "provenance": provenance})
    mode = dataset.get("mode")
    if mode == "predictions":
        return name
    return f"{'reference model' if mode == 'reference' else 'model'} {name}"


def _title(dataset: dict[str, Any], provenance: dict[str, Any]) -> str:
    """``"Audit of german: 300 rows, reference model HistGradientBoostingClassifier"``."""
    rows = dataset.get("n_rows")
    rows_text = f"{rows:,} rows" if isinstance(rows, int) else f"{rows} rows"
    return f"Audit of {dataset.get('name')}: {rows_text}, {_what_is_audited(dataset, provenance)}"


def _severity_counts(steps: Sequence[Any]) -> str:
    """``"1 error, 3 high, 5 info"`` (severities without findings left out), or ``"none"``."""
    counts = Counter(f.severity for step in steps for f in step.findings)
    return ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s]) or "none"


def text_summary(dataset: dict[str, Any], provenance: dict[str, Any], steps: Sequence[Any]) -> str:
    """The few lines of ``repr(result)``.

    Examples
    --------
    >>> from types import SimpleNamespace as Step
    >>> finding = Step(step="fairness", severity="high", message="...")
    >>> print(text_summary({"name": "loans", "n_rows": 400, "mode": "predictions",
    ...                     "spec": {"predictions": "decision"}}, {}, [Step(name="fairness", findings=[finding])]))
    <AuditResult> Audit of loans: 400 rows, decisions in column decision
      steps: fairness
      findings: 1 high
      result.tables() lists the tables, result.table(step, name) returns one; display(result) summarises
    """
    failed = _failed_steps(steps)
    ran = ", ".join(s.name for s in steps) or "none"
    return "\n".join([
        f"<AuditResult> {_title(dataset, provenance)}",
        f"  steps: {ran}" + (f" ({len(failed)} failed: {', '.join(failed)})" if failed else ""),
        f"  findings: {_severity_counts(steps)}",
        "  result.tables() lists the tables, result.table(step, name) returns one; display(result) summarises",
    ])


# -- the notebook display -------------------------------------------------------------------------


def html_summary(dataset: dict[str, Any], provenance: dict[str, Any], steps: Sequence[Any]) -> str:
    """The notebook display of a result (see the module docstring).

    Examples
    --------
    >>> from types import SimpleNamespace as Step
    >>> shown = html_summary({"name": "<loans>", "n_rows": 400, "mode": "model"}, {"model": {"name": "v2"}},
    ...                      [Step(name="performance", payload={}, tables={}, findings=[])])
    >>> print(shown[shown.index("<h3>"):shown.index("</p>") + 4])
    <h3>Audit of &lt;loans&gt;: 400 rows, model v2</h3>
    <p class='auditkit-verdict'><b>No finding at or above medium severity</b>.</p>
    """
    parts = [f"<h3>{esc(_title(dataset, provenance))}</h3>",
             f"<p class='auditkit-verdict'>{_verdict_html(steps)}</p>",
             _findings_html(_sorted_findings(steps))]
    card = _scorecard_rows(steps)
    if card:
        parts.append(_scorecard_html(card, _ci_level(steps)))
    parts.append(_tables_html(steps))
    return f"<div class='auditkit-result {NO_TEX}'>" + "\n".join(parts) + "</div>"


def _verdict_html(steps: Sequence[Any]) -> str:
    """One line: the findings at or above medium, the largest gap, the policy and the failed steps."""
    counts = Counter(f.severity for step in steps for f in step.findings)
    serious = [f"{counts[s]} {s}-severity" for s in ("high", "medium") if counts[s]]
    head = (" and ".join(serious) + f" finding{'s' if counts['high'] + counts['medium'] > 1 else ''}"
            if serious else "No finding at or above medium severity")
    sentences = [f"<b>{esc(head)}</b>"]
    worst = _worst([d for step in steps if step.name == "fairness" for d in _disparities(step)])
    if worst is not None:
        sentences.append(f"largest gap: {esc(_describe(worst, _ci_level(steps)))}")
    checks = _checks(steps)
    if checks:
        bad = [c for c in checks if c.get("status") != "passed"]
        sentences.append(f"policy: {len(bad)} of {len(checks)} checks did not pass" if bad
                         else f"policy: all {len(checks)} checks passed")
    failed = _failed_steps(steps)
    if failed:
        sentences.append(f"<b>{len(failed)} step{'s' if len(failed) > 1 else ''} failed</b>: {esc(', '.join(failed))}")
    return "; ".join(sentences) + "."


def _findings_html(findings: list[Any]) -> str:
    """The findings above ``info`` as a list (the first ten; the rest folded), the ``info`` ones folded."""
    if not findings:
        return "<p>No findings.</p>"
    serious = [f for f in findings if f.severity != "info"]
    shown, folded = serious[:FINDINGS_SHOWN], serious[FINDINGS_SHOWN:]
    info = [f for f in findings if f.severity == "info"]
    out = ["<h4>Findings</h4>"]
    if shown:
        out.append(_finding_list(shown))
    if folded:
        out.append(f"<details><summary>{len(folded)} more findings</summary>{_finding_list(folded)}</details>")
    if info:
        out.append(f"<details><summary>{len(info)} info finding{'s' if len(info) > 1 else ''}</summary>"
                   f"{_finding_list(info)}</details>")
    return "\n".join(out)


def _finding_list(findings: list[Any]) -> str:
    items = [f"<li><span style='color:{SEVERITY_COLOURS.get(f.severity, '#000')};font-weight:bold'>"
             f"{esc(f.severity.upper())}</span> <small>[{esc(f.step)}]</small> {esc(f.message)}</li>"
             for f in findings]
    return "<ul class='auditkit-findings'>" + "".join(items) + "</ul>"


def _scorecard_rows(steps: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per grouping: its worst disparity (largest difference between groups) and its policy checks."""
    disparities = [d for step in steps if step.name == "fairness" for d in _disparities(step)]
    checks = _checks(steps)
    rows = []
    for grouping in dict.fromkeys(d["grouping"] for d in disparities):
        mine = [c for c in checks if c.get("grouping") == grouping]
        row = {"grouping": grouping, "worst": _worst([d for d in disparities if d["grouping"] == grouping])}
        if checks:
            row["policy"] = _policy_cell(mine)
        rows.append(row)
    return rows


def _policy_cell(checks: list[dict[str, Any]]) -> str:
    """``"pass (2 checks)"``, or the checks that did not pass by status (``"failed: ..."``)."""
    if not checks:
        return "no check"
    not_passed: dict[str, list[str]] = {}
    for check in checks:
        if check.get("status") != "passed":
            what = str(check.get("metric")) + (f" (class {check['class']})" if "class" in check else "")
            not_passed.setdefault(str(check.get("status")), []).append(what)
    if not not_passed:
        return f"pass ({len(checks)} check{'s' if len(checks) > 1 else ''})"
    return "; ".join(f"{status}: {', '.join(names)}" for status, names in not_passed.items())


def _scorecard_html(rows: list[dict[str, Any]], level: float) -> str:
    """The :func:`_scorecard_rows` as an HTML table (a policy column when the audit has a policy)."""
    policy = "policy" in rows[0]
    head = ["grouping", "worst disparity", "value", f"{level:.0%} CI", "groups", *(["policy"] if policy else [])]
    body = []
    for row in rows:
        worst = row["worst"]
        cells = [row["grouping"], *(_worst_cells(worst) if worst else
                                    ["undefined (fewer than two groups large enough)", "", "", ""])]
        if policy:
            cells.append(row["policy"])
        body.append("<tr>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th style='text-align:left'>{esc(h)}</th>" for h in head)
    return (f"<h4>Scorecard</h4><table class='auditkit-scorecard'><thead><tr>{header}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _tables_html(steps: Sequence[Any]) -> str:
    """The names of every step's tables, and how to get one."""
    with_tables = [s for s in steps if s.tables]
    if not with_tables:
        return ""
    items = "".join(f"<li><b>{esc(s.name)}</b>: {', '.join(f'<code>{esc(n)}</code>' for n in s.tables)}</li>"
                    for s in with_tables)
    first = next((s for s in with_tables if s.name == "fairness"), with_tables[0])
    example = f"result.table({_quoted(first.name)}, {_quoted(next(iter(first.tables)))})"
    return (f"<h4>Tables</h4><ul class='auditkit-tables'>{items}</ul>"
            f"<p><code>{esc(example)}</code> returns one as a DataFrame; <code>result.tables()</code> lists them.</p>")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _disparities(step: Any) -> list[dict[str, Any]]:
    return list(step.payload.get("disparities", []))


def _checks(steps: Sequence[Any]) -> list[dict[str, Any]]:
    return [c for step in steps if step.name == "policy" for c in step.payload.get("results", [])]


def _ci_level(steps: Sequence[Any]) -> float:
    for step in steps:
        if step.name == "fairness":
            return float(step.payload.get("settings", {}).get("ci_level", 0.95))
    return 0.95


def _worst(disparities: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The largest defined difference between groups (ties: the first), or None."""
    defined = [d for d in disparities if d.get("measure") == "difference" and d.get("method") == "between_groups"
               and _finite(d.get("value"))]
    return max(defined, key=lambda d: float(d["value"]), default=None)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


def _worst_cells(worst: dict[str, Any]) -> list[str]:
    name = worst["name"].replace("_", " ") + (f" (class {worst['class']})" if "class" in worst else "")
    low, high = (list(worst.get("ci") or []) + [None, None])[:2]
    ci = f"{number(low)} to {number(high)}" if low is not None else "none"
    return [name, number(worst["value"]), ci, _between(worst)]


def _between(record: dict[str, Any]) -> str:
    gap = record.get("gap")
    if not gap:
        return ""
    second = "" if gap.get("second") is None else f" vs {_group(gap['second'])}"
    return f"{str(gap['metric']).replace('_', ' ')}: {_group(gap['first'])}{second}"


def _group(group: dict[str, Any]) -> str:
    return ", ".join(map(str, group.values()))


def _describe(worst: dict[str, Any], level: float) -> str:
    name, value, ci, between = _worst_cells(worst)
    details = "; ".join(part for part in (between, f"{level:.0%} CI {ci}" if ci != "none" else "") if part)
    return f"{name} {value} by {worst['grouping']}" + (f" ({details})" if details else "")
