"""The core checkers: right answers pass, every other answer gets a verdict and a hint, never an error or the answer."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from auditkit.exceptions import InputError
from auditkit.teach import Feedback, check_choice, check_columns, check_number, check_values

EXPECTED = 0.2513
HINT = "Divide by the size of the group."


def _texts(feedback: Feedback) -> str:
    return f"{feedback} {feedback._repr_html_()}"


def _leaks(text: str, value: float) -> bool:
    """Whether ``text`` shows ``value`` in a usual form (0.2513, 0.251, 0.25, 25.1%, 25%)."""
    forms = {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", f"{value:.1%}", f"{value:.0%}", f"{value * 100:.1f}"}
    return any(re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text) for form in forms)


@pytest.mark.parametrize("answer", [0.2513, 0.25, 0.2549, np.float64(0.251), np.float32(0.2513), 0.2513 + 0j.real,
                                    pd.Series([0.2513]), np.array([0.2513]), np.array(0.2513)])
def test_a_number_within_the_tolerance_is_right(answer):
    feedback = check_number(answer, EXPECTED, why="a quarter.")
    assert feedback.correct and bool(feedback) and feedback.message == "a quarter." and feedback.hint == ""


@pytest.mark.parametrize(("answer", "message"), [
    (0.3, "0.3 is not it."),
    (25.13, "25.13 looks like a percentage; give the share as a number between 0 and 1."),
    ("0.2513", "got the text '0.2513'; give a number (without quotes)."),
    (True, "expected one number; got True."),
    (pd.Series([0.1, 0.2513]), "expected one number; got a Series of 2 values: pick the value the exercise asks for."),
    (np.array([[0.1, 0.2]]), "expected one number; got a NumPy array of 2 values: pick the value the exercise "
                             "asks for."),
    (pd.DataFrame({"a": [1, 2]}), "expected one number; got a DataFrame of 2 values: pick the value the exercise "
                                  "asks for."),
    ([0.2513], "expected one number; got a list."),
    (float("nan"), "the answer is NaN (not a number): did a filter keep no rows?"),
])
def test_anything_else_is_not_yet_with_a_message_and_the_hint(answer, message):
    feedback = check_number(answer, EXPECTED, hint=HINT, exercise="Rate")
    assert (feedback.status, feedback.message, feedback.hint) == ("not yet", message, HINT)
    assert str(feedback) == f"Rate: ✗ Not yet: {message} Hint: {HINT}"


@pytest.mark.parametrize("answer", [..., None])
def test_the_placeholder_is_no_answer_yet(answer):
    feedback = check_number(answer, EXPECTED, hint=HINT)
    assert feedback.status == "no answer" and not feedback
    assert feedback.message == "replace the ... with your answer and run the cell again."


@pytest.mark.parametrize("answer", [0.0, 0.3, 1.0, 25.0, "x", [1, 2], ..., 2513.0])
def test_a_wrong_answer_never_shows_the_expected_value(answer):
    feedback = check_number(answer, EXPECTED, hint=HINT)
    assert not feedback and not _leaks(_texts(feedback), EXPECTED)


def test_the_leak_detector_finds_a_leak():
    assert _leaks("the rate is 25.1%", EXPECTED) and _leaks("it is 0.25.", EXPECTED) and not _leaks("0.3", EXPECTED)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"expected": "0.3"}, "expected must be a number; got '0.3'"),
    ({"expected": float("nan")}, "expected must be a number; got nan"),
    ({"expected": 0.3, "tol": None}, "tol must be a number; got None"),
])
def test_an_authors_mistake_is_an_input_error(kwargs, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        check_number(0.3, **kwargs)


@pytest.mark.parametrize(("answer", "status", "message"), [
    ("Other", "right", "the smallest."),
    ("  other ", "right", "the smallest."),
    ("White", "not yet", "'White' is not it."),
    ("Purple", "not yet", "'Purple' is not one of the options: 'White', 'Other'."),
    (3, "not yet", "3 is not one of the options: 'White', 'Other'."),
    (..., "no answer", "replace the ... with your answer and run the cell again."),
])
def test_check_choice(answer, status, message):
    feedback = check_choice(answer, "Other", ["White", "Other"], why="the smallest.", hint=HINT)
    assert (feedback.status, feedback.message) == (status, message)


@pytest.mark.parametrize(("answer", "status"), [(7, "right"), (np.int64(7), "right"), (7.0, "right"), (5, "not yet"),
                                                (True, "not yet")])
def test_check_choice_of_numbers(answer, status):
    assert check_choice(answer, 7, list(range(1, 11))).status == status


def test_check_choice_of_booleans_does_not_take_one_for_true():
    assert check_choice(True, True, [True, False]).correct
    assert check_choice(1, True, [True, False]).message == "1 is not one of the options: True, False."


@pytest.mark.parametrize(("options", "expected", "message"), [
    ([], "a", "options must name at least one choice; got none"),
    (["a", "b"], "c", "expected must be one of the options ('a', 'b'); got 'c'"),
])
def test_check_choice_refuses_a_broken_exercise(options, expected, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        check_choice("a", expected, options)


@pytest.mark.parametrize(("answer", "status", "message"), [
    (["proxy"], "right", "'proxy': right."),
    ("proxy", "right", "'proxy': right."),
    (("proxy",), "right", "'proxy': right."),
    (pd.Index(["proxy"]), "right", "'proxy': right."),
    ({"proxy"}, "right", "'proxy': right."),
    (["proxy", "x0"], "not yet", "'x0' does not belong."),
    (["x0", "x1"], "not yet", "'x0', 'x1' do not belong. 1 column is missing."),
    ([], "not yet", "1 column is missing."),
    (["zip"], "not yet", "'zip' is not a column of the data."),
    (3, "not yet", "expected a list of column names; got 3."),
    ({"proxy": 1}, "not yet", "expected a list of column names; got a dict."),
])
def test_check_columns(answer, status, message):
    feedback = check_columns(answer, ["proxy"], columns=["proxy", "x0", "x1", "group"], hint=HINT)
    assert (feedback.status, feedback.message) == (status, message)


def test_check_columns_never_names_a_missing_column():
    feedback = check_columns(["x0"], ["proxy", "zipcode"], hint=HINT)
    assert "proxy" not in _texts(feedback) and "zipcode" not in _texts(feedback)


@pytest.mark.parametrize(("answer", "status", "message"), [
    ({"a": 0.3, "b": 0.5}, "right", "every value is right."),
    (pd.Series({"a": 0.3, "b": 0.5, "c": 0.9}), "right", "every value is right."),
    ({"a": 0.3, "b": 0.6}, "not yet", "the value for 'b' is not right."),
    ({"a": 0.1, "b": 0.1}, "not yet", "the values for 'a', 'b' are not right."),
    ({"a": 0.3, "b": "0.5"}, "not yet", "the value for 'b' is not right."),
    ({"a": 0.3}, "not yet", "no value for 'b'."),
    (0.3, "not yet", "expected values by group (a Series or dict); got 0.3."),
    (pd.DataFrame({"a": [0.3]}), "not yet", "expected values by group (a Series or dict); got a DataFrame of 1 value."),
])
def test_check_values(answer, status, message):
    feedback = check_values(answer, {"a": 0.3, "b": 0.5}, hint=HINT)
    assert (feedback.status, feedback.message) == (status, message)


def test_feedback_is_html_in_jupyterlab_and_one_line_of_text_elsewhere():
    feedback = Feedback("not yet", "0.5 <is> not it.", hint="Count & divide.", exercise="Rate")
    html = feedback._repr_html_()
    assert 'class="auditkit-feedback auditkit-feedback-not-yet"' in html
    assert "0.5 &lt;is&gt; not it." in html and "Count &amp; divide." in html and "<em>Hint:</em>" in html
    assert repr(feedback) == str(feedback) == "Rate: ✗ Not yet: 0.5 <is> not it. Hint: Count & divide."
    assert "\n" not in str(feedback)


def test_feedback_status_is_checked():
    with pytest.raises(InputError, match="^status must be one of right, not yet, no answer; got 'wrong'$"):
        Feedback("wrong", "x")
