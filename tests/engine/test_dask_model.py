"""engine="dask" with model=: the model's decisions and scores computed on the workers equal the in-memory engine's."""

from __future__ import annotations

import json
import pickle

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers, parquet_parts
from _frames import make_frame
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

import auditkit
from auditkit import cli
from auditkit.engine.dask_model import DECISION, SCORE, model_run
from auditkit.exceptions import InputError, ModelLoadError, ModelPredictionError
from auditkit.spec import AuditSpec

STEPS = ["data_overview", "data_bias", "performance", "fairness"]
SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "seed": 7, "steps": STEPS,
            "step_options": {"fairness": {"n_boot": 100}, "data_bias": {"n_boot": 50}}}
FEATURES = ["income", "debt"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Two sensitive columns (one with missing values), two numeric features, a 0/1 target; strings as objects."""
    data = make_frame(500, seed=3).drop(columns=["score", "decision"])
    data.loc[data.index[::37], "region"] = None
    return data.astype({"sex": object, "region": object})


def dask_frame(frame: pd.DataFrame, npartitions: int = 3):
    with dask.config.set({"dataframe.convert-string": False}):  # object strings, as the in-memory frame has them
        return dd.from_pandas(frame, npartitions=npartitions)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a text target: the positive label is not 1."""
    return frame.assign(approved=frame["approved"].map({0: "no", 1: "yes"}))


MODELS = {
    "probabilities": (lambda: LogisticRegression(), lambda f: f, {}),
    "decision_function": (lambda: LinearSVC(), lambda f: f, {}),
    "text labels, positive given": (lambda: LogisticRegression(), labelled, {"positive_label": "yes"}),
    "a tree on every feature but the sensitive ones": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
                                                       lambda f: f, {}),
}


@pytest.mark.parametrize("case", list(MODELS))
def test_a_models_audit_on_dask_gives_the_in_memory_numbers(case, frame):
    make, relabel, extra = MODELS[case]
    data = relabel(frame)
    model = make().fit(data[FEATURES], data["approved"])
    settings = {**SETTINGS, **extra, "model": model}
    in_memory = auditkit.audit(data=data, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=dask_frame(data), engine="dask", scheduler="synchronous", progress=False,
                             **settings).to_dict()
    assert_same_numbers(on_dask, in_memory)
    assert on_dask["dataset"]["mode"] == "model" and on_dask["provenance"]["model"] == in_memory["provenance"]["model"]
    assert on_dask["provenance"]["scores"] == in_memory["provenance"]["scores"]


def test_uneven_and_empty_parquet_partitions_give_the_in_memory_numbers(frame, tmp_path):
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    path = tmp_path / "model.skops"
    import skops.io as sio

    sio.dump(model, path)
    back = parquet_parts(frame, tmp_path, [slice(0, 0), slice(0, 7), slice(7, 7), slice(7, 500)])  # two empty
    settings = {**SETTINGS, "model": str(path)}
    in_memory = auditkit.audit(data=back, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask", scheduler="synchronous",
                             progress=False, **settings).to_dict()
    assert_same_numbers(on_dask, in_memory)
    assert on_dask["provenance"]["model_sha256"] == in_memory["provenance"]["model_sha256"]


def test_the_workers_decide_as_predict_for_audit_does(frame):
    from auditkit.io.model_outputs import predict_for_audit

    data = labelled(frame)
    model = LogisticRegression().fit(data[FEATURES], data["approved"])
    spec = AuditSpec(data=pd.DataFrame(), target="approved", sensitive=["sex"], model=model, positive_label="yes")
    with dask.config.set(scheduler="synchronous"):
        run = model_run(spec, model, dask_frame(data))
        decided = run.with_decisions(dask_frame(data, 4)).compute()
    expected = predict_for_audit(model, data[FEATURES], "binary", ("no", "yes"), "approved")
    assert run.labels == ("no", "yes")
    assert decided[DECISION].tolist() == np.array(["no", "yes"], dtype=object)[expected.y_pred].tolist()
    np.testing.assert_array_equal(decided[SCORE].to_numpy(), expected.y_score)  # the same numbers, bit for bit


def test_the_model_is_one_task_of_the_graph(frame):
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    spec = AuditSpec(data=pd.DataFrame(), target="approved", sensitive=["sex"], model=model)
    with dask.config.set(scheduler="synchronous"):
        run = model_run(spec, model, dask_frame(frame))
    graph = dict(run.with_decisions(dask_frame(frame, 5)).__dask_graph__())
    names = [key[0] if isinstance(key, tuple) else key for key in graph]
    holding = [name for name in names if str(name).startswith("auditkit-model-")]
    assert len(holding) == 1  # shipped once, whatever the number of partitions


def _errors(settings: dict, data: pd.DataFrame) -> tuple[type, str, type, str]:
    """The exception type and message of the in-memory engine and of the Dask engine for the same settings."""
    found = []
    for engine in ("memory", "dask"):
        given = {"data": dask_frame(data), "engine": "dask", "scheduler": "synchronous"} if engine == "dask" else {
            "data": data}
        with pytest.raises(Exception) as caught:  # noqa: PT011 - compared below
            auditkit.audit(progress=False, **SETTINGS, **given, **settings)
        found += [caught.type, str(caught.value)]
    return tuple(found)


def test_a_pickle_is_refused_without_trust_as_in_memory(frame, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(LogisticRegression().fit(frame[FEATURES], frame["approved"])))
    memory_type, memory_message, dask_type, dask_message = _errors({"model": str(path)}, frame)
    assert memory_type is dask_type is ModelLoadError and dask_message == memory_message
    trusted = auditkit.audit(data=dask_frame(frame), engine="dask", scheduler="synchronous", progress=False,
                             **{**SETTINGS, "steps": ["performance"]}, model=str(path), trust_model=True)
    assert trusted.dataset["mode"] == "model"


def test_a_refused_model_file_starts_no_cluster(frame, tmp_path, monkeypatch):
    from auditkit.engine import dask_audit

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(LogisticRegression().fit(frame[FEATURES], frame["approved"])))
    started = []
    monkeypatch.setattr(dask_audit, "dask_scheduler", lambda scheduler: started.append(scheduler))
    with pytest.raises(ModelLoadError):
        auditkit.audit(data=dask_frame(frame), engine="dask", progress=False, **SETTINGS, model=str(path))
    assert started == []


@pytest.mark.parametrize(("model", "kind"), [
    (lambda f: LogisticRegression().fit(f[FEATURES], f["sex"]), ModelPredictionError),  # classes not the target's
    (lambda f: LogisticRegression(), InputError),  # not fitted
    (lambda f: LogisticRegression().fit(f[["income"]].rename(columns={"income": "salary"}), f["approved"]),
     InputError),  # a column the data does not have
])
def test_a_model_that_does_not_fit_the_data_is_refused_as_in_memory(model, kind, frame):
    memory_type, memory_message, dask_type, dask_message = _errors({"model": model(frame)}, frame)
    assert issubclass(memory_type, kind) and dask_type is memory_type
    assert dask_message == memory_message


@pytest.mark.parametrize(("change", "got"), [
    ({"sample": 100}, "got sample=100"),
    ({"task": "multiclass"}, "got task='multiclass'"),
])
def test_what_the_engine_does_not_do_with_a_model_is_refused(change, got, frame):
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    with pytest.raises(InputError, match=f"; {got}$"):
        auditkit.audit(data=dask_frame(frame), engine="dask", scheduler="synchronous", progress=False,
                       **{**SETTINGS, "model": model, **change})


def test_the_cli_audits_a_model_file_on_dask(frame, tmp_path):
    import skops.io as sio

    sio.dump(LogisticRegression().fit(frame[FEATURES], frame["approved"]), tmp_path / "model.skops")
    frame.to_parquet(tmp_path / "part-0.parquet", index=False)
    base = ["audit", "--data", str(tmp_path / "part-*.parquet"), "--target", "approved", "--sensitive", "sex",
            "--seed", "7", "--engine", "dask", "--scheduler", "synchronous", "--no-report", "-q"]
    assert cli.main([*base, "--model", str(tmp_path / "model.skops"), "--out", str(tmp_path / "out")]) == 0
    audit = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert audit["dataset"]["mode"] == "model" and audit["provenance"]["model"]["features"] == FEATURES


def test_the_cli_refuses_an_untrusted_pickle_with_exit_2(frame, tmp_path, capsys):
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(LogisticRegression().fit(frame[FEATURES], frame["approved"])))
    frame.to_parquet(tmp_path / "part-0.parquet", index=False)
    code = cli.main(["audit", "--data", str(tmp_path / "part-*.parquet"), "--target", "approved", "--sensitive",
                     "sex", "--engine", "dask", "--scheduler", "synchronous", "--model", str(tmp_path / "model.pkl"),
                     "--no-report", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("auditkit: error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_models_audit_on_a_local_cluster_gives_the_in_memory_numbers(frame, tmp_path):
    from distributed import LocalCluster

    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    back = parquet_parts(frame, tmp_path, np.array_split(np.arange(len(frame)), 3))
    settings = {**SETTINGS, "model": model}
    in_memory = auditkit.audit(data=back, progress=False, **settings).to_dict()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask",
                                 scheduler=cluster.scheduler_address, progress=False, **settings).to_dict()
    assert_same_numbers(on_dask, in_memory)


def _one_hot_logistic():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(make_column_transformer((OneHotEncoder(), ["sex"]), remainder="passthrough"),
                         LogisticRegression())


EXPLAINED = {  # model, its input columns, the shap step's options
    "linear explainer (background of audited rows)": (_one_hot_logistic, [*FEATURES, "sex"], {}),
    "tree explainer": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), FEATURES, {}),
    "permutation explainer (per-row seeds)": (_one_hot_logistic, [*FEATURES, "sex"],
                                              {"explainer": "permutation", "max_rows": 8, "n_permutations": 1,
                                               "background_size": 20}),
}


def assert_same_shap(on_dask, in_memory) -> None:
    """Same audit.json numbers (the SHAP step's included) and the same per-row artifacts."""
    assert_same_numbers(on_dask.to_dict(), in_memory.to_dict())
    for name, table in in_memory.step("shap").artifacts.items():
        pd.testing.assert_frame_equal(on_dask.step("shap").artifacts[name], table)


@pytest.mark.parametrize("case", list(EXPLAINED))
def test_shap_on_dask_explains_the_in_memory_rows_with_the_same_numbers(case, frame):
    make, columns, options = EXPLAINED[case]
    model = make().fit(frame[columns], frame["approved"])
    settings = {**SETTINGS, "model": model, "steps": ["performance", "shap"], "shap_rows": 40,
                "step_options": {"shap": options}}
    in_memory = auditkit.audit(data=frame, progress=False, **settings)
    on_dask = auditkit.audit(data=dask_frame(frame, 4), engine="dask", scheduler="synchronous", progress=False,
                             **settings)
    assert_same_shap(on_dask, in_memory)
    budget = on_dask.step("shap").payload["shap"]["budget"]
    assert budget["rows_audited"] == len(frame) and budget["rows_sampled"]
    assert budget["rows_explained"] == options.get("max_rows", 40)
    assert sum(g["rows_audited"] for g in budget["rows_by_group"]["sex"]) == len(frame)


def test_shap_of_parquet_partitions_names_the_rows_as_in_memory(frame, tmp_path):
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[FEATURES], frame["approved"])
    back = parquet_parts(frame, tmp_path, [slice(0, 0), slice(0, 90), slice(90, 90), slice(90, 500)])
    settings = {**SETTINGS, "model": model, "steps": ["shap"], "shap_rows": 30}
    in_memory = auditkit.audit(data=back, progress=False, **settings)
    on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask", scheduler="synchronous",
                             progress=False, **settings)
    assert_same_shap(on_dask, in_memory)  # row ids are positions in the data, not in a partition
    assert on_dask.step("shap").artifacts["rows"]["row_id"].astype(int).max() > 90


def test_shap_of_every_row_when_the_budget_allows(frame):
    small = frame.iloc[:60]
    model = LogisticRegression().fit(small[FEATURES], small["approved"])
    settings = {**SETTINGS, "model": model, "steps": ["shap"]}  # automatic budget: 1,000 rows > 60
    in_memory = auditkit.audit(data=small, progress=False, **settings)
    on_dask = auditkit.audit(data=dask_frame(small), engine="dask", scheduler="synchronous", progress=False,
                             **settings)
    assert_same_shap(on_dask, in_memory)
    assert on_dask.step("shap").payload["shap"]["budget"]["rows_sampled"] is False


@pytest.mark.parametrize(("settings", "got"), [
    ({"model": None, "predictions": "approved", "steps": ["fairness", "lime"]}, "got steps lime"),
    ({"model": None, "predictions": "approved", "steps": ["agreement"]}, "got steps agreement"),
    ({"model": None, "predictions": "approved", "steps": ["shap"]}, "got steps shap"),
])
def test_steps_the_engine_does_not_run_are_refused(settings, got, frame):
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    with pytest.raises(InputError, match=f"with the steps data_overview, data_bias, performance, fairness "
                                         f"\\(and shap, lime, agreement with a model\\); {got}$"):
        auditkit.audit(data=dask_frame(frame), engine="dask", scheduler="synchronous", progress=False,
                       **{**SETTINGS, "model": model, **settings})


@pytest.mark.slow
def test_shap_on_a_local_cluster_gives_the_in_memory_numbers_and_closes_the_cluster(frame, tmp_path):
    from distributed import get_client

    model = _one_hot_logistic().fit(frame[[*FEATURES, "sex"]], frame["approved"])
    back = parquet_parts(frame, tmp_path, np.array_split(np.arange(len(frame)), 3))
    settings = {**SETTINGS, "model": model, "steps": [*STEPS, "shap"], "shap_rows": 40}
    in_memory = auditkit.audit(data=back, progress=False, **settings)
    on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask", progress=False, **settings)
    assert_same_shap(on_dask, in_memory)
    with pytest.raises(ValueError, match="No global client found"):
        get_client()  # the LocalCluster started for the audit is closed
