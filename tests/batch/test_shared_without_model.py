"""A dataset's shared data work needs no model: nothing is loaded, fitted or called, and audits equal solo audits.

The shared task used to build the first audit's full context (loading and calling its model) just to run the
data-only steps; now it builds the data-only context. Its results are reused by every audit whose own context
has the same rows, groups, target and model input columns (:func:`auditkit.batch.shared.step_key`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from _frames import make_frame
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import auditkit
from auditkit import AuditSpec, build_context
from auditkit.batch import prepare_shared
from auditkit.batch import shared as shared_module
from auditkit.batch.shared import step_key

DATA_STEPS = ["data_overview", "data_bias"]
STEPS = DATA_STEPS
OPTIONS = {"data_bias": {"n_boot": 30}}
LOANS = ["income", "debt", "sex", "region", "approved"]


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    return make_frame(400, seed=5)[LOANS]


def _all_features_model(frame: pd.DataFrame):
    """A pipeline on every feature column of the data, in the data's order (what a model gets by default)."""
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["sex", "region"]),
                                     remainder="passthrough")
    return make_pipeline(encode, LogisticRegression(max_iter=500)).fit(frame[LOANS[:-1]], frame["approved"])


def _numeric_model(frame: pd.DataFrame):
    return LogisticRegression().fit(frame[["income", "debt"]], frame["approved"])


def _saved(model, folder) -> str:
    path = folder / "model.skops"
    sio.dump(model, path)
    return str(path)


def _spec(frame: pd.DataFrame, **settings) -> AuditSpec:
    return AuditSpec(data=frame, target="approved", positive_label=1, sensitive=["sex", "region"], seed=0,
                     steps=STEPS, step_options=OPTIONS, **settings)


# Audits of every kind of model: each shares its data work with a shared task that never touched a model.
KINDS = {
    "model file, every feature": lambda frame, folder: {"model": _saved(_all_features_model(frame), folder),
                                                        "trust_model": True},
    "model file, named features": lambda frame, folder: {"model": _saved(_numeric_model(frame), folder),
                                                         "features": ["income", "debt"]},
    "model in memory": lambda frame, folder: {"model": _all_features_model(frame)},
    "reference model": lambda frame, folder: {},
    "decisions in the data": lambda frame, folder: {"predictions": "decision", "data": frame.assign(
        decision=(frame["income"] > 50).astype(int))},
}


def _no_model_touched(monkeypatch) -> None:
    """Make loading, fitting and calling a model fail loudly while the shared work is prepared."""
    def refuse(*args, **kwargs):
        raise AssertionError("the shared data work loaded, fitted or called a model")

    for name in ("load_model", "make_reference_model", "predict_for_audit"):
        monkeypatch.setattr(f"auditkit.io._audit_parts.{name}", refuse)


@pytest.mark.parametrize("kind", list(KINDS))
def test_shared_data_work_touches_no_model_and_equals_a_solo_audit(kind, loans, tmp_path, monkeypatch):
    settings = KINDS[kind](loans, tmp_path)
    spec = _spec(settings.pop("data", loans), **settings)
    with monkeypatch.context() as patch:
        _no_model_touched(patch)
        shared = prepare_shared(spec)
    assert [key.split(":")[0] for key in shared.results] == DATA_STEPS
    ctx = build_context(spec)  # the audit's own context, with its model
    assert all(shared.result_for(step, ctx) is not None for step in spec.build_steps()[:2])  # reused, not rerun
    with_shared, solo = auditkit.audit(spec, shared=shared, progress=False), auditkit.audit(spec, progress=False)
    for name in DATA_STEPS:
        assert with_shared.step(name).payload == solo.step(name).payload
        assert [f.to_dict() for f in with_shared.step(name).findings] == [f.to_dict() for f in solo.step(name).findings]


def test_a_model_that_raises_on_predict_still_gets_shared_data_work(loans):
    class Broken(LogisticRegression):
        def predict(self, X):
            raise RuntimeError("broken on purpose")

    spec = _spec(loans, model=Broken().fit(loans[["income", "debt"]], loans["approved"]),
                 features=["income", "debt"])
    assert [key.split(":")[0] for key in prepare_shared(spec).results] == DATA_STEPS


def test_a_model_taking_other_columns_runs_the_data_steps_itself_with_solo_results(loans, tmp_path):
    """The shared work assumed every feature column; this model takes two, so its audit's keys differ."""
    spec = _spec(loans, model=_saved(_numeric_model(loans), tmp_path))
    shared = prepare_shared(spec)
    ctx = build_context(spec)
    assert [shared.result_for(step, ctx) for step in spec.build_steps()[:2]] == [None, None]
    with_shared, solo = auditkit.audit(spec, shared=shared, progress=False), auditkit.audit(spec, progress=False)
    for name in DATA_STEPS:
        assert with_shared.step(name).payload == solo.step(name).payload


def test_the_data_only_context_has_the_audits_rows_and_no_model_outputs(loans, tmp_path):
    spec = _spec(loans, model=_saved(_all_features_model(loans), tmp_path), trust_model=True, sample=150)
    data_only, full = build_context(spec, data_only=True), build_context(spec)
    assert data_only.frame.equals(full.frame) and data_only.sensitive.equals(full.sensitive)
    assert np.array_equal(data_only.y_true, full.y_true) and list(data_only.X.columns) == list(full.X.columns)
    assert (data_only.model, data_only.y_pred, data_only.y_score) == (None, None, None)
    assert data_only.provenance["model_sha256"] is None  # the model file is not even read


def test_the_rows_are_hashed_once_for_all_data_steps_of_an_audit(loans, monkeypatch):
    ctx = build_context(_spec(loans, predictions="approved"))
    calls = []
    hash_rows = pd.util.hash_pandas_object
    monkeypatch.setattr(shared_module.pd.util, "hash_pandas_object", lambda *a, **k: calls.append(1) or hash_rows(
        *a, **k))
    keys = [step_key(step, ctx) for step in _spec(loans).build_steps()[:2]]
    assert len(set(keys)) == 2 and len(calls) == 2  # the frame and the groups, once (not once per step)
