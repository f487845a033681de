"""The batch's progress line: each running audit's current stage and count, from its workers' events.

A worker running an audit posts events (:func:`auditkit.batch.task.run_planned`): ``started``, ``log``
(a stage: ``running step shap``), ``count`` (``SHAP 300/1000 rows``) and ``finished``. The line
shows, for each audit running now, its stage and the last count within it:
``logreg-adult: shap (SHAP 300/1000 rows); forest-adult: fairness (bootstrap 400/1000 resamples)``.
"""

from __future__ import annotations

import threading
from typing import Any

PART_CHARS = 60  # an audit's part of the line is cut to this many characters
STAGES = (("running step ", None), ("loading data", "loading data, predicting"), ("rendering", "report"))


class ProgressLine:
    """The stage and count of each audit running now, updated by its events (from any thread).

    Examples
    --------
    >>> line = ProgressLine()
    >>> line.on({"audit": "a", "event": "started", "message": ""})
    'a: starting'
    >>> line.on({"audit": "a", "event": "log", "message": "running step shap"})
    'a: shap'
    >>> _ = line.on({"audit": "b", "event": "log", "message": "running step fairness"})
    >>> line.on({"audit": "a", "event": "count", "message": "SHAP 300/1000 rows"})
    'a: shap (SHAP 300/1000 rows); b: fairness'
    >>> line.on({"audit": "a", "event": "finished", "message": "ok"})
    'b: fairness'
    """

    def __init__(self) -> None:
        self.stages: dict[str, str] = {}
        self.counts: dict[str, str] = {}
        self._lock = threading.Lock()  # events arrive on the client's event loop, drops from the batch's loop

    def on(self, message: dict[str, Any]) -> str:
        """Take one event (a worker's message); return the line as it is now."""
        audit, event, text = str(message.get("audit")), message.get("event"), str(message.get("message") or "")
        with self._lock:
            self._take(audit, event, text)
        return self.text()

    def _take(self, audit: str, event: Any, text: str) -> None:
        if event == "started":
            self.stages[audit] = "starting"
            self.counts.pop(audit, None)
        elif event == "log":
            stage = stage_of(text)
            if stage is not None:
                self.stages[audit] = stage
                self.counts.pop(audit, None)
        elif event == "count" and audit in self.stages:
            self.counts[audit] = text
        elif event == "finished":
            self.stages.pop(audit, None)
            self.counts.pop(audit, None)

    def drop(self, audit: str) -> None:
        """Forget ``audit`` (it finished, failed or was stopped)."""
        with self._lock:
            self.stages.pop(audit, None)
            self.counts.pop(audit, None)

    def text(self) -> str:
        """The line: ``audit: stage (count)`` for each running audit, in the order they started."""
        parts = []
        with self._lock:
            running = [(audit, stage, self.counts.get(audit)) for audit, stage in self.stages.items()]
        for audit, stage, count in running:
            part = f"{audit}: {stage}" + (f" ({count})" if count else "")
            parts.append(part if len(part) <= PART_CHARS else part[:PART_CHARS - 1] + "…")
        return "; ".join(parts)


def stage_of(log_line: str) -> str | None:
    """The stage a log line of an audit starts (``running step shap`` -> ``shap``), or None for other lines.

    Examples
    --------
    >>> stage_of("running step data_bias"), stage_of("rendering the bias report notebook with papermill")
    ('data_bias', 'report')
    >>> stage_of("wrote /tmp/out/audit.json") is None
    True
    """
    for prefix, stage in STAGES:
        if log_line.startswith(prefix):
            return log_line[len(prefix):].strip() if stage is None else stage
    return None
