"""``AuditResult.from_json``: a saved audit loads back with the same tables, artifacts, findings and document.

Tables are compared with ``assert_frame_equal`` as they are: every step builds its tables from
its JSON payload both when it runs and when it is loaded, so no dtype needs normalising.
Artifacts come back from parquet, where text columns may be read as pandas' string dtype
when the in-memory frame holds Python objects; they are compared with ``check_dtype=False``.
"""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from _result_fixtures import full_audit, quick_audit, task_audit

from auditkit import AuditResult, StepResult
from auditkit.exceptions import DataReadError
from auditkit.report.render import write_audit
from auditkit.result import to_jsonable

OLD_TOP_LEVEL = {"schema_version", "provenance", "dataset", "data", "performance", "fairness", "explanations",
                 "checks", "findings"}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit")
    write_audit(full_audit(), folder)
    return folder


@pytest.fixture(scope="module")
def loaded(saved):
    return AuditResult.from_json(saved)


def test_every_table_of_a_full_audit_loads_back_equal(loaded):
    original = full_audit()
    assert loaded.tables() == original.tables()
    compared = 0
    for step, names in original.tables().items():
        for name in names:
            pd.testing.assert_frame_equal(loaded.table(step, name), original.table(step, name))
            compared += 1
    assert compared == 25


def test_the_document_round_trips(loaded):
    assert loaded.to_dict() == full_audit().to_dict()
    assert loaded.findings == full_audit().findings
    assert [(s.name, s.section) for s in loaded.steps] == [(s.name, s.section) for s in full_audit().steps]


def test_the_file_itself_loads_like_its_folder(saved, loaded):
    from_file = AuditResult.from_json(str(saved / "audit.json"))
    assert from_file.to_dict() == loaded.to_dict()
    assert set(from_file.step("shap").artifacts) == {"values", "features", "rows"}


def test_artifacts_and_payloads_are_there_for_the_plots(loaded):
    for step in full_audit().steps:
        twin = loaded.step(step.name)
        assert twin.payload == to_jsonable(step.payload)
        assert set(twin.artifacts) == set(step.artifacts)
        for name, frame in step.artifacts.items():
            pd.testing.assert_frame_equal(twin.artifacts[name], frame, check_dtype=False)
    assert set(loaded.step("shap").artifacts) == {"values", "features", "rows"}


def test_a_loaded_audit_shows_as_the_original(loaded):
    assert loaded._repr_html_() == full_audit()._repr_html_()
    assert repr(loaded) == repr(full_audit())


def test_audit_json_stays_schema_1_and_only_adds_a_steps_index(saved):
    doc = json.loads((saved / "audit.json").read_text())
    assert doc["schema_version"] == "1"
    assert set(doc) == OLD_TOP_LEVEL | {"steps"}
    assert doc["steps"][3] == {"name": "fairness", "section": "fairness",
                               "payload_keys": ["by_group", "disparities", "comparisons", "calibration", "settings",
                                                "min_group_size"],
                               "n_findings": len(full_audit().step("fairness").findings), "artifacts": []}
    assert doc["steps"][4]["artifacts"] == ["values", "features", "rows"]
    assert sum(entry["n_findings"] for entry in doc["steps"]) == len(doc["findings"])


def test_an_audit_json_without_the_steps_index_loads_the_same_tables(saved, tmp_path):
    doc = json.loads((saved / "audit.json").read_text())
    del doc["steps"]
    (tmp_path / "audit.json").write_text(json.dumps(doc))
    (tmp_path / "artifacts").mkdir()
    for parquet in (saved / "artifacts").iterdir():
        (tmp_path / "artifacts" / parquet.name).write_bytes(parquet.read_bytes())
    old = AuditResult.from_json(tmp_path)
    original = full_audit()
    assert [s.name for s in old.steps] == [s.name for s in original.steps]
    for step, names in original.tables().items():
        for name in names:
            pd.testing.assert_frame_equal(old.table(step, name), original.table(step, name))
    assert old.findings == original.findings
    assert set(old.step("shap").artifacts) == {"values", "features", "rows"}
    assert {k: v for k, v in old.to_dict().items() if k != "steps"} == doc


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_multiclass_and_regression_tables_load_back_equal(task, tmp_path):
    result = task_audit(task)
    write_audit(result, tmp_path)
    loaded = AuditResult.from_json(tmp_path)
    for step, names in result.tables().items():
        for name in names:
            pd.testing.assert_frame_equal(loaded.table(step, name), result.table(step, name))
    assert loaded.to_dict() == result.to_dict()


def test_a_failed_step_loads_back_as_failed(tmp_path, monkeypatch):
    from auditkit.steps import performance

    def boom(self, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(performance.PerformanceStep, "run", boom)
    result = quick_audit(steps=["performance", "fairness"])
    write_audit(result, tmp_path)
    loaded = AuditResult.from_json(tmp_path)
    assert loaded.failed_steps == ["performance"] and loaded.step("performance").tables == {}
    assert loaded.to_dict() == result.to_dict()


def test_a_step_this_installation_does_not_know_keeps_its_payload(tmp_path):
    result = copy.deepcopy(quick_audit(steps=["fairness"]))
    result.steps.append(StepResult("custom", "checks", payload={"custom_score": 0.5}))
    write_audit(result, tmp_path)
    loaded = AuditResult.from_json(tmp_path)
    assert loaded.step("custom").payload == {"custom_score": 0.5} and loaded.step("custom").tables == {}
    assert loaded.to_dict() == result.to_dict()


def test_loading_what_is_not_an_audit_names_the_problem(tmp_path):
    with pytest.raises(DataReadError, match=r"folder .* has no audit.json; expected an audit folder or its"):
        AuditResult.from_json(tmp_path)
    with pytest.raises(DataReadError, match=r"missing.json does not exist"):
        AuditResult.from_json(tmp_path / "missing.json")
    (tmp_path / "audit.json").write_text('{"schema_version": "2"}')
    with pytest.raises(DataReadError, match=r"schema_version '2' is not supported \(expected '1'\)"):
        AuditResult.from_json(tmp_path)
    (tmp_path / "audit.json").write_text("not json")
    with pytest.raises(DataReadError, match=r"is not an audit.json \(not JSON text"):
        AuditResult.from_json(tmp_path)


def test_loading_the_same_payload_again_copies_its_tables_rather_than_building_them(saved, monkeypatch):
    from auditkit.registry import get_step

    builds = []
    fairness = get_step("fairness")
    build = fairness.tables_from_payload

    def counted(payload):
        builds.append(payload)
        return build(payload)

    monkeypatch.setattr(fairness, "tables_from_payload", counted)
    first = AuditResult.from_json(saved)
    second = AuditResult.from_json(saved)
    assert len(builds) == 1  # the report kernel loads each audit so far, with the same fairness step each time
    for name, table in first.step("fairness").tables.items():
        pd.testing.assert_frame_equal(table, second.step("fairness").tables[name])
        assert table is not second.step("fairness").tables[name]
    name = next(iter(first.step("fairness").tables))
    first.step("fairness").tables[name].iloc[0, 0] = None  # a user's change to one loaded audit
    assert not first.step("fairness").tables[name].equals(second.step("fairness").tables[name])
    assert AuditResult.from_json(saved).step("fairness").tables[name].equals(second.step("fairness").tables[name])


def test_a_changed_payload_builds_its_tables_anew(saved, tmp_path):
    doc = json.loads((saved / "audit.json").read_text())
    before = AuditResult.from_json(saved).table("fairness", "sex")
    for row in doc["fairness"]["by_group"]:
        if row["group"] == {"sex": "female"}:
            row["n"] += 1
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "audit.json").write_text(json.dumps(doc))
    after = AuditResult.from_json(changed).table("fairness", "sex")
    assert after.set_index("sex").loc["female", "n"] == before.set_index("sex").loc["female", "n"] + 1
