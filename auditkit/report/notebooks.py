"""The report notebooks and the settings of a report: which notebook, which steps, how long it may run.

The report notebooks are in the wheel (``auditkit/_notebooks``) or the repository's ``notebooks/``.
Each (``bias_report.ipynb``, ``explainability_report.ipynb``, ``audit_report.ipynb``) has a cell tagged
``parameters`` holding the audit's settings and ``audit_dir``; its next cell calls
:func:`auditkit.notebook.run_for_notebook`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditkit.exceptions import InputError
from auditkit.params import Boolean, Interval, Options, validate

NOTEBOOKS: dict[str, str] = {
    "bias": "bias_report.ipynb",
    "explain": "explainability_report.ipynb",
    "full": "audit_report.ipynb",
}
"""Report kind -> notebook file name (in :func:`notebooks_dir`)."""

REPORT_STEPS: dict[str, tuple[str, ...] | None] = {
    "bias": ("data_overview", "data_bias", "performance", "fairness"),
    "explain": ("data_overview", "performance", "shap", "lime", "agreement"),
    "full": None,  # the standard audit
}
"""Steps each report runs when the audit's ``steps`` are not set."""

NO_REPORT = "none"
DEFAULT_REPORT_TIMEOUT = 1800
"""Seconds the whole report notebook may run (every cell together), unless ``report_timeout`` says otherwise."""

REPORT_SETTINGS: dict[str, list] = {
    "report": [Boolean(), Options((*NOTEBOOKS, NO_REPORT))],
    "report_timeout": [Interval(float, 0, closed="neither")],
}
"""The settings of a report, with the forms each may take: ``report`` (True: the full report; False or
``"none"``: none) and ``report_timeout`` (seconds for the whole notebook)."""


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
    """Path of the report notebook ``kind`` (``"bias"``, ``"explain"`` or ``"full"``), inside the installed package.

    Examples
    --------
    >>> notebook_path("bias").name, notebook_path("explain").name, notebook_path("full").name
    ('bias_report.ipynb', 'explainability_report.ipynb', 'audit_report.ipynb')
    >>> notebook_path("pdf")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: report kind must be one of 'bias', 'explain', 'full'; got 'pdf'
    """
    if kind not in NOTEBOOKS:
        raise InputError(f"report kind must be one of {', '.join(map(repr, NOTEBOOKS))}; got {kind!r}")
    return notebooks_dir() / NOTEBOOKS[kind]


def report_kind(report: bool | str) -> str | None:
    """The kind of report ``report=`` asks for: True is ``"full"``; False and ``"none"`` are no report (None).

    Examples
    --------
    >>> report_kind(True), report_kind("bias"), report_kind(False), report_kind("none")
    ('full', 'bias', None, None)
    >>> report_kind("pdf")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: report must be true or false or one of bias, explain, full, none; got 'pdf' (str)
    """
    validate("report", report, REPORT_SETTINGS["report"])
    if isinstance(report, str):
        return None if report == NO_REPORT else report
    return "full" if report else None


def check_report_timeout(seconds: Any) -> float:
    """``seconds`` when it is a valid ``report_timeout`` (a number above 0); else :class:`InputError`.

    Examples
    --------
    >>> check_report_timeout(90)
    90
    >>> check_report_timeout(0)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: report_timeout must be a number, above 0; got 0 (int)
    """
    validate("report_timeout", seconds, REPORT_SETTINGS["report_timeout"])
    return seconds


def report_steps(kind: str | None, steps: Any) -> Any:
    """The steps an audit shown by report ``kind`` runs: ``steps`` when set, else the report's own.

    Examples
    --------
    >>> report_steps("bias", None)
    ['data_overview', 'data_bias', 'performance', 'fairness']
    >>> report_steps("bias", ["fairness"]), report_steps("full", None), report_steps(None, None)
    (['fairness'], None, None)
    """
    if steps is not None or kind is None or REPORT_STEPS[kind] is None:
        return steps
    return list(REPORT_STEPS[kind])


def kind_of_notebook(notebook: Any) -> str | None:
    """The report kind a notebook run by papermill was made from (its ``input_path``), or None.

    Examples
    --------
    >>> import nbformat
    >>> book = nbformat.v4.new_notebook(metadata={"papermill": {"input_path": "/x/bias_report.ipynb"}})
    >>> kind_of_notebook(book), kind_of_notebook(nbformat.v4.new_notebook())
    ('bias', None)
    """
    source = str(notebook.metadata.get("papermill", {}).get("input_path") or "")
    name = Path(source.replace("\\", "/")).name
    return next((kind for kind, file in NOTEBOOKS.items() if file == name), None)
