"""Lesson 4 (SHAP): the checkers accept answers computed independently — shap's TreeExplainer on the model's encoded
inputs summed back to the columns, scikit-learn's own probabilities, hand means by group — and turn wrong answers
down with a hint that does not give the answer away. The claims the lesson's prose makes about its numbers are
checked here too."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _verdicts import goal_terms_missing_from_glossary, turned_down

from auditkit import datasets
from auditkit.exceptions import InputError
from auditkit.teach import lesson4
from auditkit.teach.student import lessons_dirs

NOTEBOOK = lessons_dirs()[0] / "04_explaining_with_shap.ipynb"


@pytest.fixture(scope="module")
def lesson():
    return lesson4.lesson_audit()


@pytest.fixture(scope="module")
def shap_by_hand(lesson):
    """``(values, base)``: TreeSHAP of the boosted trees on the one-hot inputs, each column's dummies summed."""
    import shap

    encode, trees = lesson.model[0], lesson.model[-1]
    inputs = encode.transform(lesson.audited[list(lesson4.FEATURES)])
    explainer = shap.TreeExplainer(trees)
    encoded = np.asarray(explainer.shap_values(inputs))
    one_hot = encode.named_transformers_["onehotencoder"]
    owners = [column for column, levels in zip(one_hot.feature_names_in_, one_hot.categories_, strict=True)
              for _ in levels]
    owners += [c for c in lesson4.FEATURES if c not in one_hot.feature_names_in_]  # passed through, in order
    assert len(owners) == encoded.shape[1]
    values = pd.DataFrame(encoded, index=lesson.audited.index, columns=owners).T.groupby(level=0).sum().T
    return values[list(lesson4.FEATURES)], float(np.ravel(explainer.expected_value)[0])


@pytest.fixture(scope="module")
def by_sex(lesson, shap_by_hand):
    values, _ = shap_by_hand
    sex = lesson.audited["sex"]
    return values[sex == "Female"].mean(), values[sex == "Male"].mean()


def test_the_rows_are_seeded_samples_of_the_documented_split():
    training, audited = lesson4.load_rows()
    assert list(lesson4.FEATURES) == datasets.load("adult").feature_names
    assert training.index.isin(datasets.load("adult", split="train").frame.index).all()
    assert audited.index.isin(datasets.load("adult", split="test").frame.index).all()
    again_training, again_audited = lesson4.load_rows()
    assert again_training.equals(training) and again_audited.equals(audited)
    training.iloc[0, 0] = -1  # a copy: the lesson's rows are unchanged
    assert lesson4.load_rows()[0].iloc[0, 0] != -1


def test_shap_values_are_treeshap_of_the_model_summed_back_to_the_columns(lesson, shap_by_hand):
    values, base = shap_by_hand
    ours = lesson4.shap_values(lesson.result)
    assert ours.index.tolist() == lesson.audited.index.tolist() and ours.columns.tolist() == list(lesson4.FEATURES)
    np.testing.assert_allclose(ours.to_numpy(), values.to_numpy(), atol=1e-9)
    assert lesson4.base_value(lesson.result) == pytest.approx(base, abs=1e-9)


def test_shap_values_add_up_to_the_models_log_odds(lesson):
    values, base = lesson4.shap_values(lesson.result), lesson4.base_value(lesson.result)
    log_odds = lesson.model.decision_function(lesson.audited[list(lesson4.FEATURES)])
    np.testing.assert_allclose(base + values.sum(axis=1).to_numpy(), log_odds, atol=1e-9)
    assert lesson.result.step("shap").payload["shap"]["additivity"]["holds"]  # the lesson says so


def test_check_importance(lesson, shap_by_hand):
    values, _ = shap_by_hand
    expected = values["age"].abs().mean()
    assert lesson4.check_importance(expected, "age", result=lesson.result).correct
    signed = lesson4.check_importance(values["age"].mean(), "age", result=lesson.result)
    turned_down(signed, expected)
    assert signed.message.startswith("that is the mean of the SHAP values with their signs")
    for wrong in (values["sex"].abs().mean(), values["age"].abs().max()):
        turned_down(lesson4.check_importance(wrong, "age", result=lesson.result), expected)
    assert lesson4.check_importance(values["sex"].abs().mean(), "sex", result=lesson.result).correct


def test_check_probability_is_the_models_own_probability(lesson):
    values, base = lesson4.shap_values(lesson.result), lesson4.base_value(lesson.result)
    person = lesson.audited.index[3]
    expected = lesson.model.predict_proba(lesson.audited.loc[[person], list(lesson4.FEATURES)])[0, 1]
    assert lesson4.check_probability(expected, person, result=lesson.result).correct
    log_odds = base + values.loc[person].sum()
    mistakes = {
        log_odds: "that is the log-odds; turn it into a probability (a number between 0 and 1).",
        1 / (1 + np.exp(-values.loc[person].sum())): "the SHAP values alone leave out where the explanation starts: "
                                                      "the base value.",
        1 - expected: "that is the probability of the other outcome (earning $50K or less).",
    }
    for wrong, message in mistakes.items():
        feedback = lesson4.check_probability(wrong, person, result=lesson.result)
        turned_down(feedback, expected)
        assert feedback.message == message
    assert lesson4.check_probability(..., person, result=lesson.result).status == "no answer"


def test_check_gap_part_is_the_difference_of_the_groups_mean_shap_values(lesson, by_sex):
    women, men = by_sex
    expected = women["marital_status"] - men["marital_status"]
    assert lesson4.check_gap_part(expected, "marital_status", result=lesson.result).correct
    upside_down = lesson4.check_gap_part(-expected, "marital_status", result=lesson.result)
    turned_down(upside_down, expected)
    assert upside_down.message == ("the size may be right, but the gap runs the other way: the mean for Female minus "
                                   "the mean for Male.")
    turned_down(lesson4.check_gap_part(women["age"] - men["age"], "marital_status", result=lesson.result), expected)
    assert lesson4.check_gap_part(women["age"] - men["age"], "age", result=lesson.result).correct


def test_check_direct_share(lesson, by_sex):
    women, men = by_sex
    log_odds = pd.Series(lesson.model.decision_function(lesson.audited[list(lesson4.FEATURES)]),
                         index=lesson.audited.index)
    gap = log_odds[lesson.audited["sex"] == "Female"].mean() - log_odds[lesson.audited["sex"] == "Male"].mean()
    part = women["sex"] - men["sex"]
    expected = part / gap
    assert lesson4.check_direct_share(expected, result=lesson.result).correct
    for wrong, message in [(part, "that is the part itself, in log-odds; the share divides it by the whole gap."),
                           (1 - expected, "that is the share of every column but sex.")]:
        feedback = lesson4.check_direct_share(wrong, result=lesson.result)
        turned_down(feedback, expected)
        assert feedback.message == message
    assert lesson4.check_direct_share(expected * 100, result=lesson.result).message.endswith("looks like a percentage; "
                                                                                             "give the share as a "
                                                                                             "number between 0 and 1.")


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: lesson4.check_importance(0.1, "income", result=r), "feature must be an input of the model (age, "),
    (lambda r: lesson4.check_probability(0.1, -1, result=r), "row must be the label of an explained row (e.g. "),
    (lambda r: lesson4.check_gap_part(0.1, "zip", result=r), "feature must be an input of the model ("),
    (lambda r: lesson4.check_gap_part(0.1, grouping="race", result=r),
     "grouping must be a sensitive feature of the audit (sex); got 'race'"),
    (lambda r: lesson4.check_direct_share(0.1, group="Male", result=r),
     "group must be a group of sex with a decomposed gap (Female); got 'Male'"),
])
def test_a_question_the_audit_cannot_answer_is_named(lesson, call, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}"):
        call(lesson.result)


def test_the_lessons_prose_matches_its_numbers(lesson):
    """What the notebook's text says: men are the larger group; some women who earn over $50K are missed; the
    largest part of the gap is marital_status, and the column sex itself accounts for less than half of it."""
    audited, result = lesson.audited, lesson.result
    counts = audited["sex"].value_counts()
    assert counts["Male"] > counts["Female"]
    decisions = lesson.model.predict(audited[list(lesson4.FEATURES)])
    assert ((audited["sex"] == "Female") & (audited["income"] == ">50K") & (decisions == "<=50K")).any()
    parts = result.table("shap", "gap_decomposition.sex").set_index("feature")["contribution"]
    assert parts.abs().idxmax() == "marital_status"
    gap = parts.sum()
    assert gap < 0 and 0 < parts["sex"] / gap < 0.5
    assert result.step("shap").payload["shap"]["budget"]["rows_explained"] == len(audited)  # no sample: plain means


def test_every_term_of_the_learning_goals_is_in_the_lessons_glossary():
    assert goal_terms_missing_from_glossary(NOTEBOOK) == []
