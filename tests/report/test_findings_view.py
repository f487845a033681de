"""Findings by theme, de-duplicated, each kind with what it means and what to check next."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape

import pytest

import auditkit
from auditkit.report.finding_guides import GUIDES, guide_for, kind_of, title_for
from auditkit.report.findings_view import THEMES, findings_html, group_findings, theme_of


@pytest.fixture(scope="module")
def compas():
    return auditkit.audit(data="compas", predictions="compas_high_risk", progress=False,
                          policy={"demographic_parity_ratio": {"min": 0.8}, "predictive_parity_difference": {"max": 0},
                                  "equal_opportunity_difference": {"max": 0.01}},
                          step_options={"fairness": {"n_boot": 100}, "data_bias": {"n_boot": 50}}).to_dict()


@pytest.fixture(scope="module")
def german():
    return auditkit.audit(data="german", sample=300, seed=1, progress=False,
                          step_options={"fairness": {"n_boot": 50}, "data_bias": {"n_boot": 50},
                                        "lime": {"n_instances": 2, "repeats": 2, "num_samples": 300}}).to_dict()


def test_themes_follow_the_report_order(compas):
    grouped = group_findings(compas)
    assert list(grouped) == [t for t in THEMES if t in grouped]
    assert list(grouped)[:3] == ["problems", "data", "fairness"]  # shap, lime, agreement need a model
    assert {kind_of(i.finding) for i in grouped["problems"]} == {"needs_model"}
    assert {i.finding["step"] for i in grouped["data"]} <= {"data_overview", "data_bias"}


def test_one_fairness_finding_per_grouping_and_criterion(compas):
    gaps = [i.finding["evidence"] for i in group_findings(compas)["fairness"]
            if kind_of(i.finding).startswith("fairness.gap")]
    assert gaps and max(Counter((e["grouping"], e["criterion"]) for e in gaps).values()) == 1


def test_a_failed_policy_check_is_shown_inside_the_finding_about_the_same_gap(compas):
    items = group_findings(compas)["fairness"]
    policy_ids = {f["id"] for f in compas["findings"] if f["step"] == "policy"}
    shown = [p["id"] for i in items for p in i.policy]
    shown += [i.finding["id"] for i in items if i.finding["step"] == "policy"]
    assert sorted(shown) == sorted(policy_ids)  # every check once, none lost
    home = next(i for i in items if i.finding["id"] == "fairness.gap.race.demographic_parity")
    assert [p["id"] for p in home.policy] == ["policy.demographic_parity_ratio[race]"]
    odds = next(i for i in items if i.finding["id"] == "fairness.gap.race.equalized_odds")
    assert "policy.equal_opportunity_difference[race]" in [p["id"] for p in odds.policy]  # part of equalized odds


def test_a_policy_check_without_a_finding_about_its_gap_stands_alone():
    doc = {"steps": [{"name": "fairness", "section": "fairness"}],
           "fairness": {"disparities": [{"name": "predictive_parity_difference", "criterion": "predictive_parity",
                                         "grouping": "sex"}]},
           "findings": [{"id": "policy.predictive_parity_difference[sex]", "step": "policy", "severity": "high",
                         "message": "Policy check failed.",
                         "evidence": {"metric": "predictive_parity_difference", "grouping": "sex"}}]}
    [item] = group_findings(doc)["fairness"]
    assert item.finding["step"] == "policy" and item.policy == []
    assert title_for(item.finding) == "Policy check predictive_parity_difference[sex]"


def test_failed_steps_come_first():
    doc = {"steps": [{"name": "shap", "section": "explanations"}],
           "findings": [{"id": "shap.additivity", "step": "shap", "severity": "high", "message": "x", "evidence": {}},
                        {"id": "shap.failed", "step": "shap", "severity": "error", "message": "boom", "evidence": {}}]}
    assert list(group_findings(doc)) == ["problems", "explanations"]
    assert theme_of(doc["findings"][1], doc) == "problems"
    assert findings_html(doc).index("The shap step failed") < findings_html(doc).index("SHAP values do not add up")


@pytest.mark.parametrize("audit", ["compas", "german"])
def test_every_built_in_finding_has_a_title_and_a_guide(audit, request):
    doc = request.getfixturevalue(audit)
    for finding in doc["findings"]:
        assert guide_for(finding) is not None, finding["id"]
        assert title_for(finding) != finding["id"], finding["id"]


def test_every_guide_says_what_it_means_and_what_to_check_next():
    for key, guide in GUIDES.items():
        assert guide.means.endswith(".") and guide.next.endswith("."), key
        assert guide.means[0].isupper() and guide.next[0].isupper(), key


def test_the_guide_of_a_kind_is_said_once_for_its_findings(compas):
    html = findings_html(compas)
    kinds = [kind_of(i.finding) for items in group_findings(compas).values() for i in items]
    assert html.count("What to check next:") == len(set(kinds))
    assert html.count("class='auditkit-finding'") == len(kinds)


def test_the_reference_groups_are_named_once(compas):
    text = unescape(re.sub(r"<(?!/?p\b)[^>]+>", "", findings_html(compas)))  # links left out, paragraphs kept
    references = {d["grouping"]: d["reference"] for d in compas["fairness"]["disparities"]}
    sentence = re.search(r"Every fairness finding compares each group with its grouping's .*?\.</p>", text).group(0)
    for grouping, group in references.items():
        assert f"{grouping}: " + ", ".join(f"{k}={v}" for k, v in group.items()) in sentence
    assert "lowest selection rate with the highest, as the rule defines" in sentence


def test_info_findings_are_folded_and_messages_escaped():
    doc = {"steps": [{"name": "data_overview", "section": "data"}],
           "findings": [{"id": "data_overview.missing_values", "step": "data_overview", "severity": "info",
                         "message": "<b>x</b> & y", "evidence": {}}]}
    html = findings_html(doc)
    assert "<details><summary>1 note (info)</summary>" in html and "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
