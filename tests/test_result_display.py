"""How a result shows in a notebook (a short HTML summary) and in a terminal (a few lines)."""

from __future__ import annotations

import copy
import re
from collections import Counter

import pytest
from _result_fixtures import full_audit, quick_audit

from auditkit import AuditResult, Finding, StepResult
from auditkit.text import number

FAIRNESS_TABLES = ["sex", "region", "sex*region", "disparities", "comparisons"]


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return quick_audit(policy={"demographic_parity_difference": {"max": 0.0}, "equalized_odds_ratio": {"min": 0.0}})


def _finding(step: str, severity: str, text: str) -> Finding:
    return Finding(id=f"{step}.{text}", step=step, severity=severity, message=text)


def _hand_made(*steps: StepResult) -> AuditResult:
    return AuditResult(provenance={"model": {"name": "credit-v2"}},
                       dataset={"name": "loans", "n_rows": 400, "mode": "model"}, steps=list(steps))


def test_repr_is_a_few_lines_naming_data_rows_mode_steps_and_findings(result):
    text = repr(result)
    lines = text.splitlines()
    assert len(lines) <= 5 and all(len(line) <= 160 for line in lines), text
    assert "400 rows" in lines[0] and "decisions in column decision" in lines[0]
    assert lines[1] == "  steps: data_overview, data_bias, performance, fairness, policy"
    counts = Counter(f.severity for f in result.findings)
    expected = ", ".join(f"{counts[s]} {s}" for s in ("error", "high", "medium", "low", "info") if counts[s])
    assert lines[2] == f"  findings: {expected}"


def test_repr_of_a_full_audit_stays_short():
    assert len(repr(full_audit())) < 600  # it was a 58,000-character dataclass dump


def test_repr_names_the_steps_that_failed():
    broken = _hand_made(StepResult("shap", "checks", findings=[_finding("shap", "error", "boom")]),
                        StepResult("lime", "checks", findings=[_finding("lime", "error", "boom")]))
    text = repr(broken)
    assert "steps: shap, lime (2 failed: shap, lime)" in text and "findings: 2 error" in text
    assert "model credit-v2" in text.splitlines()[0]


def test_step_result_repr_is_one_short_line(result):
    text = repr(result.step("fairness"))
    assert "\n" not in text and len(text) < 300
    assert text.startswith("<StepResult 'fairness' (section 'fairness')> 8 tables,")
    assert repr(StepResult("x", "checks")) == "<StepResult 'x' (section 'checks')> 0 tables, 0 findings, payload: none"


def test_display_is_a_short_summary_that_names_the_tables_instead_of_showing_them():
    shown = full_audit()._repr_html_()
    assert len(shown) < 20_000  # it was ~80,000 characters: every table in full
    assert "<table class=\"dataframe" not in shown and "dataframe" not in shown
    for step, names in full_audit().tables().items():
        assert f"<b>{step}</b>: " + ", ".join(f"<code>{name}</code>" for name in names) in shown
    assert "<code>result.table(&quot;fairness&quot;, &quot;sex&quot;)</code>" in shown


def test_display_order_is_verdict_findings_scorecard_tables(result):
    shown = result._repr_html_()
    places = [shown.index(marker) for marker in ("auditkit-verdict", "<h4>Findings", "<h4>Scorecard", "<h4>Tables")]
    assert places == sorted(places)


def test_findings_are_sorted_by_severity_then_by_step_order():
    first = StepResult("data_bias", "data", findings=[_finding("data_bias", "low", "a-low"),
                                                      _finding("data_bias", "high", "a-high"),
                                                      _finding("data_bias", "info", "a-info")])
    second = StepResult("fairness", "fairness", findings=[_finding("fairness", "info", "b-info"),
                                                         _finding("fairness", "high", "b-high"),
                                                         _finding("fairness", "medium", "b-medium")])
    third = StepResult("shap", "checks", findings=[_finding("shap", "error", "c-error")])
    shown = _hand_made(first, second, third)._repr_html_()
    order = sorted(["a-low", "a-high", "a-info", "b-info", "b-high", "b-medium", "c-error"], key=shown.index)
    assert order == ["c-error", "a-high", "b-high", "b-medium", "a-low", "a-info", "b-info"]


@pytest.mark.parametrize(("severities", "verdict"), [
    ((), "<b>No finding at or above medium severity</b>."),
    (("info", "low"), "<b>No finding at or above medium severity</b>."),
    (("high", "info", "high", "high"), "<b>3 high-severity findings</b>."),
    (("medium",), "<b>1 medium-severity finding</b>."),
    (("high", "medium", "medium"), "<b>1 high-severity and 2 medium-severity findings</b>."),
])
def test_verdict_counts_the_findings_at_or_above_medium(severities, verdict):
    step = StepResult("data_bias", "data", findings=[_finding("data_bias", s, f"f{i}") for i, s in
                                                     enumerate(severities)])
    shown = _hand_made(step)._repr_html_()
    assert f"<p class='auditkit-verdict'>{verdict}</p>" in shown


def test_verdict_says_how_many_steps_failed():
    failed = [StepResult(name, "checks", findings=[_finding(name, "error", "broke")]) for name in ("shap", "lime")]
    shown = _hand_made(*failed)._repr_html_()
    assert "; <b>2 steps failed</b>: shap, lime.</p>" in shown


def test_verdict_names_the_largest_gap_with_its_interval_and_the_policy(result):
    shown = result._repr_html_()
    between = [d for d in result.step("fairness").payload["disparities"]
               if d["measure"] == "difference" and d["method"] == "between_groups" and d["value"] is not None]
    largest = max(between, key=lambda d: d["value"])
    gap = largest["gap"]
    low, high = largest["ci"]
    expected = (f"largest gap: {largest['name'].replace('_', ' ')} {number(largest['value'])} by "
                f"{largest['grouping']} ({gap['metric'].replace('_', ' ')}: {', '.join(gap['first'].values())} vs "
                f"{', '.join(gap['second'].values())}; 95% CI {number(low)} to {number(high)})")
    assert expected in shown
    checks = result.step("policy").payload["results"]
    failed = sum(c["status"] != "passed" for c in checks)
    assert f"policy: {failed} of {len(checks)} checks did not pass" in shown


def test_scorecard_has_one_row_per_grouping_with_its_worst_disparity(result):
    shown = result._repr_html_()
    card = shown[shown.index("<h4>Scorecard"):shown.index("<h4>Tables")]
    rows = re.findall(r"<tr>(.*?)</tr>", card.split("<tbody>")[1])
    disparities = result.step("fairness").payload["disparities"]
    assert [re.findall(r"<td[^>]*>(.*?)</td>", row)[0] for row in rows] == ["sex", "region", "sex × region"]
    for row in rows:
        grouping, name, value, ci, groups, policy = re.findall(r"<td[^>]*>(.*?)</td>", row)
        mine = [d for d in disparities if d["grouping"] == grouping and d["measure"] == "difference"
                and d["method"] == "between_groups" and d["value"] is not None]
        worst = max(mine, key=lambda d: d["value"])
        assert (name, value, ci) == (worst["name"].replace("_", " "), number(worst["value"]),
                                     f"{number(worst['ci'][0])} to {number(worst['ci'][1])}")
        assert groups.endswith(f"{', '.join(worst['gap']['first'].values())} vs "
                               f"{', '.join(worst['gap']['second'].values())}")
        # max 0.0 fails wherever selection rates differ; min 0.0 on a ratio always passes
        assert policy == "failed: demographic_parity_difference"


def test_scorecard_without_a_policy_has_no_policy_column():
    shown = quick_audit(steps=["fairness"])._repr_html_()
    assert "<th style='text-align:left'>groups</th></tr>" in shown and ">policy<" not in shown


def test_every_string_from_data_and_names_is_escaped():
    from _frames import make_frame

    frame = make_frame().rename(columns={"sex": "<i>sex</i>"})
    frame["<i>sex</i>"] = frame["<i>sex</i>"].replace({"female": "<script>alert(1)</script>", "male": "b&c"})
    result = copy.deepcopy(quick_audit(frame, sensitive=["<i>sex</i>"], steps=["fairness"]))
    result.dataset["name"] = "<b>loans</b>"
    result.dataset["mode"] = "model"
    result.provenance["model"] = {"name": "<img src=x>"}
    result.step("fairness").findings.append(_finding("fairness", "high", "<u>finding</u>"))
    shown = result._repr_html_()
    for raw in ("<script>", "<i>sex</i>", "<b>loans</b>", "<img src=x>", "<u>finding</u>", "b&c"):
        assert raw not in shown
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;i&gt;sex&lt;/i&gt;", "&lt;b&gt;loans&lt;/b&gt;",
                    "&lt;img src=x&gt;", "&lt;u&gt;finding&lt;/u&gt;", "b&amp;c"):
        assert escaped in shown
    assert shown.startswith("<div class='auditkit-result tex2jax_ignore mathjax_ignore'>")
