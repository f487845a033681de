"""A model's outputs checked against the task and the target's labels before any step runs (auditkit/models.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeClassifier
from sklearn.metrics import roc_auc_score

from auditkit import AuditSpec, audit, build_context
from auditkit.exceptions import InputError, ModelPredictionError
from auditkit.io.model_outputs import predict_for_audit

ROWS = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})


class Stub:
    """A duck-typed model whose outputs are given (only the methods given exist)."""

    def __init__(self, classes=None, **outputs):
        if classes is not None:
            self.classes_ = np.asarray(classes)
        for method, output in outputs.items():
            setattr(self, method, self._method(output))

    @staticmethod
    def _method(output):
        def call(X):
            if isinstance(output, Exception):
                raise output
            return output
        return call


BINARY = (0, 1)
PROBA = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])


@pytest.mark.parametrize(("model", "task", "labels", "message"), [
    (Stub(BINARY, predict=np.array([0, 1, 1])), "binary", BINARY,
     "the model's predict returned an array of shape (3,); expected (4,): one value per audited row"),
    (Stub(BINARY, predict=np.array([[0, 1], [1, 0], [0, 1], [1, 0]])), "binary", BINARY,
     "the model's predict returned an array of shape (4, 2); expected (4,): one value per audited row"),
    (Stub(BINARY, predict=np.array([0.0, np.nan, 1.0, 1.0])), "binary", BINARY,
     "the model's predict returned 1 missing values (NaN) for 4 rows; expected one label of target 'y' (0, 1) per row"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), predict_proba=PROBA[:, :1]), "binary", BINARY,
     "the model's predict_proba returned an array of shape (4, 1); expected (4, 2): one row per audited row, "
     "one column per class"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), predict_proba=PROBA[:3]), "binary", BINARY,
     "the model's predict_proba returned an array of shape (3, 2); expected (4, 2): one row per audited row, "
     "one column per class"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), predict_proba=np.where(PROBA > 0.85, np.nan, PROBA)),
     "binary", BINARY,
     "the model's predict_proba returned values that are not finite numbers (1 NaN among 8 values); "
     "expected finite numbers"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), predict_proba=PROBA * 2 - 0.5), "binary", BINARY,
     "the model's predict_proba returned values outside [0, 1] (from -0.3 to 1.3); expected probabilities"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), decision_function=np.array([1.0, np.inf, -1.0, 2.0])),
     "binary", BINARY,
     "the model's decision_function returned values that are not finite numbers (1 inf among 4 values); "
     "expected finite numbers"),
    (Stub(predict=np.array([0.12, 0.5, 0.87, 0.3])), "binary", BINARY,
     "the model returns continuous numbers (4 distinct values, e.g. 0.12, 0.5, 0.87), but a binary audit expects "
     "the labels of target 'y' (0, 1)"),
    (Stub(predict=np.array([1.0, np.nan, 2.0, 3.0])), "regression", (),
     "the model's predict returned values that are not finite numbers (1 NaN among 4 values); "
     "expected finite numbers"),
    (Stub(predict=np.array(["a", "b", "a", "b"], dtype=object)), "regression", (),
     "the model's predict returned values that are not numbers ('a', 'b'); expected a number per row"),
    (Stub(predict=np.ones(5)), "regression", (),
     "the model's predict returned an array of shape (5,); expected (4,): one value per audited row"),
    (Stub(predict=np.array(["a", "b", "d", "a"], dtype=object)), "multiclass", ("a", "b", "c"),
     "the model's output has values 'a', 'b', 'd', but target 'y' has labels 'a', 'b', 'c' ('d' is not among "
     "them); predictions must use the target's own labels"),
])
def test_unreadable_outputs_are_refused_without_saying_the_model_raised(model, task, labels, message):
    with pytest.raises(InputError) as error:
        predict_for_audit(model, ROWS, task, labels, "y")
    assert str(error.value) == message


@pytest.mark.parametrize(("model", "message"), [
    (Stub(BINARY, predict=ValueError("bad\ninput")),
     "the model raised while predicting: ValueError: bad input (in predict)"),
    (Stub(BINARY, predict=np.array([0, 1, 0, 1]), predict_proba=RuntimeError("no")),
     "the model raised while predicting: RuntimeError: no (in predict_proba)"),
])
def test_a_model_that_raises_is_named_with_the_method(model, message):
    with pytest.raises(ModelPredictionError) as error:
        predict_for_audit(model, ROWS, "binary", BINARY, "y")
    assert str(error.value) == message


def test_a_single_column_prediction_is_one_value_per_row():
    output = predict_for_audit(Stub(predict=np.array([[1.5], [2.0], [0.0], [3.0]])), ROWS, "regression", (), "y")
    assert output.y_pred.tolist() == [1.5, 2.0, 0.0, 3.0] and output.y_score is None


def test_decisions_come_from_predict_not_the_most_probable_class():
    model = Stub(BINARY, predict=np.array([1, 1, 1, 0]), predict_proba=PROBA)  # e.g. a tuned threshold
    output = predict_for_audit(model, ROWS, "binary", BINARY, "y")
    assert output.y_pred.tolist() == [1, 1, 1, 0]
    assert output.y_score.tolist() == PROBA[:, 1].tolist() and output.score_kind == "probability"


def test_positive_label_picks_its_column_of_predict_proba_and_sign_of_decision_function():
    proba = predict_for_audit(Stub(("no", "yes"), predict=np.array(["no", "yes", "no", "no"]), predict_proba=PROBA),
                              ROWS, "binary", ("yes", "no"), "y")  # labels are (negative, positive)
    assert proba.y_pred.tolist() == [1, 0, 1, 1] and proba.y_score.tolist() == PROBA[:, 0].tolist()
    decision = predict_for_audit(Stub(BINARY, predict=np.array([0, 1, 0, 1]),
                                      decision_function=np.array([-1.0, 2.0, -0.5, 0.5])),
                                 ROWS, "binary", (1, 0), "y")
    assert decision.y_score.tolist() == [1.0, -2.0, 0.5, -0.5]
    assert (decision.score_kind, decision.score_source) == ("decision", "decision_function")


# --- saved models, through build_context -------------------------------------------------------------------


def saved(model, tmp_path) -> str:
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    return str(path)


def yes_no(frame):
    return np.where(frame["approved"] == 1, "yes", "no")


FEATURES = ["income", "debt"]


@pytest.mark.parametrize(("make", "settings", "message"), [
    (lambda f: LinearRegression().fit(f[FEATURES], f["approved"]), {"target": "approved"},
     "the model (LinearRegression) is a regressor and returns continuous numbers, but a binary audit expects a "
     "classifier whose classes are the labels of target 'approved' (0, 1); audit a regressor with task='regression'"),
    (lambda f: RidgeClassifier().fit(f[FEATURES], yes_no(f)), {"target": "approved"},
     "the model (RidgeClassifier) has classes 'no', 'yes', but target 'approved' has labels 0, 1 ('no', 'yes' are "
     "not among them); audit the model on a target coded like its classes"),
    (lambda f: LogisticRegression().fit(f[FEATURES], f["region"]), {"target": "approved"},
     "the model (LogisticRegression) has classes 'east', 'north', 'south', but target 'approved' has labels 0, 1"),
    (lambda f: _one_class(f), {"target": "approved"},
     "the model (DummyClassifier) has classes 1, but a binary audit expects exactly the two labels of target "
     "'approved' (0, 1)"),
    (lambda f: LogisticRegression().fit(f[FEATURES], f["approved"]), {"target": "income", "task": "regression"},
     "the model (LogisticRegression) is a classifier with classes 0, 1, but a regression audit expects a model that "
     "predicts numbers; audit a classifier with task='binary'"),
    (lambda f: LogisticRegression().fit(f[FEATURES], f["region"].str.upper()),
     {"target": "region", "task": "multiclass"},
     "the model (LogisticRegression) has classes 'EAST', 'NORTH', 'SOUTH', but target 'region' has labels 'east', "
     "'north', 'south' ('EAST', 'NORTH', 'SOUTH' are not among them)"),
    (lambda f: LinearRegression().fit(f[FEATURES], f["approved"]), {"target": "region", "task": "multiclass"},
     "the model (LinearRegression) is a regressor and returns continuous numbers, but a multiclass audit expects"),
    (lambda f: _nan_regressor(f), {"target": "income", "task": "regression"},
     "the model's predict returned values that are not finite numbers (400 NaN among 400 values)"),
])
def test_models_that_do_not_fit_the_audit_are_refused_before_any_step(tmp_path, frame, make, settings, message):
    path = saved(make(frame), tmp_path)
    with pytest.raises(ModelPredictionError) as error:
        build_context(AuditSpec(data=frame, sensitive=["sex"], model=path, trust_model=True, **settings))
    assert str(error.value).startswith(message)


def _one_class(frame):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier().fit(frame[FEATURES], np.ones(len(frame), dtype=int))


def _nan_regressor(frame):
    from sklearn.dummy import DummyRegressor

    model = DummyRegressor().fit(frame[FEATURES], frame["income"])
    model.constant_ = np.array([[np.nan]])
    return model


def test_a_model_with_the_target_labels_as_other_types_is_read(tmp_path, frame):
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"].astype(bool))  # classes False, True
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], model=saved(model, tmp_path)))
    assert ctx.y_pred.tolist() == model.predict(frame[FEATURES]).astype(int).tolist()
    assert ctx.y_score.tolist() == model.predict_proba(frame[FEATURES])[:, 1].tolist()
    assert ctx.score_kind == "probability" and ctx.provenance["scores"] == {"kind": "probability",
                                                                            "source": "predict_proba"}


def test_a_tuned_threshold_is_audited_as_the_model_decides(tmp_path, frame):
    from sklearn.model_selection import FixedThresholdClassifier

    model = FixedThresholdClassifier(LogisticRegression(), threshold=0.3).fit(frame[FEATURES], frame["approved"])
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], model=saved(model, tmp_path),
                                  trust_model=True))
    expected = model.predict(frame[FEATURES])
    assert expected.mean() > (model.predict_proba(frame[FEATURES])[:, 1] > 0.5).mean()  # the threshold matters
    assert ctx.y_pred.tolist() == expected.tolist()


def test_decision_function_scores_are_used_for_auc_and_stated(tmp_path, frame):
    model = RidgeClassifier().fit(frame[FEATURES], frame["approved"])
    result = audit(data=frame, target="approved", positive_label=0, sensitive=["sex"], model=saved(model, tmp_path),
                   steps=["performance"])
    decision = model.decision_function(frame[FEATURES])
    assert result.provenance["scores"] == {"kind": "decision", "source": "decision_function"}
    overall = result.step("performance").payload["overall"]
    assert overall["selection_rate"] == pytest.approx((model.predict(frame[FEATURES]) == 0).mean(), abs=1e-12)
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(frame["approved"] == 0, -decision), abs=1e-12)
    assert np.isnan(overall["brier_score"])
    finding = next(f for f in result.findings if f.id == "performance.scores_not_probabilities")
    assert finding.message.startswith("The scores (from the model's decision_function) are decision scores")


# --- models trained on pandas category columns ---------------------------------------------------------------


def categorical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(region=frame["region"].astype("category"))


CATEGORICAL = ["income", "debt", "region"]


def test_native_categorical_model_gets_the_columns_as_trained(tmp_path, frame):
    data = categorical(frame)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=20, random_state=0)
    model.fit(data[CATEGORICAL], data["approved"])
    ctx = build_context(AuditSpec(data=data, target="approved", sensitive=["sex"], model=saved(model, tmp_path),
                                  trust_model=True))
    assert isinstance(ctx.X["region"].dtype, pd.CategoricalDtype)
    assert ctx.y_pred.tolist() == model.predict(data[CATEGORICAL]).tolist()
    assert ctx.y_score.tolist() == model.predict_proba(data[CATEGORICAL])[:, 1].tolist()


def test_lightgbm_on_category_columns_is_audited_and_explained(tmp_path, frame):
    lightgbm = pytest.importorskip("lightgbm")
    data = categorical(frame)
    model = lightgbm.LGBMClassifier(n_estimators=20, random_state=0, verbose=-1, n_jobs=1)
    model.fit(data[CATEGORICAL], data["approved"])
    path = tmp_path / "data.parquet"
    data.to_parquet(path)
    options = {"shap": {"max_rows": 20, "agnostic_max_rows": 20, "background_size": 20, "n_permutations": 2},
               "lime": {"n_instances": 3, "repeats": 1, "num_samples": 200, "errors_per_group": 0}}
    result = audit(data=str(path), target="approved", sensitive=["sex"], model=saved(model, tmp_path),
                   trust_model=True, steps=["performance", "shap", "lime"], step_options=options)
    assert result.failed_steps == []
    expected = model.predict(data[CATEGORICAL])
    assert result.step("performance").payload["overall"]["selection_rate"] == pytest.approx(expected.mean(), abs=1e-12)
    importance = result.step("shap").payload["global_importance"]
    assert {row["feature"] for row in importance} == set(CATEGORICAL)
