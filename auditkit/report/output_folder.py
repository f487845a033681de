"""The output folder of an audit: checked before the audit runs, locked for one run, written atomically.

A run stages every file in a hidden folder inside the output folder (same file system, so a move
is an atomic ``os.replace``) and moves the files in only once they are complete: a full disk or an
interrupt leaves the previous outputs intact, never a truncated file. While it runs, the folder is
locked (``.auditkit.lock``, an advisory ``flock`` that dies with its process, so a lock left by a
killed run is taken over); a second run on the same folder refuses instead of mixing outputs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

from auditkit.exceptions import InputError

# Every file name auditkit writes at the top of an output folder; one run replaces or removes all of them.
OUTPUT_FILES = ("audit.json", "report.ipynb", "report.html", "report.pdf", "report.failed.ipynb", "model_card.md")
ARTIFACTS_DIR = "artifacts"
LOCK_NAME = ".auditkit.lock"
STAGING_PREFIX = ".auditkit-staging-"


def check_out_dir(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is, or can become, a writable folder; raise :class:`InputError` if not.

    Nothing is created. Checked: a UTF-8 name, not a file, not under a file, writable.

    Examples
    --------
    >>> str(check_out_dir("reports/audit"))
    'reports/audit'
    """
    out = Path(path)
    shown = show_path(out)
    try:
        os.fsencode(out).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"output folder name {shown} is not valid UTF-8; choose a name in UTF-8") from None
    try:
        if out.exists() and not out.is_dir():
            raise InputError(f"output folder {shown} is a file; expected a folder (existing or to be created)")
        existing = next(p for p in (out, *out.parents) if p.exists())
        writable = os.access(existing, os.W_OK | os.X_OK)
    except OSError as exc:  # e.g. a parent folder that may not be searched
        raise InputError(f"output folder {shown} cannot be used: {exc.strerror}") from None
    if not existing.is_dir():
        raise InputError(f"output folder {shown} cannot be created: {show_path(existing)} is a file, not a folder")
    if not writable:
        where = "" if existing == out else f" cannot be created: {show_path(existing)}"
        raise InputError(f"output folder {shown}{where} is not writable")
    return out


def show_path(path: Path) -> str:
    """``path`` as the user wrote it; bytes that are not UTF-8 shown as ``\\xff``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import os
    >>> show_path(Path("reports/audit")), show_path(Path(os.fsdecode(b"caf\\xe9")))
    ('reports/audit', 'caf\\\\xe9')
    """
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; once the block succeeds, move it onto ``path``.

    On any error (a full disk, an interrupt) the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> target = Path(tempfile.mkdtemp()) / "summary.csv"
    >>> with atomic_path(target) as staged:
    ...     _ = staged.write_text("a,b\\n1,2\\n")
    ...     target.exists()  # not yet: the new file appears whole, when the block ends
    False
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: the old file or the whole new one, never a part.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = write_text_atomic(Path(tempfile.mkdtemp()) / "note.txt", "done")
    >>> path.read_text()
    'done'
    """
    with atomic_path(path) as tmp, open(tmp, "x", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


class OutputFolder:
    """An output folder held by one run: checked, created, locked, with a staging folder inside.

    Parameters
    ----------
    path : path-like
        The output folder; checked with :func:`check_out_dir` when the object is made.

    Examples
    --------
    >>> with OutputFolder(tmp_dir) as folder:                # doctest: +SKIP
    ...     folder.stage("audit.json").write_text("{}")
    ...     folder.commit(["audit.json"], remove=OUTPUT_FILES)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_out_dir(path)
        self._lock: int | None = None
        self._staging: Path | None = None
        self._created: list[Path] = []

    def __enter__(self) -> OutputFolder:
        self._created = [p for p in (self.path, *self.path.parents) if not p.is_dir()]
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"output folder {show_path(self.path)} cannot be created: {exc.strerror}") from None
        try:
            self._lock = _acquire_lock(self.path)
            for leftover in self.path.glob(f"{STAGING_PREFIX}*"):  # from a run that was killed
                shutil.rmtree(leftover, ignore_errors=True)
            self._staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.path)).absolute()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._release()

    def stage(self, name: str) -> Path:
        """Path in the staging folder for the output ``name`` (relative, e.g. ``artifacts/x.parquet``)."""
        if self._staging is None:
            raise RuntimeError("OutputFolder.stage() is only available inside a 'with' block")
        path = self._staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def commit(self, names: Iterable[str], *, remove: Iterable[str] = (), prune: Iterable[str] = ()) -> None:
        """Remove the outputs ``remove`` and the folders ``prune`` left empty, then move in each of ``names``, in order.

        The staged files are flushed to disk first: a full disk is reported before anything is removed.
        Everything is removed before the first move, so an interrupt after the last one (``audit.json``,
        which says the audit is complete) leaves nothing of the previous outputs behind.
        """
        names = list(names)
        for name in names:
            _fsync(self.stage(name))
        for name in remove:
            (self.path / name).unlink(missing_ok=True)
        for name in prune:
            with suppress(OSError):  # not empty, or not there
                (self.path / name).rmdir()
        for name in names:
            target = self.path / name
            target.parent.mkdir(exist_ok=True)
            os.replace(self.stage(name), target)
        _fsync_dir(self.path)

    def _release(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lock is not None:
            (self.path / LOCK_NAME).unlink(missing_ok=True)  # while still holding it: see _acquire_lock
            os.close(self._lock)
            self._lock = None
        with suppress(OSError):  # folders this run made and left empty (it stopped early), innermost first
            for folder in self._created:
                folder.rmdir()
        self._created = []


def _acquire_lock(folder: Path) -> int:
    """Lock ``folder`` for this process; raise :class:`InputError` when another live run holds it."""
    import fcntl

    path = folder / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", errors="replace").strip()
            os.close(fd)
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise InputError(f"output folder {show_path(folder)} is in use by another auditkit run{by}; "
                             "wait for it to finish or choose another output folder") from None
        # The previous holder unlinks the file before unlocking; a lock on an unlinked file is no lock.
        if _is_same_file(fd, path):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)


def _is_same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _fsync(path: Path) -> None:
    """Flush ``path`` to disk, so that a full disk is reported now rather than after the move."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with suppress(OSError):  # not every platform can open a folder
        _fsync(path)
