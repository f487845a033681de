"""The parts of the mitigation step: the split, the model as fairlearn sees it, the paired bootstrap, the findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from auditkit.fairness.analysis import FairnessSettings
from auditkit.mitigation.evaluate import _paired_resamples, change, measure_options, pareto_optimal
from auditkit.mitigation.findings import mitigation_findings
from auditkit.mitigation.fitting import NotFitted, PositiveClassModel, refittable, score_method, threshold_decisions
from auditkit.mitigation.split import fitting_split
from auditkit.stats.counts import confusion_cells, group_counts

# ---- the split


@pytest.mark.parametrize(("groups", "stratified_by"), [
    (["a"] * 40 + ["b"] * 60, "outcome and group"),
    (["a"] * 99 + ["b"], "outcome"),  # a group of one row cannot be in both parts
])
def test_the_split_keeps_outcome_and_group_shares_where_it_can(groups, stratified_by):
    y = np.array([0, 1] * 50)
    split = fitting_split(y, np.array(groups), 0.5, seed=0)
    assert split.stratified_by == stratified_by
    assert sorted([*split.fit, *split.evaluate]) == list(range(100))
    assert y[split.fit].sum() == y[split.evaluate].sum() == 25
    if stratified_by == "outcome and group":
        assert (y[split.evaluate] * (np.array(groups)[split.evaluate] == "a")).sum() == 10


def test_the_split_falls_back_to_no_strata_when_an_outcome_has_one_row():
    split = fitting_split(np.array([1] + [0] * 9), np.array(["a"] * 10), 0.3, seed=2)
    assert (split.stratified_by, len(split.evaluate)) == ("nothing", 3)


# ---- the model as fairlearn reads it


def test_the_positive_class_is_the_score_fairlearn_reads_even_when_the_model_lists_it_first():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    y = np.array(["good", "good", "good", "bad", "bad", "bad"])  # classes_: bad, good
    for model in (LogisticRegression().fit(X, y), LinearSVC().fit(X, y)):
        view = PositiveClassModel(model, ("bad", "good"))  # the positive label "good" is classes_[0]
        assert view.predict(X).tolist() == [1, 1, 1, 0, 0, 0]
        score = getattr(view, score_method(model))(X)
        positive = score[:, 1] if score.ndim == 2 else score
        assert np.all(np.diff(positive) < 0)  # higher x: less likely "good"


def test_a_model_without_classes_is_thresholded_on_its_decisions():
    class Rule:
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.where(X["x"] > 2, "yes", "no")

    assert score_method(Rule()) == "predict"
    assert PositiveClassModel(Rule(), ("no", "yes")).predict(pd.DataFrame({"x": [1, 3]})).tolist() == [0, 1]


def test_post_processing_that_fairlearn_refuses_is_a_reason_not_a_crash():
    X = pd.DataFrame({"x": np.arange(20.0)})
    model = LogisticRegression().fit(X, np.arange(20) > 9)
    groups = np.array(["a"] * 10 + ["b"] * 10)
    with pytest.raises(NotFitted, match=r"^fairlearn could not fit it: "):
        threshold_decisions(model, (False, True), "equalized_odds", (X[:10], np.zeros(10, int), groups[:10]),
                            (X[10:], groups[10:]), random_state=0)  # no positive outcome to equalize


def test_a_model_scikit_learn_cannot_copy_cannot_be_refitted():
    class Opaque:
        def predict(self, X):
            return np.zeros(len(X))

    with pytest.raises(NotFitted, match=r"^the model cannot be copied to train anew \(TypeError: "):
        refittable(Opaque())


# ---- the paired bootstrap


def test_paired_resamples_draw_the_same_rows_for_every_option():
    rng = np.random.default_rng(0)
    codes, y = rng.integers(0, 3, 300), rng.integers(0, 2, 300)
    cells = {"a": confusion_cells(y, rng.integers(0, 2, 300)), "b": confusion_cells(y, y)}
    boots = _paired_resamples(codes, 3, cells, 2000, rng)
    truth = {key: group_counts(codes, c, 3) for key, c in cells.items()}
    # every resample has the same rows for both options: the same group sizes and the same actual positives
    assert np.array_equal(boots["a"].sum(axis=2), boots["b"].sum(axis=2))
    positives = (0, 2)  # tp, fn
    assert np.array_equal(boots["a"][..., positives].sum(axis=2), boots["b"][..., positives].sum(axis=2))
    for key in cells:  # each option's resamples are those of a row bootstrap of its own counts
        assert boots[key].mean(axis=0) == pytest.approx(truth[key], rel=0.05, abs=1.0)


def test_an_option_identical_to_its_baseline_changes_nothing_with_certainty():
    rng = np.random.default_rng(1)
    y, decisions = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    sensitive = pd.DataFrame({"sex": rng.choice(["f", "m"], 200)})
    measured = measure_options({"base": decisions, "same": decisions.copy()}, y, sensitive,
                               FairnessSettings(n_boot=100), rng)
    delta, delta_ci = change(measured["same"], measured["base"], 0.95)
    assert delta == {"accuracy": 0.0, "balanced_accuracy": 0.0, "demographic_parity_difference": 0.0,
                     "equalized_odds_difference": 0.0}
    assert delta_ci == {"accuracy": [0.0, 0.0], "balanced_accuracy": [0.0, 0.0]}


def test_without_resamples_there_are_no_intervals():
    y = np.array([0, 1] * 50)
    measured = measure_options({"base": y.copy()}, y, pd.DataFrame({"sex": ["f"] * 50 + ["m"] * 50}),
                               FairnessSettings(n_boot=0), np.random.default_rng(0))
    assert measured["base"].intervals(0.95) == {"demographic_parity_difference": [None, None],
                                                "equalized_odds_difference": [None, None]}


@pytest.mark.parametrize(("points", "front"), [
    ({"a": (0.2, 0.85), "b": (0.05, 0.84), "c": (0.1, 0.83)}, ["a", "b"]),
    ({"a": (0.1, 0.85), "b": (0.1, 0.85)}, ["a", "b"]),  # ties beat neither
    ({"a": (0.1, 0.85), "b": (None, 0.99)}, ["a"]),
])
def test_pareto_optimal_options_are_those_no_other_beats(points, front):
    assert pareto_optimal(points) == front


# ---- findings


def payload(change_ci, before=0.17, after=0.04, delta=-0.012):
    base = {"option": "unmitigated", "status": "evaluated", "metrics": {"equalized_odds_difference": before}}
    option = {"option": "exponentiated_gradient.equalized_odds", "label": "ExponentiatedGradient (equalized odds)",
              "status": "evaluated", "criterion": "equalized_odds", "baseline": "unmitigated",
              "uses_sensitive_at_decision": False, "metrics": {"equalized_odds_difference": after},
              "change": {"accuracy": delta}, "change_ci": {"accuracy": change_ci}}
    settings = {"sensitive_feature": "race", "split": {"evaluation_rows": 1200}, "ci_level": 0.9}
    return {"settings": settings, "options": [base, option]}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"change_ci": [-0.02, -0.004]}, "ExponentiatedGradient (equalized odds) cuts the equalized odds difference by "
     "race from 0.17 to 0.04 at a cost of 1.2 points of accuracy (90% CI 0.4 to 2.0), on 1,200 held-out rows."),
    ({"change_ci": [-0.001, 0.009], "delta": 0.004}, "ExponentiatedGradient (equalized odds) cuts the equalized "
     "odds difference by race from 0.17 to 0.04 with a gain of 0.4 points of accuracy (90% CI -0.1 to 0.9), on "
     "1,200 held-out rows."),
    ({"change_ci": [-0.003, 0.002], "delta": 0.0002}, "ExponentiatedGradient (equalized odds) cuts the equalized "
     "odds difference by race from 0.17 to 0.04 with no change in accuracy (90% CI of the change -0.3 to 0.2 "
     "points), on 1,200 held-out rows."),
    ({"change_ci": None, "after": 0.2}, "ExponentiatedGradient (equalized odds) does not cut the equalized odds "
     "difference by race (0.17 before, 0.20 after) at a cost of 1.2 points of accuracy, on 1,200 held-out rows."),
])
def test_cost_findings_say_what_the_option_changes_and_what_it_costs(kwargs, message):
    [finding] = mitigation_findings(payload(**kwargs))  # reductions decide without the feature: no caution
    assert (finding.id, finding.severity, finding.message) == (
        "mitigation.cost.exponentiated_gradient.equalized_odds", "info", message)
