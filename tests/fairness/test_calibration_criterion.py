"""Calibration by group is a fairness criterion: calibration in the large per group, its gap with an interval.

Before, calibration was only a binned table, so the scorecard had no number for it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import auditkit
from auditkit.report.scorecard import scorecard_rows


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 2000
    group = rng.choice(["a", "b"], n)
    truth = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < truth).astype(int)
    score = np.clip(truth + np.where(group == "b", 0.15, 0.0), 0, 1)  # over-states b's chances by 0.15
    return pd.DataFrame({"g": group, "y": y, "score": score, "decision": (score > 0.5).astype(int)})


@pytest.fixture(scope="module")
def payload(frame):
    return auditkit.audit(data=frame, target="y", sensitive=["g"], predictions="decision", scores="score",
                          steps=["fairness"], progress=False, step_options={"fairness": {"n_boot": 300}},
                          policy={"calibration_difference": {"max": 0.05}}).to_dict()


def test_calibration_in_the_large_by_group_is_mean_score_minus_observed_rate(frame, payload):
    for row in payload["fairness"]["by_group"]:
        rows = frame[frame["g"] == row["group"]["g"]]
        expected = rows["score"].mean() - rows["y"].mean()
        assert row["metrics"]["calibration_in_the_large"] == pytest.approx(expected, abs=1e-12)
        low, high = row["ci"]["calibration_in_the_large"]
        assert low < row["metrics"]["calibration_in_the_large"] < high


def test_the_calibration_gap_is_a_disparity_with_an_interval_and_no_test(frame, payload):
    [record] = [d for d in payload["fairness"]["disparities"] if d["criterion"] == "calibration"
                and d["method"] == "between_groups"]
    citl = {r["group"]["g"]: r["metrics"]["calibration_in_the_large"] for r in payload["fairness"]["by_group"]}
    assert record["name"] == "calibration_difference" and record["measure"] == "difference"
    assert record["value"] == pytest.approx(citl["b"] - citl["a"], abs=1e-12)
    assert record["gap"]["first"] == {"g": "b"} and 0.05 < record["ci"][0] < record["value"] < record["ci"][1]
    assert not [c for c in payload["fairness"]["comparisons"] if c["metric"] == "calibration_in_the_large"]


def test_a_policy_checks_it_and_the_scorecard_shows_it(payload):
    [check] = payload["checks"]["results"]
    assert check["name"] == "calibration_difference[g]" and check["status"] == "failed"
    row = next(r for r in scorecard_rows(payload) if r.criterion == "calibration")
    assert row.status == "fail" and row.source == "policy" and row.gap["metric"] == "calibration_in_the_large"


def test_without_probability_scores_there_is_no_calibration_criterion(frame):
    doc = auditkit.audit(data=frame, target="y", sensitive=["g"], predictions="decision", steps=["fairness"],
                         progress=False, step_options={"fairness": {"n_boot": 0}}).to_dict()
    assert "calibration" not in {d["criterion"] for d in doc["fairness"]["disparities"]}
    assert "calibration" not in {r.criterion for r in scorecard_rows(doc)}
