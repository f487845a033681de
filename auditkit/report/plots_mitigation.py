"""The mitigation plot: accuracy against disparity for each option, a Pareto view of the trade-off.

Every number drawn is read from the mitigation step's payload (``options``: metrics, intervals,
and which options no other beats, ``pareto_optimal``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditkit.exceptions import InputError, _show
from auditkit.report.plots_base import label_axes, legend_beside, payload_part
from auditkit.text import PLAIN_TEXT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

CRITERIA = ("demographic_parity", "equalized_odds")
BASELINES = {"unmitigated": {"marker": "*", "color": "#212121", "s": 160},
             "unmitigated_refit": {"marker": "*", "facecolors": "none", "edgecolors": "#212121", "s": 160}}
METHOD_MARKERS = {"threshold_optimizer": "o", "exponentiated_gradient": "s"}
CRITERION_COLOURS = {"demographic_parity": "#1e88e5", "equalized_odds": "#d81b60"}
FRONT = {"color": "#9e9e9e", "linestyle": "--", "linewidth": 1, "zorder": 0}


def plot_mitigation(result: AuditResult, criterion: str | None = None, ax: Axes | None = None) -> Figure:
    """Accuracy against the disparity each option leaves, with both intervals; the unmitigated model a star.

    One panel per criterion (demographic parity, equalized odds difference) unless ``criterion``
    names one (or ``ax`` is given: then the first criterion the step measured, unless named). The
    dashed line joins the options no other option beats (at most the disparity and at least the
    accuracy). Reached as ``result.plot.mitigation`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> def option(key, label, method, accuracy, dpd):
    ...     return {"option": key, "label": label, "method": method, "criterion": None, "status": "evaluated",
    ...             "metrics": {"accuracy": accuracy, "demographic_parity_difference": dpd,
    ...                         "equalized_odds_difference": 0.1},
    ...             "ci": {"accuracy": [accuracy - 0.02, accuracy + 0.02]}, "pareto_optimal": []}
    >>> options = [option("unmitigated", "Unmitigated", "unmitigated", 0.85, 0.2),
    ...            option("threshold_optimizer.demographic_parity", "ThresholdOptimizer (demographic parity)",
    ...                   "threshold_optimizer", 0.83, 0.02)]
    >>> options[1]["criterion"] = "demographic_parity"
    >>> payload = {"settings": {"sensitive_feature": "sex", "ci_level": 0.95, "n_boot": 100,
    ...                         "split": {"evaluation_rows": 500}}, "options": options}
    >>> result = AuditResult({}, {}, [StepResult("mitigation", "mitigation", payload=payload)])
    >>> fig = plot_mitigation(result)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['demographic parity difference by sex', 'equalized odds difference by sex']
    >>> print(fig.axes[0].get_title())
    Demographic parity
    >>> plot_mitigation(result, "calibration")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: mitigation: criterion must be one of demographic_parity, equalized_odds, \
got 'calibration'
    """
    plot = "mitigation"
    options = [o for o in payload_part(result, "mitigation", "options", plot) if o["status"] == "evaluated"]
    settings = result.step("mitigation").payload.get("settings", {})
    if criterion is not None and criterion not in CRITERIA:
        raise InputError(f"{plot}: criterion must be one of {', '.join(CRITERIA)}, got {_show(criterion)}")
    chosen = [criterion] if criterion is not None else list(CRITERIA[:1] if ax is not None else CRITERIA)
    fig, axes = _axes(ax, len(chosen))
    for panel, name in zip(axes, chosen, strict=True):
        _panel(panel, options, name, settings)
    legend_beside(axes[-1], title="option")
    if ax is None:  # a figure of its own: its title says on what rows (a given figure keeps its own title)
        level = settings.get("ci_level", 0.95) if settings.get("n_boot") else None
        rows = settings.get("split", {}).get("evaluation_rows")
        title = (f"Accuracy against disparity on {rows:,} held-out rows" if rows else "Accuracy against disparity"
                 ) + (f", with {level:.0%} intervals" if level else "")
        fig.suptitle(title, fontsize=10, **PLAIN_TEXT)
    return fig


def _axes(ax: Axes | None, panels: int) -> tuple[Figure, list[Axes]]:
    if ax is not None:
        return ax.figure, [ax]
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels + 2.6, 4.0), layout="constrained", squeeze=False,
                             sharey=True)
    plt.close(fig)
    return fig, list(axes.flat)


def _panel(ax: Axes, options: list[dict[str, Any]], criterion: str, settings: dict[str, Any]) -> None:
    import numpy as np

    name = f"{criterion}_difference"
    for option in options:
        x, y = _number(option["metrics"].get(name)), _number(option["metrics"].get("accuracy"))
        style = _style(option)
        baseline = option["method"] in BASELINES
        ax.scatter([x], [y], label=option["label"], zorder=2 if baseline else 3, **style)
        ci = option.get("ci", {})
        colour = style.get("color", "#212121")
        _interval(ax, x, y, ci.get("accuracy"), "y", colour)
        _interval(ax, y, x, ci.get(name), "x", colour)
    front = sorted((_number(o["metrics"][name]), _number(o["metrics"]["accuracy"])) for o in options
                   if name in o.get("pareto_optimal", []))
    if len(front) > 1:
        xs, ys = zip(*front, strict=True)
        ax.plot(xs, ys, **FRONT)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    feature = settings.get("sensitive_feature", "group")
    label_axes(ax, criterion.replace("_", " ").capitalize(), xlabel=f"{criterion.replace('_', ' ')} difference "
               f"by {feature}", ylabel="accuracy" if ax.get_subplotspec() is None
               or ax.get_subplotspec().is_first_col() else "")
    ax.set_xlim(left=min(-0.01, float(np.nanmin([ax.get_xlim()[0], 0.0]))))


def _interval(ax: Axes, position: float, value: float, bounds: Any, along: str, colour: str) -> None:
    """An option's interval along ``"x"`` (its disparity) or ``"y"`` (its accuracy), in its colour."""
    low, high = (_number(b) for b in (bounds or (None, None)))
    if low != low or high != high:  # NaN: no interval
        return
    middle, half = (low + high) / 2, (high - low) / 2
    kwargs = {"xerr": half} if along == "x" else {"yerr": half}
    x, y = (middle, position) if along == "x" else (position, middle)
    ax.errorbar([x], [y], fmt="none", ecolor=colour, elinewidth=1, capsize=2, alpha=0.7, **kwargs)


def _style(option: dict[str, Any]) -> dict[str, Any]:
    if option["method"] in BASELINES:
        return dict(BASELINES[option["method"]])
    return {"marker": METHOD_MARKERS.get(option["method"], "o"), "s": 50,
            "color": CRITERION_COLOURS.get(option.get("criterion"), "#757575")}


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
