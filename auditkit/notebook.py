"""The one call a report notebook's parameters make: run the audit they describe, or re-render a saved one.

``papermill notebooks/bias_report.ipynb out.ipynb -p data compas -p predictions compas_high_risk``
sets the notebook's parameters; its next cell is ``audit_dir = run_for_notebook(audit_dir, ...)`` and
the rest of the notebook renders that folder, exactly as for ``auditkit audit``. This module sits
beside :mod:`auditkit.runner` (not in :mod:`auditkit.report`, which the runner imports).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from auditkit.exceptions import InputError
from auditkit.report.notebooks import notebook_path, report_steps
from auditkit.runner import audit_to_dir

_LIST_SETTINGS = ("sensitive", "steps")


def run_for_notebook(audit_dir: str | Path | None = None, *, report: str = "full", out_dir: str | Path | None = None,
                     **settings: Any) -> Path:
    """The folder of the audit a report notebook shows: ``audit_dir``, or a new audit of ``settings``.

    Papermill passes parameters as they are written on its command line, so this accepts them that
    way too: an empty string or None means "not set", and ``sensitive`` and ``steps`` may be one
    comma-separated string (``-p sensitive race,sex``) as well as a list.

    Parameters
    ----------
    audit_dir : str or Path, optional
        A folder holding a saved ``audit.json`` to re-render; then no audit setting may be set.
    report : {"bias", "explain", "full"}, default "full"
        The notebook asking: picks the steps run when ``steps`` is not set.
    out_dir : str or Path, optional
        Where to write the new audit; default a new temporary folder.
    **settings
        The settings of :class:`auditkit.AuditSpec` (``data``, ``target``, ``predictions``, ...).

    Returns
    -------
    Path
        The folder holding ``audit.json`` (and its artifacts).

    Raises
    ------
    InputError
        Both ``audit_dir`` and audit settings, or neither, or settings that cannot be audited.

    Examples
    --------
    >>> folder = run_for_notebook(data="compas", predictions="compas_high_risk", sample=300,
    ...                           steps="performance,fairness", model=None, report="bias")
    >>> sorted(path.name for path in folder.iterdir())
    ['audit.json', 'model_card.md']
    >>> run_for_notebook(folder, data="compas")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: give either audit_dir (to re-render a saved audit) or the audit's settings, \
not both; got audit_dir=... and data='compas'
    """
    notebook_path(report)  # checks the kind
    given = {name: _as_list(name, value) for name, value in settings.items() if not _unset(value)}
    if not _unset(audit_dir):
        if given:
            named = ", ".join(f"{name}={value!r}" for name, value in given.items())
            raise InputError("give either audit_dir (to re-render a saved audit) or the audit's settings, not both; "
                             f"got audit_dir={str(audit_dir)!r} and {named}")
        if not (Path(audit_dir) / "audit.json").is_file():
            raise InputError(f"audit_dir must be a folder holding audit.json; got {str(audit_dir)!r}")
        return Path(audit_dir)
    if "data" not in given:
        raise InputError("data is required to run an audit (or audit_dir to re-render a saved one); got neither")
    steps = report_steps(report, given.get("steps"))
    if steps is not None:
        given["steps"] = steps
    folder = Path(tempfile.mkdtemp(prefix="auditkit-notebook-")) if _unset(out_dir) else Path(out_dir)
    audit_to_dir(out_dir=folder, report=False, progress=False, **given)
    return folder


def _unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_list(name: str, value: Any) -> Any:
    """``"race, sex"`` as ``["race", "sex"]`` for the list settings; other values unchanged."""
    if name in _LIST_SETTINGS and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value
