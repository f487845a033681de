"""Lesson 5 (LIME, disagreement): the tables equal what LIME and the audit's steps give, the checkers accept answers
computed by hand (set operations) and agree with the agreement step, and turn wrong answers down with a hint that does
not give the answer away. The claims the lesson's prose makes about its numbers are checked here too."""

from __future__ import annotations

import nbformat
import numpy as np
import pandas as pd
import pytest
from _verdicts import goal_terms_missing_from_glossary, turned_down

from auditkit.exceptions import InputError
from auditkit.explain.lime_runs import explain_with_lime
from auditkit.teach import lesson4, lesson5
from auditkit.teach.student import lessons_dirs

NOTEBOOK = lessons_dirs()[0] / "05_lime_and_disagreement.ipynb"


@pytest.fixture(scope="module")
def lesson():
    return lesson5.lesson_audit()


@pytest.fixture(scope="module")
def person(lesson):
    return lesson.result.table("lime", "instances")["row_id"].iloc[0]


@pytest.fixture(scope="module")
def by_seed(lesson, person):
    return lesson5.lime_by_seed(lesson.model, lesson.audited.loc[[person]], lesson.training)


@pytest.fixture(scope="module")
def both(lesson):
    return lesson5.side_by_side(lesson.result)


def _top(values: pd.Series, k: int = 5) -> set[str]:
    return set(values.abs().nlargest(k).index)


def test_lime_by_seed_is_lime_run_with_each_seed(lesson, person, by_seed):
    features = list(lesson4.FEATURES)
    runs = explain_with_lime(lesson.model, lesson.audited.loc[[person], features], lesson.training[features],
                             seeds=[3, 1], positive_label=">50K", num_samples=1000)
    np.testing.assert_allclose(by_seed.loc[[3, 1]].to_numpy(), runs.weights[0], atol=1e-12)  # same seed, same run
    assert by_seed.index.tolist() == [1, 2, 3, 4, 5] and by_seed.columns.tolist() == features
    assert not np.allclose(by_seed.loc[1], by_seed.loc[2])  # another seed, other copies


def test_lime_by_seed_wants_one_row(lesson):
    with pytest.raises(InputError, match=r"^row must be a one-row DataFrame, e\.g\. audited\.loc\[\[label\]\]; got a "
                                         r"DataFrame of 2 rows$"):
        lesson5.lime_by_seed(lesson.model, lesson.audited.iloc[:2], lesson.training)


def test_stability_by_samples_by_hand(lesson, person):
    row = lesson.audited.loc[[person]]
    table = lesson5.stability_by_samples(lesson.model, row, lesson.training, sizes=[300], seeds=[1, 2, 3])
    weights = lesson5.lime_by_seed(lesson.model, row, lesson.training, seeds=[1, 2, 3], num_samples=300)
    tops = [_top(weights.loc[s]) for s in (1, 2, 3)]
    pairs = [(0, 1), (0, 2), (1, 2)]
    assert table.loc[300, "top_k_jaccard"] == pytest.approx(
        np.mean([len(tops[i] & tops[j]) / len(tops[i] | tops[j]) for i, j in pairs]))
    assert table.loc[300, "weight_std"] == pytest.approx(weights.to_numpy().std(axis=0).mean())


def test_side_by_side_holds_the_audits_shap_values_and_lime_weights(lesson, both):
    instances = lesson.result.table("lime", "instances")["row_id"].tolist()
    assert both["row_id"].drop_duplicates().tolist() == instances and len(both) == 8 * len(lesson4.FEATURES)
    values = lesson4.shap_values(lesson.result)
    lime = lesson.result.table("lime", "weights").set_index(["row_id", "feature"])["weight"]
    for row in both.sample(10, random_state=0).itertuples():
        assert row.shap == values.loc[row.row_id, row.feature] and row.lime == lime[(row.row_id, row.feature)]


def test_check_seed_overlap(by_seed):
    first, second = _top(by_seed.loc[1]), _top(by_seed.loc[2])
    expected = len(first & second) / len(first | second)
    assert lesson5.check_seed_overlap(expected, by_seed).correct
    count = lesson5.check_seed_overlap(len(first & second), by_seed)
    turned_down(count, expected)
    assert count.message.startswith("that counts the features in both lists")
    by_five = lesson5.check_seed_overlap(len(first & second) / 5, by_seed)
    turned_down(by_five, expected)
    assert by_five.message == "divide by the number of features in either list, not by 5."
    turned_down(lesson5.check_seed_overlap(1.0, by_seed), expected)
    with pytest.raises(InputError, match=r"^weights must have a row for each of at least two seeds; got 1$"):
        lesson5.check_seed_overlap(0.5, by_seed.iloc[:1])


def test_check_feature_agreement_is_the_agreement_steps(lesson, both):
    steps = lesson.result.table("agreement", "instances").set_index("row_id")["feature_agreement"]
    for row in steps.index:
        mine = both[both["row_id"] == row].set_index("feature")
        expected = len(_top(mine["shap"]) & _top(mine["lime"])) / 5
        assert expected == pytest.approx(steps[row])
        assert lesson5.check_feature_agreement(expected, row, table=both).correct
        count = lesson5.check_feature_agreement(round(expected * 5), row, table=both)
        turned_down(count, expected)
        assert count.message == "that counts the features in both lists; feature agreement is the share of the 5."
        wrong = 1.0 if expected < 1 else 0.4
        turned_down(lesson5.check_feature_agreement(wrong, row, table=both), expected)
    with pytest.raises(InputError, match=r"^row must be a row_id of the table \("):
        lesson5.check_feature_agreement(0.6, -1, table=both)


def test_check_top_in_both_is_the_agreement_steps(lesson, both):
    sizes = both.assign(shap=both["shap"].abs(), lime=both["lime"].abs()).groupby("feature")[["shap", "lime"]].mean()
    expected = sorted(_top(sizes["shap"]) & _top(sizes["lime"]))
    summary = lesson.result.step("agreement").payload["agreement"]["summary"]
    assert expected == sorted(summary["top_features_in_both"])
    assert lesson5.check_top_in_both(expected, table=both).correct
    assert lesson5.check_top_in_both(expected[::-1], table=both).correct  # in any order
    missing = lesson5.check_top_in_both(expected[1:], table=both)
    turned_down(missing, names=(expected[0],))
    assert missing.message == "1 column is missing."
    extra = next(f for f in lesson4.FEATURES if f not in expected)
    turned_down(lesson5.check_top_in_both([*expected, extra], table=both))


@pytest.mark.parametrize(("answer", "status"), [(..., "no answer"), ("0.6", "not yet"), (np.float64(0.2), "not yet")])
def test_any_answer_gets_a_verdict(both, person, answer, status):
    assert lesson5.check_feature_agreement(answer, person, table=both).status == status


def test_mean_jaccard_by_hand():
    weights = pd.DataFrame([[0.5, -0.3, 0.1, 0.0], [0.5, 0.0, -0.3, 0.1], [0.1, 0.2, 0.3, 0.4]],
                           columns=["a", "b", "c", "d"])
    tops = [{"a", "b"}, {"a", "c"}, {"d", "c"}]
    by_hand = np.mean([len(x & y) / len(x | y) for x, y in [(tops[0], tops[1]), (tops[0], tops[2]),
                                                             (tops[1], tops[2])]])
    assert lesson5.mean_jaccard(weights, k=2) == pytest.approx(by_hand)


def test_lime_conditions_name_an_unexplained_row(lesson):
    with pytest.raises(InputError, match=r"^row must be a row LIME explained \("):
        lesson5.lime_conditions(lesson.result, 123456789)


def test_the_lessons_prose_matches_its_numbers(lesson, person, by_seed, both):
    """What the notebook's text says about the woman it follows and about its tables."""
    first = lesson.result.table("lime", "instances").iloc[0]
    assert first["reason"] == "most confident error, sex=Female" and first["y_true"] == 1 and first["score"] < 0.1
    assert first["top_k_jaccard"] < lesson5.lesson_audit().result.step("lime").payload["lime"]["min_jaccard"]
    assert _top(by_seed.loc[1]) != _top(by_seed.loc[2])  # exercise 1 shows two runs that differ
    mine = both[both["row_id"] == person].set_index("feature")
    assert mine["lime"].abs().idxmax() == "capital_gain" and mine["shap"].abs().idxmax() == "marital_status"
    assert not _top(mine["shap"]) == _top(mine["lime"])
    table = lesson5.stability_by_samples(lesson.model, lesson.audited.loc[[person]], lesson.training,
                                         sizes=[250, 1000, 5000, 10000])
    assert table["weight_std"].is_monotonic_decreasing and table["top_k_jaccard"].iloc[-1] == 1.0


def test_every_term_of_the_learning_goals_is_in_the_lessons_glossary():
    assert goal_terms_missing_from_glossary(NOTEBOOK) == []


def test_the_notebook_audits_as_the_checkers_default_does():
    source = "\n".join(cell.source for cell in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert f'step_options={{"lime": {lesson5.LIME_OPTIONS}}}'.replace("'", '"') in source
