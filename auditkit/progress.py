"""Progress bars on long work: over an audit's stages and inside the long steps.

Bars are drawn by ``tqdm.auto`` on stderr: a widget in JupyterLab (with ``ipywidgets``), text in a
terminal. An audit turns them on or off for as long as it runs (:func:`progress_bars`); the long
loops (SHAP rows, LIME explanations, bootstrap resamples) ask for a bar with :func:`progress_bar`
and get a silent one when bars are off, so a library function called on its own never draws.
Bars only count: they draw no random numbers and change no chunking, so an audit gives the same
``audit.json`` with and without them.

A batch worker draws no bar but may watch the counts (:func:`watch_progress`): the bars inside the
steps then report ``(what, done, total, unit)`` to a function, which the batch shows in its own line.

By default (``progress=None``) bars are drawn when the audit runs interactively, in a Jupyter
kernel or with stderr on a terminal, and never in pipes, log files, CI jobs or batch workers,
as pip and git do. The CLI draws them on stderr unless ``-q``.

Examples
--------
>>> from auditkit.progress import progress_bar, progress_bars
>>> with progress_bars(True), progress_bar(3, "work", "item") as bar:  # drawn on stderr
...     _ = bar.update(3)
>>> bar.n
3
>>> with progress_bars(False), progress_bar(3, "work", "item") as bar:
...     _ = bar.update(3)
>>> bar.n  # a silent bar: nothing drawn, nothing counted
0
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditkit.params import Boolean, validate

INNER_DELAY = 0.5  # seconds before a bar inside a step appears: work that ends sooner shows none
# The stages take very different times: no rate and no time left, the stage's name instead.
_OUTER_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit}s [{elapsed}{postfix}]"
_ENABLED: ContextVar[bool] = ContextVar("auditkit_progress", default=False)
_WATCHER: ContextVar[Callable[[str, int, int, str], None] | None] = ContextVar("auditkit_watcher", default=None)
WATCH_SECONDS = 1.0  # a watched bar reports at most this often (and always its first and last count)


def show_progress(progress: bool | None) -> bool:
    """Whether bars are drawn for the ``progress`` setting of an audit.

    Parameters
    ----------
    progress : bool or None
        ``True`` or ``False``; ``None`` for "when interactive" (see :func:`interactive`).

    Returns
    -------
    bool

    Examples
    --------
    >>> show_progress(True), show_progress(False)
    (True, False)
    >>> show_progress("yes")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: progress must be true or false; got 'yes' (str)
    """
    validate("progress", progress, [None, Boolean()])
    return interactive() if progress is None else bool(progress)


def interactive() -> bool:
    """True in a Jupyter kernel or when stderr is a terminal.

    Examples
    --------
    >>> interactive() in (True, False)
    True
    """
    return in_jupyter_kernel() or _is_terminal(sys.stderr)


def in_jupyter_kernel() -> bool:
    """True when running in a Jupyter kernel (JupyterLab, Notebook, VS Code), not a terminal IPython.

    Examples
    --------
    >>> in_jupyter_kernel()  # a doctest runs in a plain interpreter
    False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and hasattr(shell, "kernel")


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def progress_bars(progress: bool | None) -> Iterator[bool]:
    """Draw bars (or not) inside the ``with`` block; yields whether they are drawn.

    Parameters
    ----------
    progress : bool or None
        See :func:`show_progress`.

    Examples
    --------
    >>> with progress_bars(False) as shown:
    ...     shown
    False
    """
    enabled = show_progress(progress)
    tqdm_class()  # imported quietly now, before shap or papermill import it (bars or not)
    token = _ENABLED.set(enabled)
    try:
        yield enabled
    finally:
        _ENABLED.reset(token)


def progress_bar(total: int, desc: str, unit: str, *, outer: bool = False) -> Any:
    """A tqdm bar on stderr, silent unless bars are on (see :func:`progress_bars`).

    Parameters
    ----------
    total : int
        Units of work.
    desc : str
        What is counted, shown before the bar.
    unit : str
        Name of one unit.
    outer : bool, default False
        The audit's own bar: shown at once and kept when done. Bars inside a step appear
        after :data:`INNER_DELAY` seconds and disappear when done.

    Returns
    -------
    tqdm.tqdm
        Use it as a context manager and call ``update(n)``.

    Examples
    --------
    >>> with progress_bars(True), progress_bar(10, "rows", "row") as bar:
    ...     _ = bar.update(4)
    ...     _ = bar.update(6)
    >>> bar.n, bar.total
    (10, 10)
    >>> progress_bar(10, "rows", "row").disable  # outside an audit with bars on: silent
    True
    """
    enabled = _ENABLED.get()
    watcher = _WATCHER.get()
    if watcher is not None and not enabled and not outer:
        return _WatchedBar(total, desc, unit, watcher)
    tqdm = tqdm_class() if enabled else _std_tqdm()
    shape = {"leave": True, "bar_format": _OUTER_FORMAT} if outer else {"leave": False, "delay": INNER_DELAY}
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                **shape)


@contextmanager
def watch_progress(watcher: Callable[[str, int, int, str], None]) -> Iterator[None]:
    """Inside the ``with`` block, bars inside steps that are not drawn report their counts to ``watcher``.

    ``watcher(desc, done, total, unit)`` is called on a bar's first update, then at most every
    :data:`WATCH_SECONDS`, and when it reaches its total. The audit's own bar over its stages is not
    watched (its stages are logged).

    Examples
    --------
    >>> seen = []
    >>> with watch_progress(lambda *count: seen.append(count)), progress_bar(10, "SHAP", "row") as bar:
    ...     for _ in range(10):
    ...         _ = bar.update(1)
    >>> seen[0], seen[-1]
    (('SHAP', 1, 10, 'row'), ('SHAP', 10, 10, 'row'))
    """
    token = _WATCHER.set(watcher)
    try:
        yield
    finally:
        _WATCHER.reset(token)


class _WatchedBar:
    """A bar that draws nothing and reports its count to a watcher (see :func:`watch_progress`)."""

    disable = True

    def __init__(self, total: int, desc: str, unit: str, watcher: Callable[[str, int, int, str], None]) -> None:
        self.total, self.desc, self.unit, self.watcher = total, desc, unit, watcher
        self.n = 0
        self._reported: float | None = None

    def update(self, n: int = 1) -> None:
        import time

        self.n += n
        now = time.monotonic()
        if self._reported is None or now - self._reported >= WATCH_SECONDS or self.n >= self.total:
            self._reported = now
            try:
                self.watcher(self.desc, self.n, self.total, self.unit)
            except Exception:  # noqa: BLE001, S110 - watching never stops the work it watches
                pass

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        """Nothing to draw."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _WatchedBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def say_between_bars(log: Callable[[str], None] | None) -> Callable[[str], None]:
    """``log``, writing its lines above any bar on the screen instead of through it.

    Examples
    --------
    >>> say = say_between_bars(print)
    >>> say("loading data")
    loading data
    >>> say_between_bars(None)("nothing")
    """
    if log is None:
        return lambda message: None

    def say(message: str) -> None:
        with _std_tqdm().external_write_mode(file=sys.stderr):
            log(message)

    return say


def tqdm_class() -> type:
    """``tqdm.auto.tqdm``, imported without its warning for a kernel without ipywidgets.

    In a Jupyter kernel without ``ipywidgets`` the first import of ``tqdm.auto`` (by auditkit,
    shap or papermill) warns ``TqdmWarning: IProgress not found`` and then draws text bars,
    which work in JupyterLab too. auditkit depends on ``ipywidgets``, so this happens only in
    an environment where it was removed; the bars still work, and no warning is shown.

    Examples
    --------
    >>> import tqdm.auto
    >>> tqdm_class() is tqdm.auto.tqdm
    True
    """
    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found", category=TqdmWarning)
        from tqdm.auto import tqdm
    return tqdm


def _std_tqdm() -> type:
    from tqdm import tqdm

    return tqdm
