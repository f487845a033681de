"""The report kernel's client is ready once the kernel has answered it: it never waits for IOPub to fall silent,
asks once however long the kernel is busy, and still reads past what the kernel published before."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from queue import Empty

import pytest
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync

from auditkit.report.execute import running_python_kernel
from auditkit.report.kernel_client import ReportKernelClient


@pytest.fixture(scope="module")
def manager():
    kernels = running_python_kernel(Path(tempfile.mkdtemp()) / "kernels")
    run_sync(kernels.start_kernel)(extra_arguments=["--IPKernelApp.log_level=ERROR"])
    yield kernels
    run_sync(kernels.shutdown_kernel)(now=True)


class Recording:
    """Records a client's kernel_info requests and the IOPub reads that found nothing."""

    def __init__(self, client: AsyncKernelClient, monkeypatch) -> None:
        self.requests, self.empty_reads = 0, 0
        kernel_info, get_iopub_msg = client.kernel_info, client.iopub_channel.get_msg

        def counted_kernel_info():
            self.requests += 1
            return kernel_info()

        async def counted_iopub(*args, **kwargs):
            try:
                return await get_iopub_msg(*args, **kwargs)
            except Empty:
                self.empty_reads += 1
                raise

        monkeypatch.setattr(client, "kernel_info", counted_kernel_info)
        monkeypatch.setattr(client.iopub_channel, "get_msg", counted_iopub)


def _ready(manager, monkeypatch, busy_code: str | None = None) -> tuple[Recording, dict]:
    """A new client of ``manager`` made ready, while another client keeps the kernel busy with ``busy_code``."""
    other = manager.client()
    other.start_channels(iopub=False, stdin=False, hb=False, control=False)
    if busy_code is not None:
        other.execute(busy_code, silent=True, store_history=False)
    client = manager.client()
    client.start_channels()
    recording = Recording(client, monkeypatch)
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        code = client.execute("40 + 2")
        reply = run_sync(client._async_recv_reply)(code, timeout=60)
    finally:
        client.stop_channels()
        other.stop_channels()
    return recording, reply


def test_the_report_kernels_clients_are_report_kernel_clients(manager):
    assert isinstance(manager.client(), ReportKernelClient)


def test_an_idle_kernel_is_ready_without_a_wait_for_silence(manager, monkeypatch):
    recording, reply = _ready(manager, monkeypatch)
    assert reply["content"]["status"] == "ok"
    assert recording.requests == 1
    assert recording.empty_reads == 0  # jupyter_client's own ends with a 0.2 s read that finds nothing


def test_a_busy_kernel_is_asked_once_and_waited_for(manager, monkeypatch):
    recording, reply = _ready(manager, monkeypatch, busy_code="import time; time.sleep(2.5)")
    assert reply["content"]["status"] == "ok"
    assert recording.requests == 1  # jupyter_client's asks again every second while the kernel is busy
    assert recording.empty_reads == 0


def test_a_kernel_that_died_is_reported(monkeypatch):
    kernels = running_python_kernel(Path(tempfile.mkdtemp()) / "kernels")
    run_sync(kernels.start_kernel)(extra_arguments=["--IPKernelApp.log_level=ERROR"])
    client = kernels.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        run_sync(kernels.shutdown_kernel)(now=True)
        with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
            run_sync(client.wait_for_ready)(timeout=60)
    finally:
        client.stop_channels()


def test_a_kernel_that_does_not_answer_in_time_is_reported(manager, monkeypatch):
    other = manager.client()
    other.start_channels(iopub=False, stdin=False, hb=False, control=False)
    other.execute("import time; time.sleep(3)", silent=True, store_history=False)
    client = manager.client()
    client.start_channels()
    try:
        with pytest.raises(RuntimeError, match="Kernel didn't respond in 1 seconds"):
            run_sync(client.wait_for_ready)(timeout=1)
        run_sync(client.wait_for_ready)(timeout=60)  # and it is ready once the kernel has finished
    finally:
        client.stop_channels()
        other.stop_channels()
    asyncio.run(asyncio.sleep(0))


def test_each_client_has_a_session_of_its_own(manager):
    """Not jupyter_client's copy of the manager's: replies to one client's requests would reach the next one."""
    first, second = manager.client(), manager.client()
    assert first.session.session != second.session.session
    assert first.session.bsession != second.session.bsession  # the identity the kernel replies to
    assert first.session.msg_id != second.session.msg_id
