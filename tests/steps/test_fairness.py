"""The fairness step: point estimates equal fairlearn's and hand counts; intervals, tests, findings."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from auditkit import AuditSpec, build_context, datasets
from auditkit.exceptions import InputError
from auditkit.result import to_jsonable
from auditkit.stats.missing_group import MISSING_GROUP
from auditkit.steps import FairnessStep

RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
         "true_negative_rate", "precision", "negative_predictive_value", "accuracy", "balanced_accuracy")


DENOMINATORS = {
    "true_positive_rate": [("tp", "fn")], "false_negative_rate": [("tp", "fn")],
    "false_positive_rate": [("fp", "tn")], "true_negative_rate": [("fp", "tn")], "precision": [("tp", "fp")],
    "negative_predictive_value": [("tn", "fn")], "balanced_accuracy": [("tp", "fn"), ("fp", "tn")],
}


def run(frame, target, sensitive, predictions="decision", positive=None, scores=None, task="binary",
        reference=None, **options):
    spec = AuditSpec(data=frame, target=target, sensitive=sensitive, predictions=predictions, scores=scores,
                     positive_label=positive, task=task, reference_groups=reference or {}, seed=0)
    return FairnessStep(**options).run(build_context(spec))


def rows_for(result, features):
    return [r for r in result.payload["by_group"] if tuple(r["group"]) == tuple(features)]


def fairlearn_frame(y, y_pred, sensitive):
    from fairlearn import metrics as fm
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_score

    def npv(t, p):
        return np.mean(t[p == 0] == 0) if (p == 0).any() else np.nan

    functions = {"selection_rate": fm.selection_rate, "true_positive_rate": fm.true_positive_rate,
                 "false_positive_rate": fm.false_positive_rate, "false_negative_rate": fm.false_negative_rate,
                 "true_negative_rate": fm.true_negative_rate,
                 "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
                 "negative_predictive_value": npv, "accuracy": accuracy_score,
                 "balanced_accuracy": balanced_accuracy_score}
    with warnings.catch_warnings():
        # sklearn's confusion_matrix in fairlearn's rates, on a group with one label: the reference's noise
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        return fm.MetricFrame(metrics=functions, y_true=y, y_pred=y_pred, sensitive_features=sensitive)


def assert_matches_fairlearn(result, y, y_pred, sensitive: pd.DataFrame):
    features = tuple(sensitive.columns)
    by_group = fairlearn_frame(y, y_pred, sensitive).by_group
    rows = rows_for(result, features)
    assert len(rows) == len(by_group)
    compared = 0
    for row in rows:
        key = tuple(row["group"][f] for f in features)
        expected = by_group.loc[key if len(key) > 1 else key[0]]
        for metric in RATES:
            ours = row["metrics"][metric]
            if np.isnan(ours):  # undefined: the group really has no denominator (fairlearn may say 0)
                assert any(row["counts"][a] + row["counts"][b] == 0 for a, b in DENOMINATORS[metric]), (key, metric)
                continue
            assert ours == pytest.approx(float(expected[metric]), abs=1e-12), (key, metric)
            compared += 1
    assert compared >= len(rows) * (len(RATES) - 2)


def test_adult_by_group_equals_fairlearn_for_every_grouping():
    adult = datasets.load("adult").frame
    decided = ((adult["education_num"] >= 13) | (adult["capital_gain"] > 5000)).to_numpy(dtype=int)
    frame = adult.assign(decision=np.where(decided == 1, ">50K", "<=50K"))  # decisions in the target's labels
    result = run(frame, "income", ["sex", "race"], positive=">50K", n_boot=0)
    y = (frame["income"] == ">50K").to_numpy(dtype=int)
    for columns in (["sex"], ["race"], ["sex", "race"]):
        assert_matches_fairlearn(result, y, decided, frame[columns])


def test_compas_predictions_only_equal_fairlearn_and_hand_counts():
    frame = datasets.propublica_filter(datasets.load("compas").frame)
    result = run(frame, "two_year_recid", ["race", "sex"], predictions="compas_high_risk", n_boot=0)
    y, y_pred = frame["two_year_recid"].to_numpy(), frame["compas_high_risk"].to_numpy()
    for columns in (["race"], ["sex"], ["race", "sex"]):
        assert_matches_fairlearn(result, y, y_pred, frame[columns])
    for row in rows_for(result, ("race",)):
        rows = frame[frame["race"] == row["group"]["race"]]
        tp = int(((rows["two_year_recid"] == 1) & (rows["compas_high_risk"] == 1)).sum())
        fp = int(((rows["two_year_recid"] == 0) & (rows["compas_high_risk"] == 1)).sum())
        fn = int(((rows["two_year_recid"] == 1) & (rows["compas_high_risk"] == 0)).sum())
        assert row["counts"] == {"tp": tp, "fp": fp, "fn": fn, "tn": len(rows) - tp - fp - fn}


def test_german_by_group_equals_fairlearn():
    german = datasets.load("german").frame
    decided = (german["duration_months"] <= 18).to_numpy(dtype=int)
    frame = german.assign(decision=np.where(decided == 1, "good", "bad"))  # decisions in the target's labels
    result = run(frame, "credit_risk", ["sex", "age_group"], positive="good", n_boot=0)
    y = (frame["credit_risk"] == "good").to_numpy(dtype=int)
    for columns in (["sex"], ["age_group"], ["sex", "age_group"]):
        assert_matches_fairlearn(result, y, decided, frame[columns])


def test_published_compas_error_rates_are_reproduced():
    # ProPublica, "How We Analyzed the COMPAS Recidivism Algorithm" (2016): among defendants who did
    # not reoffend within two years, 44.85 % of African-American and 23.45 % of Caucasian defendants
    # were labelled Medium/High risk (FPR); FNR 27.99 % vs 47.72 %. Dressel & Farid (Science Advances
    # 2018, Table 2, all 7,214 defendants) report the same (44.8/23.5, 28.0/47.7) and accuracy
    # 63.8 % / 67.0 % / 65.4 % overall. Both are computed on the unfiltered two-year file.
    frame = datasets.load("compas").frame
    result = run(frame, "two_year_recid", ["race"], predictions="compas_high_risk", n_boot=0)
    rates = {r["group"]["race"]: r for r in rows_for(result, ("race",))}
    black, white = rates["African-American"], rates["Caucasian"]
    assert (black["n"], white["n"]) == (3696, 2454)
    assert round(black["metrics"]["false_positive_rate"], 4) == 0.4485
    assert round(white["metrics"]["false_positive_rate"], 4) == 0.2345
    assert round(black["metrics"]["false_negative_rate"], 4) == 0.2799
    assert round(white["metrics"]["false_negative_rate"], 4) == 0.4772
    assert round(black["metrics"]["accuracy"], 3) == 0.638
    assert round(white["metrics"]["accuracy"], 3) == 0.670


def test_compas_error_rates_after_the_propublica_row_filter():
    # With ProPublica's row filter (6,172 rows) the same definitions give these; a hand count agrees.
    frame = datasets.propublica_filter(datasets.load("compas").frame)
    result = run(frame, "two_year_recid", ["race"], predictions="compas_high_risk", n_boot=0)
    rates = {r["group"]["race"]: r["metrics"] for r in rows_for(result, ("race",))}
    assert round(rates["African-American"]["false_positive_rate"], 4) == 0.4234
    assert round(rates["Caucasian"]["false_positive_rate"], 4) == 0.2201
    assert round(rates["African-American"]["false_negative_rate"], 4) == 0.2848
    assert round(rates["Caucasian"]["false_negative_rate"], 4) == 0.4964
    assert sum(r["n"] for r in rows_for(result, ("race",))) == 6172


def test_hand_count_on_a_tiny_frame():
    frame = pd.DataFrame({
        "g": ["a"] * 6 + ["b"] * 4,
        "y": [1, 1, 1, 0, 0, 0, 1, 0, 0, 0],
        "decision": [1, 1, 0, 1, 0, 0, 0, 1, 1, 0],
    })
    result = run(frame, "y", ["g"], min_group_size=1, n_boot=0)
    a, b = rows_for(result, ("g",))
    assert a["counts"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 2}
    assert a["metrics"]["selection_rate"] == pytest.approx(3 / 6)
    assert a["metrics"]["true_positive_rate"] == pytest.approx(2 / 3)
    assert a["metrics"]["precision"] == pytest.approx(2 / 3)
    assert a["metrics"]["negative_predictive_value"] == pytest.approx(2 / 3)
    assert a["metrics"]["balanced_accuracy"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert b["counts"] == {"tp": 0, "fp": 2, "fn": 1, "tn": 1}
    assert b["metrics"]["precision"] == 0.0
    assert b["metrics"]["false_positive_rate"] == pytest.approx(2 / 3)
    dp = next(d for d in result.payload["disparities"]
              if d["name"] == "demographic_parity_difference" and d["method"] == "between_groups")
    assert dp["value"] == pytest.approx(0.0)


def _biased(n, gap, seed):
    data = datasets.make_biased(n, base_rate_gap=gap, seed=seed).frame
    return data.assign(decision=(data["x0"] + data["x1"] + data["x2"] > 0).astype(int))


def test_planted_gap_is_flagged_with_an_interval_that_excludes_zero():
    result = run(_biased(2000, 0.3, 0), "label", ["group"], reference={"group": "A"}, n_boot=500)
    gap = next(c for c in result.payload["comparisons"] if c["metric"] == "selection_rate")
    assert gap["group"] == {"group": "B"} and gap["reference"] == {"group": "A"}
    assert gap["difference"] < 0 and gap["difference_ci"][1] < 0 and gap["significant"]
    ids = {f.id for f in result.findings}
    assert "fairness.gap.group.demographic_parity" in ids  # one finding per grouping and criterion
    finding = next(f for f in result.findings if f.id == "fairness.gap.group.demographic_parity")
    assert finding.severity == "high" and "95% CI" in finding.message
    assert finding.evidence["grouping"] == "group" and finding.evidence["criterion"] == "demographic_parity"
    assert finding.evidence["reference"] == {"group": "A"} and finding.evidence["metrics"] == ["selection_rate"]
    assert finding.evidence["comparisons"][0]["difference_ci"] == gap["difference_ci"]


def test_no_planted_gap_is_flagged_no_more_often_than_the_error_rate():
    flagged = 0
    for seed in range(40):
        result = run(_biased(600, 0.0, seed), "label", ["group"], reference={"group": "A"}, n_boot=100)
        flagged += any(f.id.startswith("fairness.gap.") for f in result.findings)
    # Holm at alpha 0.05 over the 4 comparisons: at most a 5 % chance per dataset of any flag,
    # so about 2 of 40 expected; more than 6 would happen with probability < 0.3 %.
    assert flagged <= 6


def test_intervals_are_in_every_row_and_contain_the_estimate():
    result = run(_biased(1000, 0.2, 1), "label", ["group"], n_boot=300)
    for row in result.payload["by_group"]:
        for metric, value in row["metrics"].items():
            lo, hi = row["ci"][metric]
            assert lo <= value <= hi, metric
    for record in result.payload["disparities"]:
        assert record["ci"][0] is not None and record["ci"][0] <= record["ci"][1]


def test_nan_sensitive_values_are_an_explicit_missing_group(frame):
    frame = frame.copy()
    frame.loc[frame.index[:40], "region"] = np.nan
    result = run(frame, "approved", ["region"], n_boot=0)
    rows = {r["group"]["region"]: r for r in rows_for(result, ("region",))}
    assert rows[MISSING_GROUP]["n"] == 40
    assert sum(r["n"] for r in rows.values()) == len(frame)


def test_tiny_groups_are_flagged_and_left_out_of_disparities(frame):
    frame = frame.copy()
    frame.loc[frame.index[:5], "region"] = "island"
    result = run(frame, "approved", ["region"], n_boot=50)
    island = next(r for r in rows_for(result, ("region",)) if r["group"]["region"] == "island")
    assert island["small_group"] and island["n"] == 5 and island["ci"]
    assert all(d["n_groups_compared"] == 3 for d in result.payload["disparities"] if d["grouping"] == "region")
    assert all(c["group"]["region"] != "island" for c in result.payload["comparisons"])
    finding = next(f for f in result.findings if f.id == "fairness.small_groups.region")
    assert "region=island (n=5)" in finding.message and "left out of the headline disparities" in finding.message


def test_single_class_group_has_undefined_rates_not_zero(frame):
    frame = frame.copy()
    only_negative = frame["region"] == "east"
    frame.loc[only_negative, "approved"] = 0
    result = run(frame, "approved", ["region"], n_boot=50)
    doc = to_jsonable(result.payload)
    east = next(r for r in doc["by_group"] if r.get("group") == {"region": "east"})
    assert east["metrics"]["true_positive_rate"] is None
    assert east["metrics"]["false_negative_rate"] is None
    assert east["ci"]["true_positive_rate"] == [None, None]
    assert east["metrics"]["false_positive_rate"] is not None
    json.dumps(doc, allow_nan=False)
    assert any(f.id == "fairness.undefined_rates.region" and "undefined (not 0)" in f.message
               for f in result.findings)


def test_reference_group_defaults_to_the_largest_and_can_be_chosen(frame):
    default = run(frame, "approved", ["region"], n_boot=0)
    assert {c["reference"]["region"] for c in default.payload["comparisons"]} == {"north"}
    chosen = run(frame, "approved", ["region"], reference={"region": "east"}, n_boot=0)
    assert {c["reference"]["region"] for c in chosen.payload["comparisons"]} == {"east"}
    assert next(r for r in rows_for(chosen, ("region",)) if r["reference"])["group"] == {"region": "east"}


def test_unknown_reference_group_is_named(frame):
    with pytest.raises(InputError, match="reference group region=.west. does not occur"):
        run(frame, "approved", ["region"], reference={"region": "west"})
    with pytest.raises(InputError, match="reference_groups names age, which is not a sensitive feature"):
        run(frame, "approved", ["region"], reference={"age": "old"})


def test_scores_give_auc_brier_and_calibration_by_group(frame):
    from sklearn.metrics import brier_score_loss, roc_auc_score

    result = run(frame, "approved", ["sex"], scores="score", n_boot=200)
    for row in rows_for(result, ("sex",)):
        rows = frame[frame["sex"] == row["group"]["sex"]]
        assert row["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(rows["approved"], rows["score"]), abs=1e-12)
        assert row["metrics"]["brier_score"] == pytest.approx(
            brier_score_loss(rows["approved"], rows["score"]), abs=1e-12)
        assert row["ci"]["roc_auc"][0] < row["metrics"]["roc_auc"] < row["ci"]["roc_auc"][1]
    calibration = pd.DataFrame(result.payload["calibration"]["sex"])
    assert calibration.groupby("sex")["n"].sum().to_dict() == frame["sex"].value_counts().to_dict()
    female = frame[(frame["sex"] == "female") & (frame["score"] >= 0.5) & (frame["score"] < 0.6)]
    row = calibration[(calibration["sex"] == "female") & (calibration["bin_lower"] == 0.5)].iloc[0]
    assert row["n"] == len(female) and row["observed_rate"] == pytest.approx(female["approved"].mean())


def test_weighted_auc_equals_scikit_learn_with_sample_weights():
    from sklearn.metrics import roc_auc_score

    from auditkit.fairness.scores import weighted_auc

    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 2, 300), rng.integers(0, 20, 300) / 20  # many ties
    w = rng.integers(0, 4, (5, 300))
    expected = [roc_auc_score(y, s, sample_weight=row) for row in w]
    assert weighted_auc(y, s, w) == pytest.approx(expected, abs=1e-12)


def test_extra_scikit_learn_metric_by_group(frame):
    from sklearn.metrics import f1_score

    result = run(frame, "approved", ["sex"], extra_metrics={"f1": "sklearn.metrics:f1_score"},
                 extra_metrics_n_boot=30, n_boot=100)
    for row in rows_for(result, ("sex",)):
        rows = frame[frame["sex"] == row["group"]["sex"]]
        assert row["metrics"]["f1"] == pytest.approx(f1_score(rows["approved"], rows["decision"]), abs=1e-12)
        assert row["ci"]["f1"][0] <= row["metrics"]["f1"] <= row["ci"]["f1"][1]
    with pytest.raises(InputError, match="extra metric 'bad': cannot import 'sklearn.metrics:nope'"):
        run(frame, "approved", ["sex"], extra_metrics={"bad": "sklearn.metrics:nope"}, n_boot=0)


def test_same_seed_same_numbers(frame):
    first = to_jsonable(run(frame, "approved", ["sex", "region"], n_boot=200).payload)
    assert first == to_jsonable(run(frame, "approved", ["sex", "region"], n_boot=200).payload)


def test_regression_metrics_by_group(frame):
    data = frame.assign(amount=frame["income"] * 2, predicted=frame["income"] * 2 + np.where(
        frame["sex"] == "male", 5.0, -1.0) + np.random.default_rng(0).normal(0, 1, len(frame)))
    result = run(data, "amount", ["sex"], predictions="predicted", task="regression", n_boot=200)
    for row in rows_for(result, ("sex",)):
        rows = data[data["sex"] == row["group"]["sex"]]
        error = rows["predicted"] - rows["amount"]
        assert row["metrics"]["mae"] == pytest.approx(error.abs().mean(), rel=1e-12)
        assert row["metrics"]["rmse"] == pytest.approx(np.sqrt((error**2).mean()), rel=1e-12)
        assert row["metrics"]["mean_prediction"] == pytest.approx(rows["predicted"].mean(), rel=1e-12)
        assert row["ci"]["mean_error"][0] <= row["metrics"]["mean_error"] <= row["ci"]["mean_error"][1]
    names = {d["name"] for d in result.payload["disparities"]}
    assert {"mae_worst_group", "rmse_ratio", "mean_error_difference", "mean_prediction_difference"} <= names
    bias = next(c for c in result.payload["comparisons"] if c["metric"] == "mean_error")
    assert bias["test"] == "welch-t" and bias["significant"]
    assert any(f.id == "fairness.gap.sex.mean_error" for f in result.findings)  # a regression metric is a criterion


def test_multiclass_one_vs_rest_rates_by_group():
    from sklearn.metrics import precision_score, recall_score

    rng = np.random.default_rng(0)
    n = 900
    data = pd.DataFrame({"g": rng.choice(["u", "v"], n), "y": rng.choice(["lo", "mid", "hi"], n)})
    data["decision"] = np.where(rng.random(n) < 0.7, data["y"], rng.choice(["lo", "mid", "hi"], n))
    result = run(data, "y", ["g"], task="multiclass", n_boot=100)
    rows = result.payload["by_group"]
    assert {r["class"] for r in rows} == {"hi", "lo", "mid"}
    for row in rows:
        part = data[data["g"] == row["group"]["g"]]
        label = row["class"]
        recall = recall_score(part["y"], part["decision"], labels=[label], average=None)[0]
        precision = precision_score(part["y"], part["decision"], labels=[label], average=None)[0]
        assert row["metrics"]["true_positive_rate"] == pytest.approx(recall, abs=1e-12)
        assert row["metrics"]["precision"] == pytest.approx(precision, abs=1e-12)
        assert row["metrics"]["selection_rate"] == pytest.approx((part["decision"] == label).mean(), abs=1e-12)
    assert {d["class"] for d in result.payload["disparities"]} == {"hi", "lo", "mid"}


def test_metric_with_the_wrong_signature_is_an_input_error(frame):
    with pytest.raises(InputError, match=r"extra metric 'cwd' cannot be used as metric\(y_true, y_pred\) -> number"):
        run(frame, "approved", ["sex"], extra_metrics={"cwd": "os:getcwd"}, n_boot=0)
