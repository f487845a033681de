"""Execute a report notebook with papermill: on the running Python, within a time limit, a failure named.

* The kernel is the Python running auditkit (``sys.executable``), from a kernel spec made for this
  run in a temporary folder: an installed ``python3`` kernel spec, missing or pointing to another
  Python, plays no part (never ``NoSuchKernel``, never a kernel without auditkit).
* The kernel may be started ahead (:class:`ReportKernel`, as ``audit_to_dir`` does before the audit runs):
  it starts and imports what the report notebooks import while the audit computes, on another core.
  Papermill runs the notebook on that kernel as on one it started itself.
* ``timeout`` bounds the whole report, not each cell: each cell may run for the time left
  (nbclient's ``timeout_func``); when it runs out, the kernel is interrupted and the report stops.
* A failure is one :class:`~auditkit.exceptions.ReportError` naming the cell (its index in the
  report notebook and its first line) and the error's last line; the partly executed notebook
  is kept, marked failed (``metadata.auditkit.status``, and a note in its first cell).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditkit.exceptions import ReportError

if TYPE_CHECKING:
    from auditkit.result import AuditResult

KERNEL_NAME = "python3"  # the name report notebooks (and their outputs) record; resolved to this Python
TIMEOUT_ERROR = "ReportTimeout"
# Cells papermill adds to a notebook it runs: not cells of the report notebook.
ADDED_CELL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
_LEAST_CELL_SECONDS = 0.01  # a cell started after the time ran out still gets a (hopeless) moment: 0 means no limit


def execute_notebook(source: Path, output: Path, parameters: dict[str, Any], *, timeout: float,
                     progress: bool = False, quiet: bool = False, kernel: ReportKernel | None = None) -> None:
    """Execute ``source`` into ``output`` with papermill, on this Python, in at most ``timeout`` seconds.

    The kernel runs in a fresh, empty working folder with matplotlib's Agg backend, so no file
    where auditkit was started can shadow a module the notebook imports. ``quiet`` lowers the
    kernel's own log to errors (it warns on every start that its local channel is not encrypted).
    ``kernel``: a :class:`ReportKernel` started ahead, used instead of starting one (its owner
    shuts it down).

    Raises
    ------
    ReportError
        A cell failed, the time ran out or the kernel died; ``output`` then holds the notebook as
        far as it ran, marked failed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> cells = [nbformat.v4.new_code_cell("n = 2"), nbformat.v4.new_code_cell("print(1 / (n - 2))")]
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "in.ipynb")
    >>> execute_notebook(folder / "in.ipynb", folder / "out.ipynb", {}, timeout=60)  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ReportError: the report notebook in.ipynb failed at cell 1 ("print(1 / (n - 2))"): \
ZeroDivisionError: division by zero
    """
    import papermill as pm

    from auditkit.report.papermill_engine import register_engine

    deadline = time.monotonic() + timeout
    with _kernel_or(kernel) as (manager, cwd), _agg_backend():
        try:
            pm.execute_notebook(
                str(source), str(output), parameters=parameters, cwd=str(cwd), progress_bar=progress,
                kernel_name=KERNEL_NAME, engine_name=register_engine(), km=manager, stdout_file=None,
                stderr_file=sys.stderr if progress else None,
                extra_arguments=_kernel_arguments(quiet),
                timeout_func=lambda cell: max(deadline - time.monotonic(), _LEAST_CELL_SECONDS),
                interrupt_on_timeout=True,
                error_on_timeout={"ename": TIMEOUT_ERROR, "evalue": f"the report ran out of its {timeout} s",
                                  "traceback": []},
            )
        except Exception as error:  # noqa: BLE001 - a failing cell, a dead kernel: named, the notebook kept
            raise _failure(source, output, error, timeout if time.monotonic() >= deadline else None) from None
    if failed_cell(output) is not None:  # stopped by a time-out that left no error output
        raise _failure(source, output, None, timeout if time.monotonic() >= deadline else None)


def failed_cell(notebook: Path, *, stopped: bool = False) -> tuple[int, Any] | None:
    """The cell where papermill's run of ``notebook`` stopped, as (index in the report notebook, cell); or None.

    The index counts the report notebook's own cells, from 0: the cells papermill adds (the
    injected parameters, its error notes) are not counted. The cell papermill marked failed;
    else, when the run ``stopped`` on an error papermill does not mark (the kernel died, its
    output never came), the last cell that started.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")]
    >>> cells[0].metadata["papermill"] = {"status": "completed", "start_time": "2026-01-01T00:00:00"}
    >>> cells[1].metadata["papermill"] = {"status": "failed", "start_time": "2026-01-01T00:00:01"}
    >>> path = Path(tempfile.mkdtemp()) / "out.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    >>> index, cell = failed_cell(path)
    >>> index, cell.source
    (1, '1 / 0')
    """
    import nbformat

    if not notebook.is_file():
        return None
    own = [cell for cell in nbformat.read(notebook, as_version=4).cells
           if not ADDED_CELL_TAGS & set(cell.metadata.get("tags", []))]
    runs = [(index, cell, cell.metadata.get("papermill", {})) for index, cell in enumerate(own)]
    failed = [(index, cell) for index, cell, run in runs if run.get("status") == "failed"]
    started = [(index, cell) for index, cell, run in runs if run.get("start_time")]
    if failed:
        return failed[0]
    return started[-1] if stopped and started else None


def _failure(source: Path, output: Path, error: BaseException | None, timed_out: float | None) -> ReportError:
    """The :class:`ReportError` of a run that stopped; ``output`` is marked failed."""
    found = failed_cell(output, stopped=True)
    index, cell = found if found is not None else (None, None)
    failure = ReportError(source.name, cell=index, source_line=_first_line(cell), error=_error_line(cell, error),
                          timeout=timed_out)
    if output.is_file():
        _mark_failed(output, str(failure))
    return failure


def _first_line(cell: Any) -> str:
    lines = [line.strip() for line in (cell.source if cell is not None else "").splitlines()]
    return next((line for line in lines if line and not line.startswith("#")), lines[0] if lines else "")


def _error_line(cell: Any, error: BaseException | None) -> str:
    """The last line a traceback would print: ``Type: message`` (the message on one line)."""
    outputs = [output for output in (cell.outputs if cell is not None and cell.cell_type == "code" else [])
               if output.output_type == "error"]
    if outputs:
        name, value = outputs[-1].ename, outputs[-1].evalue
    elif error is not None:
        name, value = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
    else:
        return ""
    value = " ".join(str(value).split())
    return f"{name}: {value}" if value else str(name)


def _mark_failed(notebook: Path, message: str) -> None:
    """Record the failure in ``notebook``: ``metadata.auditkit``, and a first cell saying what stopped it."""
    import nbformat

    from auditkit.report.summary import esc

    book = nbformat.read(notebook, as_version=4)
    book.metadata["auditkit"] = {"status": "failed", "error": message}
    note = nbformat.v4.new_markdown_cell(f"<p style='color:#c62828'><b>This report did not finish.</b> "
                                         f"{esc(message)}</p>")
    note.metadata["tags"] = ["papermill-error-cell-tag"]  # papermill's own tag for its error notes
    book.cells.insert(0, note)
    nbformat.write(book, notebook)


def _kernel_arguments(quiet: bool) -> list[str]:
    return ["--IPKernelApp.log_level=ERROR"] if quiet else []


@contextmanager
def _kernel_or(kernel: ReportKernel | None) -> Iterator[tuple[Any, Path]]:
    """``(kernel manager, working folder)``: of ``kernel`` (started ahead, left running), else of a new one."""
    if kernel is not None and kernel.started:
        kernel.hand_over()
        yield kernel.manager, kernel.cwd
        return
    with _kernel_folder() as (manager, cwd):
        yield manager, cwd


@contextmanager
def _kernel_folder() -> Iterator[tuple[Any, Path]]:
    """A kernel manager for this Python and an empty working folder, both removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="auditkit-kernel-"))
    try:
        cwd = folder / "cwd"
        cwd.mkdir()
        kernel = running_python_kernel(folder / "kernels")
        try:
            yield kernel, cwd
        finally:
            _shutdown(kernel)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


WARM_UP_IMPORTS = ("matplotlib.pyplot", "auditkit.notebook", "auditkit.report.document", "auditkit.report.sections")
"""What every report notebook imports: a kernel started ahead imports it while the audit still runs."""


class ReportKernel:
    """A report kernel started ahead of its notebook, in its own empty working folder, importing what reports use.

    ``start()`` launches the kernel (this Python, matplotlib's Agg backend) and asks it, without a
    reply and without counting an execution, to import :data:`WARM_UP_IMPORTS`; both happen in the
    kernel's own process while this one goes on. Its own log shows errors only (as with ``quiet``): its
    start-up warning would otherwise come among the audit's progress lines, long before the report.
    :func:`execute_notebook` given the kernel runs the notebook on it. A kernel that cannot start leaves
    ``started`` False: the report then starts its own, as without one, and fails there with the usual
    :class:`~auditkit.exceptions.ReportError`.
    Use it as a context manager: the kernel is shut down and its folder removed on leaving.

    Examples
    --------
    >>> with ReportKernel() as kernel:  # doctest: +SKIP
    ...     kernel.started
    True
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="auditkit-kernel-"))
        self.cwd = self.folder / "cwd"
        self.manager: Any = None
        self.started = False
        self._client: Any = None
        self._saved = 0

    def __enter__(self) -> ReportKernel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Launch the kernel and send it the warm-up imports (returns without waiting for either)."""
        from jupyter_core.utils import run_sync

        try:
            self.cwd.mkdir(exist_ok=True)
            self.manager = running_python_kernel(self.folder / "kernels")
            with _agg_backend():
                run_sync(self.manager.start_kernel)(cwd=str(self.cwd), extra_arguments=_kernel_arguments(True))
            self._client = self.manager.client()
            self._client.start_channels(iopub=False, stdin=False, hb=False, control=False)  # a request, no reply
            self._client.execute(f"import {', '.join(WARM_UP_IMPORTS)}", silent=True, store_history=False)
        except Exception:  # noqa: BLE001 - no kernel ahead: the report starts its own and reports any failure
            self._stop_client()
            self.started = False
            return
        self.started = True

    def draw_ahead(self, result: AuditResult) -> None:
        """Have the kernel draw the report's figures of ``result``'s last step, while the audit goes on.

        ``result`` is the audit so far. When its last step is one whose figures the report shows
        (:data:`~auditkit.report.drawing_ahead.SECTIONS_OF_STEP`), it is saved into the kernel's folder
        and the kernel is asked, without a reply, to draw those figures
        (:func:`~auditkit.report.drawing_ahead.draw_ahead`); the notebook then uses each one that shows
        the same numbers (:mod:`~auditkit.report.figure_cache`). The rest of the audit leaves the kernel a
        core (:func:`~auditkit.threads.leave_a_core`). Nothing happens for other steps, or when the kernel
        did not start.
        """
        from auditkit.report.drawing_ahead import SECTIONS_OF_STEP, save_so_far
        from auditkit.threads import leave_a_core

        step = result.steps[-1].name if result.steps else None
        if not self.started or self._client is None or step not in SECTIONS_OF_STEP:
            return
        self._saved += 1
        try:
            folder = save_so_far(result, self.folder / f"so-far-{self._saved}")
        except Exception:  # noqa: BLE001 - drawing ahead saves time only: the notebook draws every figure anyway
            return
        # stop_on_error=False: were it to fail, the kernel must not abort the report's cells queued after it
        self._client.execute(f"from auditkit.report.drawing_ahead import draw_ahead as _auditkit_draw_ahead\n"
                             f"_auditkit_draw_ahead({str(folder)!r}, ({step!r},))\ndel _auditkit_draw_ahead",
                             silent=True, store_history=False, stop_on_error=False)
        leave_a_core()  # the kernel now draws on one of them

    def hand_over(self) -> None:
        """Close the warm-up channels: papermill's client takes over the kernel (its requests queue after ours)."""
        self._stop_client()

    def close(self) -> None:
        """Shut the kernel down and remove its folder."""
        self._stop_client()
        try:
            if self.manager is not None:
                _shutdown(self.manager)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _stop_client(self) -> None:
        if self._client is not None:
            self._client.stop_channels()
            self._client = None


def running_python_kernel(spec_dir: Path):
    """A Jupyter kernel manager whose ``python3`` kernel runs this Python (``sys.executable``).

    The kernel spec is written into ``spec_dir`` (ipykernel's own, for this interpreter) and is
    the only one the manager looks at.

    Examples
    --------
    >>> import sys, tempfile
    >>> from pathlib import Path
    >>> kernel = running_python_kernel(Path(tempfile.mkdtemp()) / "kernels")
    >>> kernel.kernel_spec.argv[0] == sys.executable, kernel.kernel_spec.language
    (True, 'python')
    """
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    from auditkit.report.kernel_client import ReportKernelClient

    class ReportKernelManager(AsyncKernelManager):
        """Remembers the clients it makes (papermill's, given this manager, would keep its channels open), each with
        a session of its own.

        jupyter_client gives every client of a manager a copy of the manager's session: the same identity, to
        which the kernel sends the replies, and message ids counted from 0 again. Papermill's client, taking over
        from the one that drew figures ahead, would receive the replies to that one's requests still running,
        under the ids of its own first requests.
        """

        def client(self, **kwargs: Any) -> Any:
            made = super().client(**kwargs)
            made.session.session = str(uuid.uuid4())
            self.clients_made.append(made)
            return made

    spec_dir.mkdir(parents=True, exist_ok=True)
    write_kernel_spec(spec_dir / KERNEL_NAME)
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir)], ensure_native_kernel=False)
    manager = ReportKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    manager.client_factory = ReportKernelClient  # ready without waiting 0.2 s for IOPub to fall silent
    manager.clients_made = []
    return manager


def _shutdown(kernel) -> None:
    """Stop the report kernel and close its channels, whatever state the run left it in."""
    from jupyter_core.utils import run_sync

    if kernel.has_kernel:
        run_sync(kernel.shutdown_kernel)(now=True)
    # nbclient stops the channels only of a kernel it started: those of a manager it was given (ours) stay
    # open, each with a heartbeat thread and a zmq context (13 descriptors a report, kept until exit).
    for client in getattr(kernel, "clients_made", ()):
        if client.channels_running:
            client.stop_channels()


@contextmanager
def _agg_backend() -> Iterator[None]:
    """matplotlib's non-interactive backend for the kernel (it inherits the environment)."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before
