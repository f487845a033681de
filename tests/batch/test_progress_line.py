"""Progress of a batch: each running audit's stage and its step's count (rows, resamples), from worker events."""

from __future__ import annotations

import pytest
from batch_fixtures import quick_plan, write_plan, zoo_fixture  # noqa: F401 - the zoo fixture

from auditkit.batch import BatchPlan, batch, task
from auditkit.batch.progress_line import PART_CHARS, ProgressLine
from auditkit.progress import progress_bar, progress_bars, watch_progress


class RecordingWorker:
    """Stands in for the Dask worker a task runs on: keeps the events the task posts."""

    address = "tcp://127.0.0.1:1"

    def __init__(self) -> None:
        self.events: list[dict] = []

    def get_current_task(self) -> str:
        return "audit-task"

    def log_event(self, topic: str, message: dict) -> None:
        assert topic == task.EVENT_TOPIC
        self.events.append(message)


def test_a_running_audit_posts_its_stages_and_its_steps_counts(zoo, tmp_path, monkeypatch):
    worker = RecordingWorker()
    monkeypatch.setattr(task, "_worker", lambda: worker)
    audit = BatchPlan.from_dict(quick_plan(["logreg"]), base=zoo).audits[0]
    assert task.run_planned(audit, str(tmp_path), key="k")["status"] == "ok"
    events = [(e["event"], e["message"]) for e in worker.events]
    assert events[0] == ("started", "") and events[-1] == ("finished", "ok")
    assert ("log", "running step fairness") in events
    counts = [message for event, message in events if event == "count"]
    assert "bootstrap 50/50 resamples" in counts  # data_bias's and fairness's resamples (n_boot 50)
    step = events.index(("log", "running step fairness"))
    assert events[step + 1][0] == "count"  # the count comes while its step runs
    assert all(e["audit"] == "logreg-loans" and e["worker"] == worker.address for e in worker.events)


def test_a_watched_bar_reports_its_first_and_last_count_and_not_every_one():
    seen = []
    with watch_progress(lambda *count: seen.append(count)), progress_bar(1000, "SHAP", "row") as bar:
        for _ in range(1000):
            bar.update(1)
    assert seen[0] == ("SHAP", 1, 1000, "row") and seen[-1] == ("SHAP", 1000, 1000, "row")
    assert len(seen) < 10  # at most about one a second


def test_drawn_bars_and_the_audits_own_bar_are_not_watched():
    seen = []
    with watch_progress(lambda *count: seen.append(count)):
        with progress_bar(3, "audit", "stage", outer=True) as bar:
            bar.update(3)
        with progress_bars(True), progress_bar(3, "SHAP", "row") as bar:
            bar.update(3)
    assert seen == []


def test_a_watcher_that_raises_never_stops_the_work():
    def broken(*count):
        raise RuntimeError("watcher broken")

    with watch_progress(broken), progress_bar(2, "SHAP", "row") as bar:
        bar.update(2)
    assert bar.n == 2


def test_the_line_shows_each_running_audit_with_its_stage_and_count():
    line = ProgressLine()
    line.on({"audit": "a", "event": "started"})
    line.on({"audit": "b", "event": "started"})
    line.on({"audit": "a", "event": "log", "message": "loading data and computing predictions"})
    assert line.text() == "a: loading data, predicting; b: starting"
    line.on({"audit": "a", "event": "log", "message": "running step shap"})
    line.on({"audit": "a", "event": "count", "message": "SHAP 300/1000 rows"})
    line.on({"audit": "a", "event": "log", "message": "wrote /tmp/a/audit.json"})  # not a stage: kept
    assert line.text() == "a: shap (SHAP 300/1000 rows); b: starting"
    line.on({"audit": "a", "event": "log", "message": "rendering the bias report notebook with papermill"})
    assert line.text() == "a: report; b: starting"  # a new stage drops the last one's count
    line.on({"audit": "b", "event": "finished", "message": "ok"})
    line.on({"audit": "b", "event": "count", "message": "late 1/1 rows"})  # after its end: ignored
    line.drop("a")
    assert line.text() == ""


def test_a_long_part_is_cut():
    line = ProgressLine()
    line.on({"audit": "x" * 80, "event": "started"})
    assert len(line.text()) == PART_CHARS and line.text().endswith("…")


@pytest.mark.slow
def test_the_batch_bar_shows_the_running_audits_counts(zoo, tmp_path, capfd):
    plan = write_plan(zoo, quick_plan(["logreg"]), "progress.yaml")
    summary = batch(plan, out=tmp_path / "out", workers=1, progress=True)
    assert summary["status"].tolist() == ["ok"]
    shown = capfd.readouterr().err
    assert "logreg-loans: data_bias (bootstrap 50/50 resamples)" in shown or (
        "logreg-loans: fairness (bootstrap 50/50 resamples)" in shown), shown[-2000:]
