"""BatchPlan: the issue's plan form, merging of settings, paths from the plan's folder, one-line errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from batch_fixtures import write_plan

from auditkit import AuditSpec, InputError
from auditkit.batch import BatchPlan

ISSUE_PLAN = """\
# plan.yaml — relative paths resolve from the plan's folder
defaults: {seed: 0, steps: [performance, fairness, shap], sample: 500}
datasets:
  german: {data: german}
  loans: {data: data/loans.csv, target: approved, positive_label: 1, sensitive: [sex, region]}
models:
  logreg: {path: models/logreg.skops, source: "https://example.org/logreg", licence: MIT, version: "1.2"}
  forest: {path: models/forest.skops, trust_types: [sklearn.tree._tree.Tree]}
audits: all
"""


@pytest.fixture
def plan_folder(tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "models").mkdir()
    (tmp_path / "data" / "loans.csv").write_text("approved,sex,region\n1,f,n\n", encoding="utf-8")
    for name in ("logreg", "forest"):
        (tmp_path / "models" / f"{name}.skops").write_bytes(b"not read when the plan is built")
    (tmp_path / "plan.yaml").write_text(ISSUE_PLAN, encoding="utf-8")
    return tmp_path


def test_the_issue_plan_is_every_model_on_every_dataset(plan_folder, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # paths resolve from the plan's folder, not here
    plan = BatchPlan.from_yaml(plan_folder / "plan.yaml")
    assert plan.names == ["logreg-german", "logreg-loans", "forest-german", "forest-loans"]
    loans = plan.audits[1]
    assert (loans.model, loans.dataset) == ("logreg", "loans")
    assert loans.spec.data == str(plan_folder / "data" / "loans.csv")
    assert loans.spec.model == str(plan_folder / "models" / "logreg.skops")
    assert (loans.spec.target, loans.spec.positive_label, loans.spec.sensitive) == ("approved", 1, ["sex", "region"])
    assert (loans.spec.seed, loans.spec.sample, loans.spec.steps) == (0, 500, ["performance", "fairness", "shap"])
    assert (loans.spec.data_name, loans.spec.model_name) == ("loans", "logreg")
    assert plan.audits[0].spec.data == "german"  # a bundled name stays a name
    assert loans.model_info == {"source": "https://example.org/logreg", "licence": "MIT", "version": "1.2",
                                "trust_types": None, "openness": None}
    assert plan.audits[2].model_info["trust_types"] == ["sklearn.tree._tree.Tree"]
    assert all(audit.report for audit in plan.audits)


def test_model_provenance_goes_to_the_spec_where_it_has_the_setting(plan_folder):
    fields = {f.name for f in dataclasses.fields(AuditSpec)}
    plan = BatchPlan.from_yaml(plan_folder / "plan.yaml")
    forest = plan.audits[2]
    if "trust_types" in fields:
        assert forest.spec.trust_types == ["sklearn.tree._tree.Tree"]
    else:  # until the spec has the setting, the batch keeps it in its own record
        assert forest.model_info["trust_types"] == ["sklearn.tree._tree.Tree"]


def test_later_settings_win_defaults_dataset_model_audit(tmp_path):
    (tmp_path / "m.skops").touch()
    plan = BatchPlan.from_dict({
        "defaults": {"seed": 1, "sample": 100, "min_group_size": 5, "report": False},
        "datasets": {"g": {"data": "german", "seed": 2, "sample": 200}},
        "models": {"m": {"path": "m.skops", "name": "Model M", "features": ["age", "sex"]}},
        "audits": [{"model": "m", "dataset": "g"}, {"model": "m", "dataset": "g", "name": "again", "seed": 3,
                                                     "report": True}],
    }, base=tmp_path)
    first, second = plan.audits
    assert (first.spec.seed, first.spec.sample, first.spec.min_group_size, first.report) == (2, 200, 5, False)
    assert (second.name, second.spec.seed, second.report) == ("again", 3, True)
    assert (first.spec.model_name, first.spec.features) == ("Model M", ["age", "sex"])


def test_a_policy_file_resolves_from_the_plan_folder(tmp_path):
    (tmp_path / "m.skops").touch()
    (tmp_path / "policy.yaml").write_text("demographic_parity_difference: {max: 0.1}\n", encoding="utf-8")
    plan = BatchPlan.from_dict({"defaults": {"policy": "policy.yaml"}, "datasets": {"g": "german"},
                                "models": {"m": "m.skops"}}, base=tmp_path)
    assert plan.audits[0].spec.policy == str(tmp_path / "policy.yaml")


GOOD = {"datasets": {"g": {"data": "german"}}, "models": {"m": {"path": "m.skops"}}}


@pytest.mark.parametrize(("change", "message"), [
    ({"audit": "all"}, r"plan: unknown setting 'audit' \(did you mean 'audits'\?\); expected some of: defaults, "
                       "datasets, models, audits"),
    ({"datasets": {}}, "plan datasets must name at least one dataset, e.g. {german: {data: german}}"),
    ({"models": None}, "plan models must name at least one model, e.g. {logreg: {path: models/logreg.skops}}"),
    ({"datasets": {"g": {"target": "y"}}}, "plan dataset 'g' needs data: a CSV/Parquet path or a bundled dataset "
                                           "name"),
    ({"datasets": {"g": {"data": "missing.csv"}}}, r"plan dataset 'g': data file not found: missing.csv \(looked "
                                                  r"in .*\); expected a CSV/Parquet file or a bundled dataset name"),
    ({"datasets": {"g": {"data": "german", "model": "x.skops"}}}, "plan dataset 'g': unknown setting 'model'"),
    ({"datasets": {"bad name": "german"}}, "plan dataset name must be a name of letters, digits, '.', '_' or '-' "
                                           r"\(it names the audit's folder\); got 'bad name'"),
    ({"models": {"m": {"path": "gone.skops"}}}, r"plan model 'm': model file not found: gone.skops \(looked in "),
    ({"models": {"m": {"path": "m.skops", "license": "MIT"}}}, "plan model 'm': unknown setting 'license' "
                                                                r"\(did you mean 'licence'\?\)"),
    ({"models": {"m": {"path": 3}}}, r"plan model 'm': path must be a model file path; got 3 \(int\)"),
    ({"defaults": {"sampel": 300}}, r"plan defaults: unknown setting 'sampel' \(did you mean 'sample'\?\)"),
    ({"defaults": {"data": "adult"}}, "plan defaults: unknown setting 'data'"),
    ({"defaults": {"seed": "1"}}, r"plan audit 'm-g': seed must be an integer from 0 to 4294967295; got '1' \(str\)"),
    ({"defaults": {"report": "no"}}, r"plan audit 'm-g': report must be true or false or one of bias, explain, "
                                     r"full, none; got 'no' \(str\)"),
    ({"defaults": {"steps": ["fairnes"]}}, r"plan audit 'm-g': No step named 'fairnes' \(did you mean 'fairness'"),
    ({"audits": "every"}, "plan audits must be all or a non-empty list of {model: NAME, dataset: NAME}; "
                          "got 'every'"),
    ({"audits": [{"model": "x", "dataset": "g"}]}, r"plan audits\[0\]: model must be one of the plan's models "
                                                    r"\(m\); got 'x'"),
    ({"audits": [{"model": "m", "dataset": "g", "name": "a/b"}]}, "plan audit name must be"),
    ({"audits": [{"model": "m", "dataset": "g"}, {"model": "m", "dataset": "g"}]},
     r"plan audits name 'm-g' twice; give one of them another name: \(name: ...\)"),
    ({"audits": [{"model": "m", "dataset": "g", "sample": 5}]},
     r"plan audit 'm-g': sample must be an integer, at least 10; got 5 \(int\)"),
])
def test_plan_errors_are_one_line_and_name_the_part(tmp_path, change, message):
    (tmp_path / "m.skops").touch()
    with pytest.raises(InputError, match=message) as caught:
        BatchPlan.from_dict({**GOOD, **change}, base=tmp_path)
    assert "\n" not in str(caught.value)


def test_a_plan_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("- german\n", encoding="utf-8")
    with pytest.raises(InputError, match="plan file .*plan.yaml must hold a mapping"):
        BatchPlan.from_yaml(path)


def test_shorthand_entries_and_a_written_plan_round_trip(tmp_path):
    (tmp_path / "m.skops").touch()
    path = write_plan(tmp_path, {"datasets": {"g": "german"}, "models": {"m": "m.skops"}})
    plan = BatchPlan.from_yaml(path)
    assert [(a.name, a.spec.data, a.spec.model) for a in plan.audits] == [("m-g", "german", str(tmp_path / "m.skops"))]
