"""The scorecard reads audit.json's disparities (cross-checked with fairlearn) and judges each row as stated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

import auditkit
from auditkit.report.scorecard import DEFAULT_MAX_DIFFERENCE, STATUSES, scorecard_html, scorecard_rows

FAIRNESS = {"fairness": {"n_boot": 200}}


@pytest.fixture(scope="module")
def compas():
    return auditkit.audit(data="compas", predictions="compas_high_risk", steps=["fairness"], progress=False,
                          step_options=FAIRNESS)


@pytest.fixture(scope="module")
def doc(compas):
    return compas.to_dict()


def _record(doc, grouping, criterion):
    return next(d for d in doc["fairness"]["disparities"] if d["grouping"] == grouping and d["criterion"] == criterion
                and d["measure"] == "difference" and d["method"] == "between_groups")


def test_one_row_per_grouping_and_criterion_in_the_audits_order(doc):
    rows = scorecard_rows(doc)
    expected = list(dict.fromkeys((d["grouping"], d["criterion"]) for d in doc["fairness"]["disparities"]))
    assert [(r.grouping, r.criterion) for r in rows] == expected
    assert {r.criterion for r in rows} == {"demographic_parity", "equalized_odds", "equal_opportunity",
                                          "predictive_parity"}


def test_every_number_is_audit_json_s(doc):
    for row in scorecard_rows(doc):
        record = _record(doc, row.grouping, row.criterion)
        assert row.value == record["value"] and list(row.ci) == record["ci"] and row.gap == record["gap"]
        ratio = next(d for d in doc["fairness"]["disparities"] if d["grouping"] == row.grouping
                     and d["criterion"] == row.criterion and d["measure"] == "ratio"
                     and d["method"] == "between_groups")
        assert row.ratio == ratio["value"]
        rates = {tuple(r["group"].items()): r["metrics"][row.gap["metric"]] for r in doc["fairness"]["by_group"]
                 if r["group"].keys() == row.gap["first"].keys()}
        assert row.rates == (rates[tuple(row.gap["first"].items())], rates[tuple(row.gap["second"].items())])


def test_the_numbers_equal_fairlearn_s(doc):
    frame = auditkit.datasets.load("compas").frame
    assert len(frame) == doc["dataset"]["n_rows"]
    y_true = (frame["two_year_recid"] == 1).astype(int)
    y_pred = frame["compas_high_risk"].astype(int)
    rows = {(r.grouping, r.criterion): r for r in scorecard_rows(doc)}
    assert rows[("sex", "demographic_parity")].value == pytest.approx(
        demographic_parity_difference(y_true, y_pred, sensitive_features=frame["sex"]), abs=1e-12)
    assert rows[("sex", "equalized_odds")].value == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=frame["sex"]), abs=1e-12)
    compared = frame["race"].map(frame["race"].value_counts()) >= 30  # groups below min_group_size are left out
    assert rows[("race", "demographic_parity")].value == pytest.approx(demographic_parity_difference(
        y_true[compared], y_pred[compared], sensitive_features=frame["race"][compared]), abs=1e-12)


def _doc(ci, value=0.2, criterion="demographic_parity", checks=None):
    record = {"grouping": "g", "criterion": criterion, "name": f"{criterion}_difference", "measure": "difference",
              "method": "between_groups", "value": value, "ci": ci,
              "gap": None if value is None else {"metric": "selection_rate", "first": {"g": "a"}, "second": {"g": "b"}}}
    doc = {"fairness": {"disparities": [record], "by_group": []}, "findings": []}
    if checks is not None:
        doc["checks"] = {"results": checks}
    return doc


@pytest.mark.parametrize(("ci", "value", "status"), [
    ([0.15, 0.25], 0.2, "fail"),  # the whole interval above the default threshold
    ([0.05, 0.15], 0.1, "uncertain"),  # straddles it
    ([0.01, 0.08], 0.05, "pass"),  # all at or below it
    ([0.02, DEFAULT_MAX_DIFFERENCE], 0.05, "pass"),  # at the threshold is allowed
    ([None, None], 0.2, "fail"),  # no interval: the estimate decides, and the rule says so
    ([None, None], 0.05, "pass"),
    ([None, None], None, "undefined"),  # fewer than two groups to compare
])
def test_default_judgement(ci, value, status):
    [row] = scorecard_rows(_doc(ci, value))
    assert row.status == status and row.source == "default"
    assert row.rule.startswith(f"default (≤ {DEFAULT_MAX_DIFFERENCE:g})")
    assert ("no interval" in row.rule) == (ci[0] is None and value is not None)


@pytest.mark.parametrize(("statuses", "expected"), [
    (["passed"], "pass"), (["failed"], "fail"), (["undefined"], "uncertain"),
    (["passed", "failed"], "fail"), (["passed", "undefined"], "uncertain"),
])
def test_policy_checks_judge_their_rows(statuses, expected):
    checks = [{"name": f"c{i}", "metric": "demographic_parity_difference", "grouping": "g", "status": s,
               "threshold": {"max": 0.3}, "basis": "estimate", "severity": "high"} for i, s in enumerate(statuses)]
    [row] = scorecard_rows(_doc([0.15, 0.25], checks=checks))  # the default would say "fail"
    assert row.status == expected and row.source == "policy"
    assert row.rule == "policy: demographic_parity_difference ≤ 0.3"


def test_a_policy_feeds_the_scorecard_and_unchecked_rows_keep_the_default(compas):
    result = auditkit.audit(data="compas", predictions="compas_high_risk", steps=["fairness"], progress=False,
                            step_options=FAIRNESS, policy={"demographic_parity_ratio": {"min": 0.8, "basis": "ci"},
                                                           "equalized_odds_difference": {"max": 0.5}})
    rows = {(r.grouping, r.criterion): r for r in scorecard_rows(result.to_dict())}
    checks = {c["name"]: c for c in result.to_dict()["checks"]["results"]}
    assert rows[("race", "demographic_parity")].status == \
        {"failed": "fail", "passed": "pass"}[checks["demographic_parity_ratio[race]"]["status"]]
    assert rows[("race", "demographic_parity")].rule == "policy: demographic_parity_ratio ≥ 0.8 (interval)"
    assert rows[("sex", "equalized_odds")].source == "policy"
    assert rows[("sex", "predictive_parity")].source == "default"


def test_regression_rows_are_not_judged_without_a_policy():
    frame = auditkit.datasets.make_biased(400, seed=0).frame
    frame["amount"] = frame["x0"] * 10
    noise = np.random.default_rng(0).normal(0, 1, len(frame))
    frame["predicted"] = frame["amount"] + np.where(frame["group"] == "B", 3.0, 0.0) + noise
    doc = auditkit.audit(data=frame, target="amount", sensitive=["group"], predictions="predicted", task="regression",
                         steps=["fairness"], progress=False, step_options={"fairness": {"n_boot": 50}}).to_dict()
    rows = scorecard_rows(doc)
    assert rows and {r.status for r in rows} == {"not judged"}
    assert "no default threshold" in scorecard_html(doc)


def test_multiclass_rows_name_the_class_with_the_largest_gap():
    frame = auditkit.datasets.make_biased(600, seed=0).frame
    frame["label3"] = np.digitize(frame["x0"], [-0.5, 0.5])
    frame["decision3"] = np.digitize(frame["x0"] + frame["proxy"], [-0.5, 0.5])
    doc = auditkit.audit(data=frame, target="label3", sensitive=["group"], predictions="decision3", task="multiclass",
                         steps=["fairness"], progress=False, step_options={"fairness": {"n_boot": 50}}).to_dict()
    for row in scorecard_rows(doc):
        values = [d["value"] for d in doc["fairness"]["disparities"] if d["criterion"] == row.criterion
                  and d["measure"] == "difference" and d["method"] == "between_groups" and d["value"] is not None]
        assert row.value == max(values) and row.klass is not None
    assert "(class " in scorecard_html(doc)


def test_status_is_colour_and_text_and_the_caption_states_the_default(doc):
    html = scorecard_html(doc)
    for status in {r.status for r in scorecard_rows(doc)}:
        text, colour, _ = STATUSES[status]
        assert f"background:{colour}" in html and f">{text}</span>" in html
    assert f"a difference of at most {DEFAULT_MAX_DIFFERENCE:g}" in html and "straddles" in html


def test_group_names_are_escaped():
    frame = pd.DataFrame({"g": ["<b>a</b>"] * 60 + ["b&c"] * 60, "y": [1, 0] * 60})
    frame["decision"] = [1] * 40 + [0] * 20 + [1] * 10 + [0] * 50
    doc = auditkit.audit(data=frame, target="y", sensitive=["g"], predictions="decision", steps=["fairness"],
                         progress=False, step_options={"fairness": {"n_boot": 50}}).to_dict()
    html = scorecard_html(doc)
    assert "&lt;b&gt;a&lt;/b&gt;" in html and "b&amp;c" in html and "<b>a</b>" not in html
