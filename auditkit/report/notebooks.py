"""Where the report notebooks are: in the wheel (``auditkit/_notebooks``) or the repository's ``notebooks/``.

Each report notebook (``bias_report.ipynb``, ``audit_report.ipynb``) has a cell tagged ``parameters``
holding the audit's settings and ``audit_dir``; its next cell calls :func:`auditkit.notebook.run_for_notebook`.
"""

from __future__ import annotations

from pathlib import Path

from auditkit.exceptions import InputError

NOTEBOOKS: dict[str, str] = {"bias": "bias_report.ipynb", "full": "audit_report.ipynb"}
"""Report kind -> notebook file name (in :func:`notebooks_dir`)."""

REPORT_STEPS: dict[str, tuple[str, ...] | None] = {
    "bias": ("data_overview", "data_bias", "performance", "fairness"),
    "full": None,  # the standard audit
}
"""Steps each report runs when the notebook's ``steps`` parameter is not set."""


def notebooks_dir() -> Path:
    """Folder holding the report notebooks (inside the wheel, or the repo's ``notebooks/``).

    Examples
    --------
    >>> sorted(path.name for path in notebooks_dir().glob("*.ipynb"))[:1]
    ['audit_report.ipynb']
    """
    packaged = Path(__file__).resolve().parents[1] / "_notebooks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "notebooks"


def notebook_path(kind: str = "full") -> Path:
    """Path of the report notebook ``kind`` (``"bias"`` or ``"full"``), inside the installed package.

    Examples
    --------
    >>> notebook_path("bias").name, notebook_path("full").name
    ('bias_report.ipynb', 'audit_report.ipynb')
    >>> notebook_path("pdf")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: report kind must be one of 'bias', 'full'; got 'pdf'
    """
    if kind not in NOTEBOOKS:
        raise InputError(f"report kind must be one of {', '.join(map(repr, NOTEBOOKS))}; got {kind!r}")
    return notebooks_dir() / NOTEBOOKS[kind]
