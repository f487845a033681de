"""Agreement metrics (Krishna et al. 2022) on hand-made vectors, and the agreement step."""

import numpy as np
import pytest
from _explain_fixtures import loan_context, one_openmp_thread

from auditkit import AuditSpec, build_context
from auditkit.explain.agreement import (
    METRICS,
    agreement,
    feature_agreement,
    pairwise_rank_agreement,
    rank_agreement,
    rank_correlation,
    sign_agreement,
    signed_rank_agreement,
    top_k,
)
from auditkit.explain.shap_values import build_shap_engine
from auditkit.runner import run_step
from auditkit.steps.agreement import AgreementStep
from auditkit.steps.lime_step import LimeStep
from auditkit.steps.shap_step import ShapStep, shap_row_seeds

A = np.array([0.9, -0.7, 0.5, -0.3, 0.1, 0.05])


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    yield from one_openmp_thread()


def test_identical_explanations_agree_fully():
    assert agreement(A, A.copy(), k=3) == {m: 1.0 for m in METRICS}


def test_disjoint_top_k_gives_zero():
    b = np.array([0.01, 0.02, 0.03, 0.9, -0.8, 0.7])  # top-3 of b: features 3, 4, 5
    for metric in (feature_agreement, rank_agreement, sign_agreement, signed_rank_agreement):
        assert metric(A, b, 3) == 0.0


def test_negated_explanation_has_zero_sign_agreement():
    result = agreement(A, -A, k=4)
    assert result["sign_agreement"] == 0.0 and result["signed_rank_agreement"] == 0.0
    assert result["feature_agreement"] == 1.0 and result["rank_agreement"] == 1.0
    assert result["rank_correlation"] == 1.0 and result["pairwise_rank_agreement"] == 1.0


def test_partial_agreement_by_hand():
    b = np.array([-0.5, 0.9, 0.1, 0.0, 0.3, 0.0])  # top-3 of b: 1, 0, 4; of A: 0, 1, 2
    assert top_k(b, 3).tolist() == [1, 0, 4]
    assert feature_agreement(A, b, 3) == pytest.approx(2 / 3)  # {0, 1}
    assert rank_agreement(A, b, 3) == 0.0  # positions differ everywhere
    assert sign_agreement(A, b, 3) == 0.0  # 0: + vs −, 1: − vs +
    b2 = np.array([0.95, -0.1, 0.6, 0.0, 0.0, 0.0])  # top-3: 0, 2, 1
    assert rank_agreement(A, b2, 3) == pytest.approx(1 / 3)
    assert signed_rank_agreement(A, b2, 3) == pytest.approx(1 / 3)
    assert sign_agreement(A, b2, 3) == 1.0


def test_rank_correlation_and_pairwise_agreement_by_hand():
    a = np.array([3.0, 2.0, 1.0])
    b = np.array([1.0, 2.0, 3.0])
    assert rank_correlation(a, b) == pytest.approx(-1.0)
    assert pairwise_rank_agreement(a, b) == 0.0
    assert pairwise_rank_agreement(a, np.array([3.0, 1.0, 2.0])) == pytest.approx(2 / 3)
    assert np.isnan(rank_correlation(a, np.ones(3)))


def test_step_compares_shap_and_lime_on_the_lime_instances():
    options = {"lime": {"n_instances": 4, "repeats": 2, "num_samples": 400}}
    ctx = loan_context(step_options=options)
    result = AgreementStep(k=3).run(ctx)
    doc = result.payload["agreement"]
    lime = LimeStep(**options["lime"]).explain(ctx)
    assert [r["row_id"] for r in doc["instances"]] == lime.instances["row_id"].tolist()
    positions = lime.instances["position"].to_numpy()
    engine = ShapStep().engine(ctx)
    shap_values = engine.explain(ctx.X.iloc[positions], shap_row_seeds(ctx)[positions]).values
    expected = agreement(shap_values[0], lime.mean_weights[0], 3)
    assert {m: doc["instances"][0][m] for m in METRICS} == pytest.approx(expected)
    assert doc["shap_output_space"] == "log-odds" and doc["lime_output_space"] == "probability"
    (finding,) = result.findings
    assert finding.id in {"agreement.agree", "agreement.disagree"}


def test_disagreement_is_a_finding_that_says_what_to_do():
    options = {"lime": {"n_instances": 3, "repeats": 2, "num_samples": 300}}
    ctx = loan_context(step_options=options)
    (finding,) = AgreementStep(k=2, min_agreement=1.0).run(ctx).findings
    assert finding.id == "agreement.disagree" and finding.severity == "medium"
    assert "Do not rely on either single explanation" in finding.message


def test_step_without_model_is_an_info_finding():
    ctx = build_context(AuditSpec(data=loan_context().frame.assign(decision=1), target="approved",
                                  sensitive=["sex"], predictions="decision"))
    (finding,) = run_step(AgreementStep(), ctx).findings
    assert finding.severity == "info" and "needs the model" in finding.message


def test_engine_features_match_lime_columns():
    ctx = loan_context()
    engine = build_shap_engine(ctx.model, ctx.X_train.iloc[:10], ctx.positive_label)
    assert engine.features == list(ctx.X.columns)


@pytest.mark.slow
def test_adult_demo_explains_the_default_budget_and_twenty_instances():
    from auditkit import audit

    result = audit(data="adult", steps=["shap", "lime", "agreement"]).to_dict()["explanations"]
    budget = result["shap"]["budget"]
    assert (budget["rows_explained"], budget["max_rows_from"]) == (1000, "automatic") and budget["rows_audited"] > 14000
    assert result["shap"]["explainer"] == "tree" and result["shap"]["additivity"]["max_abs_error"] < 1e-10
    assert {r["feature"] for r in result["global_importance"]} == set(result["shap"]["encoded_columns"])
    assert len(result["lime"]["instances"]) == 20 and len(result["lime"]["seeds"]) == 5
    assert [r["row_id"] for r in result["agreement"]["instances"]] == [
        r["row_id"] for r in result["lime"]["instances"]]
