"""Lesson 6 (mitigation and its trade-offs): the checkers accept answers computed by hand from the confusion counts
and turn down wrong ones with a hint that gives nothing away; the lesson's words match its audit."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _lessons import audit_call, glossary_call, turned_down, words_used
from threadpoolctl import threadpool_limits

import auditkit
from auditkit.exceptions import InputError
from auditkit.teach import lesson6
from auditkit.teach.student import lessons_dirs

LESSON = lessons_dirs()[0] / "06_mitigation_tradeoffs.ipynb"
PARITY, ODDS = "threshold_optimizer.demographic_parity", "threshold_optimizer.equalized_odds"


@pytest.fixture(scope="module")
def result():
    with threadpool_limits(limits=1, user_api="openmp"):  # set up before the per-test limit of conftest.py
        return lesson6.load_result()


@pytest.fixture(scope="module")
def by_hand(result) -> pd.DataFrame:
    """Each option's accuracy, rates and disparities by sex, from the confusion counts of the by_group table."""
    counts = result.table("mitigation", "by_group").set_index(["option", "sex"])[["tp", "fp", "fn", "tn"]]
    rows = {}
    for option, table in counts.groupby(level="option"):
        table = table.droplevel("option")
        n = table.sum(axis=1)
        selection = (table["tp"] + table["fp"]) / n
        tpr = table["tp"] / (table["tp"] + table["fn"])
        fpr = table["fp"] / (table["fp"] + table["tn"])
        rows[option] = {
            "accuracy": (table["tp"] + table["tn"]).sum() / n.sum(),
            "selection_Female": selection["Female"], "selection_Male": selection["Male"],
            "tpr_Female": tpr["Female"], "tpr_Male": tpr["Male"], "fpr_Female": fpr["Female"], "fpr_Male": fpr["Male"],
            "positives_Female": table.loc["Female", "tp"] + table.loc["Female", "fn"],
            "positives_Male": table.loc["Male", "tp"] + table.loc["Male", "fn"],
            "demographic_parity": abs(selection["Female"] - selection["Male"]),
            "equalized_odds": max(abs(tpr["Female"] - tpr["Male"]), abs(fpr["Female"] - fpr["Male"])),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _front(points: pd.DataFrame, criterion: str) -> list[str]:
    """Options no other option beats: at most the disparity and at least the accuracy, better in one (brute force)."""
    def beats(b: str, a: str) -> bool:
        (db, ab), (da, aa) = points.loc[b, [criterion, "accuracy"]], points.loc[a, [criterion, "accuracy"]]
        return db <= da and ab >= aa and (db < da or ab > aa)

    return [a for a in points.index if not any(beats(b, a) for b in points.index if b != a)]


@pytest.mark.parametrize("option", [PARITY, ODDS])
def test_accuracy_cost(result, by_hand, option):
    cost = by_hand.loc["unmitigated", "accuracy"] - by_hand.loc[option, "accuracy"]
    assert lesson6.check_accuracy_cost(cost, option=option, result=result).correct
    assert lesson6.check_accuracy_cost(round(cost, 3), option=option, result=result).correct
    for wrong in (cost + 0.01, by_hand.loc[option, "accuracy"], 0.0):
        turned_down(lesson6.check_accuracy_cost(wrong, option=option, result=result), cost)
    upside_down = lesson6.check_accuracy_cost(-cost, option=option, result=result)
    assert upside_down.message == ("that is the option's accuracy minus the unmitigated model's; a cost is what is "
                                   "lost, so subtract the other way round.")
    turned_down(upside_down)
    in_points = lesson6.check_accuracy_cost(100 * cost, option=option, result=result)
    assert in_points.message.endswith("looks like a percentage; give the share as a number between 0 and 1.")


def test_levelling(result, by_hand):
    women_up = by_hand.loc[PARITY, "selection_Female"] > by_hand.loc["unmitigated", "selection_Female"]
    men_down = by_hand.loc[PARITY, "selection_Male"] < by_hand.loc["unmitigated", "selection_Male"]
    expected = {(True, True): "both", (True, False): "more women", (False, True): "fewer men"}.get(
        (women_up, men_down), "neither")
    assert lesson6.check_levelling(expected, result=result).correct
    for wrong in set(lesson6.LEVELLING) - {expected}:
        turned_down(lesson6.check_levelling(wrong, result=result), option=expected)


@pytest.mark.parametrize(("option", "other"), [(PARITY, "equalized_odds"), (ODDS, "demographic_parity")])
def test_other_criterion(result, by_hand, option, other):
    expected = "larger" if by_hand.loc[option, other] > by_hand.loc["unmitigated", other] else "smaller"
    assert lesson6.check_other_criterion(expected, option=option, result=result).correct
    wrong = {"larger": "smaller", "smaller": "larger"}[expected]
    turned_down(lesson6.check_other_criterion(wrong, option=option, result=result), option=expected)


@pytest.mark.parametrize("criterion", ["equalized_odds", "demographic_parity"])
def test_pareto_front(result, by_hand, criterion):
    front = _front(by_hand, criterion)
    assert lesson6.check_pareto_front(front, criterion=criterion, result=result).correct
    assert lesson6.check_pareto_front(list(reversed(front)), criterion=criterion, result=result).correct
    if len(front) > 1:
        turned_down(lesson6.check_pareto_front(front[:1], criterion=criterion, result=result))
    beaten = [option for option in by_hand.index if option not in front]
    if beaten:
        extra = lesson6.check_pareto_front([*front, beaten[0]], criterion=criterion, result=result)
        assert extra.message == f"{beaten[0]!r} does not belong."
        turned_down(extra)


def test_pareto_front_names_unknown_options(result):
    feedback = lesson6.check_pareto_front(["ThresholdOptimizer"], result=result)
    assert feedback.message == ("'ThresholdOptimizer' is not one of the options: 'unmitigated', "
                                "'threshold_optimizer.demographic_parity', 'threshold_optimizer.equalized_odds'.")


def test_the_tables_the_lesson_reads_match_the_counts(result, by_hand):
    options = result.table("mitigation", "options").set_index("option")
    assert options["accuracy"].to_dict() == pytest.approx(by_hand["accuracy"].to_dict())
    assert options["equalized_odds_difference"].to_dict() == pytest.approx(by_hand["equalized_odds"].to_dict())
    assert lesson6.selection_rates(result)["Female"].to_dict() == pytest.approx(by_hand["selection_Female"].to_dict())


def test_the_lessons_words_match_its_audit(result, by_hand):
    """What the lesson's text and model answers say of the numbers it shows (they are not written in the text)."""
    options = result.table("mitigation", "options").set_index("option")
    none, parity, odds = (by_hand.loc[key] for key in ("unmitigated", PARITY, ODDS))
    assert none["selection_Female"] < none["selection_Male"] / 2  # "far fewer women than men"
    # section 4: under demographic parity the true and false positive rates move apart in opposite directions
    assert parity["tpr_Female"] > none["tpr_Female"] and parity["tpr_Male"] < none["tpr_Male"]
    assert parity["fpr_Female"] > none["fpr_Female"] and parity["fpr_Male"] < none["fpr_Male"]
    assert parity["tpr_Female"] > parity["tpr_Male"]  # model answer: deserving women now get the offer more often
    # model answer of section 4: equalized odds' improvement is within its interval, its cost is not
    row = options.loc[ODDS]
    assert row["equalized_odds_difference_ci_low"] < none["equalized_odds"] < row["equalized_odds_difference_ci_high"]
    assert row["accuracy_change_ci_high"] < 0
    assert none["equalized_odds"] < 0.1  # "already small"
    gap_tpr, gap_fpr = abs(odds["tpr_Female"] - odds["tpr_Male"]), abs(odds["fpr_Female"] - odds["fpr_Male"])
    assert gap_tpr > gap_fpr and odds["positives_Female"] < odds["positives_Male"] / 3  # "few women ... do"
    assert result.provenance["model"]["features"] and not {"sex", "race"} & set(result.provenance["model"]["features"])


def test_the_notebook_runs_the_lessons_audit():
    """The audit the notebook writes out is the one the checkers' default reads (lesson6.AUDIT)."""
    assert audit_call(LESSON, "audit") == {**lesson6.AUDIT, "progress": False}


def test_checkers_follow_the_audit_they_are_given():
    data = auditkit.datasets.make_biased(2000, seed=0)
    other = auditkit.audit(data=data, sensitive=["group"], steps=["mitigation"], seed=0, progress=False,
                           step_options={"mitigation": {"methods": ["threshold_optimizer"], "n_boot": 50}})
    options = other.table("mitigation", "options").set_index("option")
    cost = options.loc["unmitigated", "accuracy"] - options.loc[PARITY, "accuracy"]
    assert lesson6.check_accuracy_cost(cost, result=other).correct
    front = options.index[options["pareto_optimal"].str.contains("equalized_odds")].tolist()
    assert lesson6.check_pareto_front(front, result=other).correct


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: lesson6.check_accuracy_cost(0.1, option="exponentiated_gradient.demographic_parity", result=r),
     "option must be one of unmitigated, threshold_optimizer.demographic_parity, threshold_optimizer.equalized_odds; "
     "got 'exponentiated_gradient.demographic_parity'"),
    (lambda r: lesson6.check_other_criterion("larger", option="unmitigated", result=r),
     "option must be a mitigation, not a point of comparison; got 'unmitigated'"),
    (lambda r: lesson6.check_pareto_front([], criterion="calibration", result=r),
     "criterion must be one of demographic_parity, equalized_odds; got 'calibration'"),
])
def test_an_authors_mistake_is_an_input_error(result, call, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        call(result)


def test_every_word_the_lesson_uses_is_in_its_glossary():
    assert words_used(LESSON) - set(glossary_call(LESSON)) == set()
