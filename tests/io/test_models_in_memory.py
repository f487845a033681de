"""Models given in memory (auditkit/io/inputs.py, auditkit/io/model_inputs.py): audited, named, hashed, checked."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditkit import AuditSpec, audit, build_context
from auditkit.exceptions import InputError, ModelPredictionError
from auditkit.io.inputs import HASH_PARAMS, HASH_SKOPS, default_model_name, model_fingerprint

FEATURES = ["income", "debt", "region"]
QUICK = ["performance", "fairness"]


def pipeline(frame: pd.DataFrame):
    """One-hot region, scaled numbers, logistic regression: fitted on ``FEATURES``."""
    prep = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["region"]),
                                   (StandardScaler(), ["income", "debt"]))
    return make_pipeline(prep, LogisticRegression()).fit(frame[FEATURES], frame["approved"])


def lightgbm(frame: pd.DataFrame):
    lgb = pytest.importorskip("lightgbm")
    return lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(frame[["income", "debt"]],
                                                                                 frame["approved"])


def xgboost(frame: pd.DataFrame):
    xgb = pytest.importorskip("xgboost")
    return xgb.XGBClassifier(n_estimators=20, random_state=0).fit(frame[["income", "debt"]], frame["approved"])


class ThresholdRule:
    """Not an estimator: only ``predict`` and ``predict_proba``, no ``fit``, no ``classes_``."""

    def predict(self, X):
        return (X["income"].to_numpy() > 50).astype(int)

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(X["income"].to_numpy() - 50) / 10))
        return np.column_stack([1 - p, p])


def audited(frame, model, **settings):
    return audit(data=frame, model=model, target="approved", sensitive=["sex"], steps=QUICK, **settings)


@pytest.mark.parametrize("make", [pipeline, lightgbm, xgboost], ids=["Pipeline", "LightGBM", "XGBoost"])
def test_a_fitted_estimator_is_audited_on_its_own_outputs(frame, make):
    model = make(frame)
    doc = audited(frame, model).to_dict()
    columns = list(model.feature_names_in_)
    expected_pred = model.predict(frame[columns])
    expected_score = model.predict_proba(frame[columns])[:, 1]
    overall = doc["performance"]["overall"]
    assert overall["selection_rate"] == pytest.approx(expected_pred.mean(), abs=1e-12)
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(frame["approved"], expected_score), abs=1e-12)
    by_sex = {row["group"]["sex"]: row["metrics"]["selection_rate"] for row in doc["fairness"]["by_group"]
              if list(row["group"]) == ["sex"]}
    assert by_sex == pytest.approx(pd.Series(expected_pred).groupby(frame["sex"]).mean().to_dict(), abs=1e-12)
    prov = doc["provenance"]
    assert prov["model_sha256_method"] == HASH_SKOPS and len(prov["model_sha256"]) == 64
    assert prov["model"]["name"] == default_model_name(model) and prov["model"]["features"] == columns


def test_a_duck_typed_model_with_predict_only_is_audited(frame):
    doc = audited(frame, ThresholdRule()).to_dict()
    assert doc["performance"]["overall"]["selection_rate"] == pytest.approx((frame["income"] > 50).mean())
    assert doc["provenance"]["model"]["name"] == "ThresholdRule"


def test_the_same_model_in_memory_and_from_a_skops_file_gives_the_same_audit(frame, tmp_path):
    model = pipeline(frame)
    path = tmp_path / "credit-v2.skops"
    sio.dump(model, path)
    from_memory = audited(frame, model).to_dict()
    from_file = audited(frame, str(path), trust_model=True).to_dict()
    for section in ("performance", "fairness"):
        assert from_memory[section] == from_file[section]
    assert from_file["provenance"]["model"]["name"] == "credit-v2"
    assert from_file["provenance"]["model_sha256_method"] == "file bytes"


def test_two_runs_on_the_same_in_memory_inputs_give_the_same_audit(frame):
    first, second = (audited(frame, pipeline(frame), seed=5).to_dict() for _ in range(2))
    for doc in (first, second):
        del doc["provenance"]["started"], doc["provenance"]["finished"]
    assert first == second


FINGERPRINT = textwrap.dedent("""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from auditkit.io.inputs import model_fingerprint
    X = np.arange(40.0).reshape(20, 2)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [0, 1] * 10)
    print(model_fingerprint(model)[0])
""")


def test_the_fingerprint_of_a_model_is_the_same_in_another_process():
    """skops names members by object id and stamps the zip with the time: neither may reach the hash."""
    runs = [subprocess.run([sys.executable, "-c", FINGERPRINT], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    namespace: dict = {}
    exec(FINGERPRINT.replace("print(model_fingerprint(model)[0])", ""), namespace)  # noqa: S102 - our own code
    here = model_fingerprint(namespace["model"])
    assert runs[0] == runs[1] == here[0] + "\n"


def test_differently_fitted_models_have_different_fingerprints(frame):
    one = LogisticRegression().fit(frame[["income"]], frame["approved"])
    other = LogisticRegression().fit(frame[["debt"]], frame["approved"])
    assert model_fingerprint(one)[0] != model_fingerprint(other)[0]


class Unserialisable(ThresholdRule):
    """skops cannot write a generator, so this model is hashed by its class and parameters."""

    def __init__(self):
        self.pending = (i for i in range(3))


def test_a_model_skops_cannot_write_is_hashed_by_class_and_parameters(frame):
    prov = audited(frame, Unserialisable()).to_dict()["provenance"]
    assert prov["model_sha256_method"] == HASH_PARAMS
    assert prov["model_sha256"] == model_fingerprint(Unserialisable())[0]


@pytest.mark.parametrize(("model", "message"), [
    (LogisticRegression(), "model is a LogisticRegression that is not fitted; fit it before the audit "
                           "(e.g. model.fit(X, y)) or pass a fitted estimator"),
    (make_pipeline(StandardScaler(), LogisticRegression()),
     "model is a Pipeline that is not fitted; fit it before the audit (e.g. model.fit(X, y)) or pass a fitted "
     "estimator"),
], ids=["estimator", "Pipeline"])
def test_an_unfitted_estimator_is_refused_before_it_is_called(frame, model, message):
    with pytest.raises(ModelPredictionError) as refused:
        build_context(AuditSpec(data=frame, model=model, target="approved", sensitive=["sex"]))
    assert str(refused.value) == message


def test_an_unfitted_lightgbm_model_is_refused(frame):
    lgb = pytest.importorskip("lightgbm")
    with pytest.raises(ModelPredictionError, match="^model is a LGBMClassifier that is not fitted; "):
        build_context(AuditSpec(data=frame, model=lgb.LGBMClassifier(), target="approved", sensitive=["sex"]))


@pytest.mark.parametrize(("model", "shown"), [
    (3, "3 (int)"),
    (LogisticRegression, "<class 'sklearn.linear_model._logistic.LogisticRegression'> (type)"),
    ({"predict": None}, "{'predict': None} (dict)"),
], ids=["int", "class", "dict"])
def test_a_model_that_is_neither_a_path_nor_an_estimator_is_named(model, shown):
    with pytest.raises(InputError) as refused:
        AuditSpec(data="german", model=model)
    assert str(refused.value) == ("model must be a model file path (.skops, XGBoost .json/.ubj, LightGBM .txt, .onnx) "
                                  f"or a fitted estimator (an object with a predict method); got {shown}")


def test_trust_model_applies_to_model_files_only(frame):
    with pytest.raises(InputError, match=r"^trust_model= applies to a model file; this model was given in memory$"):
        AuditSpec(data=frame, model=ThresholdRule(), trust_model=True)


def test_features_choose_the_columns_of_a_model_fitted_without_names(frame):
    model = LogisticRegression().fit(frame[["income", "debt"]].to_numpy(), frame["approved"])
    ctx = build_context(AuditSpec(data=frame, model=model, target="approved", sensitive=["sex"],
                                  features=["income", "debt"]))
    assert list(ctx.X.columns) == ["income", "debt"]
    assert ctx.y_pred.tolist() == model.predict(frame[["income", "debt"]].to_numpy()).tolist()
    with pytest.raises(InputError) as refused:
        build_context(AuditSpec(data=frame, model=model, target="approved", sensitive=["sex"]))
    assert str(refused.value) == (
        "the model takes 2 input columns (n_features_in_), but the data's feature columns are 6: 'income', 'debt', "
        "'sex', 'region', 'score', 'decision'; pass features=[COLUMN, ...] naming the model's input columns in its "
        "order")


def test_features_must_be_the_columns_a_model_was_fitted_on(frame):
    model = pipeline(frame)
    in_another_order = build_context(AuditSpec(data=frame, model=model, target="approved", sensitive=["sex"],
                                               features=["region", "debt", "income"]))
    assert list(in_another_order.X.columns) == FEATURES  # the model's own order
    with pytest.raises(InputError) as refused:
        build_context(AuditSpec(data=frame, model=model, target="approved", sensitive=["sex"],
                                features=["income", "debt"]))
    assert str(refused.value) == ("features must name the columns the model was fitted on ('income', 'debt', "
                                  "'region'); got 'income', 'debt'")


def test_the_report_names_the_model_and_says_how_it_was_hashed(frame):
    from auditkit.report.context_views import provenance_html
    from auditkit.report.views import header_html

    doc = audited(frame, pipeline(frame), model_name="credit model v2", data_name="loans 2024").to_dict()
    header = header_html(doc)
    digest = doc["provenance"]["model_sha256"]
    assert "model <b>credit model v2</b> (LogisticRegression in a Pipeline)" in header
    assert f"<code>{digest}</code> (skops content)" in provenance_html(doc)  # hashes: in the provenance section
    assert "loans 2024 — 400 rows audited" in header
    assert doc["dataset"]["spec"]["model"] == "credit model v2"
