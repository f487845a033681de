"""The report kernel's work while the audit runs: the figures of each finished step, drawn and kept.

The audit's process saves the audit so far (:func:`save_so_far`) when a step whose figures the
report shows has finished, and asks the report kernel to run :func:`draw_ahead` on it (see
:meth:`auditkit.report.execute.ReportKernel.draw_ahead`). The kernel runs that step's report sections
with nothing displayed; the figures they draw are kept by :mod:`auditkit.report.figure_cache`, which
hands each to the notebook only if the notebook draws the same plot of the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditkit.result import AuditResult

SECTIONS_OF_STEP: dict[str, tuple[str, ...]] = {
    "fairness": ("groups", "disparities"), "shap": ("explanations",), "mitigation": ("mitigation",),
}
"""A step whose figures the report shows -> the functions of :mod:`auditkit.report.sections` that show them."""


def save_so_far(result: AuditResult, folder: str | Path) -> Path:
    """Save ``result`` (the audit so far) as an audit folder: ``audit.json`` and the artifacts; return the folder.

    Examples
    --------
    >>> import tempfile, auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["performance"], progress=False)
    >>> folder = save_so_far(result, Path(tempfile.mkdtemp()) / "so-far")
    >>> sorted(path.name for path in folder.iterdir())
    ['audit.json']
    """
    from auditkit.io.audit_json import artifact_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for step in result.steps:
        for name, table in step.artifacts.items():
            path = folder / artifact_file(step.name, name)
            path.parent.mkdir(exist_ok=True)
            table.to_parquet(path, index=False)
    result.to_json(folder / "audit.json")
    return folder


def draw_ahead(audit_dir: str | Path, steps: tuple[str, ...]) -> int:
    """Draw the figures of the report sections of ``steps`` from the audit saved in ``audit_dir``; keep them.

    Run by the report kernel, between the audit's steps (nothing is displayed). A section that
    fails, or an audit that cannot be read, is left: the notebook shows it, and its error, as it
    would have anyway. Returns the number of figures kept.

    Examples
    --------
    >>> import tempfile, matplotlib, auditkit
    >>> matplotlib.use("Agg")
    >>> from auditkit.report.figure_cache import forget_drawn
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["fairness"], progress=False,
    ...                         step_options={"fairness": {"n_boot": 20}})
    >>> folder = save_so_far(result, Path(tempfile.mkdtemp()))
    >>> draw_ahead(folder, ("fairness",)) > 0
    True
    >>> forget_drawn()
    """
    from IPython.utils.capture import capture_output

    from auditkit.report import sections, views
    from auditkit.report.figure_cache import keep_drawn, kept_figures

    try:
        doc, result = views.load(audit_dir), views.load_result(audit_dir)
    except Exception:  # noqa: BLE001 - drawing ahead saves time only: the notebook reads the audit itself
        return 0
    shown = [getattr(sections, name) for step in steps for name in SECTIONS_OF_STEP.get(step, ())]
    before = kept_figures()
    with keep_drawn(), capture_output(display=True):
        for section in shown:
            _quietly(section, doc, result)
    return kept_figures() - before


def _quietly(section: Callable[..., None], doc: dict[str, Any], result: AuditResult) -> None:
    import matplotlib.pyplot as plt

    try:
        section(doc, result)
    except Exception:  # noqa: BLE001, S110 - drawing ahead saves time only: the notebook shows any failure
        pass
    finally:
        plt.close("all")
