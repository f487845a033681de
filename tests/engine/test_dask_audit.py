"""engine="dask": the same audit.json numbers as the in-memory engine, on a real LocalCluster; what it refuses."""

from __future__ import annotations

import hashlib

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers, numbers
from _frames import make_frame

import auditkit
from auditkit import cli
from auditkit.engine.dask_audit import dask_scheduler
from auditkit.exceptions import InputError

SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "seed": 7,
            "steps": ["data_overview", "performance", "fairness"], "step_options": {"fairness": {"n_boot": 200}}}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Two sensitive columns (one with missing values), a feature with missing values, a score column."""
    data = make_frame(600, seed=3)
    data.loc[data.index[::37], "region"] = None
    data.loc[data.index[::11], "income"] = np.nan
    return data


@pytest.fixture(scope="module")
def parts(frame, tmp_path_factory):
    """``frame`` as 3 Parquet and 3 CSV partitions: ``{format: pattern}``."""
    folder = tmp_path_factory.mktemp("parts")
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
        frame.iloc[rows].to_csv(folder / f"part-{i}.csv", index=False)
    return {"parquet": str(folder / "part-*.parquet"), "csv": str(folder / "part-*.csv")}


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def in_memory(frame) -> dict:
    return auditkit.audit(data=frame, progress=False, **SETTINGS).to_dict()


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_partitions_on_a_local_cluster_give_the_in_memory_numbers(kind, parts, scheduler, in_memory):
    result = auditkit.audit(data=parts[kind], engine="dask", scheduler=scheduler, progress=False, **SETTINGS)
    audit = result.to_dict()
    assert numbers(audit) == numbers(in_memory)
    assert audit["fairness"]["by_group"] and audit["performance"]["overall"]["n"] == 600  # not two empty audits
    assert [s["name"] for s in audit["steps"]] == ["data_overview", "performance", "fairness"]


def test_scores_and_data_bias_on_a_local_cluster_give_the_in_memory_numbers(frame, parts, scheduler):
    settings = {**SETTINGS, "scores": "score", "steps": ["data_overview", "data_bias", "performance", "fairness"],
                "step_options": {"fairness": {"n_boot": 100}, "data_bias": {"n_boot": 100}}}
    expected = auditkit.audit(data=frame, progress=False, **settings).to_dict()
    audit = auditkit.audit(data=parts["parquet"], engine="dask", scheduler=scheduler, progress=False,
                           **settings).to_dict()
    assert_same_numbers(audit, expected)
    assert audit["data"]["bias"]["proxies"] and audit["fairness"]["by_group"][0]["metrics"]["roc_auc"] is not None


def test_missing_values_and_intersections_are_counted_as_in_memory(parts, scheduler):
    audit = auditkit.audit(data=parts["parquet"], engine="dask", scheduler=scheduler, progress=False,
                           **SETTINGS).to_dict()
    groups = [row["group"] for row in audit["fairness"]["by_group"]]
    assert {"region": "(missing)"} in groups and {"sex": "female", "region": "(missing)"} in groups
    columns = {c["column"]: c["n_missing"] for c in audit["data"]["overview"]["columns"]}
    assert columns["income"] == 55 and columns["region"] == 17 and columns["sex"] == 0  # rows 0, 11, ... / 0, 37, ...


def test_provenance_names_the_engine_the_partitions_and_their_hashes(parts, scheduler):
    provenance = auditkit.audit(data=parts["parquet"], engine="dask", scheduler=scheduler, progress=False,
                                **SETTINGS).provenance
    files = provenance["data_files"]
    assert len(files) == 3
    for path, sha in files.items():
        with open(path, "rb") as handle:
            assert sha == hashlib.sha256(handle.read()).hexdigest()
    lines = "\n".join(f"part-{i}.parquet {files[p]}" for i, p in enumerate(sorted(files)))
    assert provenance["data_sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert provenance["data_format"] == {"engine": "dask", "format": "parquet", "partitions": 3,
                                         "pattern": parts["parquet"], "files_read": 3}


def _dask_frame(frame: pd.DataFrame) -> dd.DataFrame:
    """``frame`` in 4 partitions with its own dtypes (Dask would otherwise make its text columns ``string``)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=4)


def test_a_dask_dataframe_gives_the_in_memory_numbers(frame, in_memory):
    data = _dask_frame(frame)
    audit = auditkit.audit(data=data, engine="dask", scheduler="synchronous", progress=False, **SETTINGS).to_dict()
    assert numbers(audit) == numbers(in_memory)
    assert audit["provenance"]["data_format"]["partitions"] == 4 and audit["provenance"]["data_files"] == {}
    again = auditkit.audit(data=_dask_frame(frame), engine="dask", scheduler="synchronous",
                           progress=False, **SETTINGS).provenance["data_sha256"]
    assert again == audit["provenance"]["data_sha256"]


def test_the_cli_audits_partitions_on_a_scheduler(parts, scheduler, in_memory, tmp_path):
    import json

    out = tmp_path / "dask"
    code = cli.main(["audit", "--data", parts["parquet"], "--target", "approved", "--sensitive", "sex",
                     "--sensitive", "region", "--predictions", "decision", "--seed", "7", "--engine", "dask",
                     "--scheduler", scheduler, "--no-report", "--out", str(out), "-q"])
    assert code == 0
    audit = json.loads((out / "audit.json").read_text())
    assert audit["provenance"]["data_format"]["engine"] == "dask"
    assert [s["name"] for s in audit["steps"]] == ["data_overview", "data_bias", "performance", "fairness"]
    assert audit["performance"] == in_memory["performance"]


def test_the_default_local_cluster_is_closed_afterwards():
    from distributed import get_client

    with dask_scheduler(None):
        client = get_client()
        assert len(client.scheduler_info()["workers"]) == 2
    assert client.status == "closed"


SUPPORTED = ("engine='dask' audits the binary decisions of a column \\(predictions=COLUMN, optionally scores=COLUMN\\) "
             "or of a model \\(model=...\\), with no sample, with the steps data_overview, data_bias, performance, "
             "fairness \\(and shap, lime, agreement with a model\\); got ")


@pytest.mark.parametrize(("change", "got"), [
    ({"sample": 100}, "sample=100"),
    ({"steps": ["fairness", "shap"]}, "steps shap"),
    ({"steps": ["lime"]}, "steps lime"),
    ({"steps": ["agreement", "performance"]}, "steps agreement"),
    ({"task": "multiclass"}, "task='multiclass'"),
    ({"predictions": None}, "neither \\(the reference model is trained in memory only\\)"),
])
def test_unsupported_settings_name_what_the_engine_supports(change, got, parts):
    settings = {**SETTINGS, **change}
    with pytest.raises(InputError, match=f"^{SUPPORTED}{got}$"):
        auditkit.audit(data=parts["parquet"], engine="dask", progress=False, **settings)


def test_the_cli_refuses_an_unsupported_combination_with_exit_2(parts, tmp_path, capsys):
    code = cli.main(["audit", "--data", parts["parquet"], "--target", "approved", "--sensitive", "sex",
                     "--predictions", "decision", "--engine", "dask", "--steps", "fairness,shap", "--no-report",
                     "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("auditkit: error: --engine dask audits the binary decisions of a column")
    assert err.rstrip().endswith("with the steps data_overview, data_bias, performance, fairness (and shap, lime, "
                                 "agreement with a model); got steps shap")
    assert "Traceback" not in err


@pytest.mark.parametrize(("settings", "message"), [
    ({"data": "/nowhere/part-*.parquet"}, "^data matched no file: '/nowhere/part-\\*.parquet'; expected a "
                                           "Parquet/CSV path or pattern such as 'part-\\*.parquet'$"),
    ({"data": 7}, "^engine='dask' needs data as a path pattern of Parquet/CSV files .*; got 7 \\(int\\)$"),
    ({"data": "x.json"}, "^data matched no file: 'x.json'"),
    ({"data": "x.parquet", "engine": "spark"}, "^engine must be one of memory, dask; got 'spark' \\(str\\)$"),
    ({"data": "x.parquet", "engine": "memory", "scheduler": "tcp://h:1"},
     "^scheduler= applies to engine='dask' only; got engine='memory'$"),
])
def test_bad_engine_inputs_are_one_line_errors(settings, message):
    settings = {"engine": "dask", **SETTINGS, **settings}
    with pytest.raises(InputError, match=message):
        auditkit.audit(progress=False, **settings)


def test_a_missing_column_is_named(parts):
    with pytest.raises(InputError, match="^the data has no column 'decison'; its columns are income, debt, sex, "
                                         "region, approved, score, decision$"):
        auditkit.audit(data=parts["parquet"], engine="dask", scheduler="synchronous", progress=False,
                       **{**SETTINGS, "predictions": "decison"})
