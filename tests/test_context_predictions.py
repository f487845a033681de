"""Existing decisions and scores in the context: read in the target's own labels, scores of a stated kind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from auditkit import AuditSpec, audit, build_context, cli
from auditkit.exceptions import InputError

# y and pred by hand: with positive label 0, rows 1, 3 are positives; only row 3 is predicted positive.
HAND = {"y": [1, 0, 1, 0, 1, 1], "pred": [1, 1, 1, 0, 1, 1], "g": list("ababab")}


def performance(frame: pd.DataFrame, **settings) -> dict:
    result = audit(data=frame, sensitive=["g"], steps=["performance"], **settings)
    return result.step("performance").payload["overall"]


@pytest.mark.parametrize(("target", "positive", "predictions", "selection_rate", "tpr"), [
    # positive label 0 and no 0 among the decisions: nothing is predicted positive
    ([0, 1, 0, 1, 0, 1], 0, [1, 1, 1, 1, 1, 1], 0.0, 0.0),
    ([0, 1, 0, 1, 0, 1], "0", [1, 1, 1, 1, 1, 1], 0.0, 0.0),
    # True/False target with positive label False
    ([True, False, True, False, True, False], False, [True] * 6, 0.0, 0.0),
    ([True, False, True, False, True, False], "False", [True, True, False, False, True, False], 3 / 6, 2 / 3),
    # decisions coded 1.0/0.0 or True/False against a 0/1 target: the same labels, numerically
    (HAND["y"], 0, [1.0, 1.0, 1.0, 0.0, 1.0, 1.0], 1 / 6, 1 / 2),
    (HAND["y"], 1, [True, True, True, False, True, True], 5 / 6, 4 / 4),
    (HAND["y"], 0, HAND["pred"], 1 / 6, 1 / 2),
])
def test_decisions_are_read_in_the_target_labels(target, positive, predictions, selection_rate, tpr):
    frame = pd.DataFrame({"y": target, "pred": predictions, "g": list("ababab")})
    overall = performance(frame, target="y", positive_label=positive, predictions="pred")
    assert overall["selection_rate"] == pytest.approx(selection_rate, abs=1e-12)
    assert overall["true_positive_rate"] == pytest.approx(tpr, abs=1e-12)


def test_positive_label_zero_counts_by_hand():
    ctx = build_context(AuditSpec(data=pd.DataFrame(HAND), target="y", positive_label=0, sensitive=["g"],
                                  predictions="pred"))
    assert ctx.labels == (1, 0)
    assert ctx.y_true.tolist() == [0, 1, 0, 1, 0, 0]
    assert ctx.y_pred.tolist() == [0, 0, 0, 1, 0, 0]


@pytest.mark.parametrize(("target", "positive", "predictions", "message"), [
    (["yes", "no"] * 3, "yes", [1, 0] * 3,
     "predictions column 'pred' has values 0, 1, but target 'y' has labels 'no', 'yes' (0, 1 are not among them)"),
    (["yes", "no"] * 3, "yes", [True, False] * 3,
     "predictions column 'pred' has values False, True, but target 'y' has labels 'no', 'yes' (False, True are"),
    ([1, 0] * 3, 1, ["yes", "no"] * 3,
     "predictions column 'pred' has values 'no', 'yes', but target 'y' has labels 0, 1 ('no', 'yes' are not"),
    ([1, 0] * 3, 1, [2, 1] * 3,
     "predictions column 'pred' has values 1, 2, but target 'y' has labels 0, 1 (2 is not among them); "
     "predictions must use the target's own labels"),
])
def test_decisions_outside_the_target_labels_are_refused(target, positive, predictions, message):
    frame = pd.DataFrame({"y": target, "pred": predictions, "g": list("ababab")})
    with pytest.raises(InputError) as error:
        build_context(AuditSpec(data=frame, target="y", positive_label=positive, sensitive=["g"], predictions="pred"))
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("given", ["1", 1, 1.0, "1.0", True, None])
def test_float_coded_target_accepts_numerically_equal_labels(given):
    frame = pd.DataFrame({"y": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0], "pred": [1.0, 0.0, 0.0, 0.0, 1.0, 1.0],
                          "g": list("ababab")})
    result = audit(data=frame, target="y", positive_label=given, sensitive=["g"], predictions="pred",
                   steps=["performance"])
    positive = result.dataset["positive_label"]
    assert positive == 1.0 and isinstance(positive, float | np.floating)
    assert result.step("performance").payload["confusion_matrix"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 2}


def test_cli_positive_label_1_on_a_float_coded_target(tmp_path, frame):
    path = tmp_path / "float.csv"
    frame.assign(approved=frame["approved"].astype(float)).to_csv(path, index=False)
    assert pd.read_csv(path)["approved"].dtype == float
    out = tmp_path / "out"
    code = cli.main(["audit", "-q", "--data", str(path), "--target", "approved", "--positive-label", "1",
                     "--sensitive", "sex", "--predictions", "decision", "--steps", "performance",
                     "--out", str(out), "--no-report"])
    assert code == 0
    doc = json.loads((out / "audit.json").read_text())
    assert doc["dataset"]["positive_label"] == 1.0
    assert doc["performance"]["overall"]["selection_rate"] == pytest.approx(frame["decision"].mean(), abs=1e-12)


@pytest.mark.parametrize(("given", "message"), [
    ("2", "positive label '2' does not occur in target column 'y'; its values are: 0.0, 1.0"),
    ("yes", "positive label 'yes' does not occur in target column 'y'; its values are: 0.0, 1.0"),
])
def test_positive_label_that_is_not_a_target_value(given, message):
    frame = pd.DataFrame({"y": [1.0, 0.0] * 3, "pred": [1.0, 0.0] * 3, "g": list("ababab")})
    with pytest.raises(InputError) as error:
        build_context(AuditSpec(data=frame, target="y", positive_label=given, sensitive=["g"], predictions="pred"))
    assert str(error.value) == message


def test_multiclass_predictions_outside_the_target_classes_are_refused():
    frame = pd.DataFrame({"y": ["a", "b", "c"] * 2, "pred": ["a", "b", "C"] * 2, "g": list("ababab")})
    with pytest.raises(InputError) as error:
        build_context(AuditSpec(data=frame, target="y", sensitive=["g"], predictions="pred", task="multiclass"))
    assert str(error.value) == (
        "predictions column 'pred' has values 'C', 'a', 'b', but target 'y' has labels 'a', 'b', 'c' "
        "('C' is not among them); predictions must use the target's own labels"
    )


def test_multiclass_classes_come_from_the_whole_target_not_the_sample(frame):
    data = frame.assign(label=np.where(np.arange(len(frame)) == 7, "rare", frame["region"]))
    ctx = build_context(AuditSpec(data=data, target="label", sensitive=["sex"], predictions="region",
                                  task="multiclass", sample=50, seed=0))
    assert 7 not in ctx.frame.index
    assert ctx.labels == ("east", "north", "rare", "south")


@pytest.mark.parametrize(("role", "bad", "message"), [
    ("scores", [np.inf, -np.inf, np.inf], "scores column 'score' has values that are not finite numbers "
                                          "(2 inf, 1 -inf); expected finite numbers"),
    ("regression predictions", [np.inf], "predictions column 'guess' has values that are not finite numbers "
                                         "(1 inf); expected finite numbers"),
])
def test_infinite_scores_and_predictions_are_refused(frame, role, bad, message):
    if role == "scores":
        data = frame.copy()
        data.loc[:len(bad) - 1, "score"] = bad
        spec = AuditSpec(data=data, target="approved", sensitive=["sex"], predictions="decision", scores="score")
    else:
        data = frame.assign(guess=frame["income"])
        data.loc[:len(bad) - 1, "guess"] = bad
        spec = AuditSpec(data=data, target="income", sensitive=["sex"], predictions="guess", task="regression")
    with pytest.raises(InputError) as error:
        build_context(spec)
    assert str(error.value) == message


def test_probability_scores_keep_brier_and_calibration(frame):
    result = audit(data=frame, target="approved", sensitive=["sex"], predictions="decision", scores="score",
                   steps=["performance", "fairness"], step_options={"fairness": {"n_boot": 0}})
    assert result.provenance["scores"] == {"kind": "probability", "source": "column 'score'"}
    assert np.isfinite(result.step("performance").payload["overall"]["brier_score"])
    assert result.step("fairness").payload["calibration"]
    assert not [f for f in result.findings if f.id.endswith("scores_not_probabilities")]


def test_decision_scores_keep_auc_and_say_why_brier_and_calibration_are_missing(frame):
    logits = np.log(frame["score"] / (1 - frame["score"]))
    data = frame.assign(score=logits)
    result = audit(data=data, target="approved", sensitive=["sex"], predictions="decision", scores="score",
                   steps=["performance", "fairness"], step_options={"fairness": {"n_boot": 0}})
    assert result.provenance["scores"] == {"kind": "decision", "source": "column 'score'"}
    overall = result.step("performance").payload["overall"]
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(frame["approved"], logits), abs=1e-12)
    assert np.isnan(overall["brier_score"])
    fairness = result.step("fairness").payload
    assert fairness["calibration"] == {}
    women = next(r for r in fairness["by_group"] if r["group"] == {"sex": "female"})
    rows = frame["sex"] == "female"
    assert women["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(frame["approved"][rows], logits[rows]))
    assert "brier_score" not in women["metrics"]
    found = {f.id: f for f in result.findings if f.id.endswith("scores_not_probabilities")}
    assert sorted(found) == ["fairness.scores_not_probabilities", "performance.scores_not_probabilities"]
    low, high = logits.min(), logits.max()
    assert found["performance.scores_not_probabilities"].message == (
        f"The scores (from column 'score') are decision scores, not probabilities: they range from {low:.4g} to "
        f"{high:.4g}. ROC AUC uses only their order and is reported. Not computed, because they need "
        "probabilities: the Brier score."
    )
    assert "the Brier score by group and the calibration table" in found["fairness.scores_not_probabilities"].message
