"""Figures drawn ahead: used only for the same plot of the same numbers, and the report is the same either way."""

from __future__ import annotations

import copy
import inspect
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from _result_fixtures import full_audit

from auditkit import audit, datasets
from auditkit.report import sections, views
from auditkit.report.drawing_ahead import SECTIONS_OF_STEP, draw_ahead, save_so_far
from auditkit.report.figure_cache import PLOT_STEPS, forget_drawn, keep_drawn, kept_figures, plot_html
from auditkit.report.plots import ResultPlots
from auditkit.result import AuditResult

matplotlib.use("Agg")

# Each plot the report shows, with the arguments it is shown with for the shared audit.
REPORT_PLOTS = [("group_rates", ("sex",)), ("group_rates", (("sex", "region"),)), ("disparities", ()),
                ("calibration", ("sex",)), ("importance", ()), ("beeswarm", ()), ("dependence", (None,)),
                ("group_attribution", ("sex",))]


@pytest.fixture(autouse=True)
def _nothing_kept():
    forget_drawn()
    yield
    forget_drawn()


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """The shared audit as a report reads it: saved, then loaded (``views.load_result``)."""
    return save_so_far(full_audit(), tmp_path_factory.mktemp("audit"))


def shown(audit_dir: Path, names: tuple[str, ...]) -> list[str]:
    """What the report sections ``names`` display (their HTML), as a report notebook would show it."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()  # display() publishes its outputs, as in a report kernel
    doc, result = views.load(audit_dir), views.load_result(audit_dir)
    with capture_output(display=True) as captured:
        for name in names:
            getattr(sections, name)(doc, result)
    return [output.data.get("text/html", "") for output in captured.outputs]


def test_every_plot_says_which_step_it_draws():
    plots = {name for name, _ in inspect.getmembers(ResultPlots, inspect.isfunction) if not name.startswith("_")}
    assert set(PLOT_STEPS) == plots


@pytest.mark.parametrize(("plot", "args"), REPORT_PLOTS, ids=[f"{p}{a}" for p, a in REPORT_PLOTS])
def test_a_figure_shows_its_step_and_the_dataset_only(saved, plot, args):
    # the key holds the plot's step and the dataset: the figure must not change with anything else
    result = views.load_result(saved)
    if plot == "dependence":
        args = (result.step("shap").payload["shap"]["top_features"][0],)
    alone = AuditResult(provenance={}, dataset=result.dataset, steps=[result.step(PLOT_STEPS[plot])])
    assert plot_html(alone, plot, "Plot", *args) == plot_html(result, plot, "Plot", *args)


def test_the_mitigation_figure_shows_its_step_and_the_dataset_only(tmp_path):
    frame = datasets.make_biased(1500, seed=0).frame
    mitigated = audit(data=frame, target="label", sensitive=["group"], seed=2, steps=["fairness", "mitigation"],
                      step_options={"mitigation": {"methods": ["threshold_optimizer"], "n_boot": 50},
                                    "fairness": {"n_boot": 20}}, progress=False)
    result = views.load_result(save_so_far(mitigated, tmp_path))
    alone = AuditResult(provenance={}, dataset=result.dataset, steps=[result.step("mitigation")])
    assert plot_html(alone, "mitigation", "Plot") == plot_html(result, "mitigation", "Plot")


def test_the_report_sections_are_the_same_with_their_figures_drawn_ahead(saved):
    names = tuple(name for step in SECTIONS_OF_STEP for name in SECTIONS_OF_STEP[step])
    drawn_here = shown(saved, names)
    kept = draw_ahead(saved, tuple(SECTIONS_OF_STEP))
    assert kept == sum(html.count("<img") for html in drawn_here) > 10  # every figure of these sections
    assert shown(saved, names) == drawn_here
    assert kept_figures() == 0  # each drawing used, once


def test_a_figure_drawn_from_other_numbers_is_not_used(saved, tmp_path):
    changed = copy.deepcopy(views.load_result(saved))
    changed.step("fairness").payload["by_group"][0]["n"] += 1
    kept = draw_ahead(save_so_far(changed, tmp_path), ("fairness",))
    drawn_here = shown(saved, ("groups",))
    assert kept > 0 and kept_figures() == kept  # none used
    forget_drawn()
    assert drawn_here == shown(saved, ("groups",))


def test_a_figure_drawn_with_other_matplotlib_settings_is_not_used(saved):
    result = views.load_result(saved)
    with keep_drawn():
        plot_html(result, "disparities", "Bars")
    with matplotlib.rc_context({"font.size": 14}):
        assert plot_html(result, "disparities", "Bars") not in (None, "")
    assert kept_figures() == 1


def test_figures_are_kept_only_when_drawn_ahead(saved):
    result = views.load_result(saved)
    plot_html(result, "disparities", "Bars")
    assert kept_figures() == 0


def test_drawing_ahead_of_a_step_without_figures_draws_nothing(saved):
    assert draw_ahead(saved, ("lime", "data_overview")) == 0


def test_drawing_ahead_of_a_section_that_fails_leaves_it_to_the_notebook(saved, monkeypatch):
    intact = draw_ahead(saved, ("fairness",))
    forget_drawn()

    def failing(doc, result):
        raise ValueError("a section that fails")

    monkeypatch.setattr(sections, "groups", failing)
    assert 0 < draw_ahead(saved, ("fairness",)) < intact  # the disparities section still draws


def test_drawing_ahead_of_an_audit_that_cannot_be_read_draws_nothing(saved, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "audit.json").write_text("not json")
    assert draw_ahead(tmp_path / "broken", ("fairness",)) == 0


def test_a_figure_whose_inputs_cannot_be_digested_is_drawn_but_never_kept(saved):
    result = copy.deepcopy(views.load_result(saved))
    result.step("shap").artifacts["notes"] = pd.DataFrame({"lists": [[1, 2], [3]]})  # pandas cannot hash lists
    with keep_drawn():
        drawn = plot_html(result, "importance", "Bars")
    assert drawn.startswith("<div") and kept_figures() == 0
