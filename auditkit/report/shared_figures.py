"""A report's figures drawn by two processes: the report kernel, and the audit's own once its steps are done.

The report kernel draws each finished step's figures ahead (:mod:`auditkit.report.figure_cache`) while the
audit goes on; the audit's process then waits for it. The ``auditkit`` command, whose process is its own,
draws beside the kernel once its steps are done (:func:`auditkit.report.drawing_ahead.draw_beside`): each
figure goes to whichever process claims it first, in a folder both know (the kernel's). A claim is a file
made exclusively (``<key>.claim``); a figure the audit's process draws is published there as
``<key>.html`` (written whole, then renamed). The notebook, in the kernel, runs once the audit's process
has finished drawing, and takes each figure published for it. The report is the same either way, byte for
byte: the key names everything a figure shows (:func:`auditkit.report.figure_cache.figure_key`).
"""

from __future__ import annotations

import os
from pathlib import Path

_FOLDER: list[Path] = []  # the folder shared with the other process, when there is one


def share_in(folder: str | Path | None) -> None:
    """Claim and find figures in ``folder`` from now on (None: no other process draws).

    Examples
    --------
    >>> import tempfile
    >>> share_in(tempfile.mkdtemp())
    >>> sharing()
    True
    >>> share_in(None)
    >>> sharing()
    False
    """
    _FOLDER.clear()
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        _FOLDER.append(Path(folder))


def sharing() -> bool:
    """Whether figures are shared with another process (:func:`share_in`).

    Examples
    --------
    >>> share_in(None)
    >>> sharing()
    False
    """
    return bool(_FOLDER)


def claim(key: str) -> bool:
    """Whether this process may draw figure ``key``: True for the first process to ask (and when not sharing).

    Examples
    --------
    >>> import tempfile
    >>> share_in(tempfile.mkdtemp())
    >>> claim("abc"), claim("abc")
    (True, False)
    >>> share_in(None)
    """
    if not _FOLDER:
        return True
    try:
        os.close(os.open(_FOLDER[0] / f"{key}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def publish(key: str, html: str) -> None:
    """Make figure ``key``'s HTML available to the other process (whole or not at all).

    Examples
    --------
    >>> import tempfile
    >>> share_in(tempfile.mkdtemp())
    >>> publish("abc", "<img alt='rates'/>")
    >>> published("abc")
    "<img alt='rates'/>"
    >>> share_in(None)
    """
    if not _FOLDER:
        return
    path = _FOLDER[0] / f"{key}.html"
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)


def published(key: str) -> str | None:
    """Figure ``key``'s HTML as the other process published it, or None.

    Examples
    --------
    >>> import tempfile
    >>> share_in(tempfile.mkdtemp())
    >>> published("abc") is None
    True
    >>> publish("abc", "<img alt='rates'/>")
    >>> published("abc")
    "<img alt='rates'/>"
    >>> share_in(None)
    """
    if not _FOLDER:
        return None
    try:
        return (_FOLDER[0] / f"{key}.html").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
