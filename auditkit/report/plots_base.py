"""Shared parts of the result plots: axes, plain-text strings, legends beside the data, input checks.

The plots read what the steps recorded (``result.step(name).payload`` and ``.artifacts``) and
compute nothing. A figure made here is closed in pyplot right away: it is shown once when it is
a notebook cell's value (an open pyplot figure would be shown a second time at the end of the
cell) and is not kept alive by pyplot; save it with ``fig.savefig``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditkit.exceptions import InputError, _show
from auditkit.text import PLAIN_TEXT, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult, StepResult

BAR_COLOUR = "#1e88e5"
UP, DOWN = "#d81b60", "#1e88e5"  # SHAP/LIME parts that raise / lower the output
ERROR_BAR = {"fmt": "none", "ecolor": "#212121", "elinewidth": 1, "capsize": 2}
MAX_LISTED = 10  # available values named in an error message


def axes_for(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """``(figure, ax)`` of the given axes, or a new figure of ``size`` inches (closed in pyplot).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = axes_for(None, (4.0, 3.0))
    >>> fig.get_size_inches().tolist(), fig in map(plt.figure, plt.get_fignums())
    ([4.0, 3.0], False)
    >>> axes_for(ax, (9.0, 9.0)) == (fig, ax)
    True
    """
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, layout="constrained")
    plt.close(fig)
    return fig, ax


def label_axes(ax: Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    """Title and axis labels, drawn as written (a ``$`` in a name is a dollar).

    Examples
    --------
    >>> fig, ax = axes_for(None, (4.0, 3.0))
    >>> label_axes(ax, "Income over $50K by group", ylabel="share")
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), ax.title.get_parse_math()
    ('Income over $50K by group', '', 'share', False)
    """
    ax.set_title(title, fontsize=10, **PLAIN_TEXT)
    ax.set_xlabel(xlabel, **PLAIN_TEXT)
    ax.set_ylabel(ylabel, **PLAIN_TEXT)


def legend_beside(ax: Axes, title: str | None = None) -> None:
    """A legend to the right of the axes, outside them, so it never covers the data.

    Examples
    --------
    >>> fig, ax = axes_for(None, (4.0, 3.0))
    >>> _ = ax.plot([0, 1], [0, 1], label="$5 or less")
    >>> legend_beside(ax, title="price")
    >>> legend = ax.get_legend()
    >>> legend.get_title().get_text(), [(t.get_text(), t.get_parse_math()) for t in legend.get_texts()]
    ('price', [('$5 or less', False)])
    """
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8,
                       frameon=False, title=title, title_fontsize=8)
    plain_text(*legend.get_texts(), legend.get_title())


def interval_bars(ax: Axes, positions: Any, lower: Any, upper: Any, *, horizontal: bool = False) -> None:
    """Error bars from ``lower`` to ``upper`` at ``positions`` (NaN: none drawn).

    Drawn around the interval's middle, so an interval that does not contain the point
    estimate (a percentile bootstrap interval may not) is drawn as it is, not clipped.

    Examples
    --------
    >>> fig, ax = axes_for(None, (4.0, 3.0))
    >>> interval_bars(ax, [0, 1], [0.25, 0.5], [0.75, 1.0])
    >>> [segment.tolist() for segment in ax.collections[0].get_segments()]
    [[[0.0, 0.25], [0.0, 0.75]], [[1.0, 0.5], [1.0, 1.0]]]
    >>> interval_bars(ax, [2], [float("nan")], [float("nan")])  # no interval: nothing drawn
    >>> len(ax.collections)
    1
    """
    import numpy as np

    low, high = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if not np.isfinite(low).any():
        return
    middle, half = (low + high) / 2, (high - low) / 2
    if horizontal:
        ax.errorbar(middle, positions, xerr=half, **ERROR_BAR)
    else:
        ax.errorbar(positions, middle, yerr=half, **ERROR_BAR)


def category_ticks(ax: Axes, axis: str, positions: Any, labels: Iterable[Any], **kwargs: Any) -> None:
    """Tick labels that are data strings (categories, features, groups), drawn as written.

    Examples
    --------
    >>> fig, ax = axes_for(None, (4.0, 3.0))
    >>> category_ticks(ax, "x", [0, 1], ["$5 or less", 10], rotation=30)
    >>> [(t.get_text(), t.get_parse_math()) for t in ax.get_xticklabels()]
    [('$5 or less', False), ('10', False)]
    """
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(list(positions), [str(label) for label in labels], **PLAIN_TEXT, **kwargs)


def step_result(result: AuditResult, step: str, plot: str) -> StepResult:
    """The result of ``step``, or an InputError naming the plot and the steps this audit ran.

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> result = AuditResult(provenance={}, dataset={}, steps=[StepResult("shap", "explanations")])
    >>> step_result(result, "shap", "importance").name
    'shap'
    >>> step_result(result, "fairness", "group_rates")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: group_rates needs the fairness step; this audit ran: shap
    """
    ran = [s.name for s in result.steps]
    if step not in ran:
        raise InputError(f"{plot} needs the {step} step; this audit ran: {', '.join(ran) or 'no steps'}")
    return result.step(step)


def payload_part(result: AuditResult, step: str, key: str, plot: str, hint: str = "") -> Any:
    """``payload[key]`` of ``step``; an InputError saying why it is absent (the step's own words).

    Examples
    --------
    >>> from auditkit.result import AuditResult, Finding, StepResult
    >>> shap = StepResult("shap", "explanations", payload={"global_importance": [{"feature": "age"}]})
    >>> failed = Finding(id="lime.failed", step="lime", severity="error", message="LIME needs a model")
    >>> lime = StepResult("lime", "explanations", findings=[failed])
    >>> result = AuditResult(provenance={}, dataset={}, steps=[shap, lime])
    >>> payload_part(result, "shap", "global_importance", "importance")
    [{'feature': 'age'}]
    >>> payload_part(result, "shap", "group_attributions", "group_attribution")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: group_attribution needs the group attributions of the shap step, which this \
audit does not have
    >>> payload_part(result, "lime", "lime", "lime")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: lime needs the results of the lime step, which recorded none: LIME needs a model
    """
    found = step_result(result, step, plot)
    if found.payload.get(key):
        return found.payload[key]
    if found.payload:
        raise InputError(f"{plot} needs the {key.replace('_', ' ')} of the {step} step, which this audit "
                         f"does not have{hint}")
    reasons = [f.message for f in found.findings if f.severity == "error" or f.id.endswith("needs_model")]
    why = f": {reasons[0]}" if reasons else ""
    raise InputError(f"{plot} needs the results of the {step} step, which recorded none{why}")


def choose(wanted: Any, available: dict[str, Any], plot: str, what: str, *, among: str | None = None,
           limit: int = MAX_LISTED) -> Any:
    """``available[str(wanted)]``, or an InputError listing (the first ``limit`` of) the available names.

    ``among`` names where rows are looked up (``"the rows SHAP explained"``); row ids are listed unquoted.

    Examples
    --------
    >>> choose("age", {"age": 0, "job": 1}, "dependence", "feature")
    0
    >>> choose("sex", {"age": 0, "job": 1}, "dependence", "feature")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: dependence: unknown feature 'sex'; available: 'age', 'job'
    >>> choose(7, {"35": 0, "133": 1, "2": 2}, "waterfall", "row", among="the rows SHAP explained", limit=2)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: waterfall: row 7 is not among the rows SHAP explained; available: 35, 133, ... \
(3 in all)
    """
    key = str(wanted)
    if key in available:
        return available[key]
    names = list(available)
    shown = ", ".join(names[:limit] if among else [_show(n) for n in names[:limit]])
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    problem = f"{what} {_show(wanted)} is not among {among}" if among else f"unknown {what} {_show(wanted)}"
    raise InputError(f"{plot}: {problem}; available: {shown or 'none'}{more}")


def check_count(value: Any, name: str, plot: str) -> int:
    """A positive whole number of items to show (``max_display``).

    Examples
    --------
    >>> check_count(3, "max_display", "importance")
    3
    >>> check_count(0, "max_display", "importance")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: importance: max_display must be a positive whole number, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{plot}: {name} must be a positive whole number, got {_show(value)}")
    return int(value)
