"""Papermill's nbclient engine, saving the executed notebook when the run starts and ends, not at every cell.

Papermill writes the whole output notebook when each cell starts and again when it ends: for a
report of 27 cells that is 55 writes of a notebook growing to 2 MB (its embedded figures), each one
serialised to JSON and checked against the notebook schema, about a second of the command's time
while the kernel waits. The engine :data:`ENGINE_NAME` saves it when the run starts, during a long
cell (papermill's ``autosave_cell_every``) and when the run ends, however it ends: a cell that
fails, a time-out or a kernel that dies still leave the notebook as far as it ran, as
:func:`auditkit.report.execute.execute_notebook` needs. The executed notebook is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

ENGINE_NAME = "auditkit"
"""The name this engine is registered under with papermill (:func:`register_engine`)."""


@cache
def register_engine() -> str:
    """Register the engine with papermill (once) and return its name, for ``engine_name=``.

    Examples
    --------
    >>> from papermill.engines import papermill_engines
    >>> papermill_engines.get_engine(register_engine()).__name__
    'SavedAtEndsEngine'
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SavedAtEndsManager(NotebookExecutionManager):
        """Papermill's execution record, with no save when a cell starts or completes."""

        _in_cell_event = False

        def save(self, **kwargs: Any) -> None:
            if not self._in_cell_event:
                super().save(**kwargs)

        @contextmanager
        def _unsaved(self) -> Iterator[None]:
            self._in_cell_event = True
            try:
                yield
            finally:
                self._in_cell_event = False

        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            with self._unsaved():
                super().cell_start(cell, cell_index, **kwargs)

        def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            with self._unsaved():
                super().cell_complete(cell, cell_index, **kwargs)

    class SavedAtEndsEngine(NBClientEngine):
        """Papermill's nbclient engine with :class:`SavedAtEndsManager` (``Engine.execute_notebook``'s steps)."""

        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                             progress_bar: bool = True, log_output: bool = False, autosave_cell_every: int = 30,
                             **kwargs: Any) -> Any:
            manager = SavedAtEndsManager(nb, output_path=output_path, progress_bar=progress_bar,
                                         log_output=log_output, autosave_cell_every=autosave_cell_every)
            manager.notebook_start()
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            finally:
                manager.cleanup_pbar()
                manager.notebook_complete()
            return manager.nb

    papermill_engines.register(ENGINE_NAME, SavedAtEndsEngine)
    return ENGINE_NAME
