"""Report kernels leave nothing open behind them: descriptors, heartbeat threads, zmq contexts.

nbclient stops the channels only of kernels it starts itself; auditkit gives papermill its own kernel
manager, so before this was handled every report left a client's heartbeat thread and zmq context open
(13 descriptors a report: a notebook session ran out of them after some dozens of reports).
"""

from __future__ import annotations

import os
import threading

import nbformat
import pytest

from auditkit.report.execute import ReportKernel, execute_notebook


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _heartbeats() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if type(thread).__name__ == "HBChannel"]


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "in.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("n = 2")]), path)
    return path


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc (Linux)")
@pytest.mark.parametrize("ahead", [False, True], ids=["own kernel", "kernel started ahead"])
def test_reports_leave_no_descriptor_or_thread_open(notebook, tmp_path, ahead):
    def report() -> None:
        if ahead:
            with ReportKernel() as kernel:
                execute_notebook(notebook, tmp_path / "out.ipynb", {}, timeout=120, quiet=True, kernel=kernel)
        else:
            execute_notebook(notebook, tmp_path / "out.ipynb", {}, timeout=120, quiet=True)

    report()  # the first report may open what stays for the process (an event loop)
    before = _descriptors()
    report()
    report()
    assert _descriptors() <= before
    assert _heartbeats() == []


def test_a_kernel_started_ahead_and_closed_at_once_starts_no_heartbeat():
    """An audit that fails right away closes its kernel while the channels would still be starting."""
    with ReportKernel() as kernel:
        assert kernel.started
    assert _heartbeats() == []
