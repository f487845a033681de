"""The report's findings, grouped by theme, each with what it means and what to check next.

Themes follow the audit's sections (data, performance, fairness, explanations), after the
problems of running it (failed steps, steps that need a model). Within a theme findings of one
kind are shown together (most severe kind first), followed once by what they mean and what to
check next; ``info`` findings are folded away. A failed policy check is shown inside the
fairness finding about the same grouping and criterion when there is one (else on its own), so
one gap is one finding. The fairness theme names each grouping's reference group once: every
fairness finding compares with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditkit.report.finding_guides import guide_for, kind_of, title_for
from auditkit.report.glossary import TermLinker
from auditkit.report.summary import NO_TEX, SEVERITY_COLOURS, SEVERITY_ORDER, esc

__all__ = ["THEMES", "ThemedFinding", "findings_html", "group_findings", "theme_of"]

THEMES: dict[str, tuple[str, str]] = {
    "problems": ("Problems running the audit", "Steps that failed or did not run: their results are missing."),
    "data": ("Data", "Bias already in the data, before any model decides anything."),
    "performance": ("Performance", "How well the decisions match the true outcomes."),
    "fairness": ("Fairness", "How the decisions differ between groups."),
    "explanations": ("Explanations", "What drives the model's outputs, and how far the explanations can be trusted."),
    "mitigation": ("Mitigation", "What fairlearn's mitigations would change, and what each costs."),
    "other": ("Other", "Findings of further steps."),
}
"""Theme -> (heading, one-line introduction), in the order shown."""

_SECTION_THEMES = {"data": "data", "performance": "performance", "fairness": "fairness", "checks": "fairness",
                   "explanations": "explanations", "mitigation": "mitigation"}
_MERGED_CRITERIA = {"equal_opportunity": "equalized_odds"}  # its gaps are part of the equalized-odds finding


@dataclass
class ThemedFinding:
    """A finding (an ``audit.json`` record) with the failed policy checks shown inside it.

    Examples
    --------
    >>> ThemedFinding({"id": "x.y", "step": "x", "severity": "low", "message": "m"}).severity
    'low'
    """

    finding: dict[str, Any]
    policy: list[dict[str, Any]] = field(default_factory=list)

    @property
    def severity(self) -> str:
        severities = [self.finding["severity"], *(p["severity"] for p in self.policy)]
        return min(severities, key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else len(SEVERITY_ORDER))


def theme_of(finding: dict[str, Any], doc: dict[str, Any]) -> str:
    """The theme a finding is shown under.

    Examples
    --------
    >>> doc = {"steps": [{"name": "data_bias", "section": "data"}, {"name": "shap", "section": "explanations"}]}
    >>> [theme_of(f, doc) for f in ({"id": "data_bias.proxies.sex", "step": "data_bias", "severity": "high"},
    ...                             {"id": "shap.failed", "step": "shap", "severity": "error"},
    ...                             {"id": "policy.x", "step": "policy", "severity": "high"})]
    ['data', 'problems', 'fairness']
    """
    kind = str(finding["id"]).split(".")[1:2]
    if finding["severity"] == "error" or kind in (["failed"], ["needs_model"]):
        return "problems"
    if finding["step"] == "policy":
        return "fairness"
    sections = {s["name"]: s.get("section") for s in doc.get("steps", [])}
    return _SECTION_THEMES.get(sections.get(finding["step"]), "other")


def group_findings(doc: dict[str, Any]) -> dict[str, list[ThemedFinding]]:
    """The findings by theme (themes without findings left out), most severe first, policy checks merged.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, sensitive=["sex"],
    ...                      steps=["fairness"], policy={"demographic_parity_ratio": {"min": 0.8}},
    ...                      progress=False).to_dict()
    >>> themes = group_findings(doc)
    >>> [(f.finding["id"], [p["id"] for p in f.policy]) for f in themes["fairness"]]
    [('fairness.gap.sex.demographic_parity', ['policy.demographic_parity_ratio[sex]']),
     ('fairness.gap.sex.equalized_odds', [])]
    """
    findings = doc.get("findings", [])
    themed = [ThemedFinding(f) for f in findings if f["step"] != "policy"]
    for check in (f for f in findings if f["step"] == "policy"):
        home = _home(check, themed, doc)
        if home is None:
            themed.append(ThemedFinding(check))
        else:
            home.policy.append(check)
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    grouped: dict[str, list[ThemedFinding]] = {}
    for item in sorted(themed, key=lambda t: rank.get(t.severity, len(rank))):  # stable: audit order within
        grouped.setdefault(theme_of(item.finding, doc), []).append(item)
    return {theme: grouped[theme] for theme in THEMES if theme in grouped}


def _home(check: dict[str, Any], themed: list[ThemedFinding], doc: dict[str, Any]) -> ThemedFinding | None:
    """The fairness finding about the grouping and criterion a policy check is about, if any."""
    evidence = check.get("evidence") or {}
    criterion_of = {d["name"]: d["criterion"] for d in (doc.get("fairness") or {}).get("disparities", [])}
    criterion = criterion_of.get(evidence.get("metric"))
    criterion = _MERGED_CRITERIA.get(criterion, criterion)
    for item in themed:
        mine = item.finding.get("evidence") or {}
        if (item.finding["step"] == "fairness" and criterion is not None and mine.get("criterion") == criterion
                and mine.get("grouping") == evidence.get("grouping") and mine.get("class") == evidence.get("class")):
            return item
    return None


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, "#000000")
    return (f"<span class='auditkit-severity' style='background:{colour};color:#ffffff'>"
            f"{esc(severity.upper())}</span>")


def _finding_html(item: ThemedFinding, linker: TermLinker) -> str:
    finding = item.finding
    parts = [f"<p class='auditkit-finding-title'>{_badge(item.severity)} <b>{esc(title_for(finding))}</b></p>",
             f"<p>{linker.link(finding['message'])}</p>"]
    parts += [f"<p class='auditkit-finding-policy'>{_badge(p['severity'])} {linker.link(p['message'])}</p>"
              for p in item.policy]
    return f"<div class='auditkit-finding' id='{esc(finding_anchor(finding['id']))}'>{''.join(parts)}</div>"


def _kind_html(items: list[ThemedFinding], linker: TermLinker) -> str:
    """The findings of one kind, then what they mean and what to check next (said once for all of them)."""
    parts = [_finding_html(item, linker) for item in items]
    guide = guide_for(items[0].finding)
    if guide is not None:
        plural = len(items) > 1
        parts.append(f"<div class='auditkit-finding-guide'><p><b>What {'these mean' if plural else 'it means'}:</b> "
                     f"{linker.link(guide.means)}</p><p><b>What to check next:</b> {linker.link(guide.next)}</p></div>")
    return f"<div class='auditkit-finding-kind'>{''.join(parts)}</div>"


def _by_kind(items: list[ThemedFinding]) -> list[list[ThemedFinding]]:
    """Items grouped by kind, in the order of each kind's most severe item (items come most severe first)."""
    kinds: dict[str, list[ThemedFinding]] = {}
    for item in items:
        kinds.setdefault(kind_of(item.finding), []).append(item)
    return list(kinds.values())


def finding_anchor(finding_id: str) -> str:
    """The HTML id of a finding in the report.

    Examples
    --------
    >>> finding_anchor("fairness.gap.sex × race.demographic_parity")
    'finding-fairness.gap.sex-×-race.demographic_parity'
    """
    return "finding-" + "-".join(str(finding_id).split())


def _reference_text(doc: dict[str, Any]) -> str:
    references = {d["grouping"]: d["reference"] for d in (doc.get("fairness") or {}).get("disparities", [])}
    if not references:
        return ""
    chosen = bool((doc.get("dataset", {}).get("spec") or {}).get("reference_groups"))
    listing = "; ".join(f"{grouping}: {', '.join(f'{k}={v}' for k, v in group.items())}"
                        for grouping, group in references.items())
    how = "as the audit chose them (reference_groups)" if chosen else \
        "the largest group of each, unless reference_groups names another"
    return (f"Every fairness finding compares each group with its grouping's reference group ({how}): {listing}. "
            "Only the four-fifths rule compares the lowest selection rate with the highest, as the rule defines.")


def findings_html(doc: dict[str, Any], linker: TermLinker | None = None) -> str:
    """The findings section of the report: a heading per theme, each finding with its guide.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, sensitive=["sex"],
    ...                      steps=["fairness"], progress=False).to_dict()
    >>> html = findings_html(doc)
    >>> html.count("<h3"), html.count("class='auditkit-finding'"), "What to check next:" in html
    (1, 2, True)
    """
    grouped = group_findings(doc)
    if not grouped:
        return f"<div class='auditkit-findings {NO_TEX}'><p>No findings.</p></div>"
    linker = linker or TermLinker(doc)
    parts = []
    for theme, items in grouped.items():
        heading, intro = THEMES[theme]
        counts = ", ".join(f"{n} {s}" for s in SEVERITY_ORDER if (n := sum(i.severity == s for i in items)))
        parts.append(f"<h3 id='findings-{theme}'>{esc(heading)} <small>({esc(counts)})</small></h3>")
        parts.append(f"<p>{linker.link(intro)}"
                     + (f" {linker.link(_reference_text(doc))}" if theme == "fairness" else "") + "</p>")
        shown = [i for i in items if i.severity != "info"]
        notes = [i for i in items if i.severity == "info"]
        parts += [_kind_html(kind, linker) for kind in _by_kind(shown)]
        if notes:
            parts.append(f"<details><summary>{len(notes)} note{'s' if len(notes) > 1 else ''} (info)</summary>"
                         + "".join(_kind_html(kind, linker) for kind in _by_kind(notes)) + "</details>")
    return f"<div class='auditkit-findings {NO_TEX}'>" + "\n".join(parts) + "</div>"
