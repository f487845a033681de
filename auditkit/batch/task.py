"""One audit of a batch, as a Dask task: it never raises, it returns a record of what happened.

The record (a plain dict) is one row of the batch's summary before the audit's figures are added:
``name``, ``model``, ``dataset``, ``status`` (``ok``, ``partial`` when a step failed, ``failed``),
``error`` (one line), ``seconds``, ``worker``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditkit.batch.stamp import remove_stamp, write_stamp
from auditkit.exceptions import one_line_error
from auditkit.progress import watch_progress
from auditkit.runner import audit_to_dir

if TYPE_CHECKING:
    from auditkit.batch.plan import PlannedAudit
    from auditkit.batch.shared import SharedData

EVENT_TOPIC = "auditkit-batch"


def run_planned(audit: PlannedAudit, out_dir: str, key: str, shared: SharedData | None = None) -> dict[str, Any]:
    """Run one planned audit into ``out_dir/<name>`` and stamp the folder; return its record.

    Every error is caught and recorded (``status: failed`` with a one-line ``error``): one audit's
    failure never stops the others. While it runs on a Dask worker, its progress is posted to the
    client as events (topic ``auditkit-batch``, a dict with ``audit``, ``event``, ``message``):
    ``started``, ``log`` (each stage: ``running step shap``), ``count`` (the rows, resamples or
    explanations a long step has done: ``SHAP 300/1000 rows``, at most about once a second) and
    ``finished``.

    Examples
    --------
    >>> import tempfile
    >>> from auditkit.batch.plan import BatchPlan
    >>> plan = BatchPlan.from_dict({"defaults": {"sample": 300, "steps": ["performance"], "report": False},
    ...                             "datasets": {"g": "german"}, "models": {"m": "nowhere.skops"}}, check_files=False)
    >>> record = run_planned(plan.audits[0], tempfile.mkdtemp(), key="k")
    >>> record["status"], record["error"]
    ('failed', 'model file not found: .../nowhere.skops')
    """
    started = time.perf_counter()
    folder = Path(out_dir) / audit.name
    post = _poster(audit.name)
    post("started", "")
    record = {"name": audit.name, "model": audit.model, "dataset": audit.dataset, "status": "ok", "error": "",
              "seconds": 0.0, "worker": _worker_address()}
    try:
        remove_stamp(folder)
        with watch_progress(lambda desc, done, total, unit: post("count", f"{desc} {done}/{total} {unit}s")):
            result = audit_to_dir(audit.run_spec, folder, report=audit.report, report_timeout=audit.report_timeout,
                                  log=lambda line: post("log", line), quiet=True, progress=False, shared=shared)
    except Exception as exc:  # noqa: BLE001 - recorded: one audit's failure never stops the batch
        record.update(status="failed", error=one_line_error(exc), seconds=_since(started))
        post("finished", record["status"])
        return record
    if result.failed_steps:
        failure = next(f for f in result.findings if f.severity == "error")
        record.update(status="partial", error=failure.message.splitlines()[0])
    record["seconds"] = _since(started)
    write_stamp(folder, key, record)
    post("finished", record["status"])
    return record


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):  # not on a Dask worker
        return None


def _worker_address() -> str | None:
    worker = _worker()
    return None if worker is None else worker.address


def _poster(name: str):
    """A function posting ``(event, message)`` of audit ``name`` to the client (nothing off a Dask worker)."""
    worker = _worker()
    task = None if worker is None else worker.get_current_task()

    def post(event: str, message: str) -> None:
        if worker is not None:
            worker.log_event(EVENT_TOPIC, {"audit": name, "event": event, "message": message,
                                           "worker": worker.address, "task": task})

    return post
