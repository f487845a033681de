"""Running a batch on a real Dask LocalCluster: isolation of failures, shared data work, resuming, dead workers."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from batch_fixtures import quick_plan, write_plan, zoo_fixture  # noqa: F401 - the zoo fixture

import auditkit
from auditkit import AuditSpec, InputError, build_context
from auditkit.batch import BatchPlan, SharedData, batch, prepare_shared
from auditkit.batch.shared import step_key
from auditkit.batch.stamp import STAMP_FILE
from auditkit.result import StepResult
from auditkit.steps import DataBiasStep, DataOverviewStep

TIMINGS = ["seconds", "resumed"]


# --- the runner's hook: shared data work ----------------------------------------------------------------------


def _german(**settings) -> AuditSpec:
    """Existing decisions on the German credit data (no model to train: quick)."""
    frame = auditkit.datasets.load("german").frame
    decided = frame.assign(decision=frame["duration_months"].le(18).map({True: "good", False: "bad"}))
    defaults = {"data": decided, "target": "credit_risk", "positive_label": "good", "sensitive": ["sex", "age_group"],
                "predictions": "decision", "sample": 300, "seed": 1,
                "steps": ["data_overview", "data_bias", "performance"], "step_options": {"data_bias": {"n_boot": 50}}}
    return AuditSpec(**{**defaults, **settings})


def test_an_audit_with_shared_work_equals_a_solo_audit():
    spec = _german()
    shared = prepare_shared(spec)
    with_shared, solo = auditkit.audit(spec, shared=shared, progress=False), auditkit.audit(spec, progress=False)
    for step in ("data_overview", "data_bias"):
        assert with_shared.step(step).payload == solo.step(step).payload
        assert [f.id for f in with_shared.step(step).findings] == [f.id for f in solo.step(step).findings]
    assert with_shared.to_dict()["data"] == solo.to_dict()["data"]


def test_shared_results_are_reused_only_for_the_same_rows_and_settings():
    spec = _german()
    ctx = build_context(spec)
    planted = StepResult(name="data_overview", section="data", payload={"overview": {"planted": True}})
    shared = SharedData(prepare_shared(spec).loaded, {step_key(DataOverviewStep(), ctx): planted})
    reused = auditkit.audit(spec, shared=shared, progress=False)
    assert reused.step("data_overview").payload == {"overview": {"planted": True}}  # taken, not recomputed
    other_rows = auditkit.audit(_german(sample=200), shared=shared, progress=False)
    assert "planted" not in other_rows.step("data_overview").payload["overview"]  # other rows: computed
    reused.step("data_overview").payload["overview"]["planted"] = False
    assert planted.payload["overview"]["planted"] is True  # each audit gets its own copy


def test_a_step_key_tells_apart_what_data_steps_read():
    spec = _german()
    ctx = build_context(spec)
    key = step_key(DataBiasStep(n_boot=50), ctx)
    assert key == step_key(DataBiasStep(n_boot=50), build_context(_german()))
    assert key != step_key(DataBiasStep(n_boot=60), ctx)
    assert key != step_key(DataBiasStep(n_boot=50), build_context(_german(seed=2)))
    assert key != step_key(DataBiasStep(n_boot=50), build_context(_german(min_group_size=10)))


def test_shared_must_be_shared_data():
    with pytest.raises(InputError, match=r"shared must be an auditkit.batch.SharedData or None; got 'x' \(str\)"):
        auditkit.audit(_german(), shared="x", progress=False)


# --- a real LocalCluster ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_worker_batch(zoo, tmp_path_factory):
    """logreg, tree and a model that raises on predict, on 2 worker processes."""
    out = tmp_path_factory.mktemp("batch") / "out"
    plan = write_plan(zoo, quick_plan(["logreg", "tree", "broken"]), "two_workers.yaml")
    summary = batch(plan, out=out, workers=2, progress=False)
    return plan, out, summary


def test_a_failing_audit_is_recorded_and_the_others_complete(two_worker_batch):
    _, out, summary = two_worker_batch
    rows = summary.set_index("name")
    assert rows["status"].to_dict() == {"logreg-loans": "ok", "tree-loans": "ok", "broken-loans": "failed"}
    assert rows.loc["broken-loans", "error"] == ("the model raised while predicting: RuntimeError: this model is "
                                                 "broken on purpose (in predict)")
    assert not (out / "broken-loans" / STAMP_FILE).exists()
    for name in ("logreg-loans", "tree-loans"):
        assert (out / name / STAMP_FILE).is_file() and (out / name / "audit.json").is_file()
    written = pd.read_csv(out / "summary.csv")
    assert written["name"].tolist() == ["logreg-loans", "tree-loans", "broken-loans"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "href='logreg-loans/audit.json'" in page  # no report rendered: the link is to the audit
    assert "broken on purpose" in page and page.count("<img ") == 1


def test_batch_audits_equal_solo_audits_of_the_same_spec(two_worker_batch):
    plan_path, out, _ = two_worker_batch
    for planned in BatchPlan.from_yaml(plan_path).audits[:2]:
        solo = auditkit.audit(planned.spec, progress=False).to_dict()
        document = json.loads((out / planned.name / "audit.json").read_text(encoding="utf-8"))
        for section in ("data", "performance", "fairness"):
            assert document[section] == json.loads(json.dumps(solo[section])), (planned.name, section)


def test_rerunning_the_plan_skips_complete_audits(two_worker_batch, tmp_path):
    plan_path, out, first = two_worker_batch
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    plan = BatchPlan.from_yaml(plan_path)
    done = BatchPlan(audits=plan.audits[:2], base=plan.base)  # without the failed audit: nothing left to run
    summary = batch(done, out=copy, workers=1, progress=False)
    assert summary["resumed"].tolist() == [True, True]
    columns = [c for c in first.columns if c not in TIMINGS]
    expected = first[columns].iloc[:2]
    pd.testing.assert_frame_equal(summary[columns], expected[columns], check_dtype=False)


@pytest.mark.slow
def test_a_half_written_audit_runs_again(two_worker_batch, tmp_path):
    plan_path, out, _ = two_worker_batch
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "tree-loans" / "audit.json").write_text('{"half": ', encoding="utf-8")
    plan = BatchPlan.from_yaml(plan_path)
    summary = batch(BatchPlan(audits=plan.audits[:2], base=plan.base), out=copy, workers=1, progress=False)
    assert summary.set_index("name")["resumed"].to_dict() == {"logreg-loans": True, "tree-loans": False}
    assert summary["status"].tolist() == ["ok", "ok"]
    assert json.loads((copy / "tree-loans" / "audit.json").read_text(encoding="utf-8"))["schema_version"] == "1"


@pytest.mark.slow
def test_one_and_two_workers_give_the_same_summary(two_worker_batch, tmp_path):
    plan_path, _, two = two_worker_batch
    one = batch(plan_path, out=tmp_path / "one", workers=1, progress=False)
    columns = [c for c in two.columns if c not in TIMINGS]
    pd.testing.assert_frame_equal(one[columns], two[columns])
    first = pd.read_csv(tmp_path / "one" / "summary.csv").drop(columns=TIMINGS)
    assert first.equals(pd.read_csv(two_worker_batch[1] / "summary.csv").drop(columns=TIMINGS))


@pytest.mark.slow
def test_a_killed_worker_loses_only_its_audit(zoo, tmp_path):
    (zoo / "flaky.marker").unlink(missing_ok=True)
    plan = write_plan(zoo, quick_plan(["logreg", "killer", "flaky", "tree"]), "killers.yaml")
    summary = batch(plan, out=tmp_path / "out", workers=2, progress=False).set_index("name")
    assert summary["status"].to_dict() == {"logreg-loans": "ok", "killer-loans": "failed", "flaky-loans": "ok",
                                           "tree-loans": "ok"}
    assert summary.loc["killer-loans", "error"].startswith("the worker process running this audit died 2 times")


@pytest.mark.slow
def test_an_audit_over_the_time_limit_is_stopped(zoo, tmp_path):
    plan = write_plan(zoo, quick_plan(["logreg", "sleepy"]), "sleepy.yaml")
    summary = batch(plan, out=tmp_path / "out", workers=2, timeout=20, progress=False).set_index("name")
    assert summary["status"].to_dict() == {"logreg-loans": "ok", "sleepy-loans": "failed"}
    assert summary.loc["sleepy-loans", "error"] == "timed out after 20 s (timeout); the audit was stopped"


@pytest.mark.slow
def test_reports_render_in_two_workers_at_once(zoo, tmp_path):
    plan = write_plan(zoo, quick_plan(["logreg", "tree"], report=True), "reports.yaml")
    summary = batch(plan, out=tmp_path / "out", workers=2, progress=False)
    assert summary["status"].tolist() == ["ok", "ok"]
    for name in summary["name"]:
        assert (tmp_path / "out" / name / "report.html").stat().st_size > 10_000
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "logreg-loans/report.html" in page


def test_options_are_checked_before_a_cluster_starts(zoo):
    plan = quick_plan(["logreg"])
    with pytest.raises(InputError, match=r"workers must be an integer, at least 1; got 0 \(int\)"):
        batch(plan, workers=0)
    with pytest.raises(InputError, match="pass either workers= .* or scheduler= .*, not both"):
        batch(plan, workers=1, scheduler="tcp://127.0.0.1:1")

