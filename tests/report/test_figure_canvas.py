"""The report's figures are saved whole (their constrained layout fits them), so nothing may stick out of the canvas.

Checked from the renderer's extents of every visible text, legend and axes of each plot, once drawn as the report
saves it; and the calibration panels' fixed ticks are those matplotlib would choose, drawn as they were.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from _result_fixtures import full_audit
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.ticker import AutoLocator, ScalarFormatter

from auditkit.report import plots_fairness, views

matplotlib.use("Agg")
PIXEL = 1.0  # rounding of extents to whole pixels


def _plots(result) -> list[tuple[str, tuple]]:
    shap_row = result.step("shap").artifacts["rows"]["row_id"].iloc[0]
    lime_row = result.step("lime").payload["lime"]["instances"][0]["row_id"]
    return [("group_rates", ("sex",)), ("group_rates", (("sex", "region"),)), ("disparities", ()),
            ("calibration", ("sex",)), ("calibration", (("sex", "region"),)), ("importance", ()), ("beeswarm", ()),
            ("dependence", (result.step("shap").artifacts["values"].columns[0],)), ("waterfall", (shap_row,)),
            ("group_attribution", ("sex",)), ("lime", (lime_row,))]


def _saved(fig) -> tuple[int, int]:
    """Save ``fig`` as the report does; the PNG's width and height in pixels."""
    buffer = io.BytesIO()
    html = views.figure_html(fig, "a plot")
    fig.savefig(buffer, format="png", dpi=views.SCREEN_DPI * views.PRINT_SCALE)  # draws it, as saved
    assert f"width='{round(int.from_bytes(buffer.getvalue()[16:20], 'big') / views.PRINT_SCALE)}'" in html
    png = buffer.getvalue()
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@pytest.mark.parametrize("index", range(11))
def test_every_text_legend_and_axes_is_inside_the_saved_canvas(index):
    result = full_audit()
    plot, args = _plots(result)[index]
    fig = getattr(result.plot, plot)(*args)
    assert views.laid_out(fig)
    width, height = _saved(fig)
    size = fig.get_size_inches() * views.SCREEN_DPI * views.PRINT_SCALE
    assert abs(width - size[0]) < 1 and abs(height - size[1]) < 1  # saved whole, not cropped to its artists
    canvas_agg = FigureCanvasAgg(fig)
    canvas_agg.draw()  # laid out as when saved
    renderer = canvas_agg.get_renderer()
    canvas = fig.bbox
    # what is drawn: each visible axes with its ticks, labels, title and legend; the figure's own texts, legends
    parts = [(repr(ax.get_title() or ax), ax.get_tightbbox(renderer)) for ax in fig.axes if ax.get_visible()]
    parts += [(repr(t), t.get_window_extent(renderer)) for t in fig.texts + fig.legends if t.get_visible()]
    parts += [("everything", fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans))]
    assert len(parts) > 1
    for part, box in parts:
        inside = (box.x0 >= canvas.x0 - PIXEL and box.y0 >= canvas.y0 - PIXEL and box.x1 <= canvas.x1 + PIXEL
                  and box.y1 <= canvas.y1 + PIXEL)
        assert inside, f"{plot}{args}: {part!r} at {box.bounds} is outside the canvas {canvas.bounds}"


def test_a_figure_without_constrained_layout_is_cropped_to_what_it_draws():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_ylabel("a label")
    html = views.figure_html(fig, "a plot")
    width = int(html.split("width='")[1].split("'")[0])
    assert width != 400 and not views.laid_out(fig)  # tight bounding box: its own width, not the figure's 4 inches


@pytest.mark.parametrize("grouping", [("sex", "region")])
def test_calibration_panels_fix_the_ticks_matplotlib_would_choose(grouping):
    result = full_audit()
    fig = result.plot.calibration(grouping)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    fixed = [_ticks(ax) for ax in fig.axes if ax.get_visible()]
    automatic = result.plot.calibration(grouping)  # as before the ticks were fixed: matplotlib's own choice
    for axis in (automatic.axes[0].xaxis, automatic.axes[0].yaxis):  # shared by every panel
        axis.set_major_locator(AutoLocator())
        axis.set_major_formatter(ScalarFormatter())
    FigureCanvasAgg(automatic).draw()
    assert len(fixed) > 1
    assert fixed == [_ticks(ax) for ax in automatic.axes if ax.get_visible()]
    assert fixed[0] == [(list(plots_fairness.UNIT_TICKS[x]), [f"{t:.1f}" for t in plots_fairness.UNIT_TICKS[x]])
                        for x in "xy"]


def _ticks(ax) -> list[tuple[list[float], list[str]]]:
    """The ticks drawn on each axis of ``ax`` (those within its limits) and their labels."""
    drawn = []
    for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        ticks = [float(t) for t in axis.get_majorticklocs() if low <= t <= high]
        drawn.append((np.round(ticks, 9).tolist(), axis.get_major_formatter().format_ticks(ticks)))
    return drawn


def test_calibration_panels_draw_the_faint_curves_as_one_collection_per_panel():
    result = full_audit()
    fig = result.plot.calibration(("sex", "region"))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    for ax in panels:
        faint = [c for c in ax.collections if isinstance(c, LineCollection)
                 and matplotlib.colors.to_hex(c.get_edgecolor()[0]) == "#bdbdbd"]
        assert len(faint) == 1 and len(faint[0].get_segments()) == len(panels)  # every group's curve
        assert faint[0].get_zorder() == 2  # above the intervals (zorder 1), as the lines were
        assert len(ax.lines) == 2  # the diagonal and the panel's own curve
