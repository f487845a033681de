"""The report's scorecard: one row per grouping and fairness criterion, judged pass, fail or uncertain.

Each row reads the fairness step's disparity of the criterion (difference between groups: the
highest group minus the lowest, as ``fairlearn.metrics.demographic_parity_difference``), its
interval and the two groups behind it. A row is judged by the audit's policy checks of that
grouping and criterion when the policy has some, otherwise by a stated default
(:data:`DEFAULT_MAX_DIFFERENCE`): **fail** when the whole interval is above it, **pass** when the
whole interval is at or below it, **uncertain** when the interval straddles it. Nothing is
computed here but these comparisons: every number is read from ``audit.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditkit.report.glossary import TermLinker
from auditkit.report.summary import NO_TEX, esc
from auditkit.text import number

__all__ = ["DEFAULT_CRITERIA", "DEFAULT_MAX_DIFFERENCE", "STATUSES", "ScoreRow", "scorecard_html", "scorecard_rows"]

DEFAULT_MAX_DIFFERENCE = 0.10
"""Default largest acceptable difference between two groups' rates, for criteria the policy sets no threshold on."""

DEFAULT_CRITERIA = ("demographic_parity", "equalized_odds", "equal_opportunity", "predictive_parity", "calibration")
"""Criteria judged by the default when the policy does not check them (rates: differences on a 0-1 scale)."""

STATUSES = {  # status -> (text shown, background colour, text colour)
    "fail": ("✗ fail", "#c62828", "#ffffff"),
    "uncertain": ("? uncertain", "#f9a825", "#000000"),
    "pass": ("✓ pass", "#2e7d32", "#ffffff"),
    "undefined": ("– undefined", "#e0e0e0", "#000000"),
    "not judged": ("· not judged", "#eceff1", "#000000"),
}
CRITERION_NAMES = {"demographic_parity": "demographic parity", "equalized_odds": "equalized odds",
                   "equal_opportunity": "equal opportunity", "predictive_parity": "predictive parity",
                   "mean_prediction": "average prediction", "mean_error": "average error",
                   "mae": "mean absolute error", "rmse": "root mean squared error"}
_LEFT = "style='text-align:left'"  # notebook front ends right-align table cells
_POLICY_STATUS = {"failed": "fail", "undefined": "uncertain", "passed": "pass"}


@dataclass(frozen=True)
class ScoreRow:
    """One row of the scorecard.

    Attributes
    ----------
    grouping, criterion : str
    klass : Any
        The class of a multiclass audit whose gap is the largest (None otherwise).
    value : float or None
        The largest difference between two groups (None: fewer than two groups to compare).
    ci : tuple
        Its interval (None, None without resamples).
    gap : dict or None
        ``metric``, ``first`` (higher) and ``second`` (lower) group of the difference.
    rates : tuple
        The two groups' values of ``gap["metric"]`` (read from ``by_group``).
    ratio : float or None
        The lowest group divided by the highest (the same criterion's ``ratio`` between groups; shown
        for demographic parity, where the four-fifths rule reads it).
    status : str
        One of :data:`STATUSES`.
    rule : str
        What the row was judged against, in words.
    source : {"policy", "default", "none"}

    Examples
    --------
    >>> row = ScoreRow("sex", "demographic_parity", None, 0.18, (0.17, 0.19), None, (None, None), 0.31, "fail",
    ...                "default (≤ 0.1)", "default")
    >>> row.name
    'demographic parity'
    """

    grouping: str
    criterion: str
    klass: Any
    value: float | None
    ci: tuple[float | None, float | None]
    gap: dict | None
    rates: tuple[float | None, float | None]
    ratio: float | None
    status: str
    rule: str
    source: str

    @property
    def name(self) -> str:
        return CRITERION_NAMES.get(self.criterion, self.criterion.replace("_", " "))


def scorecard_rows(doc: dict[str, Any], max_difference: float = DEFAULT_MAX_DIFFERENCE) -> list[ScoreRow]:
    """The scorecard of an ``audit.json`` document: one row per grouping and criterion, in the audit's order.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, steps=["fairness"],
    ...                      sensitive=["sex"], policy={"demographic_parity_ratio": {"min": 0.8}},
    ...                      progress=False).to_dict()
    >>> for row in scorecard_rows(doc):
    ...     print(row.criterion, round(row.value, 3), row.status, "|", row.rule)
    demographic_parity 0.147 fail | policy: demographic_parity_ratio ≥ 0.8
    equalized_odds 0.234 uncertain | default (≤ 0.1)
    equal_opportunity 0.234 uncertain | default (≤ 0.1)
    predictive_parity 0.134 uncertain | default (≤ 0.1)
    """
    fairness = doc.get("fairness") or {}
    disparities = fairness.get("disparities", [])
    criterion_of = {d["name"]: d["criterion"] for d in disparities}
    checks = (doc.get("checks") or {}).get("results", [])
    subjects = dict.fromkeys((d["grouping"], d["criterion"]) for d in disparities)
    rows = []
    for grouping, criterion in subjects:
        mine = [d for d in disparities if d["grouping"] == grouping and d["criterion"] == criterion
                and d["method"] == "between_groups"]
        worst = _worst([d for d in mine if d["measure"] == "difference"])
        ratio = next((d["value"] for d in mine if d["measure"] == "ratio" and d.get("class") == _class(worst)), None)
        policy = [c for c in checks if c.get("grouping") == grouping and criterion_of.get(c.get("metric")) == criterion]
        status, rule, source = (_judge_by_policy(policy) if policy else
                                _judge_by_default(worst, criterion, max_difference))
        rows.append(ScoreRow(grouping, criterion, _class(worst), None if worst is None else worst["value"],
                             tuple((worst or {}).get("ci") or (None, None)), (worst or {}).get("gap"),
                             _rates(fairness, worst), ratio, status, rule, source))
    return rows


def _class(record: dict | None) -> Any:
    return None if record is None else record.get("class")


def _worst(records: list[dict]) -> dict | None:
    """The record with the largest defined value (over the classes of a multiclass audit), else the first."""
    defined = [d for d in records if d["value"] is not None]
    if defined:
        return max(defined, key=lambda d: d["value"])
    return records[0] if records else None


def _rates(fairness: dict, record: dict | None) -> tuple[float | None, float | None]:
    gap = (record or {}).get("gap")
    if not gap:
        return None, None
    rows = [r for r in fairness.get("by_group", []) if r.get("class") == record.get("class")]

    def value(group: dict | None) -> float | None:
        row = next((r for r in rows if r["group"] == group), None)
        return None if row is None else row["metrics"].get(gap["metric"])

    return value(gap["first"]), value(gap.get("second"))


def _judge_by_policy(checks: list[dict]) -> tuple[str, str, str]:
    statuses = [_POLICY_STATUS.get(c["status"], "uncertain") for c in checks]
    status = next(s for s in ("fail", "uncertain", "pass") if s in statuses or s == "pass")
    rules = list(dict.fromkeys(f"{c['metric']} {_bounds(c['threshold'])}" + (" (interval)" if c["basis"] == "ci"
                                                                              else "") for c in checks))
    return status, "policy: " + "; ".join(rules), "policy"


def _bounds(threshold: dict) -> str:
    return " and ".join(f"{'≤' if k == 'max' else '≥'} {v:g}" for k, v in threshold.items())


def _judge_by_default(record: dict | None, criterion: str, limit: float) -> tuple[str, str, str]:
    if criterion not in DEFAULT_CRITERIA:
        return "not judged", "no default threshold; set one in a policy", "none"
    rule = f"default (≤ {limit:g})"
    if record is None or record["value"] is None:
        return "undefined", rule, "default"
    low, high = (list(record.get("ci") or []) + [None, None])[:2]
    if low is None or high is None:
        return ("fail" if record["value"] > limit else "pass"), rule + " (no interval: the estimate)", "default"
    if low > limit:
        return "fail", rule, "default"
    return ("pass" if high <= limit else "uncertain"), rule, "default"


def _between(row: ScoreRow) -> str:
    if not row.gap:
        return "fewer than two groups large enough to compare"
    first, second = row.gap["first"], row.gap.get("second")
    metric = str(row.gap["metric"]).replace("_", " ")
    high, low = (number(v) for v in row.rates)
    text = f"{metric}: {_label(first)} {high}" + ("" if second is None else f" vs {_label(second)} {low}")
    if row.criterion == "demographic_parity" and row.ratio is not None:
        text += f" (ratio {number(row.ratio)})"  # lowest over highest: the four-fifths rule's number
    return text + ("" if row.klass is None else f" (class {row.klass})")


def _label(group: dict) -> str:
    return ", ".join(map(str, group.values()))


def status_badge(status: str) -> str:
    """A status as a coloured badge that also says it in words.

    Examples
    --------
    >>> status_badge("fail")
    "<span class='auditkit-status auditkit-status-fail' style='background:#c62828;color:#ffffff'>✗ fail</span>"
    """
    text, background, colour = STATUSES[status]
    return (f"<span class='auditkit-status auditkit-status-{status.replace(' ', '-')}' "
            f"style='background:{background};color:{colour}'>{esc(text)}</span>")


def scorecard_html(doc: dict[str, Any], linker: TermLinker | None = None,
                   max_difference: float = DEFAULT_MAX_DIFFERENCE) -> str:
    """The scorecard as an HTML table with a caption that states how rows are judged ('' without fairness).

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, steps=["fairness"],
    ...                      sensitive=["sex"], progress=False).to_dict()
    >>> html = scorecard_html(doc)
    >>> html.count("<tr>"), "auditkit-status-uncertain" in html
    (5, True)
    """
    rows = scorecard_rows(doc, max_difference)
    if not rows:
        return ""
    linker = linker or TermLinker(doc)
    level = float(((doc.get("fairness") or {}).get("settings") or {}).get("ci_level", 0.95))
    head = ["Grouping", "Criterion", "Largest gap", f"{level:.0%} {linker.link('CI')}", "Between", "Status",
            "Judged against"]
    body = []
    for row in rows:
        low, high = row.ci
        cells = [esc(row.grouping), linker.link(row.name), esc(number(row.value)),
                 esc(f"{number(low)} to {number(high)}" if low is not None else "none"), esc(_between(row)),
                 status_badge(row.status), esc(row.rule)]
        body.append("<tr>" + "".join(f"<td {_LEFT}>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th {_LEFT}>{h}</th>" for h in head)
    caption = _caption(rows, level, max_difference, linker)
    return (f"<table id='scorecard' class='auditkit-scorecard {NO_TEX}'><caption>{caption}</caption>"
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _caption(rows: list[ScoreRow], level: float, limit: float, linker: TermLinker) -> str:
    text = (f"One row per grouping and fairness criterion: the largest gap between two groups large enough to "
            f"compare (highest minus lowest), with its {level:.0%} bootstrap interval; for demographic parity also "
            "the ratio of the lowest selection rate to the highest (the four-fifths rule's number).")
    if any(r.source == "policy" for r in rows):
        text += " Rows the policy checks are judged by its checks (fail: a check failed; uncertain: it could not be " \
                "evaluated)."
    if any(r.source == "default" for r in rows):
        text += (f" Other rows are judged by a default that is no legal standard: a difference of at most {limit:g}; "
                 f"fail when the whole interval is above {limit:g}, pass when it is all at or below, uncertain when it "
                 "straddles it.")
    return linker.link(text)
