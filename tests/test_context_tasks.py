"""Regression and multiclass audits: context encoding, reference models, errors that suggest a task."""

from __future__ import annotations

import json

import numpy as np
import pytest

from auditkit import AuditSpec, audit, build_context, cli
from auditkit.exceptions import InputError, TargetNotBinaryError


def test_non_binary_target_suggests_a_task(frame):
    with pytest.raises(TargetNotBinaryError) as error:
        build_context(AuditSpec(data=frame, target="region", sensitive=["sex"], predictions="decision"))
    assert str(error.value) == (
        "column 'region' must be binary for a classification audit, but it has 3 distinct values: 'east', "
        "'north', 'south'; for more than two classes pass task='multiclass', for a numeric outcome task='regression'")


def test_multiclass_context_encodes_classes(frame):
    data = frame.assign(guess=np.where(frame["income"] > 50, "north", "south"))
    ctx = build_context(AuditSpec(data=data, target="region", sensitive=["sex"], predictions="guess",
                                  task="multiclass"))
    assert ctx.task == "multiclass" and ctx.labels == ("east", "north", "south")
    assert (np.array(ctx.labels)[ctx.y_true] == data["region"].to_numpy()).all()
    assert (np.array(ctx.labels)[ctx.y_pred] == data["guess"].to_numpy()).all()
    assert ctx.positive_label is None


def test_regression_context_and_reference_regressor(frame):
    ctx = build_context(AuditSpec(data=frame, target="income", sensitive=["sex"], task="regression", seed=1))
    assert ctx.y_true.dtype == float and ctx.y_pred.dtype == float and ctx.y_score is None
    assert type(ctx.model.steps[-1][1]).__name__ == "HistGradientBoostingRegressor"
    assert len(ctx.y_true) == len(ctx.frame) == 120


def test_multiclass_reference_model_and_full_audit(frame):
    result = audit(data=frame.drop(columns=["decision", "score"]), target="region", sensitive=["sex"],
                   task="multiclass", steps=["performance", "fairness"], seed=0)
    overall = result.step("performance").payload["overall"]
    assert 0 <= overall["accuracy"] <= 1
    assert result.step("performance").payload["confusion_matrix"]["labels"] == ["east", "north", "south"]


@pytest.mark.parametrize(("settings", "message"), [
    ({"target": "income", "task": "regression", "positive_label": "1"},
     "a positive label only applies to binary audits; this audit's task is regression"),
    ({"target": "sex", "task": "regression"}, "target column 'sex' must be numeric for a regression audit"),
])
def test_task_mismatches_are_named(frame, settings, message):
    with pytest.raises(InputError, match=message):
        build_context(AuditSpec(data=frame, sensitive=["region"], predictions="decision", **settings))


def test_scores_only_for_binary(frame):
    with pytest.raises(InputError, match="scores= applies to binary audits only"):
        AuditSpec(data=frame, target="income", predictions="decision", scores="score", task="regression")


def test_performance_matches_scikit_learn_for_regression_and_multiclass(frame):
    from sklearn import metrics

    data = frame.assign(guess=frame["income"] + 3.0)
    result = audit(data=data, target="income", sensitive=["sex"], predictions="guess", task="regression",
                   steps=["performance"])
    overall = result.step("performance").payload["overall"]
    assert overall["mae"] == pytest.approx(metrics.mean_absolute_error(data["income"], data["guess"]))
    assert overall["r2"] == pytest.approx(metrics.r2_score(data["income"], data["guess"]))
    data = frame.assign(guess=np.where(frame["income"] > 55, "north", np.where(frame["debt"] > 20, "east", "south")))
    result = audit(data=data, target="region", sensitive=["sex"], predictions="guess", task="multiclass",
                   steps=["performance"])
    overall = result.step("performance").payload["overall"]
    y, p = data["region"], data["guess"]
    assert overall["accuracy"] == pytest.approx(metrics.accuracy_score(y, p))
    assert overall["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, p))
    assert overall["macro_f1"] == pytest.approx(metrics.f1_score(y, p, average="macro"))


def test_rng_uses_the_whole_salt(frame):
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="decision"))
    assert ctx.rng("shap.row").random() != ctx.rng("shap.rows").random()
    assert ctx.rng("fairness.counts").random() != ctx.rng("fairness.scores").random()


def test_predictions_only_cli_for_each_task(tmp_path, frame, capsys):
    data = frame.assign(guess=frame["income"] + 1.0, label=frame["region"])
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    cases = {"regression": ["--target", "income", "--predictions", "guess"],
             "multiclass": ["--target", "label", "--predictions", "region"],
             "binary": ["--target", "approved", "--predictions", "decision", "--scores", "score"]}
    for task, args in cases.items():
        out = tmp_path / task
        code = cli.main(["audit", "-q", "--data", str(path), "--sensitive", "sex", "--task", task, *args,
                         "--out", str(out), "--no-report"])
        assert code == 0, capsys.readouterr().err
        doc = json.loads((out / "audit.json").read_text())
        assert doc["dataset"]["mode"] == "predictions" and doc["fairness"]["settings"]["task"] == task
        assert doc["fairness"]["by_group"][0]["ci"]
        assert "bias" in doc["data"]


def test_an_audit_needs_a_sensitive_feature(frame):
    with pytest.raises(InputError, match=r"no sensitive feature given; pass sensitive=\[COLUMN, \.\.\.\]"):
        build_context(AuditSpec(data=frame, target="approved", predictions="decision"))
