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
    """``(figure, ax)`` of the given axes, or a new figure of ``size`` inches (closed in pyplot)."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, layout="constrained")
    plt.close(fig)
    return fig, ax


def label_axes(ax: Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    """Title and axis labels, drawn as written (a ``$`` in a name is a dollar)."""
    ax.set_title(title, fontsize=10, **PLAIN_TEXT)
    ax.set_xlabel(xlabel, **PLAIN_TEXT)
    ax.set_ylabel(ylabel, **PLAIN_TEXT)


def legend_beside(ax: Axes, title: str | None = None) -> None:
    """A legend to the right of the axes, outside them, so it never covers the data."""
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8,
                       frameon=False, title=title, title_fontsize=8)
    plain_text(*legend.get_texts(), legend.get_title())


def interval_bars(ax: Axes, positions: Any, lower: Any, upper: Any, *, horizontal: bool = False) -> None:
    """Error bars from ``lower`` to ``upper`` at ``positions`` (NaN: none drawn).

    Drawn around the interval's middle, so an interval that does not contain the point
    estimate (a percentile bootstrap interval may not) is drawn as it is, not clipped.
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
    """Tick labels that are data strings (categories, features, groups), drawn as written."""
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(list(positions), [str(label) for label in labels], **PLAIN_TEXT, **kwargs)


def step_result(result: AuditResult, step: str, plot: str) -> StepResult:
    """The result of ``step``, or an InputError naming the plot and the steps this audit ran."""
    ran = [s.name for s in result.steps]
    if step not in ran:
        raise InputError(f"{plot} needs the {step} step; this audit ran: {', '.join(ran) or 'no steps'}")
    return result.step(step)


def payload_part(result: AuditResult, step: str, key: str, plot: str, hint: str = "") -> Any:
    """``payload[key]`` of ``step``; an InputError saying why it is absent (the step's own words)."""
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
    """A positive whole number of items to show (``max_display``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{plot}: {name} must be a positive whole number, got {_show(value)}")
    return int(value)
