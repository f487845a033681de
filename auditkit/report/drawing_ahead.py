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

from auditkit.report.shared_figures import share_in

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


def draw_ahead(audit_dir: str | Path, steps: tuple[str, ...], shared: str | Path | None = None) -> int:
    """Draw the figures of the report sections of ``steps`` from the audit saved in ``audit_dir``; keep them.

    Run by the report kernel, between the audit's steps (nothing is displayed). A section that
    fails, or an audit that cannot be read, is left: the notebook shows it, and its error, as it
    would have anyway. Returns the number of figures kept. With ``shared``, the folder where the
    audit's process may draw beside the kernel (:mod:`~auditkit.report.shared_figures`), the kernel
    draws only the figures it claims first, and marks ``audit_dir`` done there when it has finished.

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

    share_in(shared)
    before = kept_figures()
    try:
        doc, result = views.load(audit_dir), views.load_result(audit_dir)
        shown = [getattr(sections, name) for step in steps for name in SECTIONS_OF_STEP.get(step, ())]
        with keep_drawn(), capture_output(display=True):
            for section in shown:
                _quietly(section, doc, result)
    except Exception:  # noqa: BLE001 - drawing ahead saves time only: the notebook reads the audit itself
        pass
    finally:
        if shared is not None:
            (Path(shared) / f"{Path(audit_dir).name}.done").touch()
    return kept_figures() - before


def draw_beside(audit_dir: str | Path, shared: str | Path, waiting_for: list[str]) -> int:
    """In the audit's process, its steps done: draw the report's figures the kernel has not claimed; publish them.

    ``waiting_for`` names the audits so far the kernel was asked to draw (folders of ``shared``'s
    kernel); when it has finished all of them, there is nothing to do. Else the figure sections of
    the saved audit ``audit_dir`` run here as in the kernel, each figure drawn only if claimed here
    first (:mod:`~auditkit.report.shared_figures`), on matplotlib's Agg backend. Only for a process
    that is the ``auditkit`` command's own: it switches pyplot's backend. Returns the figures published.

    Examples
    --------
    >>> import tempfile, auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["fairness"], progress=False,
    ...                         step_options={"fairness": {"n_boot": 20}})
    >>> folder = save_so_far(result, Path(tempfile.mkdtemp()) / "audit")
    >>> shared = Path(tempfile.mkdtemp())
    >>> draw_ahead(folder, ("fairness",), shared) > 0  # the kernel drew every figure: nothing left to draw
    True
    >>> draw_beside(folder, shared, [folder.name])
    0
    >>> from auditkit.report.figure_cache import forget_drawn
    >>> forget_drawn(), share_in(None)  # as the kernel, this process drew ahead in the shared folder
    (None, None)
    """
    import matplotlib.pyplot as plt
    from IPython.utils.capture import capture_output

    from auditkit.report import sections, views
    from auditkit.report.figure_cache import keep_drawn

    if all((Path(shared) / f"{name}.done").exists() for name in waiting_for):
        return 0
    plt.switch_backend("Agg")
    share_in(shared)
    try:
        doc, result = views.load(audit_dir), views.load_result(audit_dir)
        shown = [getattr(sections, name) for step in result.steps for name in SECTIONS_OF_STEP.get(step.name, ())]
        with keep_drawn(publish=True), capture_output(display=True):
            for section in shown:
                _quietly(section, doc, result)
    finally:
        share_in(None)
    return len(list(Path(shared).glob("*.html")))


def _quietly(section: Callable[..., None], doc: dict[str, Any], result: AuditResult) -> None:
    import matplotlib.pyplot as plt

    try:
        section(doc, result)
    except Exception:  # noqa: BLE001, S110 - drawing ahead saves time only: the notebook shows any failure
        pass
    finally:
        plt.close("all")
