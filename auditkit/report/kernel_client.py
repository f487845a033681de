"""The report kernel's client: ready once the kernel has answered it, without waiting for IOPub to fall silent.

jupyter_client's ``wait_for_ready`` asks the kernel for ``kernel_info`` and, once answered, reads IOPub until
nothing has come for 0.2 s: a fixed 0.2 s that every report waited for nothing before its first cell (the
demo's report kernel is otherwise done within half a second of the audit). While the kernel is busy (drawing a
report's figures ahead), it also asks again every second. This client asks once, waits for the reply to its
own request (checking every second that the kernel is alive), then reads IOPub up to the kernel's ``idle``
status for that request. ZeroMQ keeps one socket's messages in order, so by then everything the kernel
published earlier has been read, which is what the wait for silence was for. When IOPub had not yet
subscribed as the kernel answered (ZeroMQ drops what a publisher sends before), that status never comes: the
client asks again after 0.2 s, as jupyter_client does.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

ALIVE_CHECK_SECONDS = 1.0  # while waiting for the kernel's reply, how often to check that it is still running
IDLE_WAIT_SECONDS = 0.2  # how long IOPub may take to show the kernel idle before asking again (jupyter_client's)


class ReportKernelClient(AsyncKernelClient):
    """An asynchronous kernel client whose :meth:`wait_for_ready` returns as soon as the kernel has answered it.

    Examples
    --------
    >>> from auditkit.report.execute import running_python_kernel
    >>> import tempfile
    >>> from pathlib import Path
    >>> running_python_kernel(Path(tempfile.mkdtemp()) / "kernels").client_factory is ReportKernelClient
    True
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait until the kernel has answered a ``kernel_info`` request and IOPub has shown it handled.

        Raises ``RuntimeError`` when the kernel dies first or ``timeout`` seconds pass (as jupyter_client).
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._reply_to(msg_id, deadline, timeout)
            if await self._idle_shown(msg_id, min(IDLE_WAIT_SECONDS, _left(deadline))):
                self._handle_kernel_info_reply(reply)
                return
            if _left(deadline) == 0:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, msg_id: str, deadline: float, timeout: float | None) -> dict[str, Any]:
        """The reply to request ``msg_id`` (replies to other requests are passed over)."""
        while True:
            try:
                reply = await self._async_recv_reply(msg_id, timeout=min(ALIVE_CHECK_SECONDS, _left(deadline)))
                if reply["msg_type"] == "kernel_info_reply":
                    return reply
            except TimeoutError:
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                if _left(deadline) == 0:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds") from None

    async def _idle_shown(self, msg_id: str, wait: float) -> bool:
        """Whether IOPub shows the kernel idle after request ``msg_id`` within ``wait`` s (reading what came before)."""
        end = time.monotonic() + wait
        while True:
            try:
                msg = await self.get_iopub_msg(timeout=_left(end))
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["parent_header"].get("msg_id") == msg_id
                    and msg["content"].get("execution_state") == "idle"):
                return True


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)
