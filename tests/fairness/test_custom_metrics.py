"""User metrics (extra_metrics) take part in disparities, tests and policy checks like built-in metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, median_absolute_error, roc_auc_score

from auditkit import AuditSpec, InputError, audit, build_context
from auditkit.fairness.custom_metrics import resolve_metric
from auditkit.stats.significance import bootstrap_pvalue
from auditkit.steps import FairnessStep

F1 = {"f1": "sklearn.metrics:f1_score"}


def run(frame, scores=None, task="binary", target="approved", predictions="decision", sensitive=("sex",),
        **options):
    spec = AuditSpec(data=frame, target=target, sensitive=list(sensitive), predictions=predictions, scores=scores,
                     task=task, seed=0)
    return FairnessStep(**{"intersections": False, **options}).run(build_context(spec))


def by_group(result, metric, feature="sex", klass=None):
    return {r["group"][feature]: r["metrics"][metric] for r in result.payload["by_group"]
            if tuple(r["group"]) == (feature,) and r.get("class") == klass}


def disparity(result, name, method="between_groups", grouping="sex", klass=None):
    return next(d for d in result.payload["disparities"] if d["name"] == name and d["method"] == method
                and d["grouping"] == grouping and d.get("class") == klass)


@pytest.fixture
def unequal(frame):
    """Decisions that follow the outcome for men and a coin for women: F1 differs by sex."""
    rng = np.random.default_rng(1)
    data = pd.concat([frame, frame.assign(sex=np.where(frame["sex"] == "male", "male", "female"))],
                     ignore_index=True)
    coin = rng.integers(0, 2, len(data))
    data["decision"] = np.where(data["sex"] == "male", data["approved"], coin)
    return data


def test_values_by_group_equal_scikit_learn_and_disparities_are_max_minus_min(frame):
    result = run(frame, extra_metrics=F1, n_boot=100, extra_metrics_n_boot=40)
    values = by_group(result, "f1")
    for group, value in values.items():
        rows = frame[frame["sex"] == group]
        assert value == pytest.approx(f1_score(rows["approved"], rows["decision"]), abs=1e-12)
    high, low = max(values.values()), min(values.values())
    assert disparity(result, "f1_difference")["value"] == pytest.approx(high - low, abs=1e-12)
    assert disparity(result, "f1_ratio")["value"] == pytest.approx(low / high, abs=1e-12)
    reference = next(r["group"]["sex"] for r in result.payload["by_group"] if r["reference"])
    expected = max(abs(v - values[reference]) for g, v in values.items() if g != reference)
    assert disparity(result, "f1_difference", "to_reference")["value"] == pytest.approx(expected, abs=1e-12)
    lower, upper = disparity(result, "f1_difference")["ci"]
    assert lower is not None and upper is not None


def test_comparisons_use_a_bootstrap_test_that_agrees_with_the_interval(unequal):
    result = run(unequal, extra_metrics=F1, n_boot=100, extra_metrics_n_boot=100)
    (comparison,) = [c for c in result.payload["comparisons"] if c["metric"] == "f1"]
    values = by_group(result, "f1")
    assert comparison["test"] == "bootstrap"
    assert comparison["difference"] == pytest.approx(values[comparison["group"]["sex"]] - values["male"], abs=1e-12)
    lower, upper = comparison["difference_ci"]
    assert upper < 0 and comparison["p_value"] == pytest.approx(2 / 101)  # every resample below 0
    assert comparison["significant"]
    assert any(f.id == "fairness.gap.sex.f1" for f in result.findings)


def test_bootstrap_pvalue_by_hand():
    assert bootstrap_pvalue(np.array([-1.0, 1.0, 2.0, 3.0, np.nan])) == (pytest.approx(0.8), "bootstrap")
    assert bootstrap_pvalue(np.array([np.nan])) == (None, "undefined")
    assert bootstrap_pvalue(np.zeros(9)) == (1.0, "bootstrap")


def test_a_metric_with_y_score_gets_the_scores(frame):
    def mean_score_of_positives(y_true, y_score):
        return float(np.mean(y_score[y_true == 1]))

    result = run(frame, scores="score", n_boot=50, extra_metrics_n_boot=20,
                 extra_metrics={"auc": "sklearn.metrics:roc_auc_score", "positive_score": mean_score_of_positives})
    for group, value in by_group(result, "auc").items():
        rows = frame[frame["sex"] == group]
        assert value == pytest.approx(roc_auc_score(rows["approved"], rows["score"]), abs=1e-12)
        assert by_group(result, "positive_score")[group] == pytest.approx(
            rows.loc[rows["approved"] == 1, "score"].mean(), abs=1e-12)
    assert by_group(result, "auc") == pytest.approx(by_group(result, "roc_auc"), abs=1e-12)  # the built-in AUC
    assert {"auc_difference", "positive_score_ratio"} <= {d["name"] for d in result.payload["disparities"]}


def test_a_metric_with_y_score_in_an_audit_without_scores_is_an_input_error(frame):
    with pytest.raises(InputError, match=r"^extra metric 'auc' takes y_score, but this audit has no scores; "
                                         r"pass scores= \(a column of scores\) or a model with predict_proba$"):
        run(frame, n_boot=0, extra_metrics={"auc": "sklearn.metrics:roc_auc_score"})


def test_signatures_decide_what_a_metric_gets():
    assert resolve_metric("f1", "sklearn.metrics:f1_score").uses_scores is False
    both = resolve_metric("both", lambda y_true, y_pred, y_score: float(np.mean(y_pred * y_score)))
    assert both.uses_scores and both(np.array([1, 0]), np.array([1, 1]), np.array([0.5, 0.25])) == 0.375


@pytest.mark.parametrize(("observed_offset", "status"), [(1e-9, "passed"), (-1e-9, "failed")])
def test_a_policy_on_a_user_metric_passes_and_fails_on_its_value(frame, observed_offset, status):
    settings = {"data": frame, "target": "approved", "sensitive": ["sex"], "predictions": "decision", "seed": 0,
                "steps": ["fairness"]}
    options = {"fairness": {"extra_metrics": F1, "n_boot": 0, "intersections": False}}
    values = by_group(audit(**settings, step_options=options).step("fairness"), "f1")
    observed = max(values.values()) - min(values.values())
    limit = observed + observed_offset
    result = audit(**settings, step_options=options, policy={"f1_difference": {"max": limit}})
    (check,) = result.step("policy").payload["results"]
    assert check["metric"] == "f1_difference" and check["observed"] == pytest.approx(observed, abs=1e-12)
    assert check["status"] == status
    assert [f.id for f in result.findings if f.step == "policy"] == ([] if status == "passed"
                                                                     else ["policy.f1_difference[sex]"])


def test_a_policy_may_name_a_user_metric_only_when_the_fairness_step_has_it(frame):
    settings = {"data": frame, "target": "approved", "sensitive": ["sex"], "predictions": "decision"}
    with pytest.raises(InputError, match=r"^policy entry 'f1_difference' is not a disparity of a binary audit; "
                                         r"known: demographic_parity_difference"):
        AuditSpec(**settings, policy={"f1_difference": {"max": 0.1}})
    AuditSpec(**settings, policy={"f1_difference": {"max": 0.1}}, step_options={"fairness": {"extra_metrics": F1}})
    AuditSpec(**settings, policy={"f1_ratio": {"min": 0.8}}, steps=[FairnessStep(extra_metrics=F1)])


@pytest.mark.parametrize(("name", "sensitive"), [("selection_rate", None), ("demographic_parity", None),
                                                 ("n", None), ("sex", ["sex"])])
def test_a_user_metric_cannot_take_a_built_in_name_or_a_column(frame, name, sensitive):
    message = (f"^fairness step: extra_metrics names '{name}', which is already the name of a built-in metric, "
               "criterion or column; choose another name$")
    with pytest.raises(InputError, match=message):
        AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="decision",
                  step_options={"fairness": {"extra_metrics": {name: "sklearn.metrics:f1_score"}}})


def test_multiclass_metrics_are_one_class_against_the_rest():
    rng = np.random.default_rng(0)
    n = 600
    data = pd.DataFrame({"g": rng.choice(["u", "v"], n), "y": rng.choice(["lo", "mid", "hi"], n)})
    data["decision"] = np.where(rng.random(n) < 0.7, data["y"], rng.choice(["lo", "mid", "hi"], n))
    result = run(data, task="multiclass", target="y", sensitive=("g",), n_boot=30, extra_metrics_n_boot=10,
                 extra_metrics=F1)
    for label in ("hi", "lo", "mid"):
        values = by_group(result, "f1", "g", label)
        for group, value in values.items():
            part = data[data["g"] == group]
            assert value == pytest.approx(f1_score(part["y"] == label, part["decision"] == label), abs=1e-12)
        assert disparity(result, "f1_difference", grouping="g", klass=label)["value"] == pytest.approx(
            max(values.values()) - min(values.values()), abs=1e-12)


def test_regression_metrics_take_part_too(frame):
    noise = np.random.default_rng(0).normal(0, 1, len(frame))
    data = frame.assign(amount=frame["income"] * 2,
                        predicted=frame["income"] * 2 + np.where(frame["sex"] == "male", 5.0, -1.0) + noise)
    result = run(data, task="regression", target="amount", predictions="predicted", n_boot=30,
                 extra_metrics_n_boot=10, extra_metrics={"medae": "sklearn.metrics:median_absolute_error"})
    values = by_group(result, "medae")
    for group, value in values.items():
        part = data[data["sex"] == group]
        assert value == pytest.approx(median_absolute_error(part["amount"], part["predicted"]), abs=1e-12)
    assert disparity(result, "medae_difference")["value"] == pytest.approx(max(values.values()) - min(values.values()))


def test_no_resamples_for_user_metrics_means_no_intervals_and_no_test(frame):
    result = run(frame, extra_metrics=F1, n_boot=50, extra_metrics_n_boot=0)
    assert all(r["ci"].get("f1") in (None, [None, None]) for r in result.payload["by_group"])
    assert disparity(result, "f1_difference")["ci"] == [None, None]
    assert all(c["p_value"] is None for c in result.payload["comparisons"] if c["metric"] == "f1")
