"""A rate rests on its own denominator; degenerate intervals are named; one interval per gap.

Covers three defects of the fairness analysis: a group of 55 with one actual positive
made the headline equal-opportunity gap (1.0, interval [1.0, 1.0], Fisher p = 1.0); a
bootstrap interval that cannot vary was shown as certainty; and the between-groups
interval (of max - min, never below 0) excluded 0 where the test of the same gap found
nothing (German credit, sex: [0.0045, 0.196] against p = 0.107).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from auditkit import AuditSpec, audit, build_context
from auditkit.exceptions import InputError
from auditkit.fairness.analysis import FairnessSettings
from auditkit.stats.bootstrap import is_degenerate, wilson_interval
from auditkit.stats.counts import denominators
from auditkit.stats.disparities import (
    BINARY_CRITERIA,
    REGRESSION_CRITERIA,
    UNTESTED_CRITERIA,
    defining_gap,
    disparity,
    measures_for,
)
from auditkit.steps import FairnessStep


def _frame(tp: int, fp: int, fn: int, tn: int, group: str) -> pd.DataFrame:
    cells = [(1, 1)] * tp + [(0, 1)] * fp + [(1, 0)] * fn + [(0, 0)] * tn
    return pd.DataFrame({"g": group, "y": [c[0] for c in cells], "decision": [c[1] for c in cells]})


def _run(data: pd.DataFrame, policy: dict | None = None, **options):
    return audit(data=data, target="y", sensitive=["g"], predictions="decision", steps=["fairness"], seed=0,
                 step_options={"fairness": {"n_boot": 400, **options}}, policy=policy)


@pytest.fixture
def one_positive() -> pd.DataFrame:
    """Group b: 55 rows, one actual positive (who got a positive decision); group a: 400 rows."""
    return pd.concat([_frame(60, 40, 60, 240, "a"), _frame(1, 4, 0, 50, "b")], ignore_index=True)


# --- denominators -----------------------------------------------------------------------------

@pytest.mark.parametrize(("metric", "expected"), [
    ("selection_rate", 55), ("accuracy", 55), ("base_rate", 55),
    ("true_positive_rate", 1), ("false_negative_rate", 1),            # actual positives
    ("false_positive_rate", 54), ("true_negative_rate", 54),          # actual negatives
    ("precision", 5), ("negative_predictive_value", 50),              # positive / negative decisions
    ("balanced_accuracy", 1), ("roc_auc", 1), ("brier_score", 55),
])
def test_each_rate_counts_its_own_denominator(metric, expected):
    counts = np.array([[1, 4, 0, 50]])  # tp, fp, fn, tn
    assert denominators([metric], np.array([55]), counts)[metric][0] == expected


def test_by_group_rows_carry_the_denominators_and_hand_counts_agree(one_positive):
    result = _run(one_positive)
    rows = {r["group"]["g"]: r for r in result.step("fairness").payload["by_group"]}
    b = rows["b"]
    assert b["n"] == 55 and not b["small_group"]
    assert b["denominators"]["true_positive_rate"] == int((one_positive.query("g == 'b'")["y"] == 1).sum()) == 1
    assert b["denominators"]["precision"] == int(one_positive.query("g == 'b'")["decision"].sum()) == 5
    assert set(b["too_few"]) == {"true_positive_rate", "false_negative_rate", "precision", "balanced_accuracy"}
    assert rows["a"]["too_few"] == []


# --- a rate on one actual positive stays out of the headlines -----------------------------------

def test_a_rate_on_one_actual_positive_is_not_a_headline(one_positive):
    result = _run(one_positive, policy={"equal_opportunity_difference": {"max": 0.1, "severity": "high"}})
    payload = result.step("fairness").payload
    eo = next(d for d in payload["disparities"]
              if d["name"] == "equal_opportunity_difference" and d["method"] == "between_groups")
    assert eo["value"] is None and eo["ci"] == [None, None]
    assert eo["excluded"] == [{"group": {"g": "b"}, "metric": "true_positive_rate", "denominator": 1}]
    # equalized odds is left with the false positive rate, which rests on 54 actual negatives
    odds = next(d for d in payload["disparities"]
                if d["name"] == "equalized_odds_difference" and d["method"] == "between_groups")
    fpr = {r["group"]["g"]: r["metrics"]["false_positive_rate"] for r in payload["by_group"]}
    assert odds["value"] == pytest.approx(abs(fpr["a"] - fpr["b"]))
    assert odds["gap"]["metric"] == "false_positive_rate"
    assert {c["metric"] for c in payload["comparisons"]} == {"selection_rate", "false_positive_rate"}
    # the selection rates (55 rows each way) still differ, and say so; nothing is said about the TPR gap
    high = [f for f in result.findings if f.step == "fairness" and f.severity == "high"]
    assert [f.id for f in high] == ["fairness.gap.g.demographic_parity"]  # the four-fifths rule and the test, as one
    assert high[0].evidence["four_fifths"]["sure"] and high[0].evidence["metrics"] == ["selection_rate"]
    check = result.step("policy").payload["results"][0]
    assert check["status"] == "undefined" and check["observed"] is None
    assert check["excluded"][0]["metric"] == "true_positive_rate"
    too_few = next(f for f in result.findings if f.id == "fairness.too_few.g")
    assert "true positive rate of g=b (actual positives: 1)" in too_few.message
    assert "precision of g=b (positive decisions: 5)" in too_few.message


def test_a_lower_min_denominator_lets_the_rate_back_in(one_positive):
    result = _run(one_positive, min_denominator=1)
    eo = next(d for d in result.step("fairness").payload["disparities"]
              if d["name"] == "equal_opportunity_difference" and d["method"] == "between_groups")
    assert eo["value"] == pytest.approx(1.0 - 60 / 120)
    assert result.step("fairness").payload["settings"]["min_denominator"] == 1


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "10"])
def test_min_denominator_must_be_a_whole_number(value):
    with pytest.raises(InputError, match=r"^min_denominator must be a whole number of at least 1; got "):
        FairnessSettings(min_denominator=value)


def test_multiclass_one_vs_rest_rates_count_the_class_rows():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"g": rng.choice(["u", "v"], 600), "y": rng.choice(["lo", "hi"], 600)})
    data.loc[:4, "y"] = "rare"  # 5 rows of a rare class
    data["decision"] = data["y"]
    spec = AuditSpec(data=data, target="y", sensitive=["g"], predictions="decision", task="multiclass", seed=0)
    result = FairnessStep(n_boot=50).run(build_context(spec))
    rare = [r for r in result.payload["by_group"] if r["class"] == "rare"]
    for row in rare:
        actual = int(((data["g"] == row["group"]["g"]) & (data["y"] == "rare")).sum())
        assert row["denominators"]["true_positive_rate"] == actual < 30
        assert "true_positive_rate" in row["too_few"]
    assert not any(c.get("class") == "rare" and c["metric"] == "true_positive_rate"
                   for c in result.payload["comparisons"])


# --- degenerate intervals -----------------------------------------------------------------------

def test_a_rate_of_one_gets_the_wilson_interval_not_a_point(one_positive):
    all_found = pd.concat([_frame(40, 10, 0, 60, "c"), _frame(30, 20, 30, 120, "d")], ignore_index=True)
    result = _run(all_found)
    c = next(r for r in result.step("fairness").payload["by_group"] if r["group"] == {"g": "c"})
    assert c["metrics"]["true_positive_rate"] == 1.0
    assert "true_positive_rate" in c["ci_degenerate"] and "false_negative_rate" in c["ci_degenerate"]
    assert c["ci_method"]["true_positive_rate"] == "wilson score"
    z = stats.norm.ppf(0.975)
    # Wilson's lower bound for 40 successes in 40 trials is n / (n + z^2), by hand
    assert c["ci"]["true_positive_rate"] == pytest.approx([40 / (40 + z**2), 1.0])
    assert c["ci"]["false_negative_rate"] == pytest.approx([0.0, z**2 / (40 + z**2)])
    assert "selection_rate" not in c["ci_method"]  # a rate that varies keeps its bootstrap interval
    finding = next(f for f in result.findings if f.id == "fairness.degenerate_intervals.g")
    assert "true_positive_rate of g=c = 1" in finding.message and "Wilson" in finding.message


def test_the_tiny_group_rate_is_no_longer_shown_as_certain(one_positive):
    b = next(r for r in _run(one_positive).step("fairness").payload["by_group"] if r["group"] == {"g": "b"})
    lower, upper = b["ci"]["true_positive_rate"]
    assert upper == 1.0 and lower == pytest.approx(1 / (1 + stats.norm.ppf(0.975) ** 2))


@pytest.mark.parametrize(("successes", "trials", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no correction)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombes_table(successes, trials, low, high):
    lower, upper = wilson_interval(np.array([successes]), np.array([trials]), 0.95)
    assert (round(float(lower[0]), 4), round(float(upper[0]), 4)) == (low, high)


def test_degenerate_means_no_width():
    assert is_degenerate(np.array([1.0, 0.2, np.nan]), np.array([1.0, 0.3, np.nan])).tolist() == [True, False, False]


# --- one interval for one gap -------------------------------------------------------------------

def _pairs(payload: dict) -> list[tuple[dict, dict]]:
    """Each disparity whose defining pair is a group and the reference, with the comparison of that pair."""
    out = []
    for d in payload["disparities"]:
        if d["gap"] is None or d["measure"] != "difference" or d["reference"] not in (
                d["gap"]["first"], d["gap"]["second"]) or d["criterion"] in UNTESTED_CRITERIA:
            continue  # (calibration gaps are described with an interval, not tested)
        other = d["gap"]["second"] if d["gap"]["first"] == d["reference"] else d["gap"]["first"]
        match = [c for c in payload["comparisons"] if c["grouping"] == d["grouping"]
                 and c["metric"] == d["gap"]["metric"] and c["group"] == other and c.get("class") == d.get("class")]
        out.append((d, match[0]))
    return out


@pytest.fixture(scope="module")
def german_payload() -> dict:
    """The fairness payload of the reported case: bundled German credit, reference model, seed 0."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):  # the model is small; spinning threads crawl
        return audit(data="german", seed=0, steps=["fairness"]).step("fairness").payload


def test_german_sex_gap_has_one_interval_and_it_agrees_with_the_test(german_payload):
    payload = german_payload
    dp = next(d for d in payload["disparities"] if d["grouping"] == "sex"
              and d["name"] == "demographic_parity_difference" and d["method"] == "between_groups")
    gap = next(c for c in payload["comparisons"] if c["grouping"] == "sex" and c["metric"] == "selection_rate")
    assert gap["p_value"] > 0.1
    assert dp["ci"][0] < 0 < dp["ci"][1]  # was [0.0045, 0.196]: max - min is never below 0
    assert dp["ci"] == pytest.approx([-gap["difference_ci"][1], -gap["difference_ci"][0]])
    assert dp["value"] == pytest.approx(-gap["difference"])
    assert "signed gap" in payload["settings"]["disparity_ci"]
    pairs = _pairs(payload)
    assert len(pairs) >= 8
    for disparity_record, comparison in pairs:
        sign = 1 if disparity_record["gap"]["first"] == comparison["group"] else -1
        lo, hi = (sign * x for x in comparison["difference_ci"])
        assert disparity_record["ci"] == pytest.approx(sorted([lo, hi])), disparity_record["name"]
        if comparison["p_value"] > 0.1:
            assert disparity_record["ci"][0] <= 0 <= disparity_record["ci"][1], disparity_record["name"]


def _random_values(rng, n_groups: int, metrics) -> dict[str, np.ndarray]:
    values = {m: rng.choice([0.0, 0.2, 0.5, 0.5, 0.9, np.nan], n_groups) for m in metrics}
    return {m: np.where(rng.random(n_groups) < 0.3, rng.random(n_groups), v) for m, v in values.items()}


@pytest.mark.parametrize("criteria", [BINARY_CRITERIA, REGRESSION_CRITERIA])
@pytest.mark.parametrize("seed", range(30))
def test_the_defining_gap_reproduces_every_disparity(criteria, seed):
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(2, 6))
    metrics = {m for ms in criteria.values() for m in ms}
    point = _random_values(rng, n_groups, metrics)
    if criteria is REGRESSION_CRITERIA:
        point["mean_error"] = point["mean_error"] - 0.5  # signed
    eligible = {m: rng.random(n_groups) < 0.85 for m in metrics}
    ref = int(rng.integers(0, n_groups))
    for criterion, ms in criteria.items():
        for measure in measures_for(criterion):
            for method in ("between_groups", "to_reference"):
                if measure == "worst_group" and method == "to_reference":
                    continue
                value = float(disparity(point, ms, measure, method, eligible, ref))
                gap = defining_gap(point, ms, measure, method, eligible, ref)
                if np.isnan(value):
                    assert gap is None, (criterion, measure, method)
                    continue
                assert float(gap.of(point)) == pytest.approx(value, abs=1e-12), (criterion, measure, method)


def test_the_report_says_which_gap_the_interval_is_about(german_payload, one_positive):
    from auditkit.report.bias_views import SECTIONS, disparities_frame

    frame = disparities_frame({"fairness": german_payload})
    row = frame[(frame["grouping"] == "sex") & (frame["disparity"] == "demographic_parity_difference")].iloc[0]
    assert row["interval of"] == "selection_rate: sex=male − sex=female"
    assert "signed gap" in next(prose for title, prose, _ in SECTIONS if title == "Disparities")
    payload = _run(one_positive).step("fairness").payload
    frame = disparities_frame({"fairness": payload})
    eo = frame[frame["disparity"] == "equal_opportunity_difference"].iloc[0]
    assert eo["left out (too few rows)"] == "true_positive_rate of g=b (from 1)"
