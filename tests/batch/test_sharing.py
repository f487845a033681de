"""When a batch shares a dataset's data work: groups with more audits than worker threads, and no audit waits for it.

These check the batch's scheduling decisions with a client that records what it is asked to submit (and a real
cluster without workers); the results of shared work on a real LocalCluster are checked in test_run.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_fixtures import quick_plan, zoo_fixture  # noqa: F401 - the zoo fixture

from auditkit.batch import BatchPlan
from auditkit.batch.run import _Run, _submit_shared


class Submitted:
    """A future as the batch sees it: a key and a status."""

    def __init__(self, key: str, status: str = "pending") -> None:
        self.key, self.status = key, status

    def done(self) -> bool:
        return self.status != "pending"


class RecordingClient:
    """Records each submission (function name, arguments) and returns a pending future."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def submit(self, function, *args, key: str, pure: bool):
        self.calls.append((function.__name__, args))
        return Submitted(key)


@pytest.fixture
def plan(tmp_path) -> BatchPlan:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.skops").touch()
    return BatchPlan.from_dict({"datasets": {"german": "german", "compas": "compas"},
                                "models": {"a": "a.skops", "b": "b.skops", "c": "c.skops"},
                                "audits": [{"model": m, "dataset": "german"} for m in "abc"]
                                + [{"model": m, "dataset": "compas"} for m in "ab"]}, base=Path(tmp_path))


@pytest.mark.parametrize(("threads", "shared_datasets"), [
    (1, ["german", "compas"]), (2, ["german"]), (3, []), (8, []),
])
def test_data_work_is_shared_where_a_dataset_has_more_audits_than_threads(plan, threads, shared_datasets):
    client = RecordingClient()
    shared = _submit_shared(client, plan.audits, threads)
    assert [args[0].data for _, args in client.calls] == shared_datasets  # one shared task per dataset
    assert sorted(shared) == sorted(a.name for a in plan.audits if a.dataset in shared_datasets)


def test_an_audit_takes_the_shared_work_only_once_it_is_done(plan, tmp_path):
    client = RecordingClient()
    run = _Run(client, tmp_path, {a.name: "key" for a in plan.audits}, None, bar=None, say=print)
    run.shared = _submit_shared(client, plan.audits, threads=2)
    shared_future = run.shared["a-german"]
    assert run._shared_running() == 1  # it holds a thread while it runs
    run._submit(plan.audits[0])
    assert client.calls[-1][1][3] is None  # not done: the audit does the data work itself, nothing waits
    shared_future.status = "finished"
    assert run._shared_running() == 0
    run._submit(plan.audits[1])
    assert client.calls[-1][1][3] is shared_future
    run._submit(plan.audits[3])
    assert client.calls[-1][1][3] is None  # compas: not shared


def test_a_cluster_without_workers_fails_the_audits_instead_of_waiting_forever(zoo, tmp_path, monkeypatch):
    from distributed import LocalCluster

    from auditkit.batch import batch, run

    monkeypatch.setattr(run, "NO_WORKERS_SECONDS", 1.0)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        summary = batch(BatchPlan.from_dict(quick_plan(["logreg", "tree"]), base=zoo), out=tmp_path / "out",
                        scheduler=cluster.scheduler_address, progress=False)
    assert summary["status"].tolist() == ["failed", "failed"]
    assert summary["error"].tolist() == ["no Dask worker was available for 1 s (the workers died or none connected "
                                         "to the scheduler); the audit did not run"] * 2
