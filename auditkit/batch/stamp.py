"""Resuming a batch: a stamp written last in each completed audit's folder says what it was made from.

The stamp (``batch_stamp.json``) holds the audit's key (a hash of its settings, its inputs' hashes and
the auditkit version) and the sha256 of every file the audit wrote. It is removed before an audit runs
and written, atomically, only after every output is in place; so a folder is taken as complete only
when its stamp exists, its key is the audit's key now, and every listed file is there unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from auditkit._version import __version__
from auditkit.batch.plan import PlannedAudit
from auditkit.io.data import read_data
from auditkit.report.output_folder import write_text_atomic

STAMP_FILE = "batch_stamp.json"
STAMPED_FILES = ("audit.json", "model_card.md", "report.ipynb", "report.html")


def audit_key(audit: PlannedAudit, data_hashes: dict[str, str] | None = None) -> str:
    """sha256 of an audit's settings, its data, model and policy files' contents and the auditkit version.

    ``data_hashes`` (a dict, filled here) keeps each data's sha256 for the other audits of one batch, so a
    data file is hashed once per run, never remembered across runs.

    Examples
    --------
    >>> from auditkit.batch.plan import BatchPlan
    >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": "m.skops"}}, check_files=False)
    >>> len(audit_key(plan.audits[0]))
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...m.skops...
    """
    spec = audit.spec
    described = {
        "auditkit": __version__, "settings": spec.to_dict(), "report": audit.report, "model_info": audit.model_info,
        "data_sha256": _data_sha256(spec.data, spec.encoding, {} if data_hashes is None else data_hashes),
        "model_sha256": _file_sha256(spec.model) if isinstance(spec.model, str) else None,
        "policy_sha256": _file_sha256(spec.policy) if isinstance(spec.policy, str) else None,
    }
    return hashlib.sha256(json.dumps(described, default=repr, sort_keys=True).encode()).hexdigest()


def _data_sha256(data: object, encoding: str | None, known: dict[str, str]) -> str:
    """A data file's bytes' sha256 (as the audit's provenance has it); a bundled dataset's as read."""
    if not isinstance(data, str):
        return read_data(data, encoding=encoding).sha256
    if data not in known:
        is_file = Path(data).is_file()
        known[data] = _file_sha256(data) if is_file else read_data(data, encoding=encoding).sha256
    return known[data]


def _file_sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def remove_stamp(folder: Path) -> None:
    """Remove ``folder``'s stamp (before its audit runs again).

    Examples
    --------
    >>> import tempfile
    >>> remove_stamp(Path(tempfile.mkdtemp()) / "not-yet")  # nothing to remove: fine
    """
    (folder / STAMP_FILE).unlink(missing_ok=True)


def write_stamp(folder: Path, key: str, record: dict[str, Any]) -> Path:
    """Write ``folder``'s stamp (atomically, last): the key, the record, every output file's sha256.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "audit.json").write_text("{}")
    >>> _ = write_stamp(folder, "k1", {"status": "ok", "seconds": 1.5})
    >>> read_stamp(folder, "k1")["seconds"], read_stamp(folder, "another key")
    (1.5, None)
    """
    files = {name: _file_sha256(str(folder / name)) for name in STAMPED_FILES if (folder / name).is_file()}
    stamp = {"key": key, "record": record, "files": files}
    return write_text_atomic(folder / STAMP_FILE, json.dumps(stamp, indent=1, sort_keys=True, default=str))


def read_stamp(folder: Path, key: str) -> dict[str, Any] | None:
    """The record of a complete audit in ``folder`` made with ``key``; None when it must run (again).

    Complete: the stamp is readable, its key is ``key``, and every file it lists is there with the same
    sha256 (a file removed, truncated or edited since means the audit runs again).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "audit.json").write_text("{}")
    >>> _ = write_stamp(folder, "k1", {"status": "ok"})
    >>> _ = (folder / "audit.json").write_text("{\\"half\\": ")  # changed since
    >>> read_stamp(folder, "k1") is None
    True
    """
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
        if stamp["key"] != key or "audit.json" not in stamp["files"]:
            return None
        for name, sha in stamp["files"].items():
            if _file_sha256(str(folder / name)) != sha:
                return None
        return dict(stamp["record"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
