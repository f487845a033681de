"""Model files of every format: trained here on bundled data, saved, audited by path, and read back the same.

(auditkit/io/model_formats.py, native_boosters.py, onnx_models.py; provenance in context.py and the model card.)
"""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditkit import AuditSpec, audit, build_context, datasets
from auditkit.cli import build_parser, main, spec_from_args
from auditkit.exceptions import ModelLoadError
from auditkit.io.model_formats import FORMATS, load_model_file, model_format

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")
skl2onnx = pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

GERMAN = datasets.load("german")
NUMERIC = [c for c in GERMAN.feature_names if pd.api.types.is_numeric_dtype(GERMAN.frame[c])]
CATEGORICAL = ["checking_account_status", "purpose", "savings_account"]
SENSITIVE = ["sex", "age_group"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """German credit with the target also coded 0/1 (how XGBoost and LightGBM number classes)."""
    return GERMAN.frame.assign(good=(GERMAN.frame["credit_risk"] == "good").astype(int))


def settings(target: str = "good", **more) -> dict:
    return {"target": target, "sensitive": SENSITIVE, **more}


# --- how each format is saved; (model, path, the columns it takes) -------------------------------------------------


def skops_pipeline(frame, folder):
    prep = ColumnTransformer([("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                              ("numeric", StandardScaler(), NUMERIC)])
    model = Pipeline([("prep", prep), ("lr", LogisticRegression())]).fit(frame, frame["credit_risk"])
    sio.dump(model, folder / "pipeline.skops")
    return model, folder / "pipeline.skops", {"target": "credit_risk", "positive_label": "good"}


def xgboost_classifier_json(frame, folder):
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1, random_state=0)
    model.fit(frame[NUMERIC], frame["good"])
    model.save_model(folder / "xgb.json")
    return model, folder / "xgb.json", {}


def xgboost_booster_ubj(frame, folder):
    train = xgboost.DMatrix(frame[NUMERIC], label=frame["good"])
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1}, train, 20)
    booster.save_model(folder / "booster.ubj")
    return _BoosterAsClassifier(booster), folder / "booster.ubj", {}


def xgboost_multiclass(frame, folder):
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3, n_jobs=1).fit(frame[NUMERIC], _three_classes(frame))
    model.save_model(folder / "multi.json")
    return model, folder / "multi.json", {"target": "level", "task": "multiclass"}


def lightgbm_classifier(frame, folder):
    model = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1, n_jobs=1, random_state=0)
    model.fit(frame[NUMERIC], frame["good"])
    model.booster_.save_model(folder / "lgb.txt")
    return model, folder / "lgb.txt", {}


def lightgbm_regressor(frame, folder):
    columns = [c for c in NUMERIC if c != "credit_amount"]
    model = lightgbm.LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1).fit(frame[columns], frame["credit_amount"])
    model.booster_.save_model(folder / "lgb_reg.txt")
    return model, folder / "lgb_reg.txt", {"target": "credit_amount", "task": "regression"}


def onnx_pipeline(frame, folder):
    """A Pipeline on text and number columns: one ONNX input per column, classes as text ('bad', 'good')."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    model, _, _ = skops_pipeline(frame, folder)
    inputs = [(c, StringTensorType([None, 1])) for c in CATEGORICAL] + [(c, Int64TensorType([None, 1]))
                                                                        for c in NUMERIC]
    (folder / "pipeline.onnx").write_bytes(skl2onnx.convert_sklearn(model, initial_types=inputs).SerializeToString())
    return model, folder / "pipeline.onnx", {"target": "credit_risk", "positive_label": "good"}


def onnx_forest_without_zipmap(frame, folder):
    """One float tensor input (no column names: features= names them), probabilities as a tensor."""
    model = RandomForestClassifier(20, max_depth=5, random_state=0).fit(frame[NUMERIC].astype(np.float32),
                                                                         frame["good"])
    onnx = skl2onnx.to_onnx(model, frame[NUMERIC].to_numpy(np.float32)[:1], options={id(model): {"zipmap": False}})
    (folder / "forest.onnx").write_bytes(onnx.SerializeToString())
    return model, folder / "forest.onnx", {"features": NUMERIC}


def onnx_regressor(frame, folder):
    columns = [c for c in NUMERIC if c != "credit_amount"]
    model = RandomForestRegressor(10, max_depth=4, random_state=0).fit(frame[columns].astype(np.float32),
                                                                       frame["credit_amount"])
    (folder / "reg.onnx").write_bytes(skl2onnx.to_onnx(model, frame[columns].to_numpy(np.float32)[:1])
                                      .SerializeToString())
    return model, folder / "reg.onnx", {"target": "credit_amount", "task": "regression", "features": columns}


def joblib_file(frame, folder):
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame[NUMERIC], frame["good"])
    joblib.dump(model, folder / "model.joblib")
    return model, folder / "model.joblib", {"trust_model": True}


def pickle_file(frame, folder):
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame[NUMERIC], frame["good"])
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    return model, folder / "model.pkl", {"trust_model": True}


class _BoosterAsClassifier:
    """The original of a bare Booster, answered as a classifier would (p > 0.5 is class 1)."""

    def __init__(self, booster):
        self.booster = booster

    def predict_proba(self, X):
        p = self.booster.inplace_predict(X)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _three_classes(frame):
    return pd.cut(frame["duration_months"], [0, 12, 24, 100], labels=False).astype(int)


SAVERS = {
    "skops Pipeline": (skops_pipeline, "skops"),
    "XGBClassifier .json": (xgboost_classifier_json, "xgboost"),
    "xgboost Booster .ubj": (xgboost_booster_ubj, "xgboost"),
    "XGBClassifier multiclass": (xgboost_multiclass, "xgboost"),
    "LightGBM classifier .txt": (lightgbm_classifier, "lightgbm"),
    "LightGBM regressor .txt": (lightgbm_regressor, "lightgbm"),
    "ONNX Pipeline (text classes)": (onnx_pipeline, "onnx"),
    "ONNX forest without ZipMap": (onnx_forest_without_zipmap, "onnx"),
    "ONNX regressor": (onnx_regressor, "onnx"),
    "joblib with trust": (joblib_file, "pickle"),
    "pickle with trust": (pickle_file, "pickle"),
}


@pytest.mark.parametrize("name", list(SAVERS))
def test_each_format_round_trips_through_an_audit(data, tmp_path, name):
    save, kind = SAVERS[name]
    frame = data.assign(level=_three_classes(data))
    original, path, more = save(frame, tmp_path)
    spec = {**settings(), **more}
    ctx = build_context(AuditSpec(data=frame, model=str(path), **spec))
    X = ctx.X.astype(np.float32) if kind == "onnx" and "features" in more else ctx.X
    expected = original.predict(X)
    if spec.get("task") == "regression":
        tolerance = 1e-4 if kind == "onnx" else 1e-12  # ONNX computes in float32
        np.testing.assert_allclose(ctx.y_pred, expected, rtol=tolerance)
    else:
        labels = list(ctx.labels)
        assert ctx.y_pred.tolist() == [labels.index(v) for v in expected.tolist()]
    if ctx.y_score is not None:
        proba = original.predict_proba(X)[:, 1]
        np.testing.assert_allclose(ctx.y_score, proba, atol=1e-6 if kind == "onnx" else 1e-12)
    result = audit(data=frame, model=str(path), steps=["performance"], **spec)
    assert result.failed_steps == [] and result.provenance["model"]["format"] == kind


def test_the_formats_are_told_by_suffix():
    assert {model_format(f"m{suffix}") for suffixes in FORMATS.values() for suffix in suffixes} == set(FORMATS)
    with pytest.raises(ModelLoadError, match=r"^model\.h5: not a model format auditkit reads \(by its suffix '\.h5'\)"):
        model_format("model.h5")


def test_onnx_classes_are_those_the_graph_declares(data, tmp_path):
    _, path, _ = onnx_pipeline(data, tmp_path)
    model = load_model_file(path)
    assert model.classes_.tolist() == ["bad", "good"]
    assert model.feature_names_in_.tolist() == CATEGORICAL + NUMERIC
    proba = model.predict_proba(data[CATEGORICAL + NUMERIC].iloc[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-6)


def test_a_native_booster_knows_its_columns_and_kind(data, tmp_path):
    _, path, _ = lightgbm_regressor(data, tmp_path)
    model = load_model_file(path)
    assert not hasattr(model, "classes_") and not hasattr(model, "predict_proba")
    assert model.feature_names_in_.tolist() == [c for c in NUMERIC if c != "credit_amount"]
    _, path, _ = xgboost_classifier_json(data, tmp_path)
    assert load_model_file(path).get_params() == {"library": "xgboost", "objective": "binary:logistic",
                                                  "n_trees": 30, "n_classes": 2}


def _categorical_lightgbm(train, target, path):
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(train, target)
    model.booster_.save_model(path)
    return model


def _categorical_xgboost(train, target, path):
    model = xgboost.XGBClassifier(n_estimators=20, enable_categorical=True, n_jobs=1).fit(train, target)
    model.save_model(path)
    return model


@pytest.mark.parametrize(("fit", "name"), [(_categorical_lightgbm, "cat.txt"), (_categorical_xgboost, "cat.json")],
                         ids=["LightGBM", "XGBoost"])
@pytest.mark.parametrize("sample", [None, 40], ids=["all rows", "a sample without some categories"])
def test_boosters_on_category_columns_read_them_from_text(data, tmp_path, fit, name, sample):
    train = data[NUMERIC + CATEGORICAL].astype({c: "category" for c in CATEGORICAL})
    model = fit(train, data["good"], tmp_path / name)
    csv = tmp_path / "german.csv"
    data.to_csv(csv, index=False)  # read back, the category columns are plain text
    ctx = build_context(AuditSpec(data=str(csv), model=str(tmp_path / name), sample=sample, seed=1, **settings()))
    rows = train.loc[ctx.frame.index]
    assert ctx.y_pred.tolist() == model.predict(rows).tolist()
    np.testing.assert_allclose(ctx.y_score, model.predict_proba(rows)[:, 1], atol=1e-7)


# --- pickle and joblib: only with trust ----------------------------------------------------------------------------


@pytest.mark.parametrize("save", [joblib_file, pickle_file], ids=["joblib", "pickle"])
def test_pickles_are_refused_without_trust_and_say_how_to_convert(data, tmp_path, save):
    _, path, _ = save(data, tmp_path)
    stem = path.stem
    message = (f"{path.name}: pickle/joblib models are not loaded without trust_model=True: unpickling runs whatever "
               f"code the file holds; convert it to skops where it was made (skops.io.dump(model, '{stem}.skops')), "
               "or pass trust_model=True if you trust where it comes from")
    with pytest.raises(ModelLoadError) as error:
        build_context(AuditSpec(data=data, model=str(path), **settings()))
    assert str(error.value) == message


def test_the_pickle_refusal_names_the_cli_flag(data, tmp_path, capsys):
    _, path, _ = joblib_file(data, tmp_path)
    code = main(["audit", "--data", "german", "--model", str(path), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    assert "pass --trust-model if you trust where it comes from" in capsys.readouterr().err


def test_a_pickle_that_is_not_one_is_a_load_error_even_with_trust(tmp_path):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ModelLoadError, match=r"^broken\.pkl: could not unpickle the model \(\w+: "):
        load_model_file(path, trust=True)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("model.json", b"{}", r"^model\.json: not a readable XGBoost model file \("),
    ("model.txt", b"hello", r"^model\.txt: not a readable LightGBM model file \("),
    ("model.onnx", b"\x00\x01", r"^model\.onnx: not a readable ONNX model file \("),
    ("model.skops", b"PK", r"^model\.skops: not a readable skops model file \("),
])
def test_unreadable_files_are_named_with_their_format(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        load_model_file(tmp_path / name)


def test_trust_types_apply_to_skops_files_only(data, tmp_path):
    _, path, _ = xgboost_classifier_json(data, tmp_path)
    message = r"^xgb\.json is not a skops file \(xgboost\); trust_types= applies to skops files only$"
    with pytest.raises(ModelLoadError, match=message):
        load_model_file(path, trust_types=["numpy.dtype"])


def test_onnx_without_onnxruntime_says_what_to_install(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    (tmp_path / "net.onnx").write_bytes(b"")
    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(ModelLoadError) as error:
        load_model_file(tmp_path / "net.onnx")
    assert str(error.value) == ("net.onnx is an ONNX model file; reading it needs onnxruntime and onnx: "
                                "pip install 'auditkit[onnx]'")


def test_an_onnx_model_survives_pickling(data, tmp_path):
    _, path, _ = onnx_forest_without_zipmap(data, tmp_path)
    model = load_model_file(path)
    again = pickle.loads(pickle.dumps(model))
    X = data[NUMERIC].iloc[:20]
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))


# --- SHAP: TreeSHAP on native boosters, the model-agnostic explainer on ONNX; additivity holds ------------------


@pytest.mark.parametrize(("save", "explainer"), [
    (xgboost_classifier_json, "tree"), (xgboost_booster_ubj, "tree"), (lightgbm_classifier, "tree"),
    (lightgbm_regressor, "tree"), (onnx_forest_without_zipmap, "permutation"), (onnx_pipeline, "permutation"),
], ids=["xgboost json", "xgboost ubj", "lightgbm", "lightgbm regressor", "onnx forest", "onnx pipeline"])
def test_shap_explains_model_files_and_additivity_holds(data, tmp_path, save, explainer):
    _, path, more = save(data, tmp_path)
    options = {"shap": {"max_rows": 40, "background_size": 30, "n_permutations": 2}}
    result = audit(data=data, model=str(path), steps=["shap"], step_options=options, **{**settings(), **more})
    summary = result.step("shap").payload["shap"]
    assert summary["explainer"] == explainer and summary["fallback_reason"] is None
    assert summary["additivity"]["holds"], summary["additivity"]
    features = {row["feature"] for row in result.step("shap").payload["global_importance"]}
    assert features == set(result.provenance["model"]["features"])


def test_lime_explains_an_onnx_model(data, tmp_path):
    _, path, more = onnx_pipeline(data, tmp_path)
    options = {"lime": {"n_instances": 3, "repeats": 1, "num_samples": 200, "errors_per_group": 0}}
    result = audit(data=data, model=str(path), steps=["lime"], step_options=options, **{**settings(), **more})
    assert result.failed_steps == [] and len(result.step("lime").payload["lime"]["instances"]) == 3


# --- provenance: format, name, sha256, source, licence, version ----------------------------------------------------


def test_provenance_and_model_card_state_where_the_model_comes_from(data, tmp_path):
    from auditkit import audit_to_dir

    _, path, _ = lightgbm_classifier(data, tmp_path)
    origin = {"model_source": "https://example.org/credit/lgb", "model_licence": "Apache-2.0",
              "model_version": "1.2.0"}
    audit_to_dir(AuditSpec(data=data, model=str(path), steps=["performance"], **settings(), **origin),
                 tmp_path / "out", report=False, quiet=True)
    doc = json.loads((tmp_path / "out" / "audit.json").read_text())
    model = doc["provenance"]["model"]
    assert {k: model[k] for k in ("name", "format", "source", "licence", "version")} == {
        "name": "lgb", "format": "lightgbm", "source": "https://example.org/credit/lgb", "licence": "Apache-2.0",
        "version": "1.2.0"}
    import hashlib

    assert doc["provenance"]["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    card = (tmp_path / "out" / "model_card.md").read_text()
    assert "license: apache-2.0" in card
    for line in ("**Format:** lightgbm", "**Source:** https://example.org/credit/lgb", "**Licence:** Apache-2.0",
                 "**Version:** 1.2.0"):
        assert line in card


def test_the_cli_passes_trust_and_provenance_flags():
    args = build_parser().parse_args([
        "audit", "--data", "german", "--model", "forest.skops", "--trust-type", "sklearn.tree._tree.Tree",
        "--trust-type", "numpy.dtype", "--model-source", "https://example.org", "--model-licence", "MIT",
        "--model-version", "2", "--shap-rows", "300"])
    spec = spec_from_args(args)
    assert spec.trust_types == ["sklearn.tree._tree.Tree", "numpy.dtype"]
    assert (spec.model_source, spec.model_licence, spec.model_version, spec.shap_rows) == (
        "https://example.org", "MIT", "2", 300)


@pytest.mark.parametrize(("given", "message"), [
    ({"predictions": "decision", "model_licence": "MIT"},
     "model_licence= applies to a model; an audit of predictions= has no model"),
    ({"model_version": 2}, "model_version must be non-empty text; got 2 (int)"),
    ({"model_source": ""}, "model_source must be non-empty text; got '' (str)"),
])
def test_provenance_settings_are_checked(given, message):
    frame = GERMAN.frame.assign(decision=1)
    with pytest.raises(ValueError) as error:
        AuditSpec(data=frame, **settings("credit_risk"), positive_label="good", **given)
    assert str(error.value) == message
