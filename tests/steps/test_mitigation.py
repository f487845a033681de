"""The mitigation step in an audit: when it runs and why not, its settings, seeding, a user's model, its tables."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import auditkit
from auditkit import AuditResult, AuditSpec, datasets
from auditkit.exceptions import InputError
from auditkit.registry import DEFAULT_STEPS
from auditkit.report.render import write_audit
from auditkit.steps import MitigationStep
from auditkit.testing import check_step

QUICK = {"methods": ["threshold_optimizer"], "n_boot": 100}


@pytest.fixture(scope="module")
def biased():
    return datasets.make_biased(1500, seed=0).frame


@pytest.fixture(scope="module")
def seeded(biased):
    """One audit with the quick settings and seed 1: several tests read it."""
    return run(biased, seed=1)


def run(frame, **settings):
    options = settings.pop("mitigation", QUICK)
    return auditkit.audit(data=frame, target="label", sensitive=["group"], steps=["mitigation"],
                          step_options={"mitigation": options}, progress=False, **settings)


def test_not_in_the_standard_audit_but_found_by_name():
    assert "mitigation" not in DEFAULT_STEPS
    assert AuditSpec(data="german", steps=["fairness", "mitigation"]).step_names == ["fairness", "mitigation"]


def test_an_audit_of_existing_decisions_says_why_the_step_did_not_run(biased):
    frame = biased.assign(decision=(biased["x0"] + biased["proxy"] > 0).astype(int))
    result = run(frame, predictions="decision")
    step = result.step("mitigation")
    assert step.payload == {} and [f.id for f in step.findings] == ["mitigation.needs_model"]
    assert step.findings[0].message == ("The mitigation step did not run: it needs the model, and this audit checks "
                                        "existing decisions only. Audit with a model (model=...) to run it.")


def test_a_regression_audit_says_fairlearns_mitigations_are_for_binary_decisions(biased):
    frame = biased.assign(amount=biased["x0"] * 10)
    result = auditkit.audit(data=frame, target="amount", task="regression", sensitive=["group"],
                            steps=["mitigation"], progress=False)
    [finding] = result.step("mitigation").findings
    assert (finding.id, finding.severity) == ("mitigation.not_binary", "info")
    assert finding.message.endswith("and this audit's task is regression.")


def test_same_seed_same_audit_json_and_another_seed_another_split(biased):
    first, again, other = (run(biased, seed=seed).to_dict() for seed in (4, 4, 5))
    assert json.dumps(first["mitigation"], sort_keys=True) == json.dumps(again["mitigation"], sort_keys=True)
    assert first["findings"] == again["findings"]
    assert first["mitigation"]["settings"]["split"]["seed"] != other["mitigation"]["settings"]["split"]["seed"]


def test_the_options_table_has_one_row_per_option_with_intervals(seeded):
    table = seeded.table("mitigation", "options")
    assert table["option"].tolist() == ["unmitigated", "threshold_optimizer.demographic_parity",
                                        "threshold_optimizer.equalized_odds"]
    for measure in ("accuracy", "balanced_accuracy", "demographic_parity_difference", "equalized_odds_difference"):
        assert (table[f"{measure}_ci_low"] <= table[f"{measure}_ci_high"]).all(), measure
    assert table["accuracy_change"].isna().tolist() == [True, False, False]


def test_the_tables_of_a_saved_audit_equal_those_in_memory(seeded, tmp_path):
    result = seeded
    write_audit(result, tmp_path)
    loaded = AuditResult.from_json(tmp_path)
    for name in ("options", "by_group"):
        assert loaded.table("mitigation", name).equals(result.table("mitigation", name)), name


def test_sensitive_feature_chooses_which_feature_is_mitigated(frame):
    result = auditkit.audit(data=frame, target="approved", sensitive=["sex", "region"], steps=["mitigation"],
                            step_options={"mitigation": {**QUICK, "sensitive_feature": "region"}}, progress=False)
    payload = result.step("mitigation").payload
    assert payload["settings"]["sensitive_feature"] == "region"
    assert {tuple(row["group"]) for row in payload["by_group"]} == {("region",)}
    default = auditkit.audit(data=frame, target="approved", sensitive=["sex", "region"], steps=["mitigation"],
                             step_options={"mitigation": QUICK}, progress=False)
    assert default.step("mitigation").payload["settings"]["sensitive_feature"] == "sex"  # the first


@pytest.mark.parametrize(("options", "message"), [
    ({"sensitive_feature": "race"},
     "mitigation step: sensitive_feature must be a sensitive feature of this audit (group); got 'race'"),
    ({"methods": ["reweighing"]}, "mitigation step: methods must be a non-empty list of threshold_optimizer, "
                                  "exponentiated_gradient; got ['reweighing'] (list)"),
    ({"criteria": []}, "mitigation step: criteria must be a non-empty list of demographic_parity, equalized_odds; "
                       "got [] (list)"),
    ({"evaluation_share": 1.0}, "mitigation step: evaluation_share must be a number above 0 and below 1; got 1.0 "
                                "(float)"),
    ({"max_iter": 0}, "mitigation step: max_iter must be an integer from 1 to 10000; got 0 (int)"),
])
def test_bad_settings_are_refused_before_any_step_runs(biased, options, message):
    with pytest.raises(InputError) as error:
        AuditSpec(data=biased, target="label", sensitive=["group"], steps=["mitigation"],
                  step_options={"mitigation": options})
    assert str(error.value) == message


def user_model(frame, estimator):
    features = [c for c in frame.columns if c != "label"]
    encode = make_column_transformer((OneHotEncoder(), ["group"]), remainder="passthrough")
    return make_pipeline(encode, estimator).fit(frame[features], frame["label"])


def test_a_users_model_is_refitted_on_the_fitting_part_and_compared_with_its_unconstrained_refit(biased):
    model = user_model(datasets.make_biased(1500, seed=9).frame, LogisticRegression())
    result = run(biased, model=model, mitigation={"n_boot": 100, "max_iter": 5})
    options = {o["option"]: o for o in result.step("mitigation").payload["options"]}
    assert list(options) == ["unmitigated", "unmitigated_refit", "threshold_optimizer.demographic_parity",
                             "threshold_optimizer.equalized_odds", "exponentiated_gradient.demographic_parity",
                             "exponentiated_gradient.equalized_odds"]
    assert result.step("mitigation").payload["settings"]["reductions_trained_on"] == "fitting part"
    assert {key: o["baseline"] for key, o in options.items()} == {
        "unmitigated": None, "unmitigated_refit": None,
        "threshold_optimizer.demographic_parity": "unmitigated", "threshold_optimizer.equalized_odds": "unmitigated",
        "exponentiated_gradient.demographic_parity": "unmitigated_refit",
        "exponentiated_gradient.equalized_odds": "unmitigated_refit"}
    assert options["exponentiated_gradient.demographic_parity"]["training_rows"] == \
        result.step("mitigation").payload["settings"]["split"]["fitting_rows"]
    cost = next(f for f in result.findings if f.id == "mitigation.cost.exponentiated_gradient.demographic_parity")
    assert "(against the same estimator refitted without a constraint on the same rows)" in cost.message


def test_reductions_are_skipped_with_the_reason_when_the_estimator_takes_no_sample_weights(biased):
    model = user_model(datasets.make_biased(1500, seed=9).frame, KNeighborsClassifier())
    result = run(biased, model=model, mitigation={"n_boot": 50, "criteria": ["demographic_parity"]})
    options = {o["option"]: o for o in result.step("mitigation").payload["options"]}
    reason = ("its estimator (KNeighborsClassifier) cannot be trained with sample weights, which "
              "ExponentiatedGradient needs")
    assert options["exponentiated_gradient.demographic_parity"]["status"] == "skipped"
    assert options["unmitigated_refit"]["reason"] == reason
    assert options["threshold_optimizer.demographic_parity"]["status"] == "evaluated"
    skipped = {f.id: f.message for f in result.findings if ".skipped." in f.id}
    assert skipped == {
        "mitigation.skipped.unmitigated_refit": f"Unmitigated (refitted on the reductions' training rows) was not "
                                                f"evaluated: {reason}.",
        "mitigation.skipped.exponentiated_gradient.demographic_parity": f"ExponentiatedGradient (demographic parity) "
                                                                        f"was not evaluated: {reason}."}


def test_post_processing_is_said_to_need_the_sensitive_feature_at_decision_time(seeded):
    result = seeded
    finding = next(f for f in result.findings if f.id == "mitigation.sensitive_at_decision")
    assert finding.message.startswith("ThresholdOptimizer (demographic parity) and ThresholdOptimizer (equalized "
                                      "odds) use group at decision time")
    assert "may be unlawful in some settings" in finding.message
    assert {f.severity for f in result.findings} == {"info"}  # options, not properties of the audited model


def test_groups_too_small_for_a_rate_leave_its_disparity_undefined_as_in_the_fairness_step(biased):
    result = run(biased.head(400), seed=1, min_group_size=40)  # 60 held-out rows, fewer than 40 per group
    unmitigated = result.step("mitigation").payload["options"][0]
    assert unmitigated["metrics"]["demographic_parity_difference"] is None
    cost = next(f for f in result.findings if f.id.startswith("mitigation.cost."))
    assert "undefined (groups too small to compare)" in cost.message


def test_the_step_keeps_the_step_contract():
    results = check_step(MitigationStep(**QUICK))
    assert results["reference"].payload["options"][0]["status"] == "evaluated"
    assert results["predictions"].findings[0].id == "mitigation.needs_model"


def test_the_step_does_not_change_the_context(biased):
    ctx = auditkit.build_context(AuditSpec(data=biased, target="label", sensitive=["group"]))
    before = (ctx.y_pred.copy(), ctx.X.copy(), ctx.train_frame.copy())
    MitigationStep(**QUICK).run(ctx)
    assert np.array_equal(before[0], ctx.y_pred) and before[1].equals(ctx.X) and before[2].equals(ctx.train_frame)
    assert dataclasses.replace(ctx).train_frame is ctx.train_frame
