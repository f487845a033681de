"""The calibration reliability plot by group: the recorded bins and their Wilson intervals, the diagonal,
a small plot per group when there are many, in the report's bias section whenever the audit has scores;
and plots sized to stay legible on the page and on paper."""

from __future__ import annotations

import copy
import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.text import Text
from scipy import stats

from auditkit import audit
from auditkit.report import bias_views
from auditkit.report.plots_fairness import MAX_CALIBRATION_LINES, MAX_WIDTH
from auditkit.report.render import write_audit
from auditkit.report.views import load_result

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An audit with scores, by sex (2 groups), region (3) and sex × region (6), written and loaded back."""
    from _frames import make_frame

    result = audit(data=make_frame(1200), target="approved", sensitive=["sex", "region"], predictions="decision",
                   scores="score", steps=["fairness"], step_options={"fairness": {"n_boot": 30}}, progress=False)
    folder = tmp_path_factory.mktemp("calibration")
    write_audit(result, folder)
    return load_result(folder), json.loads((folder / "audit.json").read_text())


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _wilson(successes: int, trials: int, level: float) -> tuple[float, float]:
    """The Wilson score interval by its formula (Wilson 1927), computed here independently."""
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


def test_each_bin_records_the_wilson_interval_of_its_share(saved):
    _, doc = saved
    level = doc["fairness"]["settings"]["ci_level"]
    rows = [r for table in doc["fairness"]["calibration"].values() for r in table]
    assert len(rows) > 20
    for row in rows:
        positives = round(row["observed_rate"] * row["n"])
        assert positives == pytest.approx(row["observed_rate"] * row["n"])
        expected = _wilson(positives, row["n"], level)
        assert (row["observed_rate_ci_low"], row["observed_rate_ci_high"]) == pytest.approx(expected, abs=1e-9)


def _bins(doc: dict, grouping: str) -> dict[str, pd.DataFrame]:
    table = pd.DataFrame(doc["fairness"]["calibration"][grouping])
    features = grouping.split(" × ")
    return {", ".join(map(str, keys if isinstance(keys, tuple) else (keys,))): part
            for keys, part in table.groupby(features, sort=False)}


def _check_drawn(ax, part: pd.DataFrame, line) -> None:
    np.testing.assert_allclose(line.get_xdata(), part["mean_score"])
    np.testing.assert_allclose(line.get_ydata(), part["observed_rate"])
    colour = matplotlib.colors.to_rgba(line.get_color())
    segments = [s for c in ax.collections if isinstance(c, LineCollection)
                and np.allclose(c.get_colors()[0][:3], colour[:3]) for s in c.get_segments()]
    np.testing.assert_allclose([s[:, 0] for s in segments], np.repeat(part["mean_score"].to_numpy()[:, None], 2, 1))
    np.testing.assert_allclose([s[:, 1] for s in segments],
                               part[["observed_rate_ci_low", "observed_rate_ci_high"]].to_numpy())


def _has_diagonal(ax) -> bool:
    return any(list(line.get_xdata()) == [0, 1] and list(line.get_ydata()) == [0, 1] for line in ax.get_lines())


def test_one_plot_draws_every_groups_bins_and_intervals_as_recorded(saved):
    result, doc = saved
    fig = result.plot.calibration("region")
    ax, = fig.axes
    bins = _bins(doc, "region")
    assert 1 < len(bins) <= MAX_CALIBRATION_LINES
    lines = {line.get_label().rsplit(" (n=", 1)[0]: line for line in ax.get_lines() if "(n=" in line.get_label()}
    assert set(lines) == set(bins)
    for group, part in bins.items():
        _check_drawn(ax, part, lines[group])
    assert _has_diagonal(ax)
    assert ax.get_title() == "Calibration by region with 95% intervals"
    fig.canvas.draw()
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())


def test_many_groups_get_a_small_plot_each(saved):
    result, doc = saved
    fig = result.plot.calibration("sex*region")
    bins = _bins(doc, "sex × region")
    assert len(bins) > MAX_CALIBRATION_LINES
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(bins)
    for ax, (group, part) in zip(panels, bins.items(), strict=True):
        assert ax.get_title().startswith(group) and f"(n={part['n'].sum():,})" in ax.get_title()
        own = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(own) == 1
        _check_drawn(ax, part, own[0])
        assert _has_diagonal(ax)
    assert fig.get_suptitle() == "Calibration by sex × region with 95% intervals"
    fig.canvas.draw()
    boxes = [ax.title.get_window_extent() for ax in panels]
    assert not [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def test_an_audit_saved_before_the_intervals_still_draws(saved):
    result = copy.deepcopy(saved[0])
    for table in result.step("fairness").payload["calibration"].values():
        for row in table:
            del row["observed_rate_ci_low"], row["observed_rate_ci_high"]
    ax = result.plot.calibration("sex").axes[0]
    assert ax.get_title() == "Calibration by sex" and not [c for c in ax.collections if isinstance(c, LineCollection)]


def test_the_bias_section_shows_the_reliability_plot_when_the_audit_has_scores(saved, frame):
    result, doc = saved
    html = bias_views.bias_html(doc, result)
    for grouping in doc["fairness"]["calibration"]:
        assert f"<h3>Calibration by {grouping}</h3>" in html
    assert html.count("alt='Reliability plot") == len(doc["fairness"]["calibration"])
    no_scores = audit(data=frame, target="approved", sensitive=["sex"], predictions="decision",
                      steps=["fairness"], step_options={"fairness": {"n_boot": 20}}, progress=False)
    assert "Calibration" not in bias_views.bias_html(no_scores.to_dict(), no_scores)


def test_report_plots_stay_legible_when_printed(saved):
    """At most MAX_WIDTH inches wide (shown at full size on screen, ~90% on A4) and no text below 7 pt."""
    result, _ = saved
    figures = [result.plot.group_rates("sex*region"), result.plot.disparities(),
               result.plot.calibration("sex"), result.plot.calibration("sex*region")]
    for fig in figures:
        assert fig.get_size_inches()[0] <= MAX_WIDTH
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        assert min(sizes) >= 7
