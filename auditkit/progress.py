"""Progress bars on long work: over an audit's stages and inside the long steps.

Bars are drawn by ``tqdm.auto`` on stderr: a widget in JupyterLab (with ``ipywidgets``), text in a
terminal. An audit turns them on or off for as long as it runs (:func:`progress_bars`); the long
loops (SHAP rows, LIME explanations, bootstrap resamples) ask for a bar with :func:`progress_bar`
and get a silent one when bars are off, so a library function called on its own never draws.
Bars only count: they draw no random numbers and change no chunking, so an audit gives the same
``audit.json`` with and without them.

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
    tqdm = tqdm_class() if enabled else _std_tqdm()
    shape = {"leave": True, "bar_format": _OUTER_FORMAT} if outer else {"leave": False, "delay": INNER_DELAY}
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                **shape)


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
