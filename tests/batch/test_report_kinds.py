"""A plan's report: the report kinds (bias, explain, full, none, true/false), --report KIND, distinct titles."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from batch_fixtures import quick_plan, zoo_fixture  # noqa: F401 - the zoo fixture

from auditkit import InputError, cli
from auditkit.batch import BatchPlan, batch
from auditkit.batch.run import shared_group
from auditkit.batch.task import run_planned
from auditkit.report.document import title_text
from auditkit.report.notebooks import REPORT_STEPS

SETTINGS = {"datasets": {"g": "german"}, "models": {"m": "m.skops"}}


@pytest.fixture
def model_file(tmp_path):
    (tmp_path / "m.skops").touch()
    return tmp_path


@pytest.mark.parametrize(("report", "steps"), [
    ("bias", list(REPORT_STEPS["bias"])), ("explain", list(REPORT_STEPS["explain"])), ("full", None),
    ("none", None), (True, None), (False, None),
])
def test_a_plan_report_may_be_a_kind_and_the_audit_runs_its_steps(model_file, report, steps):
    plan = BatchPlan.from_dict({**SETTINGS, "defaults": {"report": report}}, base=model_file)
    audit = plan.audits[0]
    assert audit.report == report
    assert audit.spec.steps is None and audit.run_spec.steps == steps  # what audit_to_dir(report=...) runs


def test_steps_given_win_over_the_reports_steps(model_file):
    plan = BatchPlan.from_dict({**SETTINGS, "defaults": {"report": "bias", "steps": ["fairness"]}}, base=model_file)
    assert plan.audits[0].run_spec.steps == ["fairness"]


def test_audits_share_data_work_by_the_steps_their_report_runs(model_file):
    plan = BatchPlan.from_dict({**SETTINGS, "models": {"m": "m.skops", "n": "m.skops"}, "audits": [
        {"model": "m", "dataset": "g", "report": "bias"}, {"model": "n", "dataset": "g", "report": "bias"},
        {"model": "m", "dataset": "g", "report": "explain", "name": "m-explain"}]}, base=model_file)
    bias_m, bias_n, explain = plan.audits
    assert shared_group(bias_m) == shared_group(bias_n)
    assert shared_group(bias_m) != shared_group(explain)  # data_bias runs in the bias report only
    assert json.loads(shared_group(bias_m))["steps"] == ["data_overview", "data_bias"]
    assert json.loads(shared_group(explain))["steps"] == ["data_overview"]


@pytest.mark.parametrize(("settings", "message"), [
    ({"report": "pdf"}, r"plan audit 'm-g': report must be true or false or one of bias, explain, full, none; "
                        r"got 'pdf' \(str\)"),
    ({"report_timeout": 0}, r"plan audit 'm-g': report_timeout must be a number, above 0; got 0 \(int\)"),
])
def test_bad_report_settings_are_one_line(model_file, settings, message):
    with pytest.raises(InputError, match=message):
        BatchPlan.from_dict({**SETTINGS, "defaults": settings}, base=model_file)


def test_report_timeout_comes_from_the_plan(model_file):
    plan = BatchPlan.from_dict({**SETTINGS, "defaults": {"report_timeout": 90}}, base=model_file)
    assert plan.audits[0].report_timeout == 90


def test_a_report_given_to_the_batch_overrides_every_audits(model_file):
    plan = BatchPlan.from_dict({**SETTINGS, "models": {"m": "m.skops", "n": "m.skops"}, "audits": [
        {"model": "m", "dataset": "g", "report": "bias"}, {"model": "n", "dataset": "g"}]}, base=model_file)
    assert [a.report for a in plan.with_report("explain").audits] == ["explain", "explain"]
    assert [a.report for a in plan.with_report(None).audits] == ["bias", True]
    with pytest.raises(InputError, match=r"^report must be true or false or one of bias, explain, full, none; got "
                                         r"'html' \(str\)"):
        batch(plan, report="html", workers=1)  # checked before a cluster starts


@pytest.mark.parametrize("kind", ["bias", "explain", "full", "none"])
def test_the_batch_command_takes_report_kind(monkeypatch, tmp_path, kind):
    calls = []
    monkeypatch.setattr(sys.modules["auditkit.batch"], "batch",
                        lambda plan, **options: calls.append(options) or pd.DataFrame({"status": ["ok"]}))
    assert cli.main(["batch", "plan.yaml", "--out", str(tmp_path), "--report", kind, "-q"]) == 0
    assert calls[0]["report"] == kind


def test_the_batch_command_refuses_another_report_kind(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["batch", "plan.yaml", "--report", "pdf"])
    assert caught.value.code == 2
    assert "argument --report: invalid choice: 'pdf'" in capsys.readouterr().err


def test_two_models_of_a_batch_have_distinct_titles_named_by_the_plan(zoo, tmp_path):
    mapping = quick_plan(["logreg", "tree"])
    mapping["models"]["tree"]["name"] = "Decision tree v2"  # a name the plan gives wins over its key
    plan = BatchPlan.from_dict(mapping, base=zoo)
    titles = []
    for audit in plan.audits:
        assert run_planned(audit, str(tmp_path), key="k")["status"] == "ok"
        document = json.loads((tmp_path / audit.name / "audit.json").read_text(encoding="utf-8"))
        titles.append(title_text(document))
    assert titles == ["Audit of model logreg on loans", "Audit of model Decision tree v2 on loans"]


@pytest.mark.slow
def test_a_batch_renders_the_report_kind_the_plan_asks_for(zoo, tmp_path):
    plan = BatchPlan.from_dict(quick_plan(["logreg"], report="bias"), base=zoo)
    record = run_planned(plan.audits[0], str(tmp_path), key="k")
    assert record["status"] == "ok", record
    notebook = json.loads((tmp_path / "logreg-loans" / "report.ipynb").read_text(encoding="utf-8"))
    assert notebook["metadata"]["papermill"]["input_path"].endswith("bias_report.ipynb")
    html = (tmp_path / "logreg-loans" / "report.html").read_text(encoding="utf-8")
    assert "Audit of model logreg on loans" in html
