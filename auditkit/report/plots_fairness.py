"""Fairness plots of a result: rates by group, disparities, calibration by group.

Every number drawn is read from the fairness step's payload (``by_group``, ``disparities``,
``calibration``); intervals are the ones it recorded.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from auditkit.exceptions import InputError, _show
from auditkit.report.plots_base import (
    BAR_COLOUR,
    MAX_LISTED,
    axes_for,
    category_ticks,
    interval_bars,
    label_axes,
    legend_beside,
    payload_part,
)
from auditkit.stats.bootstrap import DEFAULT_LEVEL
from auditkit.stats.counts import grouping_name
from auditkit.text import PLAIN_TEXT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

DEFAULT_METRICS = (("selection_rate", "true_positive_rate", "false_positive_rate"), ("mae", "rmse"))
RATES_IN_0_1 = {"selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
                "true_negative_rate", "precision", "negative_predictive_value", "accuracy", "balanced_accuracy",
                "base_rate", "roc_auc", "brier_score"}
MEASURES = ("difference", "ratio")
MAX_WIDTH = 8.0  # inches: shown at full size in the report's ~960 px column, ~90% on A4 paper
MAX_CALIBRATION_LINES = 3  # more groups: one small reliability plot per group (more lines tangle)
PANEL_COLUMNS = 4
PANEL_TITLE_CHARS = 30  # a panel's title wraps to stay within its 2-inch width
CALIBRATION_X, CALIBRATION_Y = "mean score in the bin", "share actually positive"
METHODS = ("between_groups", "to_reference")


def _groupings_of(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The groupings of ``by_group`` rows (tuples of sensitive features), in the order recorded."""
    return list(dict.fromkeys(tuple(row["group"]) for row in rows))


def _resolve_grouping(wanted: Any, available: list[tuple[str, ...]], plot: str) -> tuple[str, ...]:
    """The grouping ``wanted`` names: ``"sex"``, ``"sex*race"``, ``"sex × race"`` or ``("sex", "race")``.

    ``None`` is the first grouping (the first sensitive feature).
    """
    if not available:
        raise InputError(f"{plot} needs groups, and the fairness step recorded none")
    if wanted is None:
        return available[0]
    if isinstance(wanted, list | tuple):
        key = tuple(str(w) for w in wanted)
        if key in available:
            return key
    for grouping in available:
        if str(wanted) in (grouping_name(grouping), "*".join(grouping), "×".join(grouping)):
            return grouping
    shown = ", ".join(_show("*".join(g)) for g in available[:MAX_LISTED])
    raise InputError(f"{plot}: unknown grouping {_show(wanted)}; available: {shown}")


def _group_label(row: dict[str, Any]) -> str:
    """``"female, 25_and_over"`` (with ``[class]`` for multiclass rows)."""
    text = ", ".join(str(v) for v in row["group"].values())
    return text + (f" [{row['class']}]" if "class" in row else "")


def _value(number: Any) -> float:
    return float("nan") if number is None else float(number)


def _interval(row: dict[str, Any], metric: str) -> tuple[float, float]:
    ci = (row.get("ci") or {}).get(metric) or (None, None)
    return _value(ci[0]), _value(ci[1])


def _choose_metrics(rows: list[dict[str, Any]], metrics: Any, plot: str) -> tuple[str, ...]:
    """The metrics to draw: those asked for (each checked), or the task's key rates."""
    present = list(dict.fromkeys(m for row in rows for m in row["metrics"]))
    if metrics is None:
        for preferred in DEFAULT_METRICS:
            chosen = tuple(m for m in preferred if m in present)
            if chosen:
                return chosen
        return tuple(present)
    asked = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in asked if m not in present]
    if unknown or not asked:
        shown = ", ".join(present)
        raise InputError(f"{plot}: unknown metric {_show(unknown[0] if unknown else metrics)}; available: {shown}")
    return asked


def plot_group_rates(result: AuditResult, grouping: Any = None, metrics: Any = None,
                     ax: Axes | None = None) -> Figure:
    """Bars of each metric by group, with the recorded confidence intervals as error bars.

    Reached as ``result.plot.group_rates`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> rows = [{"group": {"sex": s}, "n": n, "metrics": {"selection_rate": rate}, "ci": {"selection_rate": ci}}
    ...         for s, n, rate, ci in (("female", 40, 0.5, [0.35, 0.65]), ("male", 60, 0.75, [0.6, 0.85]))]
    >>> payload = {"by_group": rows, "settings": {"n_boot": 200, "ci_level": 0.95}}
    >>> result = AuditResult({}, {}, [StepResult("fairness", "fairness", payload=payload)])
    >>> ax = plot_group_rates(result, "sex").axes[0]
    >>> ax.get_title(), [t.get_text() for t in ax.get_xticklabels()], [float(bar.get_height()) for bar in ax.patches]
    ('Rates by sex with 95% intervals', ['female (n=40)', 'male (n=60)'], [0.5, 0.75])
    """
    import numpy as np

    plot = "group_rates"
    all_rows = payload_part(result, "fairness", "by_group", plot)
    features = _resolve_grouping(grouping, _groupings_of(all_rows), plot)
    rows = [r for r in all_rows if tuple(r["group"]) == features]
    chosen = _choose_metrics(rows, metrics, plot)
    labels = [f"{_group_label(r)} (n={r['n']:,})" for r in rows]
    longest = max((len(label) for label in labels), default=0)
    fig, ax = axes_for(ax, (min(MAX_WIDTH, max(6.0, 0.45 * len(rows) * len(chosen) + 2.5)),
                            3.2 + 0.04 * longest))  # the slanted group names take their own height
    width = 0.8 / len(chosen)
    x = np.arange(len(rows))
    for i, metric in enumerate(chosen):
        values = [_value(r["metrics"].get(metric)) for r in rows]
        ax.bar(x + i * width, values, width, label=metric.replace("_", " "))
        lower, upper = zip(*(_interval(r, metric) for r in rows), strict=True)
        interval_bars(ax, x + i * width, lower, upper)
    category_ticks(ax, "x", x + width * (len(chosen) - 1) / 2, labels, rotation=30 if len(rows) <= 6 else 45,
                   ha="right", rotation_mode="anchor")
    if set(chosen) <= RATES_IN_0_1:
        ax.set_ylim(0, 1.02)
    level = _ci_level(result)
    rates = set(chosen) <= RATES_IN_0_1
    what = "Rates" if rates else " and ".join(m.replace("_", " ") for m in chosen)
    label_axes(ax, f"{what} by {grouping_name(features)}" + (f" with {level:.0%} intervals" if level else ""),
               ylabel="rate" if rates else "value")
    legend_beside(ax)
    return fig


def _ci_level(result: AuditResult) -> float | None:
    settings = result.step("fairness").payload.get("settings", {})
    return settings.get("ci_level") if settings.get("n_boot") else None


def _disparity_label(record: dict[str, Any]) -> str:
    """``"sex: demographic parity"`` (the criterion, with the class for multiclass audits)."""
    criterion = record.get("criterion") or record["name"]
    label = f"{record['grouping']}: {criterion.replace('_', ' ')}"
    return label + (f" [{record['class']}]" if "class" in record else "")


def plot_disparities(result: AuditResult, measure: str = "difference", method: str = "between_groups",
                     ax: Axes | None = None) -> Figure:
    """One bar per grouping and criterion: the disparity with its recorded interval.

    Reached as ``result.plot.disparities`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> record = {"grouping": "sex", "criterion": "demographic_parity", "measure": "difference",
    ...           "method": "between_groups", "value": 0.25, "ci": [0.1, 0.4]}
    >>> payload = {"disparities": [record], "settings": {"n_boot": 200, "ci_level": 0.9}}
    >>> result = AuditResult({}, {}, [StepResult("fairness", "fairness", payload=payload)])
    >>> ax = plot_disparities(result).axes[0]
    >>> print(ax.get_title()); print(ax.get_xlabel())
    Disparities (difference, max − min) with 90% intervals
    difference between groups (no disparity at 0)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(bar.get_width()) for bar in ax.patches]
    (['sex: demographic parity'], [0.25])
    """
    import numpy as np

    plot = "disparities"
    for name, value, allowed in (("measure", measure, MEASURES), ("method", method, METHODS)):
        if value not in allowed:
            raise InputError(f"{plot}: {name} must be one of {', '.join(allowed)}, got {_show(value)}")
    records = [d for d in payload_part(result, "fairness", "disparities", plot)
               if d["measure"] == measure and d["method"] == method]
    fig, ax = axes_for(ax, (7.0, 0.35 * len(records) + 1.6))
    y = np.arange(len(records))[::-1]
    values = np.array([_value(d["value"]) for d in records])
    ax.barh(y, values, 0.6, color=BAR_COLOUR)
    lower, upper = zip(*((_value(d["ci"][0]), _value(d["ci"][1])) if d.get("ci") else (np.nan, np.nan)
                         for d in records), strict=True) if records else ((), ())
    interval_bars(ax, y, lower, upper, horizontal=True)
    neutral = 0.0 if measure == "difference" else 1.0
    ax.axvline(neutral, color="grey", linewidth=0.8)
    for position, value in zip(y, values, strict=True):
        if not np.isfinite(value):
            ax.text(neutral, position, "  not computed (too few rows)", va="center", fontsize=7, color="#616161")
    category_ticks(ax, "y", y, [_disparity_label(d) for d in records], fontsize=8)
    what = "max − min" if method == "between_groups" else "each group against the reference"
    if measure == "ratio":
        what = "min / max" if method == "between_groups" else "each group / the reference"
    level = _ci_level(result)
    label_axes(ax, f"Disparities ({measure}, {what})" + (f" with {level:.0%} intervals" if level else ""),
               xlabel=f"{measure} between groups (no disparity at {neutral:g})")
    return fig


def plot_calibration(result: AuditResult, grouping: Any = None, ax: Axes | None = None) -> Figure:
    """Reliability plot: observed positive rate against mean score in each score bin, one line per group.

    Each bin's Wilson interval (recorded by the fairness step) is a vertical line; the diagonal
    is perfect calibration. With more than :data:`MAX_CALIBRATION_LINES` groups and no ``ax``,
    each group gets a small plot of its own (the others faint behind it), titled by the figure.
    Reached as ``result.plot.calibration`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> rows = [{"group": {"sex": s}, "n": n, "metrics": {}} for s, n in (("female", 40), ("male", 60))]
    >>> bins = [{"sex": s, "n": n, "mean_score": score, "observed_rate": rate}
    ...         for s, n, score, rate in (("female", 20, 0.2, 0.1), ("female", 20, 0.8, 0.7), ("male", 60, 0.5, 0.5))]
    >>> payload = {"by_group": rows, "calibration": {"sex": bins}}
    >>> result = AuditResult({}, {}, [StepResult("fairness", "fairness", payload=payload)])
    >>> ax = plot_calibration(result).axes[0]
    >>> ax.get_title(), [line.get_label() for line in ax.get_lines()]
    ('Calibration by sex', ['perfect calibration', 'female (n=40)', 'male (n=60)'])
    """
    import pandas as pd

    plot = "calibration"
    tables = payload_part(result, "fairness", "calibration", plot, " (a binary task with scores: a model with "
                          "predict_proba, or a scores column)")
    rows = result.step("fairness").payload.get("by_group", [])
    available = [g for g in _groupings_of(rows) if grouping_name(g) in tables]
    features = _resolve_grouping(grouping, available, plot)
    frame = pd.DataFrame(tables[grouping_name(features)])
    with_ci = {"observed_rate_ci_low", "observed_rate_ci_high"} <= set(frame.columns)  # older audits: no interval
    groups = [(keys if isinstance(keys, tuple) else (keys,), part)
              for keys, part in frame.groupby(list(features), sort=False)]
    level = result.step("fairness").payload.get("settings", {}).get("ci_level", DEFAULT_LEVEL)
    title = f"Calibration by {grouping_name(features)}" + (f" with {level:.0%} intervals" if with_ci else "")
    if ax is None and len(groups) > MAX_CALIBRATION_LINES:
        return _calibration_panels(groups, with_ci, title)
    fig, ax = axes_for(ax, (6.5, 4.2))
    _diagonal(ax, label="perfect calibration")
    for keys, part in groups:
        _reliability(ax, part, with_ci, label=f"{', '.join(map(str, keys))} (n={int(part['n'].sum()):,})")
    label_axes(ax, title, xlabel=CALIBRATION_X, ylabel=CALIBRATION_Y)
    legend_beside(ax, title=grouping_name(features))
    return fig


def _diagonal(ax: Axes, **kwargs: Any) -> None:
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, **kwargs)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)


def _reliability(ax: Axes, part: Any, with_ci: bool, **kwargs: Any) -> None:
    """One group's bins: observed rate against mean score, joined, with each bin's interval as a vertical line."""
    line, = ax.plot(part["mean_score"], part["observed_rate"], marker="o", markersize=4, linewidth=1, **kwargs)
    if with_ci:
        low, high = (part[c].astype(float) for c in ("observed_rate_ci_low", "observed_rate_ci_high"))
        ax.vlines(part["mean_score"], low, high, colors=line.get_color(), linewidth=1, alpha=0.6)


UNIT_TICKS = {"x": (0.0, 0.5, 1.0), "y": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)}
"""The ticks of a calibration panel: those matplotlib's automatic ticks choose for a panel's size, fixed.

The panels' constrained layout measures each axis many times; fixed ticks (and their labels) spare
finding and formatting them again each time (a third of a grid's drawing).
"""


def _fixed_unit_ticks(ax: Axes) -> None:
    """Fix :data:`UNIT_TICKS` on ``ax`` (and the axes sharing its x and y axes), labelled as matplotlib labels them."""
    ax.set_xticks(UNIT_TICKS["x"], labels=[f"{t:.1f}" for t in UNIT_TICKS["x"]])
    ax.set_yticks(UNIT_TICKS["y"], labels=[f"{t:.1f}" for t in UNIT_TICKS["y"]])


def _calibration_panels(groups: list[tuple[tuple, Any]], with_ci: bool, title: str) -> Figure:
    """One small reliability plot per group (the other groups faint behind it): many lines in one plot tangle."""
    import matplotlib.pyplot as plt

    cols = PANEL_COLUMNS
    rows = -(-len(groups) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(MAX_WIDTH, 2.2 * rows + 0.8), sharex=True, sharey=True,
                             layout="constrained", squeeze=False)
    plt.close(fig)
    import numpy as np
    from matplotlib.collections import LineCollection

    others = [np.column_stack([other["mean_score"], other["observed_rate"]]).astype(float) for _, other in groups]
    for ax, (keys, part) in zip(axes.flat, groups, strict=False):
        # every group's curve, faint: one collection per panel, drawn as the separate lines it replaces
        ax.add_collection(LineCollection(others, colors="#bdbdbd", linewidths=0.6, alpha=0.6, zorder=2), autolim=False)
        _diagonal(ax)
        _reliability(ax, part, with_ci, color=BAR_COLOUR)
        name = textwrap.fill(", ".join(map(str, keys)), PANEL_TITLE_CHARS)
        ax.set_title(f"{name}\n(n={int(part['n'].sum()):,})", fontsize=8, **PLAIN_TEXT)
        ax.tick_params(labelsize=8)
    _fixed_unit_ticks(axes.flat[0])
    for i, ax in enumerate(axes.flat[len(groups):], start=len(groups)):
        ax.set_visible(False)
        axes.flat[i - cols].xaxis.set_tick_params(labelbottom=True)  # the plot above is the last of its column
    fig.suptitle(title, fontsize=10, **PLAIN_TEXT)
    fig.supxlabel(CALIBRATION_X, fontsize=9)
    fig.supylabel(CALIBRATION_Y, fontsize=9)
    return fig
