"""``result.table(step, name)``: tidy frames with interval columns, plain names, helpful errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _result_fixtures import full_audit, multiclass_frame, quick_audit, regression_frame, task_audit

from auditkit import InputError
from auditkit.exceptions import UnknownNameError

PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*([.*][A-Za-z_][A-Za-z0-9_]*)*")


@pytest.fixture(scope="module")
def result():
    return quick_audit(policy={"demographic_parity_difference": {"max": 0.05}})


def every_table(result):
    return [(step, name, result.table(step, name)) for step, names in result.tables().items() for name in names]


def test_every_step_of_a_full_audit_has_its_tables():
    assert full_audit().tables() == {
        "data_overview": ["columns", "group_sizes"],
        "data_bias": ["representation", "base_rates", "missingness", "proxies"],
        "performance": ["overall", "confusion_matrix"],
        "fairness": ["sex", "region", "sex*region", "disparities", "comparisons", "calibration.sex",
                     "calibration.region", "calibration.sex*region"],
        "shap": ["global_importance", "group_mean_shap.sex", "gap_decomposition.sex", "group_mean_shap.region",
                 "gap_decomposition.region"],
        "lime": ["instances", "weights"],
        "agreement": ["instances"],
        "policy": ["checks"],
    }


def test_table_names_are_plain_identifiers():
    for step, names in full_audit().tables().items():
        for name in names:
            assert PLAIN_NAME.fullmatch(name), (step, name)  # not "sex × region", "calibration sex", ...


def test_no_cell_holds_a_list_or_a_mapping():
    for step, name, table in every_table(full_audit()):
        for column in table.columns:
            kinds = {type(v).__name__ for v in table[column] if isinstance(v, list | tuple | dict | np.ndarray)}
            assert not kinds, (step, name, column, kinds)


def test_every_interval_is_two_float_columns_right_after_its_value():
    seen = set()
    for step, name, table in every_table(full_audit()):
        columns = list(table.columns)
        for i, column in enumerate(columns):
            if column.endswith("_ci_low"):
                base = column.removesuffix("_ci_low")
                assert columns[i - 1] == base and columns[i + 1] == f"{base}_ci_high", (step, name, column)
                assert table[column].dtype == "float64" and table[f"{base}_ci_high"].dtype == "float64"
                seen.add((step, name.split(".")[0] if "." in name else name, base))
    expected = {("fairness", "sex", "selection_rate"), ("fairness", "disparities", "value"),
                ("fairness", "comparisons", "difference"), ("fairness", "comparisons", "ratio"),
                ("data_bias", "representation", "share"), ("data_bias", "base_rates", "base_rate"),
                ("data_bias", "proxies", "cramers_v"), ("policy", "checks", "observed")}
    assert expected <= seen


def test_group_table_has_the_interval_of_every_metric_that_has_one(result):
    fairness = result.step("fairness")
    for row in fairness.payload["by_group"]:
        features = list(row["group"])
        table = result.table("fairness", "*".join(features))
        match = table.loc[(table[features] == pd.Series(row["group"])).all(axis=1)]
        assert len(match) == 1
        assert set(row["ci"]) == set(row["metrics"])  # every metric of this audit has an interval
        for metric, (low, high) in row["ci"].items():
            assert match[metric].item() == pytest.approx(row["metrics"][metric], nan_ok=True)
            assert match[f"{metric}_ci_low"].item() == pytest.approx(np.nan if low is None else low, nan_ok=True)
            assert match[f"{metric}_ci_high"].item() == pytest.approx(np.nan if high is None else high, nan_ok=True)


@pytest.mark.parametrize("features", [["sex"], ["region"], ["sex", "region"]])
def test_group_table_counts_and_rates_equal_a_hand_count(result, features):
    from _frames import make_frame

    frame = make_frame()
    y, decision = frame["approved"], frame["decision"]
    cells = pd.DataFrame({"tp": (y == 1) & (decision == 1), "fp": (y == 0) & (decision == 1),
                          "fn": (y == 1) & (decision == 0), "tn": (y == 0) & (decision == 0)})
    counts = cells.groupby([frame[f] for f in features]).sum().reset_index()
    table = result.table("fairness", "*".join(features)).merge(counts, on=features, suffixes=("", "_hand"))
    assert len(table) == len(counts)
    for cell in ("tp", "fp", "fn", "tn"):
        assert (table[cell] == table[f"{cell}_hand"]).all()
    assert (table["n"] == table[["tp_hand", "fp_hand", "fn_hand", "tn_hand"]].sum(axis=1)).all()
    rate = (table["tp_hand"] + table["fp_hand"]) / table["n"]
    np.testing.assert_allclose(table["selection_rate"], rate, rtol=1e-12)
    tpr = table["tp_hand"] / (table["tp_hand"] + table["fn_hand"])
    np.testing.assert_allclose(table["true_positive_rate"], tpr, rtol=1e-12)


def test_disparities_table_splits_the_interval_and_names_the_groups(result):
    table = result.table("fairness", "disparities")
    records = result.step("fairness").payload["disparities"]
    assert len(table) == len(records)
    first = table.iloc[0]
    assert list(table.columns[:4]) == ["grouping", "reference", "name", "criterion"]
    assert first["value_ci_low"] == pytest.approx(records[0]["ci"][0])
    assert first["value_ci_high"] == pytest.approx(records[0]["ci"][1])
    gap = records[0]["gap"]
    assert first["gap_first"] == ", ".join(f"{k}={v}" for k, v in gap["first"].items())
    assert first["gap_metric"] == gap["metric"]


def test_policy_checks_are_a_table(result):
    checks = result.table("policy", "checks")
    records = result.step("policy").payload["results"]
    assert checks["grouping"].tolist() == [c["grouping"] for c in records]
    assert checks["threshold_max"].tolist() == [0.05] * len(records)
    assert checks["threshold_min"].isna().all()
    assert checks["status"].tolist() == [c["status"] for c in records]
    np.testing.assert_allclose(checks["observed_ci_low"], [c["ci"][0] for c in records])


def test_multiclass_grouping_is_one_table_with_a_class_column():
    result = task_audit("multiclass")
    assert result.tables("fairness") == ["g", "disparities", "comparisons"]
    table = result.table("fairness", "g")
    assert list(table.columns[:3]) == ["g", "class", "n"]
    assert len(table) == 2 * 3
    frame = multiclass_frame()
    for _, row in table.iterrows():
        part = frame[frame["g"] == row["g"]]
        assert row["selection_rate"] == pytest.approx((part["decision"] == row["class"]).mean(), abs=1e-12)
        assert row["selection_rate_ci_low"] <= row["selection_rate"] <= row["selection_rate_ci_high"]
    assert set(result.table("fairness", "disparities")["class"]) == {"hi", "lo", "mid"}
    shares = result.table("data_bias", "base_rates")
    assert {"class", "base_rate_ci_low", "base_rate_ci_high"} <= set(shares.columns)
    matrix = result.table("performance", "confusion_matrix")
    assert matrix["n"].sum() == len(frame) and list(matrix.columns) == ["true", "predicted", "n"]


def test_regression_tables_have_intervals_of_errors_and_means():
    result = task_audit("regression")
    table = result.table("fairness", "sex")
    frame = regression_frame()
    for row in table.itertuples():
        error = (frame["predicted"] - frame["amount"])[frame["sex"] == row.sex]
        assert row.mae == pytest.approx(error.abs().mean(), rel=1e-12)
        assert row.mae_ci_low <= row.mae <= row.mae_ci_high
    assert {"mean_target", "mean_target_ci_low", "mean_target_ci_high"} <= set(result.table("data_bias",
                                                                                           "base_rates").columns)


def test_a_wrong_table_name_lists_the_tables_of_the_step(result):
    with pytest.raises(UnknownNameError) as caught:
        result.table("fairness", "gender")
    assert str(caught.value) == (
        "no table 'gender' in step 'fairness'; its tables: sex, region, sex*region, disparities, comparisons, "
        "calibration.sex, calibration.region, calibration.sex*region")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, InputError)
    with pytest.raises(KeyError, match=r"^no table 'Sex' in step 'fairness' \(did you mean 'sex'\?\); its tables"):
        result.table("fairness", "Sex")


def test_a_wrong_step_name_lists_the_steps_of_the_audit(result):
    message = ("no step 'fairnes' in this audit (did you mean 'fairness'?); its steps: data_overview, data_bias, "
               "performance, fairness, policy")
    with pytest.raises(InputError, match=re.escape(message)):
        result.table("fairnes", "sex")
    with pytest.raises(KeyError, match=re.escape(message)):
        result.tables("fairnes")
    with pytest.raises(UnknownNameError, match=re.escape(message)):
        result.step("fairnes")


def test_tables_lists_the_names_of_one_step_or_of_every_step(result):
    assert result.tables("data_bias") == ["representation", "base_rates", "missingness", "proxies"]
    assert list(result.tables()) == ["data_overview", "data_bias", "performance", "fairness", "policy"]
    assert result.tables()["fairness"] == result.tables("fairness")


def test_an_intersection_is_also_found_by_its_display_name(result):
    pd.testing.assert_frame_equal(result.table("fairness", "sex × region"), result.table("fairness", "sex*region"))


def test_a_table_is_a_copy_the_caller_may_change(result):
    table = result.table("fairness", "sex")
    table["n"] = -1
    assert (result.table("fairness", "sex")["n"] > 0).all()
