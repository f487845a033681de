"""Explanation plots of a result: SHAP importance, beeswarm, dependence, waterfall, group attributions, LIME.

Numbers come from the shap and lime steps: their payloads (summary, importance, group views,
LIME instances) and the shap step's per-row artifacts (``values``, ``features``, ``rows``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.report.plots_base import (
    BAR_COLOUR,
    DOWN,
    UP,
    axes_for,
    category_ticks,
    check_count,
    choose,
    interval_bars,
    label_axes,
    legend_beside,
    payload_part,
    step_result,
)
from auditkit.stats.missing_group import missing_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

SHAP_ARTIFACTS = ("values", "features", "rows")
MAX_CATEGORIES = 15  # categories drawn in a dependence plot (most frequent first)
MAX_FEATURES_LISTED = 100  # features named when one asked for is not there


def _shap_units(result: AuditResult, plot: str) -> str:
    """What the SHAP values add up to, e.g. ``"log-odds of class good"`` (from ``explanations.shap.output``)."""
    summary = payload_part(result, "shap", "shap", plot)
    space = (summary.get("output") or {}).get("space") or summary.get("output_space", "model output")
    explained = summary.get("explained_class")
    return f"{space} of class {explained}" if explained is not None else str(space)


def _shap_rows(result: AuditResult, plot: str) -> dict[str, pd.DataFrame]:
    """The per-row SHAP tables of the shap step, or an InputError saying they are missing."""
    payload_part(result, "shap", "shap", plot)
    artifacts = step_result(result, "shap", plot).artifacts
    if not all(name in artifacts for name in SHAP_ARTIFACTS):
        raise InputError(f"{plot} needs the per-row SHAP values (artifacts values, features and rows of the "
                         "shap step), which this result does not have")
    return {name: artifacts[name] for name in SHAP_ARTIFACTS}


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {str(c): c for c in frame.columns}


def plot_importance(result: AuditResult, max_display: int = 20, ax: Axes | None = None) -> Figure:
    """Mean |SHAP value| per feature, largest on top.

    Reached as ``result.plot.importance`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> payload = {"shap": {"output_space": "log-odds", "explained_class": "good"},
    ...            "global_importance": [{"feature": f, "mean_abs_shap": v} for f, v in [("age", .25), ("job", .125)]]}
    >>> ax = plot_importance(AuditResult({}, {}, [StepResult("shap", "explanations", payload=payload)])).axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(bar.get_width()) for bar in ax.patches]
    (['age', 'job'], [0.25, 0.125])
    >>> ax.get_xlabel()
    'mean |SHAP value| (log-odds of class good)'
    """
    plot = "importance"
    shown = payload_part(result, "shap", "global_importance", plot)[: check_count(max_display, "max_display", plot)]
    fig, ax = axes_for(ax, (6.5, 0.3 * len(shown) + 1.3))
    y = np.arange(len(shown))[::-1]
    ax.barh(y, [r["mean_abs_shap"] for r in shown], color=BAR_COLOUR)
    category_ticks(ax, "y", y, [r["feature"] for r in shown])
    label_axes(ax, "Global importance: mean |SHAP value| over the explained rows",
               xlabel=f"mean |SHAP value| ({_shap_units(result, plot)})")
    return fig


def plot_beeswarm(result: AuditResult, max_display: int = 10, ax: Axes | None = None) -> Figure:
    """The SHAP value of every explained row for the most important features.

    Reached as ``result.plot.beeswarm`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.examples import shap_result
    >>> result = shap_result()  # rows 35, 133, 7: SHAP values of age and job, base value 1
    >>> ax = plot_beeswarm(result, max_display=1).axes[0]
    >>> ax.get_title(), [t.get_text() for t in ax.get_yticklabels()]
    ('SHAP value of each explained row: top 1 of 2 features', ['age'])
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    plot = "beeswarm"
    rows = _shap_rows(result, plot)
    ranked = [r["feature"] for r in payload_part(result, "shap", "global_importance", plot)]
    features = ranked[: check_count(max_display, "max_display", plot)]
    values, data = rows["values"], rows["features"]
    fig, ax = axes_for(ax, (7.5, 0.45 * len(features) + 1.6))
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, size=len(values))  # display only
    for y, feature in zip(range(len(features) - 1, -1, -1), features, strict=True):
        shap, column = values[feature].to_numpy(float), data[feature]
        numeric = pd.api.types.is_numeric_dtype(column)
        known = column.notna().to_numpy() if numeric else np.zeros(len(column), bool)
        ax.scatter(shap[~known], y + jitter[~known], s=4, alpha=0.5, color="#9e9e9e", rasterized=True)
        colour = pd.to_numeric(column[known], errors="coerce").rank(pct=True).to_numpy()
        ax.scatter(shap[known], y + jitter[known], s=4, alpha=0.6, c=colour, cmap="coolwarm", vmin=0, vmax=1,
                   rasterized=True)
    category_ticks(ax, "y", range(len(features) - 1, -1, -1), features)
    ax.axvline(0, color="grey", linewidth=0.8)
    bar = fig.colorbar(ScalarMappable(Normalize(0, 1), "coolwarm"), ax=ax, ticks=[0, 1], aspect=30)
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("feature value (grey: categorical or missing)", fontsize=8)
    label_axes(ax, f"SHAP value of each explained row: top {len(features)} of {len(ranked)} features",
               xlabel=f"SHAP value ({_shap_units(result, plot)})")
    return fig


def plot_dependence(result: AuditResult, feature: Any, ax: Axes | None = None) -> Figure:
    """SHAP value against the feature's value; missing values apart, under a label no value has.

    Reached as ``result.plot.dependence`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.examples import shap_result
    >>> result = shap_result()  # rows 35, 133, 7: SHAP values of age and job, base value 1
    >>> ax = plot_dependence(result, "job").axes[0]
    >>> ax.get_title(), ax.get_ylabel(), [t.get_text() for t in ax.get_xticklabels()]
    ('Dependence: job', 'SHAP value (log-odds of class good)', ['skilled', 'unskilled'])
    >>> plot_dependence(result, "income")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: dependence: unknown feature 'income'; available: 'age', 'job'
    """
    plot = "dependence"
    rows = _shap_rows(result, plot)
    name = choose(feature, _columns(rows["values"]), plot, "feature", limit=MAX_FEATURES_LISTED)
    shap, column = rows["values"][name].to_numpy(float), rows["features"][name]
    fig, ax = axes_for(ax, (6.5, 3.6))
    if pd.api.types.is_numeric_dtype(column):
        _numeric_dependence(ax, pd.to_numeric(column, errors="coerce").to_numpy(float), shap)
        xlabel = str(name)
    else:
        shown = _categorical_dependence(ax, column, shap)
        xlabel = f"{name} ({shown} most frequent values)" if shown < column.nunique(dropna=False) else str(name)
    ax.axhline(0, color="grey", linewidth=0.8)
    label_axes(ax, f"Dependence: {name}", xlabel=xlabel, ylabel=f"SHAP value ({_shap_units(result, plot)})")
    return fig


def _numeric_dependence(ax: Axes, x: np.ndarray, shap: np.ndarray) -> None:
    """Scatter of the known values; rows without a value as a strip left of them, labelled as missing."""
    from matplotlib.ticker import MaxNLocator

    known = np.isfinite(x)
    ax.scatter(x[known], shap[known], s=4, alpha=0.5, color=BAR_COLOUR, rasterized=True)
    if known.all():
        return
    low, high = (x[known].min(), x[known].max()) if known.any() else (0.0, 1.0)
    span = (high - low) or 1.0
    position = low - 0.15 * span
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, size=(~known).sum()) * span  # display only
    ax.scatter(position + jitter, shap[~known], s=4, alpha=0.5, color="#9e9e9e", rasterized=True)
    ax.axvline(low - 0.075 * span, color="#bdbdbd", linewidth=0.8, linestyle=":")
    ticks = [t for t in MaxNLocator(5).tick_values(low, high) if low <= t <= high] if known.any() else []
    category_ticks(ax, "x", [position, *ticks], [missing_label([]), *(f"{t:g}" for t in ticks)])


def _categorical_dependence(ax: Axes, column: pd.Series, shap: np.ndarray) -> int:
    """One box per category (the most frequent); returns how many are drawn."""
    observed = column.dropna().astype(str)
    labels = column.astype(object).where(column.isna(), column.astype(str)).fillna(missing_label(observed.unique()))
    order = labels.value_counts().index[:MAX_CATEGORIES].tolist()
    ax.boxplot([shap[(labels == c).to_numpy()] for c in order], showfliers=False)
    category_ticks(ax, "x", range(1, len(order) + 1), order, rotation=40, ha="right", fontsize=8)
    return len(order)


def _row_position(rows: dict[str, pd.DataFrame], row: Any, plot: str) -> int:
    ids = {str(r): i for i, r in enumerate(rows["rows"]["row_id"])}
    return choose(row, ids, plot, "row", among="the rows SHAP explained")


def _shown_value(column: pd.Series, value: Any) -> str:
    if pd.isna(value):
        return missing_label(column.dropna().astype(str).unique())
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)


def plot_waterfall(result: AuditResult, row: Any, max_display: int = 10, ax: Axes | None = None) -> Figure:
    """How one row's SHAP values lead from the base value to the model's output for that row.

    Reached as ``result.plot.waterfall`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.examples import shap_result
    >>> result = shap_result()  # rows 35, 133, 7: SHAP values of age and job, base value 1
    >>> ax = plot_waterfall(result, 35).axes[0]
    >>> print(ax.get_title())
    SHAP values of row 35
    from the base value 1 (dashed) to the output 1.625 (solid)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(bar.get_width()) for bar in ax.patches]
    (['age = 61', 'job = skilled'], [0.5, 0.125])
    """
    plot = "waterfall"
    rows = _shap_rows(result, plot)
    position = _row_position(rows, row, plot)
    summary = payload_part(result, "shap", "shap", plot)
    base, output = float(summary["base_value"]), float(rows["rows"]["output"].iloc[position])
    values = rows["values"].iloc[position]
    order = values.abs().sort_values(ascending=False, kind="stable").index.tolist()
    limit = check_count(max_display, "max_display", plot)
    shown = order if len(order) <= limit else order[: limit - 1]
    parts = [(f"{f} = {_shown_value(rows['features'][f], rows['features'][f].iloc[position])}", values[f])
             for f in shown]
    if len(shown) < len(order):
        parts.append((f"{len(order) - len(shown)} other features", values[order[len(shown):]].sum()))
    fig, ax = axes_for(ax, (7.5, 0.4 * len(parts) + 1.8))
    starts = base + np.concatenate([[0.0], np.cumsum([v for _, v in reversed(parts)])[:-1]])[::-1]
    y = np.arange(len(parts))[::-1]
    widths = np.array([v for _, v in parts], dtype=float)
    ax.barh(y, widths, 0.6, left=starts, color=[UP if w >= 0 else DOWN for w in widths])
    for pos, start, width in zip(y, starts, widths, strict=True):
        ax.text(start + width, pos, f" {width:+.3g} ", va="center", ha="left" if width >= 0 else "right",
                fontsize=7)
    ax.axvline(base, color="grey", linewidth=0.8, linestyle="--")
    ax.axvline(output, color="#212121", linewidth=0.8)
    category_ticks(ax, "y", y, [label for label, _ in parts], fontsize=8)
    ax.use_sticky_edges = False  # bars start mid-axis: room on both sides for the value labels
    ax.margins(x=0.2)
    label_axes(ax, f"SHAP values of row {row}\nfrom the base value {base:.4g} (dashed) to the output {output:.4g} "
               "(solid)", xlabel=f"model output ({_shap_units(result, plot)})")
    return fig


def plot_group_attribution(result: AuditResult, grouping: Any = None, max_display: int = 10,
                           ax: Axes | None = None) -> Figure:
    """Each feature's part in the gap in mean output between a group and the reference group.

    When no gap was decomposed (fewer than two groups with enough explained rows), the mean
    SHAP value of each feature in each group is drawn instead (the title says which).
    Reached as ``result.plot.group_attribution`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> parts = [{"feature": "age", "contribution": 0.25}, {"feature": "job", "contribution": -0.125}]
    >>> view = {"sensitive_feature": "sex", "reference": "male", "min_group_size": 10,
    ...         "gaps": [{"group": "female", "reference": "male", "contributions": parts}]}
    >>> payload = {"shap": {"output_space": "log-odds"}, "group_attributions": [view]}
    >>> result = AuditResult({}, {}, [StepResult("shap", "explanations", payload=payload)])
    >>> ax = plot_group_attribution(result, "sex").axes[0]
    >>> print(ax.get_title())
    Parts of the gap in mean output between each sex group
    and the reference sex=male
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(bar.get_width()) for bar in ax.patches]
    (['age', 'job'], [0.25, -0.125])
    """
    plot = "group_attribution"
    views = {str(v["sensitive_feature"]): v for v in payload_part(result, "shap", "group_attributions", plot)}
    view = views[next(iter(views))] if grouping is None else choose(grouping, views, plot, "sensitive feature")
    limit = check_count(max_display, "max_display", plot)
    series, title, legend = _attribution_series(view)
    table = pd.DataFrame(series)
    ranked = table.abs().max(axis=1).sort_values(ascending=False, kind="stable").index[:limit]
    fig, ax = axes_for(ax, (7.5, 0.3 * len(ranked) * max(1, len(series)) ** 0.5 + 1.8))
    y, height = np.arange(len(ranked))[::-1], 0.8 / len(series)
    for i, (label, column) in enumerate(table.loc[ranked].items()):
        ax.barh(y + 0.4 - (i + 0.5) * height, column.to_numpy(float), height, label=label)
    ax.axvline(0, color="grey", linewidth=0.8)
    category_ticks(ax, "y", y, ranked)
    label_axes(ax, title + (f"; top {len(ranked)} of {len(table)} features" if len(ranked) < len(table) else ""),
               xlabel=f"{'part of the gap' if view['gaps'] else 'mean SHAP value'} ({_shap_units(result, plot)})")
    legend_beside(ax, title=legend)
    return fig


def _attribution_series(view: dict[str, Any]) -> tuple[dict[str, dict[str, float]], str, str]:
    """``(bars per legend entry, title, legend title)``: the gap parts, or the mean SHAP by group."""
    feature = view["sensitive_feature"]
    if view["gaps"]:
        series = {f"{g['group']} − {g['reference']}": {c["feature"]: c["contribution"] for c in g["contributions"]}
                  for g in view["gaps"]}
        return series, (f"Parts of the gap in mean output between each {feature} group\n"
                        f"and the reference {feature}={view['reference']}"), "gap"
    series = {f"{g['group']} (n={g['n']:,})": g["mean_shap"] for g in view["groups"]}
    return series, (f"Mean SHAP value by {feature}\n(no gap split: fewer than two groups have "
                    f"{view['min_group_size']} explained rows)"), str(feature)


def plot_lime(result: AuditResult, row: Any, max_display: int = 10, ax: Axes | None = None) -> Figure:
    """LIME weights of one explained row: the mean over the repeats, ± their standard deviation.

    Reached as ``result.plot.lime`` (:class:`~auditkit.report.plots.ResultPlots`).

    Examples
    --------
    >>> from auditkit.result import AuditResult, StepResult
    >>> instance = {"row_id": 647, "reason": "most confident error", "weights": {"age": -0.25, "job": 0.5},
    ...             "weight_std": {"age": 0.125, "job": 0.0}}
    >>> payload = {"lime": {"repeats": 3, "output_space": "probability", "instances": [instance]}}
    >>> result = AuditResult({}, {"positive_label": "good"}, [StepResult("lime", "explanations", payload=payload)])
    >>> ax = plot_lime(result, 647).axes[0]
    >>> print(ax.get_title()); print(ax.get_xlabel())
    LIME weights of row 647, mean ± std over 3 repeats
    (most confident error)
    weight (probability of class good)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(bar.get_width()) for bar in ax.patches]
    (['job', 'age'], [0.5, -0.25])
    """
    plot = "lime"
    lime = payload_part(result, "lime", "lime", plot)
    instances = {str(i["row_id"]): i for i in lime.get("instances", [])}
    instance = choose(row, instances, plot, "row", among="the rows LIME explained")
    weights, spread = pd.Series(instance["weights"], dtype=float), pd.Series(instance["weight_std"], dtype=float)
    limit = check_count(max_display, "max_display", plot)
    top = weights.abs().sort_values(ascending=False, kind="stable").index[:limit]
    fig, ax = axes_for(ax, (7.0, 0.35 * len(top) + 1.8))
    y = np.arange(len(top))[::-1]
    shown = weights[top].to_numpy()
    ax.barh(y, shown, 0.6, color=[UP if w >= 0 else DOWN for w in shown])
    interval_bars(ax, y, shown - spread[top].to_numpy(), shown + spread[top].to_numpy(), horizontal=True)
    ax.axvline(0, color="grey", linewidth=0.8)
    category_ticks(ax, "y", y, top)
    positive = result.dataset.get("positive_label")
    space = lime.get("output_space") or "output"
    units = f"{space} of class {positive}" if space == "probability" and positive is not None else space
    label_axes(ax, f"LIME weights of row {row}, mean ± std over {lime['repeats']} repeats\n({instance['reason']})",
               xlabel=f"weight ({units})")
    return fig

