"""Headline disparities equal fairlearn's, between groups and against a reference group."""

from __future__ import annotations

import numpy as np
import pytest

from auditkit import datasets
from auditkit.stats.counts import confusion_cells, group_codes, group_counts, rates_from_counts
from auditkit.stats.disparities import BINARY_CRITERIA, check_names, disparity, disparity_records


def _rates(frame, y, y_pred, feature):
    codes, keys = group_codes(frame[[feature]].astype(str), (feature,))
    return rates_from_counts(group_counts(codes, confusion_cells(y, y_pred), len(keys))), keys


@pytest.mark.parametrize("feature", ["race", "sex"])
def test_between_groups_equals_fairlearn_on_compas(feature):
    from fairlearn import metrics as fm

    frame = datasets.propublica_filter(datasets.load("compas").frame)
    y, y_pred = frame["two_year_recid"].to_numpy(), frame["compas_high_risk"].to_numpy()
    rates, keys = _rates(frame, y, y_pred, feature)
    every = np.ones(len(keys), dtype=bool)
    s = frame[feature]
    expected = {
        ("demographic_parity", "difference"): fm.demographic_parity_difference(y, y_pred, sensitive_features=s),
        ("demographic_parity", "ratio"): fm.demographic_parity_ratio(y, y_pred, sensitive_features=s),
        ("equalized_odds", "difference"): fm.equalized_odds_difference(y, y_pred, sensitive_features=s),
        ("equalized_odds", "ratio"): fm.equalized_odds_ratio(y, y_pred, sensitive_features=s),
        ("equal_opportunity", "difference"): fm.equal_opportunity_difference(y, y_pred, sensitive_features=s),
        ("equal_opportunity", "ratio"): fm.equal_opportunity_ratio(y, y_pred, sensitive_features=s),
    }
    for (criterion, measure), value in expected.items():
        ours = disparity(rates, BINARY_CRITERIA[criterion], measure, "between_groups", every, 0)
        assert ours == pytest.approx(value, abs=1e-12), (criterion, measure)


def test_to_reference_by_hand():
    values = {"selection_rate": np.array([0.5, 0.2, 0.4, np.nan])}
    eligible = np.array([True, True, True, True])
    # reference 0.5: gaps 0.3, 0.1 (undefined group skipped); ratios 0.4, 0.8
    assert disparity(values, ("selection_rate",), "difference", "to_reference", eligible, 0) == pytest.approx(0.3)
    assert disparity(values, ("selection_rate",), "ratio", "to_reference", eligible, 0) == pytest.approx(0.4)
    # ratio to a smaller reference is taken the other way round (always <= 1), as fairlearn does to_overall
    assert disparity(values, ("selection_rate",), "ratio", "to_reference", eligible, 1) == pytest.approx(0.4)


def test_ineligible_groups_are_left_out():
    values = {"selection_rate": np.array([0.5, 0.0, 0.4])}
    eligible = np.array([True, False, True])
    assert disparity(values, ("selection_rate",), "difference", "between_groups", eligible, 0) == pytest.approx(0.1)


def test_fewer_than_two_groups_is_undefined():
    values = {"selection_rate": np.array([0.5, 0.1])}
    assert np.isnan(disparity(values, ("selection_rate",), "difference", "between_groups", np.array([True, False]), 0))


def test_worst_of_several_metrics_and_every_resample_at_once():
    values = {"true_positive_rate": np.array([[0.9, 0.7], [0.8, 0.8]]),
              "false_positive_rate": np.array([[0.1, 0.4], [0.2, 0.1]])}
    out = disparity(values, BINARY_CRITERIA["equalized_odds"], "difference", "between_groups", np.ones(2, bool), 0)
    assert out == pytest.approx([0.3, 0.1])
    ratio = disparity(values, BINARY_CRITERIA["equalized_odds"], "ratio", "between_groups", np.ones(2, bool), 0)
    assert ratio == pytest.approx([0.25, 0.5])


def test_records_cover_every_criterion_measure_and_method_with_intervals():
    point = {m: np.array([0.5, 0.3]) for m in ("selection_rate", "true_positive_rate", "false_positive_rate",
                                              "precision")}
    boot = {m: np.tile(v, (50, 1)) + np.linspace(-0.01, 0.01, 50)[:, None] * [1, -1] for m, v in point.items()}
    records = disparity_records(point, boot, BINARY_CRITERIA, np.ones(2, bool), 0, 0.9)
    assert len(records) == 4 * 2 * 2
    dp = next(r for r in records if r["name"] == "demographic_parity_difference" and r["method"] == "between_groups")
    assert dp["value"] == pytest.approx(0.2)
    assert dp["ci"][0] < 0.2 < dp["ci"][1]


def test_policy_names():
    assert "demographic_parity_ratio" in check_names("binary")
    assert "mae_worst_group" in check_names("regression")
    assert "mean_error_ratio" not in check_names("regression")
