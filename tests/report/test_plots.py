"""``result.plot``: every plot on a real audit draws the recorded numbers, beside-the-data legends, plain text.

The numbers are read back from the matplotlib artists (bar heights and widths, error-bar
segments, scatter offsets) and compared with the step payloads and artifacts they come from.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text
from threadpoolctl import threadpool_limits

from auditkit import audit, datasets
from auditkit.exceptions import InputError
from auditkit.report.render import write_audit
from auditkit.report.views import load_result
from auditkit.result import AuditResult, StepResult
from auditkit.runner import _without_model
from auditkit.steps import ShapStep

matplotlib.use("Agg")

DOLLAR = "$\\x$"  # a sensitive value and a category of purpose: must draw as written
COLUMN = "rate $\\x$"  # a numeric model input


def _german() -> tuple[pd.DataFrame, datasets.Dataset]:
    """German credit with ``$\\x$`` strings, missing values in a numeric and a categorical column,
    and a category literally written ``(missing)`` beside real missing values."""
    german = datasets.load("german")
    frame = german.frame.rename(columns={"installment_rate": COLUMN}).astype({"purpose": object, "sex": object})
    frame.loc[frame["purpose"] == "others", "purpose"] = DOLLAR
    frame["sex"] = frame["sex"].replace({"female": DOLLAR})
    rng = np.random.default_rng(0)
    frame.loc[rng.choice(len(frame), 60, replace=False), "purpose"] = None
    frame.loc[rng.choice(len(frame), 30, replace=False), "purpose"] = "(missing)"
    frame.loc[rng.choice(len(frame), 60, replace=False), "duration_months"] = np.nan
    return frame, german


@pytest.fixture(scope="module")
def result() -> AuditResult:
    frame, german = _german()
    with threadpool_limits(limits=1, user_api="openmp"):
        return audit(data=frame, target=german.target_name, positive_label=german.positive_label,
                     sensitive=german.sensitive_features, sample=300, seed=1, min_group_size=10,
                     steps=["fairness", "shap", "lime", "mitigation"],
                     step_options={"fairness": {"n_boot": 50},
                                   "lime": {"n_instances": 3, "repeats": 2, "num_samples": 300},
                                   "mitigation": {"methods": ["threshold_optimizer"], "n_boot": 50}})


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory) -> AuditResult:
    """The same audit written to a folder and loaded back (audit.json + artifacts)."""
    folder = tmp_path_factory.mktemp("saved")
    write_audit(result, folder)
    return load_result(folder)


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _shap_row(result) -> str:
    return result.step("shap").artifacts["rows"]["row_id"][0]


def _lime_row(result):
    return result.step("lime").payload["lime"]["instances"][0]["row_id"]


@pytest.fixture(scope="module")
def rows(result) -> dict[str, object]:
    """A row SHAP explained and a row LIME explained."""
    return {"shap": _shap_row(result), "lime": _lime_row(result)}


CALLS = {
    "group_rates": lambda r, rows, **kw: r.plot.group_rates("sex*age_group", **kw),
    "disparities": lambda r, rows, **kw: r.plot.disparities(**kw),
    "calibration": lambda r, rows, **kw: r.plot.calibration("sex", **kw),
    "importance": lambda r, rows, **kw: r.plot.importance(**kw),
    "beeswarm": lambda r, rows, **kw: r.plot.beeswarm(**kw),
    "dependence": lambda r, rows, **kw: r.plot.dependence("purpose", **kw),
    "waterfall": lambda r, rows, **kw: r.plot.waterfall(rows["shap"], **kw),
    "group_attribution": lambda r, rows, **kw: r.plot.group_attribution("sex", **kw),
    "lime": lambda r, rows, **kw: r.plot.lime(rows["lime"], **kw),
    "mitigation": lambda r, rows, **kw: r.plot.mitigation(**kw),
}
WITH_LEGEND = ["group_rates", "calibration", "group_attribution"]


def test_every_method_of_result_plot_is_tested():
    from auditkit.report.plots import ResultPlots

    public = {name for name in vars(ResultPlots) if not name.startswith("_")}
    assert public == set(CALLS)


@pytest.mark.parametrize("name", CALLS)
def test_returns_a_figure_left_closed_in_pyplot(result, rows, name):
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    fig = CALLS[name](result, rows)
    assert isinstance(fig, Figure) and fig.axes
    assert plt.get_fignums() == open_before  # shown once as a cell's value, not again by pyplot


@pytest.mark.parametrize("name", CALLS)
def test_draws_into_the_axes_given(result, rows, name):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5))
    assert CALLS[name](result, rows, ax=right) is fig
    assert right.has_data() and not left.has_data()


@pytest.mark.parametrize("name", WITH_LEGEND)
@pytest.mark.parametrize("given_ax", [False, True])
def test_legend_is_beside_the_data(result, rows, name, given_ax):
    import matplotlib.pyplot as plt

    fig = CALLS[name](result, rows, ax=plt.subplots()[1] if given_ax else None)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_legend() is not None
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())


def _bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _intervals(ax, horizontal: bool = False) -> list[list[tuple[float, float]]]:
    """Per error-bar container: each point's (low, high), or None where none is drawn."""
    out = []
    for container in (c for c in ax.containers if isinstance(c, ErrorbarContainer)):
        segments = container.lines[2][0].get_segments()
        axis = 0 if horizontal else 1
        out.append([None if len(s) == 0 else (s[0][axis], s[1][axis]) for s in segments])
    return out


def _none_to_nan(value):
    return np.nan if value is None else value


@pytest.mark.parametrize("grouping", ["sex", "age_group", "sex*age_group"])
def test_group_rates_bars_and_error_bars_are_the_payload(result, grouping):
    ax = result.plot.group_rates(grouping).axes[0]
    features = grouping.split("*")
    rows = [r for r in result.step("fairness").payload["by_group"] if list(r["group"]) == features]
    metrics = ["selection_rate", "true_positive_rate", "false_positive_rate"]
    bars, intervals = _bars(ax), _intervals(ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [m.replace("_", " ") for m in metrics]
    assert len(bars) == len(intervals) == 3
    for metric, container, drawn in zip(metrics, bars, intervals, strict=True):
        heights = [bar.get_height() for bar in container]
        np.testing.assert_allclose(heights, [_none_to_nan(r["metrics"][metric]) for r in rows])
        expected = [tuple(r["ci"][metric]) if r["ci"].get(metric) and None not in r["ci"][metric] else None
                    for r in rows]
        assert [None if d is None else pytest.approx(d) for d in drawn] == expected
    assert sum(d is not None for d in intervals[0]) >= 2  # the audit has intervals to compare


def test_group_rates_of_chosen_metrics(result):
    ax = result.plot.group_rates("sex", metrics=["accuracy"]).axes[0]
    rows = [r for r in result.step("fairness").payload["by_group"] if list(r["group"]) == ["sex"]]
    assert [b.get_height() for b in _bars(ax)[0]] == [r["metrics"]["accuracy"] for r in rows]


@pytest.mark.parametrize("measure", ["difference", "ratio"])
def test_disparities_bars_and_error_bars_are_the_payload(result, measure):
    ax = result.plot.disparities(measure=measure).axes[0]
    records = [d for d in result.step("fairness").payload["disparities"]
               if d["measure"] == measure and d["method"] == "between_groups"]
    widths = [bar.get_width() for bar in _bars(ax)[0]]
    np.testing.assert_allclose(widths, [_none_to_nan(d["value"]) for d in records])
    drawn = _intervals(ax, horizontal=True)[0]
    assert drawn == [None if None in d["ci"] else pytest.approx(tuple(d["ci"])) for d in records]
    assert sum(d is not None for d in drawn) >= 4


def test_calibration_lines_are_the_payload(result):
    ax = result.plot.calibration("sex").axes[0]
    table = pd.DataFrame(result.step("fairness").payload["calibration"]["sex"])
    lines = {line.get_label().rsplit(" (n=", 1)[0]: line for line in ax.get_lines()[1:]}
    assert set(lines) == set(table["sex"])
    for group, part in table.groupby("sex"):
        np.testing.assert_allclose(lines[group].get_xdata(), part["mean_score"])
        np.testing.assert_allclose(lines[group].get_ydata(), part["observed_rate"])


def test_importance_bars_are_the_payload(result):
    ax = result.plot.importance(max_display=5).axes[0]
    expected = result.step("shap").payload["global_importance"][:5]
    assert [t.get_text() for t in ax.get_yticklabels()] == [r["feature"] for r in expected]
    assert [b.get_width() for b in _bars(ax)[0]] == [r["mean_abs_shap"] for r in expected]


def test_beeswarm_dots_are_the_shap_values_of_every_row(result):
    ax = result.plot.beeswarm(max_display=4).axes[0]
    ranked = [r["feature"] for r in result.step("shap").payload["global_importance"][:4]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ranked
    dots = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    values = result.step("shap").artifacts["values"]
    for position, feature in enumerate(reversed(ranked)):
        drawn = dots[np.abs(dots[:, 1] - position) <= 0.3][:, 0]
        np.testing.assert_allclose(np.sort(drawn), np.sort(values[feature].to_numpy()))


def test_dependence_shows_missing_values_under_a_label_no_category_has(result):
    ax = result.plot.dependence("purpose").axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    features, values = result.step("shap").artifacts["features"], result.step("shap").artifacts["values"]
    assert "(missing)" in set(features["purpose"].dropna()) and features["purpose"].isna().any()
    assert {"(missing)", "(missing 2)", DOLLAR} <= set(labels)  # the written text and the missing rows apart
    colour = matplotlib.rcParams["boxplot.medianprops.color"]
    medians = [line.get_ydata()[0] for line in ax.get_lines() if line.get_color() == colour]
    assert len(medians) == len(labels)
    missing = values["purpose"][features["purpose"].isna()]
    assert medians[labels.index("(missing 2)")] == pytest.approx(np.median(missing))


def test_numeric_dependence_draws_rows_without_a_value_apart(result):
    ax = result.plot.dependence("duration_months").axes[0]
    features, values = result.step("shap").artifacts["features"], result.step("shap").artifacts["values"]
    missing = features["duration_months"].isna().to_numpy()
    assert missing.any()
    position = ax.get_xticks()[[t.get_text() for t in ax.get_xticklabels()].index("(missing)")]
    dots = np.vstack([c.get_offsets() for c in ax.collections])
    apart = dots[dots[:, 0] < features["duration_months"].min()]
    assert np.all(np.abs(apart[:, 0] - position) < 0.05 * np.ptp(features["duration_months"].dropna().to_numpy()))
    np.testing.assert_allclose(np.sort(apart[:, 1]), np.sort(values["duration_months"][missing]))
    assert len(dots) == len(values)


def test_waterfall_goes_from_the_base_value_to_the_output(result):
    row = _shap_row(result)
    ax = result.plot.waterfall(row, max_display=5).axes[0]
    rows, values = result.step("shap").artifacts["rows"], result.step("shap").artifacts["values"]
    position = rows.index[rows["row_id"] == row][0]
    shap = values.iloc[position]
    order = shap.abs().sort_values(ascending=False, kind="stable").index
    bars = list(_bars(ax)[0])
    expected = [*shap[order[:4]], shap[order[4:]].sum()]
    np.testing.assert_allclose([b.get_width() for b in bars], expected)
    base = result.step("shap").payload["shap"]["base_value"]
    bottom, top = bars[-1], bars[0]
    assert bottom.get_x() == pytest.approx(base)  # the last part starts at the base value ...
    assert top.get_x() + top.get_width() == pytest.approx(rows["output"][position])  # ... the first ends at f(x)
    for upper, lower in zip(bars[:-1], bars[1:], strict=True):
        assert upper.get_x() == pytest.approx(lower.get_x() + lower.get_width())
    assert [t.get_text().split(" = ")[0] for t in ax.get_yticklabels()][:4] == list(order[:4])


def test_group_attribution_bars_are_the_gap_parts(result):
    ax = result.plot.group_attribution("sex", max_display=20).axes[0]
    view = next(v for v in result.step("shap").payload["group_attributions"] if v["sensitive_feature"] == "sex")
    assert view["gaps"], "the audit decomposes a gap (min_group_size=10)"
    features = [t.get_text() for t in ax.get_yticklabels()]
    for gap, container in zip(view["gaps"], _bars(ax), strict=True):
        parts = {c["feature"]: c["contribution"] for c in gap["contributions"]}
        assert [b.get_width() for b in container] == pytest.approx([parts[f] for f in features])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"{DOLLAR} − male"]


def test_lime_bars_are_the_mean_weights_with_their_spread(result):
    row = _lime_row(result)
    ax = result.plot.lime(row, max_display=6).axes[0]
    instance = result.step("lime").payload["lime"]["instances"][0]
    features = [t.get_text() for t in ax.get_yticklabels()]
    weights = [instance["weights"][f] for f in features]
    assert [b.get_width() for b in _bars(ax)[0]] == pytest.approx(weights)
    spread = [instance["weight_std"][f] for f in features]
    expected = [pytest.approx((w - s, w + s)) for w, s in zip(weights, spread, strict=True)]
    assert _intervals(ax, horizontal=True)[0] == expected
    largest = sorted(map(abs, instance["weights"].values()), reverse=True)[:6]
    assert sorted(map(abs, weights), reverse=True) == pytest.approx(largest)


def test_titles_and_labels_say_what_is_drawn(result):
    units = "log-odds of class good"
    assert result.step("shap").payload["shap"]["output"]["space"] == "log-odds"
    assert result.plot.beeswarm().axes[0].get_xlabel() == f"SHAP value ({units})"
    assert result.plot.dependence("age").axes[0].get_ylabel() == f"SHAP value ({units})"
    assert result.plot.waterfall(_shap_row(result)).axes[0].get_xlabel() == f"model output ({units})"
    assert result.plot.lime(_lime_row(result)).axes[0].get_xlabel() == "weight (probability of class good)"
    assert result.plot.group_rates().axes[0].get_title() == "Rates by sex with 95% intervals"


def test_data_strings_draw_as_written(result, rows):
    figures = [call(result, rows) for call in CALLS.values()]
    figures += [result.plot.dependence(COLUMN), result.plot.group_rates("sex"), result.plot.waterfall(
        _shap_row(result), max_display=30)]
    shown = set()
    for fig in figures:
        fig.canvas.draw()  # mathtext is parsed at draw time: ``$\x$`` raised here
        for text in fig.findobj(Text):
            if "$" in text.get_text():
                assert (text.get_parse_math(), text.get_usetex()) == (False, False), text.get_text()
            shown.add(text.get_text())
    assert {DOLLAR, f"Dependence: {COLUMN}", f"{DOLLAR} − male"} <= shown
    assert any(s.startswith(f"{DOLLAR} (n=") for s in shown)  # a group
    assert any(s.startswith(f"{COLUMN} = ") for s in shown)  # a feature in the waterfall


def _without(result, *steps) -> AuditResult:
    return AuditResult(result.provenance, result.dataset, [s for s in result.steps if s.name not in steps])


@pytest.mark.parametrize(("name", "step"), [
    ("group_rates", "fairness"), ("disparities", "fairness"), ("calibration", "fairness"),
    ("importance", "shap"), ("beeswarm", "shap"), ("dependence", "shap"), ("waterfall", "shap"),
    ("group_attribution", "shap"), ("lime", "lime"),
])
def test_a_plot_whose_step_did_not_run_says_so(result, rows, name, step):
    others = ", ".join(s.name for s in result.steps if s.name != step)
    with pytest.raises(InputError, match=f"^{name} needs the {step} step; this audit ran: {others}$"):
        CALLS[name](_without(result, step), rows)


def test_a_step_that_recorded_nothing_gives_its_reason(result):
    no_model = AuditResult(result.provenance, result.dataset, [_without_model(ShapStep())])
    with pytest.raises(InputError, match=r"^beeswarm needs the results of the shap step, which recorded none: "
                                         r"The shap step did not run: it needs the model"):
        no_model.plot.beeswarm()


def test_missing_per_row_values_are_named(result):
    shap = result.step("shap")
    bare = AuditResult(result.provenance, result.dataset, [StepResult(shap.name, shap.section, shap.payload)])
    with pytest.raises(InputError, match=r"^waterfall needs the per-row SHAP values \(artifacts values, features "
                                         r"and rows of the shap step\), which this result does not have$"):
        bare.plot.waterfall(_shap_row(result))
    assert bare.plot.importance().axes  # the payload alone is enough for importance


def test_calibration_without_scores_says_what_it_needs(result):
    fairness = result.step("fairness")
    payload = {**fairness.payload, "calibration": {}}
    unscored = AuditResult(result.provenance, result.dataset, [StepResult("fairness", "fairness", payload)])
    with pytest.raises(InputError, match=r"^calibration needs the calibration of the fairness step, which this "
                                         r"audit does not have \(a binary task with scores"):
        unscored.plot.calibration()


def _quoted(names) -> str:
    return ", ".join(repr(n) for n in names)  # as exceptions._show writes a name


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: r.plot.group_rates("gender"),
     "group_rates: unknown grouping 'gender'; available: 'sex', 'age_group', 'sex*age_group'"),
    (lambda r: r.plot.calibration(["age_group", "sex"]),
     "calibration: unknown grouping ['age_group', 'sex']; available: 'sex', 'age_group', 'sex*age_group'"),
    (lambda r: r.plot.group_rates("sex", metrics="recall"), "group_rates: unknown metric 'recall'; available: "
     "selection_rate, true_positive_rate, false_positive_rate, false_negative_rate, true_negative_rate, precision, "
     "negative_predictive_value, accuracy, balanced_accuracy, base_rate, roc_auc, brier_score, "
     "calibration_in_the_large"),
    (lambda r: r.plot.dependence("Purpose"), "dependence: unknown feature 'Purpose'; available: {features}"),
    (lambda r: r.plot.group_attribution("race"), "group_attribution: unknown sensitive feature 'race'; "
     "available: 'sex', 'age_group'"),
    (lambda r: r.plot.waterfall(123456), "waterfall: row 123456 is not among the rows SHAP explained; "
     "available: {shap_rows}, ... (300 in all)"),
    (lambda r: r.plot.lime("123456"), "lime: row '123456' is not among the rows LIME explained; "
     "available: {lime_rows}"),
    (lambda r: r.plot.beeswarm(max_display=0), "beeswarm: max_display must be a positive whole number, got 0"),
    (lambda r: r.plot.disparities(measure="gap"), "disparities: measure must be one of difference, ratio, got 'gap'"),
])
def test_unknown_names_list_the_available_ones(result, call, message):
    artifacts = result.step("shap").artifacts
    expected = message.format(
        features=_quoted(artifacts["values"].columns),
        shap_rows=", ".join(artifacts["rows"]["row_id"][:10]),
        lime_rows=", ".join(str(i["row_id"]) for i in result.step("lime").payload["lime"]["instances"]),
    )
    with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
        call(result)


def test_rows_are_found_whatever_type_their_id_is_given_in(result):
    row = _lime_row(result)
    widths = [b.get_width() for b in _bars(result.plot.lime(row).axes[0])[0]]
    assert [b.get_width() for b in _bars(result.plot.lime(str(row)).axes[0])[0]] == widths


@pytest.mark.parametrize("name", CALLS)
def test_a_saved_audit_draws_the_same_plot(result, rows, saved, name):
    """The report's path: audit.json + artifacts, loaded back, give the same artists."""
    def drawn(fig):
        ax = fig.axes[0]
        sizes = [(b.get_x(), b.get_y(), b.get_width(), b.get_height()) for c in _bars(ax) for b in c]
        dots = [c.get_offsets().tolist() for c in ax.collections if isinstance(c, PathCollection)]
        lines = [line.get_xydata().tolist() for line in ax.get_lines()]
        return sizes, dots, lines, [t.get_text() for t in fig.findobj(Text)]

    np.testing.assert_equal(drawn(CALLS[name](saved, rows)), drawn(CALLS[name](result, rows)))  # NaN equals NaN here


def _hand_made(rows: list[dict]) -> AuditResult:
    """A result holding only a fairness payload (no audit run): for task shapes the german audit lacks."""
    payload = {"by_group": rows, "settings": {"n_boot": 100, "ci_level": 0.9}}
    return AuditResult({}, {"name": "hand-made"}, [StepResult("fairness", "fairness", payload)])


def test_regression_metrics_are_drawn_and_named():
    rows = [{"group": {"g": "a"}, "n": 10, "metrics": {"mean_prediction": 3.0, "mae": 1.5, "rmse": 2.0},
             "ci": {"mae": [1.0, 2.0], "rmse": [1.5, 2.5]}},
            {"group": {"g": "b"}, "n": 12, "metrics": {"mean_prediction": 4.0, "mae": 0.5, "rmse": 0.75},
             "ci": {"mae": [0.25, 1.0], "rmse": [0.5, 1.0]}}]
    ax = _hand_made(rows).plot.group_rates().axes[0]
    assert ax.get_title() == "mae and rmse by g with 90% intervals" and ax.get_ylabel() == "value"
    assert [[b.get_height() for b in c] for c in _bars(ax)] == [[1.5, 0.5], [2.0, 0.75]]
    assert _intervals(ax) == [[(1.0, 2.0), (0.25, 1.0)], [(1.5, 2.5), (0.5, 1.0)]]


def test_an_interval_beside_its_estimate_is_drawn_as_recorded():
    """A percentile bootstrap interval need not contain the estimate: drawn as it is, neither clipped nor refused."""
    rows = [{"group": {"g": "a"}, "n": 10, "metrics": {"selection_rate": 0.5}, "ci": {"selection_rate": [0.6, 0.9]}},
            {"group": {"g": "b"}, "n": 10, "metrics": {"selection_rate": None}, "ci": {"selection_rate": [None, None]}}]
    ax = _hand_made(rows).plot.group_rates().axes[0]
    assert [b.get_height() for b in _bars(ax)[0]][0] == 0.5 and np.isnan(_bars(ax)[0][1].get_height())
    assert _intervals(ax) == [[pytest.approx((0.6, 0.9)), None]]


def test_multiclass_rows_name_their_class():
    rows = [{"group": {"g": g}, "class": c, "n": 5, "metrics": {"selection_rate": 0.2}, "ci": {}}
            for c in ("high", "low") for g in ("a", "b")]
    ax = _hand_made(rows).plot.group_rates().axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a [high] (n=5)", "b [high] (n=5)", "a [low] (n=5)",
                                                             "b [low] (n=5)"]
