"""One fairness finding per grouping and criterion, comparing with one named reference group.

Before, a gap in selection rates made two findings (a four-fifths finding against the group
with the highest rate, and a gap finding against the reference group), and the gaps of
equalized odds one per rate.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import auditkit
from auditkit import datasets


@pytest.fixture(scope="module")
def compas():
    return auditkit.audit(data="compas", predictions="compas_high_risk", steps=["fairness"], progress=False,
                          step_options={"fairness": {"n_boot": 200}})


def _gap_findings(result):
    return [f for f in result.step("fairness").findings if f.id.startswith("fairness.gap.")]


def test_one_finding_per_grouping_and_criterion(compas):
    findings = _gap_findings(compas)
    subjects = Counter((f.evidence["grouping"], f.evidence["criterion"]) for f in findings)
    assert subjects and max(subjects.values()) == 1
    assert {c for _, c in subjects} <= {"demographic_parity", "equalized_odds", "predictive_parity"}
    assert not any(".four_fifths." in f.id for f in compas.step("fairness").findings)
    for finding in findings:
        assert finding.id == f"fairness.gap.{finding.evidence['grouping']}.{finding.evidence['criterion']}"


def test_every_finding_of_a_grouping_names_its_reference_group(compas):
    payload = compas.step("fairness").payload
    reference = {d["grouping"]: d["reference"] for d in payload["disparities"]}
    for finding in _gap_findings(compas):
        grouping = finding.evidence["grouping"]
        assert finding.evidence["reference"] == reference[grouping]
        named = ", ".join(f"{k}={v}" for k, v in reference[grouping].items())
        assert f"compared with the reference group {named}:" in finding.message
        assert {c["reference"] == reference[grouping] for c in finding.evidence["comparisons"]} <= {True}


def test_the_four_fifths_rule_is_part_of_the_demographic_parity_finding(compas):
    finding = next(f for f in _gap_findings(compas) if f.id == "fairness.gap.race.demographic_parity")
    rule = finding.evidence["four_fifths"]
    rows = [r for r in compas.step("fairness").payload["by_group"]
            if tuple(r["group"]) == ("race",) and not r["small_group"]]
    rates = {r["group"]["race"]: r["metrics"]["selection_rate"] for r in rows}
    low, high = min(rates, key=rates.get), max(rates, key=rates.get)
    assert rule["lowest"] == {"group": {"race": low}, "selection_rate": pytest.approx(rates[low])}
    assert rule["highest"] == {"group": {"race": high}, "selection_rate": pytest.approx(rates[high])}
    assert rule["ratio"] == pytest.approx(rates[low] / rates[high])
    assert "Four-fifths rule (it compares the lowest selection rate with the highest" in finding.message
    assert finding.evidence["metrics"] == ["selection_rate"]


def test_equalized_odds_gaps_in_both_rates_are_one_finding(compas):
    finding = next(f for f in _gap_findings(compas) if f.id == "fairness.gap.race.equalized_odds")
    assert finding.evidence["metrics"] == ["true_positive_rate", "false_positive_rate"]
    assert "the true positive rate" in finding.message and "the false positive rate" in finding.message
    assert {c["metric"] for c in finding.evidence["comparisons"]} == {"true_positive_rate", "false_positive_rate"}


def test_a_four_fifths_breach_without_a_significant_gap_is_reported_as_inconclusive():
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({"g": ["a"] * n + ["b"] * n, "y": rng.integers(0, 2, 2 * n)})
    frame["decision"] = [1] * 12 + [0] * 28 + [1] * 8 + [0] * 32  # 0.30 against 0.20: a ratio of 0.67
    result = auditkit.audit(data=frame, target="y", sensitive=["g"], predictions="decision", steps=["fairness"],
                            progress=False, step_options={"fairness": {"n_boot": 200}})
    [finding] = [f for f in result.step("fairness").findings if f.id.startswith("fairness.gap.")]
    assert finding.id == "fairness.gap.g.demographic_parity" and finding.severity == "medium"
    assert finding.evidence["comparisons"] == [] and not finding.evidence["four_fifths"]["sure"]
    assert "no selection rate differs significantly from the reference group's" in finding.message
    assert finding.message.endswith("the interval reaches 0.8, so the evidence is not conclusive.")


def test_multiclass_findings_are_per_class():
    frame = datasets.make_biased(600, seed=0).frame
    frame["label3"] = np.digitize(frame["x0"] + 0.5 * (frame["group"] == "B"), [-0.5, 0.5])
    frame["decision3"] = np.digitize(frame["x0"] + frame["proxy"], [-0.5, 0.5])
    result = auditkit.audit(data=frame, target="label3", sensitive=["group"], predictions="decision3",
                            task="multiclass", steps=["fairness"], progress=False,
                            step_options={"fairness": {"n_boot": 100}})
    findings = _gap_findings(result)
    assert findings
    for finding in findings:
        klass = finding.evidence["class"]
        assert finding.id == f"fairness.gap.group.class={klass}.{finding.evidence['criterion']}"
    assert max(Counter((f.evidence["class"], f.evidence["criterion"]) for f in findings).values()) == 1
