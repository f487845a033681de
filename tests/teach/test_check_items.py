"""teach.check_items: an answer that is a set of items (options on a front, claims a table supports)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from auditkit.exceptions import InputError
from auditkit.teach import check_items

ALLOWED = ["A", "B", "C", "D"]
EXPECTED = ["B", "D"]
HINT = "Read each interval."


@pytest.mark.parametrize("answer", [["B", "D"], ["d", " b "], ("D", "B"), {"B", "D"}, pd.Index(["B", "D"]),
                                    np.array(["B", "D"]), ["B", "D", "b"]])
def test_the_expected_items_in_any_order_case_or_container_are_right(answer):
    feedback = check_items(answer, EXPECTED, allowed=ALLOWED, noun="claim", why="both hold.")
    assert feedback.correct and feedback.message == "both hold." and feedback.hint == ""


@pytest.mark.parametrize(("answer", "message"), [
    (["B"], "1 claim is missing."),
    ([], "2 claims are missing."),
    ("A", "'A' does not belong. 2 claims are missing."),
    (["A", "B", "C", "D"], "'A', 'C' do not belong."),
    (["B", "E"], "'E' is not one of the claims: 'A', 'B', 'C', 'D'."),
    ([1, 2], "expected a list of claims; got a list."),
    ({"B": 1}, "expected a list of claims; got a dict."),
    (0.5, "expected a list of claims; got 0.5."),
])
def test_anything_else_is_not_yet_with_a_message_and_the_hint(answer, message):
    feedback = check_items(answer, EXPECTED, allowed=ALLOWED, noun="claim", hint=HINT, exercise="Claims")
    assert (feedback.status, feedback.message, feedback.hint) == ("not yet", message, HINT)
    if "not one of" not in message:  # only the list of options names an expected item
        assert "'D'" not in feedback.message


@pytest.mark.parametrize("answer", [..., None])
def test_the_placeholder_is_no_answer_yet(answer):
    assert check_items(answer, EXPECTED, allowed=ALLOWED).status == "no answer"


def test_an_empty_expected_set_accepts_an_empty_answer():
    assert check_items([], [], allowed=ALLOWED).correct
    assert check_items(["A"], [], allowed=ALLOWED, noun="option").message == "'A' does not belong."


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"expected": ["B"], "allowed": []}, "allowed must name at least one item; got none"),
    ({"expected": ["E"], "allowed": ALLOWED}, "expected must be items of allowed ('A', 'B', 'C', 'D'); got 'E'"),
])
def test_an_authors_mistake_is_an_input_error(kwargs, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        check_items(["B"], **kwargs)
