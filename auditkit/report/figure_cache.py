"""The report's figures drawn ahead: while the audit still runs, the report kernel draws each step's figures.

Drawing the report's figures (layout, text, PNG) is most of a report kernel's work, and the kernel
waits idle, on its own core, while the audit computes. So when a step that the report plots has
finished, :meth:`~auditkit.report.execute.ReportKernel.draw_ahead` saves the audit so far into the
kernel's folder and asks the kernel (:func:`auditkit.report.drawing_ahead.draw_ahead`) to run the
report sections of that step on it. Each figure a section shows is made by :func:`plot_html`, which
keeps the figure's HTML under a key naming exactly what it drew: the plot and its arguments, the
plotted step's saved payload and artifacts, the dataset block and matplotlib's settings. When the
notebook later draws the same plot of the same numbers, it takes that HTML instead of drawing again;
a plot of anything else (a step whose numbers changed, other arguments) is drawn as usual. The
report is the same either way, byte for byte: only who drew it, and when, differs.

Figures are kept only when drawn ahead, and each is used once; a notebook that draws its own plots
(outside a report kernel) never meets the cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

PLOT_STEPS: dict[str, str] = {
    "group_rates": "fairness", "disparities": "fairness", "calibration": "fairness",
    "importance": "shap", "beeswarm": "shap", "dependence": "shap", "waterfall": "shap",
    "group_attribution": "shap", "lime": "lime", "mitigation": "mitigation",
}
"""Each plot of :class:`~auditkit.report.plots.ResultPlots` -> the step whose results it draws (with the dataset)."""

_DRAWN: dict[str, str] = {}  # figure key -> the figure's HTML, drawn ahead and not yet used
_drawing_ahead = False


def plot_html(result: AuditResult, plot: str, what: str | Callable[[Figure], str], *args: Any, **kwargs: Any) -> str:
    """``result.plot.<plot>(*args, **kwargs)`` as an ``<img>`` with alternative text (``what`` first).

    ``what`` says what kind of plot it is (:func:`auditkit.report.views.plot_alt`), or is a function
    that says it from the figure.

    The HTML is :func:`auditkit.report.views.figure_html` of the figure; when the same figure of the
    same numbers was drawn ahead (:func:`keep_drawn`), that drawing is used instead.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["fairness"], progress=False,
    ...                         step_options={"fairness": {"n_boot": 20}})
    >>> plot_html(result, "group_rates", "Bar chart", "sex").startswith("<div class='tex2jax_ignore")
    True
    """
    from auditkit.report.views import figure_html, plot_alt

    key = figure_key(result, plot, what, args, kwargs)
    drawn = None if key is None else _DRAWN.pop(key, None)
    if drawn is not None:
        return drawn
    fig = getattr(result.plot, plot)(*args, **kwargs)
    html = figure_html(fig, plot_alt(fig, what(fig) if callable(what) else what))
    if _drawing_ahead and key is not None:
        _DRAWN[key] = html
    return html


def figure_key(result: AuditResult, plot: str, what: str | Callable[[Figure], str], args: tuple,
               kwargs: dict[str, Any]) -> str | None:
    """A digest of everything a figure shows: the plot, its arguments, its step's results, dataset, settings.

    None for a plot whose step is not known (:data:`PLOT_STEPS`) or did not run, or whose inputs
    cannot be digested (an artifact holding lists): such a figure is never kept.

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> def result(rate):
    ...     step = StepResult(name="fairness", section="fairness", payload={"by_group": [{"rate": rate}]})
    ...     return AuditResult(provenance={}, dataset={"name": "toy"}, steps=[step])
    >>> key = figure_key(result(0.5), "group_rates", "Bars", ("sex",), {})
    >>> key == figure_key(result(0.5), "group_rates", "Bars", ("sex",), {})
    True
    >>> key == figure_key(result(0.6), "group_rates", "Bars", ("sex",), {})  # other numbers
    False
    >>> key == figure_key(result(0.5), "group_rates", "Bars", ("race",), {})  # another grouping
    False
    >>> figure_key(result(0.5), "beeswarm", "Dots", (), {}) is None  # the shap step did not run
    True
    """
    import matplotlib

    step_name = PLOT_STEPS.get(plot)
    step = next((s for s in result.steps if s.name == step_name), None)
    if step is None:
        return None
    digest = hashlib.sha256()
    said = f"{what.__module__}.{what.__qualname__}" if callable(what) else what
    try:
        for part in (plot, said, args, sorted(kwargs.items()), result.dataset, step.payload):
            digest.update(json.dumps(part, sort_keys=True, default=repr).encode())
        digest.update(_settings(matplotlib.rcParams).encode())
        for name in sorted(step.artifacts):
            digest.update(name.encode() + _frame_digest(step.artifacts[name]))
    except (TypeError, ValueError):  # a part that cannot be digested (cells pandas cannot hash): never kept
        return None
    return digest.hexdigest()


def _settings(params: Any) -> str:
    """matplotlib's settings as text: read from the mapping's storage (``items()`` validates each: 100x slower)."""
    stored = dict.items(params) if isinstance(params, dict) else ()
    return repr(sorted(stored or params.items()))


def _frame_digest(frame: Any) -> bytes:
    import pandas as pd

    columns = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
    return columns + hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).digest()


def kept_figures() -> int:
    """How many figures drawn ahead wait to be used.

    Examples
    --------
    >>> forget_drawn()
    >>> kept_figures()
    0
    """
    return len(_DRAWN)


def forget_drawn() -> None:
    """Drop every figure drawn ahead and not used.

    Examples
    --------
    >>> forget_drawn()
    >>> kept_figures()
    0
    """
    _DRAWN.clear()


@contextmanager
def keep_drawn() -> Iterator[None]:
    """Within it, each figure :func:`plot_html` draws is kept, for one later call drawing the same figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from auditkit.result import AuditResult, StepResult
    >>> rows = [{"group": {"sex": s}, "n": 50, "metrics": {"selection_rate": r}} for s, r in (("f", 0.2), ("m", 0.4))]
    >>> result = AuditResult({}, {}, [StepResult("fairness", "fairness", payload={"by_group": rows})])
    >>> with keep_drawn():
    ...     drawn = plot_html(result, "group_rates", "Bars")
    >>> kept_figures(), plot_html(result, "group_rates", "Bars") == drawn, kept_figures()
    (1, True, 0)
    """
    global _drawing_ahead
    _drawing_ahead = True
    try:
        yield
    finally:
        _drawing_ahead = False
