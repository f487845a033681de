"""Run a batch on Dask distributed: a LocalCluster of worker processes, or an existing cluster by address.

One code path: each audit is one task (:func:`~auditkit.batch.task.run_planned`). Work on a dataset that
does not depend on the model (:mod:`auditkit.batch.shared`) is one task per dataset with more audits than
worker threads; the audits of that dataset submitted after it finished take its result as input, those
submitted before do that work themselves (no worker waits for it). Audits are submitted as worker threads
free up (never queued on a worker), so a worker process that dies takes only the audit it was running with
it. Worker processes run one audit at a time (one thread each), so report kernels never share a process.
An audit that fails is recorded, an audit over the time limit is stopped (its worker is restarted), an
audit whose worker dies is retried once and then recorded as failed; the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from auditkit.batch.index import write_outputs
from auditkit.batch.plan import BatchPlan, PlannedAudit
from auditkit.batch.progress_line import ProgressLine
from auditkit.batch.scheduling import submission_order, worker_environment
from auditkit.batch.shared import DATA_STEPS, prepare_shared
from auditkit.batch.stamp import audit_key, read_stamp
from auditkit.batch.task import EVENT_TOPIC, run_planned
from auditkit.cluster import dask_client
from auditkit.exceptions import InputError, one_line_error
from auditkit.params import Interval, Text, validate
from auditkit.progress import progress_bar, progress_bars, say_between_bars
from auditkit.report.output_folder import check_out_dir

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client, Future

T = TypeVar("T")
DEFAULT_OUT = "reports/batch"
WORKER_RETRIES = 1  # a worker that dies mid-audit: the audit runs once more, then it is recorded as failed
POLL_SECONDS = 0.2
NO_WORKERS_SECONDS = 120.0  # a cluster without a worker this long: the audits left are recorded as failed
MAX_ATTEMPTS = 5  # an audit resubmitted this often (its workers dying while it waited) is recorded as failed
# Settings that concern the model only: audits differing in them share their dataset's work.
MODEL_SETTINGS = ("model", "model_name", "trust_model", "trust_types", "features", "model_source", "model_licence",
                  "model_version", "model_openness", "policy")


def batch(plan: BatchPlan | str | Path | dict, *, out: str | Path = DEFAULT_OUT, workers: int | None = None,
          scheduler: str | None = None, timeout: float | None = None, report: bool | str | None = None,
          progress: bool | None = None, log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run every audit of a plan on Dask distributed; write ``summary.csv`` and ``index.html``; return the summary.

    Each audit writes its own folder, ``out/<audit name>`` (``audit.json``, ``model_card.md``,
    ``report.html``). An audit whose folder is complete for the same settings and inputs (see
    :mod:`auditkit.batch.stamp`) is not run again: re-running a plan resumes it.

    Parameters
    ----------
    plan : BatchPlan, path or dict
        The plan, its YAML file, or its mapping (see :class:`~auditkit.batch.BatchPlan`).
    out : path, default "reports/batch"
        The batch's folder.
    workers : int, optional
        Worker processes of a new ``distributed.LocalCluster`` (default: the machine's cores).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to run on instead; its workers
        need auditkit installed and must see ``out`` and the plan's files at the same paths.
    timeout : float, optional
        Seconds an audit may run (its report included); one that runs longer is stopped (its worker
        process is restarted) and recorded as failed. Default: no limit.
    report : bool or {"bias", "explain", "full", "none"}, optional
        The report of every audit, whatever the plan says (default: as the plan says).
    progress : bool, optional
        A bar over the batch with the running audits' stages (default: when interactive).
    log : callable, optional
        Called with a line as each audit finishes.

    Returns
    -------
    pandas.DataFrame
        One row per audit, as in ``summary.csv`` (see :func:`auditkit.batch.summary.summary_frame`).

    Examples
    --------
    >>> summary = batch("plan.yaml", out="reports/zoo", workers=2)  # doctest: +SKIP
    >>> summary[["name", "status", "seconds"]]  # doctest: +SKIP
    """
    validate("workers", workers, [None, Interval(int, 1)])
    validate("scheduler", scheduler, [None, Text("a scheduler address such as tcp://host:8786")])
    validate("timeout", timeout, [None, Interval(float, 0, closed="neither")])
    if workers is not None and scheduler is not None:
        raise InputError("pass either workers= (a new local cluster) or scheduler= (an existing one), not both")
    plan = _plan_from(plan).with_report(report)
    out = check_out_dir(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    say = say_between_bars(log)
    data_hashes: dict[str, str] = {}
    keys = {audit.name: audit_key(audit, data_hashes) for audit in plan.audits}
    records = _resumed(plan, out, keys)
    todo = [audit for audit in plan.audits if audit.name not in records]
    with ExitStack() as cluster:
        with progress_bars(progress), progress_bar(len(plan.audits), "batch", "audit", outer=True) as bar:
            bar.update(len(records))
            for name in records:
                say(f"{name}: complete already (settings and inputs unchanged), skipped")
            if todo:
                client = cluster.enter_context(_client(workers, scheduler))
                records.update(_Run(client, out, keys, timeout, bar, say).run(todo))
        return _written_while_closing(cluster, lambda: write_outputs(plan, records, out))


def _plan_from(plan: Any) -> BatchPlan:
    if isinstance(plan, BatchPlan):
        return plan
    if isinstance(plan, dict):
        return BatchPlan.from_dict(plan)
    if isinstance(plan, str | os.PathLike):
        return BatchPlan.from_yaml(plan)
    raise InputError(f"plan must be a BatchPlan, a plan file path or a mapping; got {type(plan).__name__}")


def _resumed(plan: BatchPlan, out: Path, keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Records of the audits complete already, marked ``resumed``."""
    found = {}
    for audit in plan.audits:
        record = read_stamp(out / audit.name, keys[audit.name])
        if record is not None:
            found[audit.name] = {**record, "resumed": True}
    return found


@contextmanager
def _client(workers: int | None, scheduler: str | None) -> Iterator[Client]:
    # The batch retries audits itself (only those that were running when their worker died): Dask does not.
    config = {"distributed.scheduler.allowed-failures": 0,
              "distributed.scheduler.worker-saturation": 1.0,
              "distributed.nanny.pre-spawn-environ": worker_environment()}
    # Dask's own log lines stay silent: each audit's error reaches the user through its record, and a worker's
    # heartbeat racing the cluster's close logged an ERROR with a traceback after a successful batch.
    with dask_client(scheduler, workers=workers or os.cpu_count() or 1, config=config,
                     silence_logs=logging.CRITICAL) as client:
        yield client


def _written_while_closing(cluster: ExitStack, write: Callable[[], T]) -> T:
    """``write()`` in another thread while this one closes what ``cluster`` holds; what ``write`` returned.

    Closing a LocalCluster takes 1-2 s, mostly waiting for its worker processes to stop; the batch's
    summary and comparison page are written in that time instead of after it. The closing stays in this
    thread: a Dask client is closed in the thread that opened it.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditkit-batch-pages") as pool:
        written = pool.submit(write)
        cluster.close()
        return written.result()


class _Run:
    """The batch's tasks on one client: submitted, watched (time limits, dead workers), recorded."""

    def __init__(self, client: Client, out: Path, keys: dict[str, str], timeout: float | None, bar: Any,
                 say: Callable[[str], None]) -> None:
        self.client, self.out, self.keys, self.timeout, self.bar, self.say = client, out, keys, timeout, bar, say
        self.started: dict[str, tuple[float, str, str]] = {}  # audit -> (when it started here, worker, task key)
        self.deaths: dict[str, int] = {}  # audit -> times its worker died while running it
        self.attempts: dict[str, int] = {}  # audit -> times it was submitted
        self.shared: dict[str, Future] = {}  # audit -> the shared work it takes
        self.records: dict[str, dict[str, Any]] = {}
        self.line = ProgressLine()  # the running audits' stages, shown after the bar
        self.no_workers_since: float | None = None  # when the cluster was last seen without a worker

    def run(self, audits: list[PlannedAudit]) -> dict[str, dict[str, Any]]:
        """Submit no more audits than there are worker threads, so a worker that dies holds only its own audit."""
        self.client.subscribe_topic(EVENT_TOPIC, self._on_event)
        try:
            self.shared = _submit_shared(self.client, audits, sum(self.client.nthreads().values()))
            waiting, pending = submission_order(audits), {}
            while waiting or pending:
                threads = sum(self.client.nthreads().values())
                if self._without_workers(threads):
                    self._give_up([*waiting, *pending.values()])
                    break
                free = threads - len(pending) - self._shared_running()
                while waiting and free > 0:
                    audit = waiting.pop(0)
                    pending[self._submit(audit)] = audit
                    free -= 1
                pending = self._poll(pending)
                _wait_for_one(pending)
        finally:
            self.client.unsubscribe_topic(EVENT_TOPIC)
        return self.records

    def _submit(self, audit: PlannedAudit) -> Future:
        """Submit ``audit``, with its shared data work when that is done (else it does that work itself)."""
        self.started.pop(audit.name, None)
        self.attempts[audit.name] = self.attempts.get(audit.name, 0) + 1
        shared = self.shared.get(audit.name)
        ready = shared if shared is not None and shared.status == "finished" else None
        return self.client.submit(run_planned, audit, str(self.out), self.keys[audit.name], ready,
                                  key=f"audit-{audit.name}-{uuid.uuid4().hex[:8]}", pure=False)

    def _without_workers(self, threads: int) -> bool:
        """True once the cluster has had no worker for :data:`NO_WORKERS_SECONDS` (else the batch waits forever)."""
        if threads > 0:
            self.no_workers_since = None
            return False
        self.no_workers_since = self.no_workers_since or time.monotonic()
        return time.monotonic() - self.no_workers_since > NO_WORKERS_SECONDS

    def _give_up(self, audits: list[PlannedAudit]) -> None:
        error = (f"no Dask worker was available for {NO_WORKERS_SECONDS:g} s (the workers died or none connected "
                 "to the scheduler); the audit did not run")
        for audit in audits:
            self._finish(audit, _failed(audit, error, self.started.get(audit.name)))

    def _shared_running(self) -> int:
        """Shared tasks not done yet: each holds a worker thread."""
        return len({future.key for future in self.shared.values() if not future.done()})

    def _poll(self, pending: dict[Future, PlannedAudit]) -> dict[Future, PlannedAudit]:
        still = {}
        for future, audit in pending.items():
            if future.done():
                record = self._record(future, audit)
                if record is None:  # to run again (its worker died, or the shared work failed)
                    still[self._submit(audit)] = audit
                    continue
                self._finish(audit, record)
            elif self._overdue(audit):
                self._stop(future, audit)
            else:
                still[future] = audit
        return still

    def _record(self, future: Future, audit: PlannedAudit) -> dict[str, Any] | None:
        if future.status == "finished":
            return future.result()
        shared = self.shared.get(audit.name)
        if shared is not None and shared.status in ("error", "cancelled"):
            self.shared.pop(audit.name)  # the shared work failed, not this audit: it runs on its own
            return None
        exc = future.exception() if future.status == "error" else None
        if type(exc).__name__ == "KilledWorker":
            started = self.started.get(audit.name)
            innocent = started is None or started[2] != future.key
            if innocent and self.attempts.get(audit.name, 0) <= MAX_ATTEMPTS:
                return None  # it was waiting on a worker that died running another audit: not its fault
            self.deaths[audit.name] = self.deaths.get(audit.name, 0) + 1
            if self.deaths[audit.name] <= WORKER_RETRIES:
                return None
            error = (f"the worker process running this audit died {WORKER_RETRIES + 1} times (killed, out of "
                     "memory or crashed); the other audits went on")
        else:
            error = one_line_error(exc) if exc is not None else f"the task was {future.status}"
        return _failed(audit, error, self.started.get(audit.name))

    def _overdue(self, audit: PlannedAudit) -> bool:
        start = self.started.get(audit.name)
        return self.timeout is not None and start is not None and time.monotonic() - start[0] > self.timeout

    def _stop(self, future: Future, audit: PlannedAudit) -> None:
        """Stop an audit over the time limit: forget its task, restart the worker process running it."""
        worker = self.started[audit.name][1]
        self.client.cancel([future], force=True)
        try:
            self.client.restart_workers([worker], raise_for_error=True)
        except Exception as exc:  # noqa: BLE001 - e.g. a worker without a nanny: it finishes the audit unseen
            self.say(f"{audit.name}: could not restart worker {worker}: {one_line_error(exc)}")
        self._finish(audit, _failed(audit, f"timed out after {self.timeout:g} s (timeout); the audit was stopped",
                                    self.started.get(audit.name)))

    def _finish(self, audit: PlannedAudit, record: dict[str, Any]) -> None:
        self.records[audit.name] = {**record, "resumed": False}
        self.line.drop(audit.name)
        self.bar.set_postfix_str(self.line.text(), refresh=False)
        self.bar.update(1)
        done = f"[{len(self.records)}/{len(self.keys)}]"
        error = f": {record['error']}" if record.get("error") else ""
        self.say(f"{done} {audit.name}: {record['status']} in {record.get('seconds') or 0:.1f} s{error}")

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        if not isinstance(message, dict):
            return
        if message.get("event") == "started":
            self.started[message["audit"]] = (time.monotonic(), message.get("worker"), message.get("task"))
        self.bar.set_postfix_str(self.line.on(message))


def _wait_for_one(pending: dict[Future, PlannedAudit]) -> None:
    """Return when one pending audit is done, or after :data:`POLL_SECONDS` (time limits, workers gone)."""
    if not pending:
        time.sleep(POLL_SECONDS)
        return
    from distributed import wait

    try:
        wait(list(pending), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
    except TimeoutError:
        pass


def _failed(audit: PlannedAudit, error: str, started: tuple[float, str, str] | None) -> dict[str, Any]:
    seconds = 0.0 if started is None else round(time.monotonic() - started[0], 3)
    return {"name": audit.name, "model": audit.model, "dataset": audit.dataset, "status": "failed", "error": error,
            "seconds": seconds, "worker": None if started is None else started[1]}


def _submit_shared(client: Client, audits: list[PlannedAudit], threads: int) -> dict[str, Future]:
    """One task of shared data work per group of audits of the same data larger than ``threads``; audit -> its future.

    The shared task holds a worker thread while it runs, and the audits that start meanwhile do the
    data work themselves; so sharing pays only when a group has more audits than there are threads
    (with fewer, every audit of the group starts at once and sharing would only delay one of them).
    """
    groups: dict[str, list[PlannedAudit]] = {}
    for audit in audits:
        groups.setdefault(shared_group(audit), []).append(audit)
    shared = {}
    for members in groups.values():
        if len(members) < 2 or len(members) <= threads:
            continue
        future = client.submit(prepare_shared, members[0].run_spec, key=f"shared-{members[0].dataset}-"
                               f"{uuid.uuid4().hex[:8]}", pure=False)
        shared.update({audit.name: future for audit in members})
    return shared


def shared_group(audit: PlannedAudit) -> str:
    """Audits with the same group share their data work: the same dataset, data settings and data-only steps.

    Examples
    --------
    >>> from auditkit.batch.plan import BatchPlan
    >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"a": "a.skops", "b": "b.skops"},
    ...                             "audits": "all"}, check_files=False)
    >>> shared_group(plan.audits[0]) == shared_group(plan.audits[1])
    True
    """
    spec = audit.run_spec
    settings = {key: value for key, value in spec.to_dict().items() if key not in MODEL_SETTINGS}
    settings["steps"] = [name for name in spec.step_names if name in DATA_STEPS]
    settings["step_options"] = {name: options for name, options in settings["step_options"].items()
                                if name in DATA_STEPS}
    return json.dumps({"dataset": audit.dataset, **settings}, default=repr, sort_keys=True)

