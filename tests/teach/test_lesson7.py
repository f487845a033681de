"""Lesson 7 (writing it up): the checkers accept answers worked out by hand from the tables (or from the raw data)
and turn down wrong ones with a hint that gives nothing away; the lesson's words match its audits."""

from __future__ import annotations

import math
import re

import pytest
from _lessons import audit_call, glossary_call, turned_down, words_used
from threadpoolctl import threadpool_limits

import auditkit
from auditkit.exceptions import InputError
from auditkit.report.notebooks import report_steps
from auditkit.report.scorecard import scorecard_rows
from auditkit.teach import lesson7
from auditkit.teach.student import lessons_dirs

LESSON = lessons_dirs()[0] / "07_writing_it_up.ipynb"
LIMIT = 0.1  # the scorecard's default largest difference, as the lesson states it
CRITERIA = ("demographic_parity", "equalized_odds", "equal_opportunity", "predictive_parity", "calibration")


@pytest.fixture(scope="module")
def result():
    with threadpool_limits(limits=1):  # set up before the per-test limit of conftest.py
        return lesson7.load_result()


@pytest.fixture(scope="module")
def compas():
    return lesson7.load_compas_result()


def _rule(low: float, high: float) -> str:
    """The scorecard's default rule, as the lesson teaches it."""
    if math.isnan(low):
        return "undefined"
    return "fail" if low > LIMIT else "pass" if high <= LIMIT else "uncertain"


def _differences(result):
    table = result.table("fairness", "disparities")
    return table[(table["method"] == "between_groups") & (table["measure"] == "difference")]


@pytest.mark.parametrize("grouping", ["sex", "age_group", "sex × age_group"])
@pytest.mark.parametrize("criterion", CRITERIA)
def test_scorecard_status_follows_the_rule(result, grouping, criterion):
    rows = _differences(result)
    row = rows[(rows["grouping"] == grouping) & (rows["criterion"] == criterion)].iloc[0]
    status = _rule(row["value_ci_low"], row["value_ci_high"])
    assert lesson7.check_scorecard_status(status, grouping=grouping, criterion=criterion, result=result).correct
    for wrong in set(lesson7.JUDGED) - {status}:
        feedback = lesson7.check_scorecard_status(wrong, grouping=grouping, criterion=criterion, result=result)
        turned_down(feedback)  # the hint states the rule, so it names every status; the verdict names none but theirs
        assert feedback.message == f"{wrong!r} is not it."


def _supported_by_hand(result) -> list[str]:
    by_sex = result.table("fairness", "sex").set_index("sex")
    by_age = result.table("fairness", "age_group").set_index("age_group")
    comparisons = result.table("fairness", "comparisons")
    women_vs_men = comparisons[(comparisons["grouping"] == "sex") & (comparisons["metric"] == "selection_rate")].iloc[0]
    assert (women_vs_men["group"], women_vs_men["reference"]) == ("sex=female", "sex=male")
    verdicts = {
        "A": women_vs_men["difference_ci_high"] < 0,
        "B": False,
        "C": by_sex.loc["male", "selection_rate_ci_low"] > 0.7,
        "D": by_sex.loc["female", "selection_rate_ci_high"] < 0.8,
        "E": by_age.loc["25_and_over", "accuracy_ci_low"] > 0.7,
    }
    return [letter for letter, supported in verdicts.items() if supported]


def test_supported_claims(result):
    supported = _supported_by_hand(result)
    assert supported == ["C", "E"]  # the lesson's solution, worked out by hand
    assert lesson7.check_supported_claims(supported, result=result).correct
    assert lesson7.check_supported_claims([s.lower() for s in reversed(supported)], result=result).correct
    too_many = lesson7.check_supported_claims([*supported, "A"], result=result)
    assert too_many.message == "'A' does not belong."
    turned_down(too_many)
    turned_down(lesson7.check_supported_claims(supported[:1], result=result), option=supported[1])
    turned_down(lesson7.check_supported_claims(list("ABCDE"), result=result))
    assert lesson7.check_supported_claims("F", result=result).message == (
        "'F' is not one of the claims: 'A', 'B', 'C', 'D', 'E'.")


def test_claims_read_a_difference_either_way_round():
    """With women as the reference group, the comparisons table holds men minus women: the verdicts are the same."""
    with threadpool_limits(limits=1):
        turned = auditkit.audit(**lesson7.AUDIT, reference_groups={"sex": "female"}, progress=False)
    row = turned.table("fairness", "comparisons").query("grouping == 'sex' and metric == 'selection_rate'").iloc[0]
    assert row["group"] == "sex=male"
    assert lesson7.claim_verdicts(turned)["supported"].equals(lesson7.claim_verdicts()["supported"])


def test_actual_positives_are_counted_in_the_raw_data(compas):
    frame = auditkit.datasets.load("compas").frame
    group = frame[(frame["race"] == "Native American") & (frame["sex"] == "Female")]
    positives = int((group["two_year_recid"] == 1).sum())
    assert positives == 3 and (group.loc[group["two_year_recid"] == 1, "compas_high_risk"] == 1).all()
    assert lesson7.check_actual_positives(positives, result=compas).correct
    for wrong in (len(group), positives + 1, 1.0):
        turned_down(lesson7.check_actual_positives(wrong, result=compas), positives)
    asian_men = frame[(frame["race"] == "Asian") & (frame["sex"] == "Male")]
    asian_positives = int(asian_men["two_year_recid"].sum())
    asian = {"race": "Asian", "sex": "Male"}
    assert lesson7.check_actual_positives(asian_positives, group=asian, result=compas).correct


def test_a_rate_of_one_on_three_people_gets_a_wilson_interval(compas):
    """What the lesson says of degenerate intervals: the table shows Wilson's interval for 3 of 3 (by hand)."""
    table = compas.table("fairness", "race*sex")
    row = table[(table["race"] == "Native American") & (table["sex"] == "Female")].iloc[0]
    z, n = 1.959963984540054, 3
    low = (1 + z**2 / (2 * n) - z * math.sqrt(z**2 / (4 * n**2))) / (1 + z**2 / n)  # Wilson (1927) at p = 1
    assert row["true_positive_rate"] == 1.0
    assert (row["true_positive_rate_ci_low"], row["true_positive_rate_ci_high"]) == pytest.approx((low, 1.0))
    degenerate = next(f for f in compas.findings if f.id.startswith("fairness.degenerate_intervals"))
    assert "true_positive_rate of race=Native American, sex=Female = 1.00" in degenerate.message


def test_the_lessons_words_match_its_audit(result):
    """What the lesson's text and model answers say of the numbers it shows (they are not written in the text)."""
    statuses = lesson7.scorecard_table(result)["status"].value_counts()
    assert statuses.get("fail", 0) == 0 and statuses["uncertain"] > statuses["undefined"] > 0  # "most are uncertain, …"
    passed = [row for row in scorecard_rows(result.to_dict()) if row.status == "pass"]
    assert 0 < len(passed) < statuses["uncertain"]  # "the few that pass (by sex × age group) …"
    for row in passed:  # "… compare only applicants aged 25 and over"
        assert row.grouping == "sex × age_group", row
        assert row.gap["first"]["age_group"] == row.gap["second"]["age_group"] == "25_and_over", row
    by_age = result.table("fairness", "age_group").set_index("age_group")
    assert "true_positive_rate" in by_age.loc["under_25", "too_few"]  # "the groups of young applicants are small"
    assert result.table("fairness", "sex*age_group")["small_group"].any()


def test_the_notebook_runs_the_lessons_audits():
    """The audits the notebook writes out give the numbers the checkers' defaults read."""
    written = audit_call(LESSON, "audit_to_dir")
    assert {k: written[k] for k in ("data", "seed", "report")} == {"data": "german", "seed": 0, "report": "bias"}
    assert (lesson7.AUDIT["data"], lesson7.AUDIT["seed"]) == ("german", 0)
    assert audit_call(LESSON, "audit") == {**lesson7.COMPAS_AUDIT, "progress": False}


def test_the_bias_reports_audit_has_the_lessons_fairness_numbers(result):
    """audit_to_dir(report="bias") runs the bias report's steps; its fairness tables are those of lesson7.AUDIT."""
    with threadpool_limits(limits=1):
        reported = auditkit.audit(data="german", seed=0, steps=report_steps("bias", None), progress=False)
    for name in ("sex", "age_group", "sex*age_group", "disparities", "comparisons"):
        assert reported.table("fairness", name).equals(result.table("fairness", name)), name


def test_card_sections_are_the_model_cards(result):
    sections = lesson7.card_sections(result.model_card())
    assert {"Intended use", "Factors", "Caveats and recommendations"} <= set(sections)
    assert sections["Factors"].startswith("## Factors\n") and "sex" in sections["Factors"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: lesson7.check_scorecard_status("pass", grouping="race", result=r),
     "grouping and criterion must name a scorecard row (sex/demographic_parity, "),
    (lambda r: lesson7.check_actual_positives(3, group={"race": "Martian", "sex": "Female"}),
     "group must name one row of the race × sex table; got {'race': 'Martian', 'sex': 'Female'}"),
])
def test_an_authors_mistake_is_an_input_error(result, call, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}"):
        call(result)


def test_every_word_the_lesson_uses_is_in_its_glossary():
    assert words_used(LESSON) - set(glossary_call(LESSON)) == set()
