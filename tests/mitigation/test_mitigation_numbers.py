"""The mitigation step's numbers equal a direct fairlearn call on the same split, and mitigation does mitigate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, ExponentiatedGradient
from sklearn.base import clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split

from auditkit import AuditSpec, build_context, datasets
from auditkit.runner import run_step
from auditkit.steps import MitigationStep

MAX_ITER = 3  # rounds of ExponentiatedGradient in these tests: each trains the reference model about twice


@pytest.fixture(scope="module")
def ctx():
    frame = datasets.make_biased(2000, seed=0).frame
    return build_context(AuditSpec(data=frame, target="label", sensitive=["group"], seed=3))


@pytest.fixture(scope="module")
def step_result(ctx):
    return run_step(MitigationStep(methods=["threshold_optimizer"], n_boot=200), ctx, errors="raise")


@pytest.fixture(scope="module")
def small_ctx():
    frame = datasets.make_biased(800, seed=0).frame  # 120 evaluation rows: rates of 10 rows or more are compared
    return build_context(AuditSpec(data=frame, target="label", sensitive=["group"], seed=3, min_group_size=10))


@pytest.fixture(scope="module")
def reductions(small_ctx):
    step = MitigationStep(methods=["exponentiated_gradient"], criteria=["demographic_parity"], n_boot=100,
                          max_iter=MAX_ITER)
    return run_step(step, small_ctx, errors="raise")


def records(result):
    return {o["option"]: o for o in result.payload["options"]}


def same_split(ctx, result):
    """The fitting and evaluation rows, rebuilt with scikit-learn from the seed the step recorded."""
    split = result.payload["settings"]["split"]
    assert split["stratified_by"] == "outcome and group"
    groups = ctx.sensitive["group"].to_numpy()
    strata = [f"{y}|{g}" for y, g in zip(ctx.y_true, groups, strict=True)]
    fit, evaluate = train_test_split(np.arange(ctx.n_rows), test_size=0.5, random_state=split["seed"],
                                     stratify=strata)
    return np.sort(fit), np.sort(evaluate)


def fairlearn_numbers(y, y_pred, groups):
    """What fairlearn says of decisions ``y_pred``: overall, by group, and the two disparities."""
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                 "false_positive_rate": false_positive_rate, "accuracy": accuracy_score},
                        y_true=y, y_pred=y_pred, sensitive_features=pd.Series(groups, name="group"))
    overall = {"accuracy": accuracy_score(y, y_pred), "balanced_accuracy": balanced_accuracy_score(y, y_pred),
               "demographic_parity_difference": demographic_parity_difference(y, y_pred, sensitive_features=groups),
               "equalized_odds_difference": equalized_odds_difference(y, y_pred, sensitive_features=groups)}
    return overall, frame.by_group


def assert_equal_to_fairlearn(result, option, y, y_pred, groups):
    overall, by_group = fairlearn_numbers(y, y_pred, groups)
    assert records(result)[option]["metrics"] == pytest.approx(overall, abs=1e-12)
    rows = [r for r in result.payload["by_group"] if r["option"] == option]
    assert [r["group"]["group"] for r in rows] == list(by_group.index)
    for row in rows:
        assert row["metrics"] == pytest.approx(by_group.loc[row["group"]["group"]].to_dict(), abs=1e-12)


def test_the_split_is_stated_and_holds_every_audited_row_once(ctx, step_result):
    fit, evaluate = same_split(ctx, step_result)
    split = step_result.payload["settings"]["split"]
    assert (split["fitting_rows"], split["evaluation_rows"]) == (len(fit), len(evaluate))
    assert sorted([*fit, *evaluate]) == list(range(ctx.n_rows))


def test_the_unmitigated_row_is_the_audited_models_decisions_on_the_held_out_rows(ctx, step_result):
    _, evaluate = same_split(ctx, step_result)
    groups = ctx.sensitive["group"].to_numpy()
    assert_equal_to_fairlearn(step_result, "unmitigated", ctx.y_true[evaluate], ctx.y_pred[evaluate],
                              groups[evaluate])


@pytest.mark.parametrize("criterion", ["demographic_parity", "equalized_odds"])
def test_threshold_optimizer_equals_a_direct_fairlearn_call_on_the_same_split(ctx, step_result, criterion):
    fit, evaluate = same_split(ctx, step_result)
    groups = ctx.sensitive["group"].to_numpy()
    record = records(step_result)[f"threshold_optimizer.{criterion}"]
    assert (record["predict_method"], record["status"]) == ("predict_proba", "evaluated")
    optimizer = ThresholdOptimizer(estimator=ctx.model, constraints=criterion, prefit=True,
                                   predict_method="predict_proba")
    optimizer.fit(ctx.X.iloc[fit], ctx.y_true[fit], sensitive_features=groups[fit])
    decisions = optimizer.predict(ctx.X.iloc[evaluate], sensitive_features=groups[evaluate],
                                  random_state=record["random_state"])
    assert_equal_to_fairlearn(step_result, record["option"], ctx.y_true[evaluate], decisions, groups[evaluate])


def test_exponentiated_gradient_equals_a_direct_fairlearn_call_on_the_reference_training_rows(small_ctx, reductions):
    ctx = small_ctx
    _, evaluate = same_split(ctx, reductions)
    groups = ctx.sensitive["group"].to_numpy()
    record = records(reductions)["exponentiated_gradient.demographic_parity"]
    train = ctx.train_frame
    assert record["training_rows"] == len(train) == len(ctx.X_train)
    assert reductions.payload["settings"]["reductions_trained_on"] == "reference model's training rows"
    reduction = ExponentiatedGradient(clone(ctx.model), DemographicParity(), max_iter=MAX_ITER,
                                      sample_weight_name="classifier__sample_weight")
    reduction.fit(ctx.X_train, (train["label"] == 1).astype(int).to_numpy(),
                  sensitive_features=train["group"].astype(str).to_numpy())
    decisions = reduction.predict(ctx.X.iloc[evaluate], random_state=record["random_state"])
    assert_equal_to_fairlearn(reductions, record["option"], ctx.y_true[evaluate], decisions, groups[evaluate])


@pytest.fixture(scope="module")
def label_biased():
    """Data with a gap in base rates and label bias against group B: both disparities are large."""
    frame = datasets.make_biased(2000, base_rate_gap=0.3, n_informative=2, label_bias=0.3, seed=1).frame
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], seed=1))
    return run_step(MitigationStep(methods=["threshold_optimizer"], n_boot=200), ctx, errors="raise")


@pytest.mark.parametrize("criterion", ["demographic_parity", "equalized_odds"])
def test_post_processing_lowers_the_disparity_it_targets_on_biased_data(label_biased, criterion):
    before, after = (records(label_biased)[key] for key in ("unmitigated", f"threshold_optimizer.{criterion}"))
    name = f"{criterion}_difference"
    assert before["metrics"][name] > 0.25
    assert after["ci"][name][1] < before["metrics"][name]  # the whole interval is below: not a lucky draw


def test_exponentiated_gradient_lowers_demographic_parity_on_biased_data(reductions):
    before, after = (records(reductions)[k] for k in ("unmitigated", "exponentiated_gradient.demographic_parity"))
    assert after["metrics"]["demographic_parity_difference"] < before["metrics"]["demographic_parity_difference"]


def test_accuracy_changes_are_paired_differences_from_the_point_of_comparison(step_result):
    options = records(step_result)
    base = options["unmitigated"]
    for key, option in options.items():
        if key == "unmitigated":
            assert "change" not in option
            continue
        assert option["baseline"] == "unmitigated"
        for measure, value in option["change"].items():
            assert value == pytest.approx(option["metrics"][measure] - base["metrics"][measure])
        low, high = option["change_ci"]["accuracy"]
        assert low <= high
