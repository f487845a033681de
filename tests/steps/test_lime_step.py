"""LIME step: instance choice, original-column explanations, repeatability and stability."""

import numpy as np
import pytest
from _explain_fixtures import loan_context, one_openmp_thread

from auditkit import InputError
from auditkit.explain.lime_runs import explain_with_lime
from auditkit.steps.lime_step import LimeStep, mean_pairwise_jaccard

SMALL = {"n_instances": 4, "repeats": 3, "num_samples": 400}


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    yield from one_openmp_thread()


@pytest.fixture(scope="module")
def ctx():
    return loan_context()


@pytest.fixture(scope="module")
def result(ctx):
    return LimeStep(**SMALL).run(ctx)


def test_same_audit_seed_gives_the_same_lime_output(ctx, result):
    again = LimeStep(**SMALL).run(loan_context())
    assert again.payload == result.payload


def test_other_audit_seed_gives_other_instances_or_weights(result):
    other = LimeStep(**SMALL).run(loan_context(seed=1))
    assert other.payload["lime"]["instances"] != result.payload["lime"]["instances"]


def test_an_instance_explanation_does_not_depend_on_the_others(ctx):
    rows = ctx.X.iloc[:3]
    both = explain_with_lime(ctx.model, rows, ctx.X_train, [7, 8], positive_label=1, num_samples=300)
    alone = explain_with_lime(ctx.model, rows.iloc[[2]], ctx.X_train, [7, 8], positive_label=1, num_samples=300)
    np.testing.assert_array_equal(alone.weights[0], both.weights[2])
    assert not np.array_equal(both.weights[2, 0], both.weights[2, 1])  # the seeds differ per repeat


def test_default_instances_are_group_errors_and_a_seeded_sample(ctx):
    instances, missing = LimeStep(n_instances=6).select_instances(ctx)
    assert missing == [] and len(instances) == 6 and instances["position"].is_unique
    errors = instances[instances["reason"].str.startswith("most confident error")]
    assert set(errors["reason"]) == {"most confident error, sex=female", "most confident error, sex=male"}
    for _, row in errors.iterrows():
        p = row["position"]
        assert ctx.y_pred[p] != ctx.y_true[p]
        same_group_errors = (ctx.sensitive["sex"] == ctx.sensitive["sex"].iloc[p]).to_numpy() & (
            ctx.y_pred != ctx.y_true)
        confidence = np.abs(ctx.y_score - 0.5)
        assert confidence[p] == confidence[same_group_errors].max()
    assert (instances["reason"] == "random sample").sum() == 4


def test_explanations_name_original_columns_and_values(result, ctx):
    lime = result.payload["lime"]
    instance = lime["instances"][0]
    assert set(instance["weights"]) == set(ctx.X.columns)
    conditions = " ".join(c["condition"] for inst in lime["instances"] for c in inst["conditions"])
    assert "x0" not in conditions and "_" not in conditions.replace("approved", "")
    categorical = [c["condition"] for inst in lime["instances"] for c in inst["conditions"]
                   if c["condition"].startswith(("sex=", "region="))]
    assert categorical and all(c.split("=")[1] in {"female", "male", "north", "south", "east"} for c in categorical)


def test_stability_is_reported_per_instance(result):
    lime = result.payload["lime"]
    assert lime["repeats"] == 3 and len(lime["seeds"]) == 3 and lime["num_samples"] == 400
    for inst in lime["instances"]:
        assert 0.0 <= inst["top_k_jaccard"] <= 1.0
        assert inst["mean_weight_variance"] >= 0.0 and set(inst["weight_std"]) == set(inst["weights"])
    assert lime["stability"]["min_top_k_jaccard"] <= lime["stability"]["mean_top_k_jaccard"]


def test_requested_rows_and_unknown_ids(ctx):
    wanted = [ctx.X.index[5], ctx.X.index[1], "no-such-row"]
    result = LimeStep(row_ids=wanted, repeats=2, num_samples=300).run(ctx)
    ids = [inst["row_id"] for inst in result.payload["lime"]["instances"]]
    assert ids == [int(ctx.X.index[5]), int(ctx.X.index[1])]
    (finding,) = [f for f in result.findings if f.id == "lime.missing_rows"]
    assert "no-such-row" in finding.message


def test_unstable_explanations_are_a_finding(ctx):
    step = LimeStep(n_instances=2, repeats=3, num_samples=300)
    step.min_jaccard = 1.01  # above any Jaccard index (a setting refuses it): every instance counts as unstable
    result = step.run(ctx)
    (finding,) = [f for f in result.findings if f.id == "lime.unstable"]
    assert finding.severity == "medium" and "2 of 2 instances" in finding.message


def test_jaccard_of_top_k_sets():
    same = np.array([[3.0, 2.0, 1.0, 0.0], [3.0, 2.0, 1.0, 0.0]])
    assert mean_pairwise_jaccard(same, 2) == 1.0
    swapped = np.array([[3.0, 2.0, 0.0, 0.0], [0.0, 0.0, 3.0, 2.0], [3.0, 0.0, 2.0, 0.0]])
    # pairs: {0,1}-{2,3} → 0; {0,1}-{0,2} → 1/3; {2,3}-{0,2} → 1/3
    assert mean_pairwise_jaccard(swapped, 2) == pytest.approx(2 / 9)


def test_bad_option_is_an_input_error(ctx):
    with pytest.raises(InputError, match=r"lime step: repeats must be an integer, at least 1; got 0 \(int\)"):
        LimeStep(repeats=0).run(ctx)
