"""``result.plot.mitigation()`` and the report's mitigation section: what they show and what they say when absent."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import auditkit
from auditkit import datasets
from auditkit.exceptions import InputError
from auditkit.report import mitigation_views, sections


@pytest.fixture(scope="module")
def result():
    frame = datasets.make_biased(1500, seed=0).frame
    return auditkit.audit(data=frame, target="label", sensitive=["group"], seed=2, steps=["fairness", "mitigation"],
                          step_options={"mitigation": {"methods": ["threshold_optimizer"], "n_boot": 100},
                                        "fairness": {"n_boot": 50}}, progress=False)


def evaluated(result):
    return [o for o in result.step("mitigation").payload["options"] if o["status"] == "evaluated"]


def test_one_panel_per_criterion_with_each_option_at_its_accuracy_and_disparity(result):
    fig = result.plot.mitigation()
    options = evaluated(result)
    assert [ax.get_title() for ax in fig.axes] == ["Demographic parity", "Equalized odds"]
    for ax, name in zip(fig.axes, ("demographic_parity_difference", "equalized_odds_difference"), strict=True):
        drawn = [c.get_offsets()[0].tolist() for c in ax.collections if c.get_label() in {o["label"] for o in options}]
        expected = [[o["metrics"][name], o["metrics"]["accuracy"]] for o in options]
        assert [x for point in drawn for x in point] == pytest.approx([x for point in expected for x in point])
    assert fig.get_suptitle() == (f"Accuracy against disparity on "
                                  f"{result.step('mitigation').payload['settings']['split']['evaluation_rows']:,} "
                                  "held-out rows, with 95% intervals")
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert legend == [o["label"] for o in options]


def test_the_unmitigated_model_is_the_star(result):
    ax = result.plot.mitigation("equalized_odds").axes[0]
    star = next(c for c in ax.collections if c.get_label() == "Unmitigated (the audited model)")
    circle = next(c for c in ax.collections if c.get_label().startswith("ThresholdOptimizer"))
    assert star.get_paths()[0] != circle.get_paths()[0]


def test_drawn_into_given_axes(result):
    fig, ax = plt.subplots()
    assert result.plot.mitigation(ax=ax) is fig and ax.get_title() == "Demographic parity"
    plt.close(fig)


def test_an_unknown_criterion_and_a_missing_step_are_named():
    frame = datasets.make_biased(300, seed=0).frame
    other = auditkit.audit(data=frame, target="label", sensitive=["group"], steps=["performance"], progress=False)
    with pytest.raises(InputError, match=r"^mitigation needs the mitigation step; this audit ran: performance$"):
        other.plot.mitigation()
    decisions = frame.assign(decision=(frame["x0"] > 0).astype(int))
    no_model = auditkit.audit(data=decisions, target="label", sensitive=["group"], predictions="decision",
                              steps=["mitigation"], progress=False)
    with pytest.raises(InputError, match=r"^mitigation needs the results of the mitigation step, which recorded "
                                         r"none: The mitigation step did not run: it needs the model"):
        no_model.plot.mitigation()


def shown(monkeypatch, doc, result=None):
    fragments = []
    monkeypatch.setattr(sections, "_show", fragments.append)
    monkeypatch.setattr(sections, "_show_plot", lambda result, plot, what: fragments.append(f"<figure {what}>"))
    sections.mitigation(doc, result)
    return "".join(fragments)


def test_the_section_shows_the_method_the_table_the_rates_and_the_plot(monkeypatch, result):
    html = shown(monkeypatch, result.to_dict(), result)
    settings = result.step("mitigation").payload["settings"]
    assert f"(seed {settings['split']['seed']}, keeping the shares of each outcome and group)" in html
    assert "ThresholdOptimizer (equalized odds)" in html and "Rates by group under each option" in html
    assert html.endswith("<figure Scatter plot of accuracy against disparity for each mitigation option, with "
                         "confidence intervals>")


@pytest.mark.parametrize(("doc", "message"), [
    ({"steps": [{"name": "fairness"}], "findings": []},
     "Mitigation: not in this audit. It trains models, so the standard audit leaves it out; add it with "
     "<code>steps=[..., \"mitigation\"]</code>."),
    ({"steps": [{"name": "mitigation"}], "findings": [
        {"id": "mitigation.needs_model", "step": "mitigation", "message": "It needs the model."}]},
     "Mitigation: not in this audit; It needs the model."),
])
def test_the_section_says_why_there_is_nothing_to_show(monkeypatch, doc, message):
    assert shown(monkeypatch, doc) == f"<p><i>{message}</i></p>"


def test_options_that_were_not_evaluated_are_listed_with_the_reason(result):
    doc = result.to_dict()
    skipped = {"option": "exponentiated_gradient.demographic_parity", "label": "ExponentiatedGradient (demographic "
               "parity)", "status": "skipped", "reason": "it needs training data"}
    doc["mitigation"]["options"].append(skipped)
    html = mitigation_views.mitigation_html(doc)
    assert "<li>ExponentiatedGradient (demographic parity): it needs training data</li>" in html
    assert "ExponentiatedGradient" not in mitigation_views.options_frame(doc["mitigation"])["option"].tolist()


def test_the_legend_is_beside_both_panels(result):
    fig = result.plot.mitigation()
    fig.canvas.draw()
    legend = fig.axes[-1].get_legend().get_window_extent()
    assert not any(legend.overlaps(ax.get_window_extent()) for ax in fig.axes)
