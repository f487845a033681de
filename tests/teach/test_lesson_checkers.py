"""Each lesson's checkers accept the answer computed independently (fairlearn, scikit-learn, hand formulas) and
turn down wrong answers with a hint that does not give the answer away."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import confusion_matrix, precision_score

from auditkit.exceptions import InputError
from auditkit.teach import lesson1, lesson2, lesson3


def _frame(data, metric, truth, decision, group):
    frame = MetricFrame(metrics=metric, y_true=data[truth], y_pred=data[decision], sensitive_features=data[group])
    return frame.by_group


@pytest.fixture(scope="module")
def offers():
    return lesson1.load_offers()


@pytest.fixture(scope="module")
def compas():
    return lesson2.load_compas()


@pytest.fixture(scope="module")
def biased():
    return lesson3.load_data()


def _text(feedback) -> str:
    return f"{feedback.message} {feedback.hint} {feedback._repr_html_()}"


def _shows_number(text: str, value: float) -> bool:
    forms = {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", f"{value:.1%}", f"{value:.0%}", f"{value * 100:.1f}"}
    return any(re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text) for form in forms)


def _turned_down(feedback, expected: float | None = None, option: str | None = None) -> None:
    """Not right, with a hint; the text shows neither the expected number nor the expected option."""
    assert feedback.status == "not yet" and feedback.hint
    if expected is not None:
        assert not _shows_number(_text(feedback), expected)
    if option is not None:
        assert not re.search(rf"\b{re.escape(str(option))}\b", _text(feedback))


# --- lesson 1 ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["Female", "Male"])
def test_lesson1_selection_rate(offers, group):
    expected = _frame(offers, selection_rate, "high_income", "offer", "sex")[group]
    assert lesson1.check_selection_rate(expected, group=group).correct
    for wrong in (expected + 0.05, 1 - expected):
        _turned_down(lesson1.check_selection_rate(wrong, group=group), expected)
    as_percent = lesson1.check_selection_rate(expected * 100, group=group)  # the student's own number, echoed
    assert not as_percent and as_percent.message.endswith("looks like a percentage; give the share as a number "
                                                          "between 0 and 1.")


def test_lesson1_ratio_of_selection_rates(offers):
    rates = _frame(offers, selection_rate, "high_income", "offer", "sex")
    expected = rates["Female"] / rates["Male"]
    assert lesson1.check_selection_rate_ratio(expected).correct
    upside_down = lesson1.check_selection_rate_ratio(rates["Male"] / rates["Female"])
    assert upside_down.message == "that is men's rate divided by women's; divide the other way round."
    for wrong in (rates["Female"] - rates["Male"], 0.8):
        _turned_down(lesson1.check_selection_rate_ratio(wrong), expected)


@pytest.mark.parametrize("group", ["Female", "Male"])
def test_lesson1_true_positive_rate(offers, group):
    expected = _frame(offers, true_positive_rate, "high_income", "offer", "sex")[group]
    assert lesson1.check_true_positive_rate(expected, group=group).correct
    selection = _frame(offers, selection_rate, "high_income", "offer", "sex")[group]
    _turned_down(lesson1.check_true_positive_rate(selection, group=group), expected)


def test_lesson1_least_certain_group_is_the_widest_wilson_interval(offers):
    counts = offers.groupby("race")["offer"].agg(["size", "sum"])
    z = 1.959963984540054
    p, n = counts["sum"] / counts["size"], counts["size"]
    width = 2 * z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)  # Wilson (1927), by hand
    expected = str(width.idxmax())
    assert lesson1.check_least_certain_group(expected).correct
    _turned_down(lesson1.check_least_certain_group("White"), option=expected)


def test_lesson1_checkers_name_an_unknown_group():
    with pytest.raises(InputError, match=r"^group must be a value of sex \(Female, Male\); got 'female'$"):
        lesson1.check_selection_rate(0.1, group="female")


# --- lesson 2 ---------------------------------------------------------------------------------------------------------


def _error_rates(rows: pd.DataFrame, decision: np.ndarray) -> tuple[float, float, float]:
    tn, fp, fn, tp = confusion_matrix(rows["two_year_recid"], decision, labels=[0, 1]).ravel()
    return fp / (fp + tn), fn / (fn + tp), precision_score(rows["two_year_recid"], decision, zero_division=np.nan)


@pytest.mark.parametrize("race", ["African-American", "Caucasian"])
def test_lesson2_error_rates(compas, race):
    fpr = _frame(compas, false_positive_rate, "two_year_recid", "compas_high_risk", "race")[race]
    fnr = _frame(compas, false_negative_rate, "two_year_recid", "compas_high_risk", "race")[race]
    assert lesson2.check_false_positive_rate(fpr, race=race).correct
    assert lesson2.check_false_negative_rate(fnr, race=race).correct
    _turned_down(lesson2.check_false_positive_rate(fnr, race=race), fpr)
    _turned_down(lesson2.check_false_negative_rate(1 - fnr, race=race), fnr)


def test_lesson2_reproduces_propublicas_published_rates(compas):
    rates = {"false_positive_rate": false_positive_rate, "false_negative_rate": false_negative_rate}
    for (metric, race), published in lesson2.PUBLISHED.items():
        measured = _frame(compas, rates[metric], "two_year_recid", "compas_high_risk", "race")[race]
        assert measured == pytest.approx(published, abs=5e-5)


def test_lesson2_implied_false_positive_rate(compas):
    rows = compas[compas["race"] == "Caucasian"]
    fpr, fnr, ppv = _error_rates(rows, rows["compas_high_risk"])
    p = rows["two_year_recid"].mean()
    assert lesson2.implied_false_positive_rate(p, ppv, fnr) == pytest.approx(fpr, abs=1e-12)  # an identity
    assert lesson2.check_implied_false_positive_rate(fpr, race="Caucasian").correct
    _turned_down(lesson2.check_implied_false_positive_rate(p / (1 - p) * ppv, race="Caucasian"), fpr)


def test_lesson2_error_rates_by_cutoff_match_scikit_learn(compas):
    table = lesson2.error_rates_by_cutoff(compas).set_index(["race", "cutoff"])
    for race, rows in compas.groupby("race"):
        for cutoff in (1, 5, 7, 10):
            expected = _error_rates(rows, (rows["decile_score"] >= cutoff).astype(int))
            got = table.loc[(race, cutoff), ["false_positive_rate", "false_negative_rate", "precision"]]
            assert got.tolist() == pytest.approx(list(expected), abs=1e-12)


def test_lesson2_equalising_cutoff_and_what_it_breaks(compas):
    white = compas[compas["race"] == "Caucasian"]
    black = compas[compas["race"] == "African-American"]
    target_fpr, _, white_ppv = _error_rates(white, (white["decile_score"] >= 5).astype(int))
    by_cutoff = {c: _error_rates(black, (black["decile_score"] >= c).astype(int)) for c in range(1, 11)}
    best = min(by_cutoff, key=lambda c: abs(by_cutoff[c][0] - target_fpr))
    assert lesson2.check_equalising_cutoff(best).correct
    _turned_down(lesson2.check_equalising_cutoff(5), option=best)
    assert abs(by_cutoff[best][2] - white_ppv) > abs(by_cutoff[5][2] - white_ppv)  # precision drifts apart
    assert lesson2.check_what_breaks("precision").correct
    _turned_down(lesson2.check_what_breaks("false negative rates"), option="precision")


def test_lesson2_calibration_table_counts_by_hand(compas):
    table = lesson2.reoffence_by_score(compas).set_index(["decile_score", "race"])
    rows = compas[(compas["decile_score"] == 8) & (compas["race"] == "Caucasian")]
    assert table.loc[(8, "Caucasian"), "n"] == len(rows)
    assert table.loc[(8, "Caucasian"), "rate"] == pytest.approx(rows["two_year_recid"].mean())
    assert (table["ci_low"] <= table["rate"]).all() and (table["rate"] <= table["ci_high"]).all()


# --- lesson 3 ---------------------------------------------------------------------------------------------------------


def test_lesson3_share_of_group(biased):
    expected = biased.ground_truth["group_sizes"]["B"] / biased.ground_truth["params"]["n_samples"]
    assert lesson3.check_share_of_group(expected, data=biased).correct
    _turned_down(lesson3.check_share_of_group(1 - expected, data=biased), expected)


def test_lesson3_label_bias_rate(biased):
    rows = biased.frame.join(biased.truth)
    positives_b = rows[(rows["group"] == "B") & (rows["true_label"] == 1)]
    expected = biased.ground_truth["n_labels_flipped"] / len(positives_b)
    assert lesson3.check_label_bias_rate(expected, data=biased).correct
    planted = biased.ground_truth["params"]["label_bias"]
    _turned_down(lesson3.check_label_bias_rate(planted, data=biased), expected)  # the knob is not the realised rate
    _turned_down(lesson3.check_label_bias_rate(positives_b["label_flipped"].sum(), data=biased), expected)


def test_lesson3_proxies(biased):
    assert lesson3.check_proxies(["proxy"], data=biased).correct
    _turned_down(lesson3.check_proxies(["x0", "x1"], data=biased), option="proxy")
    assert lesson3.check_proxies(["zip"], data=biased).message == "'zip' is not a column of the data."


def test_lesson3_proxies_follow_the_data():
    no_proxy = lesson3.load_data(proxy_strength=0.0)
    assert lesson3.check_proxies([], data=no_proxy).correct


def test_lesson3_false_positive_rate_against_the_truth(biased):
    rows = lesson3.held_out_decisions(biased, exclude=["group", "proxy"])
    b = rows[rows["group"] == "B"]
    tn, fp, _, _ = confusion_matrix(b["true_label"], b["decision"], labels=[0, 1]).ravel()
    recorded = false_positive_rate(b["label"], b["decision"])
    assert lesson3.check_false_positive_rate_b(fp / (fp + tn), data=biased).correct
    _turned_down(lesson3.check_false_positive_rate_b(recorded, data=biased), fp / (fp + tn))


def test_lesson3_unawareness_fails_while_the_proxy_remains(biased):
    table = lesson3.compare_models(biased)
    aware, unaware, neither = (table.loc[name, "selection_rate_gap"] for name in lesson3.MODELS)
    true_gap = table["true_base_rate_gap"].iloc[0]
    assert abs(unaware - aware) < abs(unaware - true_gap)  # without group, the gap stays near the aware model's
    assert abs(neither - true_gap) < abs(unaware - true_gap)  # without the proxy too, it comes near the truth
    assert lesson3.check_unawareness("no", data=biased).correct
    _turned_down(lesson3.check_unawareness("yes", data=biased), option="no")


def test_lesson3_compare_models_counts_by_hand(biased):
    table = lesson3.compare_models(biased)
    rows = lesson3.held_out_decisions(biased, exclude=["group"])
    b = rows[rows["group"] == "B"]
    assert table.loc["without group", "selection_rate_B"] == pytest.approx(b["decision"].mean())
    assert table.loc["without group", "false_negative_rate_B_true"] == pytest.approx(
        false_negative_rate(b["true_label"], b["decision"]))
    assert not math.isnan(table.loc["with group", "false_positive_rate_B_recorded"])


def test_lesson3_held_out_decisions_are_the_audits_rows(biased):
    import auditkit

    rows = lesson3.held_out_decisions(biased, exclude=["group"])
    result = auditkit.audit(data=biased, exclude=["group"], steps=["fairness"], progress=False)
    by_group = result.table("fairness", "group").set_index("group")
    assert len(rows) == result.dataset["n_rows"]
    assert by_group.loc["B", "selection_rate"] == pytest.approx(rows.loc[rows["group"] == "B", "decision"].mean())


def test_lesson3_truth_next_to_audit(biased):
    import auditkit

    result = auditkit.audit(data=biased, steps=["data_bias"], progress=False)
    table = lesson3.truth_next_to_audit(result, biased)
    assert table.loc["B", "share_planted"] == 0.3
    assert table.loc["B", "base_rate_true"] == pytest.approx(biased.ground_truth["base_rate_true"]["B"])
    assert table.loc["B", "base_rate_ci_high"] < table.loc["B", "base_rate_true"]  # the audit cannot see label bias
