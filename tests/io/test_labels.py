"""One rule for reading values in the target's own labels (auditkit/_labels.py)."""

from __future__ import annotations

import numpy as np
import pytest

from auditkit.exceptions import InputError
from auditkit.io.labels import find_label, label_codes, show, show_all


@pytest.mark.parametrize(("value", "labels", "expected"), [
    # numbers are equal numerically, whatever their type
    (1, (0.0, 1.0), 1),
    (np.int64(1), (0.0, 1.0), 1),
    (True, (0, 1), 1),
    (False, (0, 1), 0),
    (1.0, (np.False_, np.True_), 1),
    # text typed on the command line matches the number it reads as
    ("1", (0.0, 1.0), 1),
    ("1.0", (0, 1), 1),
    (" 0 ", (0, 1), 0),
    ("False", (np.False_, np.True_), 0),
    ("false", (False, True), 0),
    ("TRUE", (False, True), 1),
    # and a number matches text that reads as it (an object column of "0"/"1")
    (1, ("0", "1"), 1),
    # text matches text exactly
    ("yes", ("no", "yes"), 1),
    ("Yes", ("no", "yes"), None),
    # nothing else: no 0/1 fallback for text labels
    (1, ("no", "yes"), None),
    (True, ("bad", "good"), None),
    ("2", (0, 1), None),
    (0.5, (0, 1), None),
    ("nan", (0.0, 1.0), None),
])
def test_find_label(value, labels, expected):
    assert find_label(value, labels) == expected


def test_same_kind_wins_over_text_that_reads_as_a_number():
    assert find_label("1", (1, "1")) == 1
    assert find_label(1, (1, "1")) == 0


def test_a_value_matching_two_labels_is_refused():
    with pytest.raises(InputError, match=r"^1 matches several labels \(1, 1.0\); code each label once, as one type$"):
        find_label(1, (1, 1.0))


def test_label_codes_and_the_error_naming_both_label_sets():
    assert label_codes([1.0, 0.0, 1.0], (0, 1), "predictions column 'p'", "y").tolist() == [1, 0, 1]
    assert label_codes(np.array(["no", "yes"], dtype=object), ("no", "yes"), "x", "y").tolist() == [0, 1]
    with pytest.raises(InputError) as error:
        label_codes(np.array([0, 1, 1]), ("no", "yes"), "predictions column 'p'", "y")
    assert str(error.value) == (
        "predictions column 'p' has values 0, 1, but target 'y' has labels 'no', 'yes' (0, 1 are not among them); "
        "predictions must use the target's own labels"
    )


@pytest.mark.parametrize(("values", "shown"), [
    ([np.int64(1), np.float64(0.5)], "0.5, 1"),
    ([np.str_("a"), "b"], "'a', 'b'"),
    ([np.True_], "True"),
    (list(range(12)), "0, 1, 10, 11, 2, 3, 4, 5, 6, 7, ..."),
])
def test_values_are_shown_as_a_user_wrote_them(values, shown):
    assert show_all(values) == shown
    assert show(np.int64(3)) == "3"
