"""Group codes and group labels from one hash per column equal the row-by-row results they replaced.

The references are the previous implementations, kept verbatim in tests/_previous_implementations.py.
"""

from __future__ import annotations

import _previous_implementations as _previous
import numpy as np
import pandas as pd
import pytest

from auditkit.stats.counts import group_codes, partition
from auditkit.stats.levels import code_dtype, distinct_values, hashes_exactly, labelled, renumber, text_levels
from auditkit.stats.missing_group import sensitive_frame

# Columns a sensitive feature may arrive as; each one is hard for hashing in its own way.
ADVERSARIAL = {
    "arrow_text": pd.array(["b", "a", "é", None, "ä", "(missing)"], dtype="str"),
    "object_text": pd.array(["b", "a", "é", None, "ä", np.nan], dtype=object),
    "unicode": pd.array(["🙂", "Z", "a", "ß", "ss", "Å"], dtype="str"),
    "no_missing_arrow": pd.array(["m", "f", "m", "x", "f", "m"], dtype="str"),
    "categorical_unused": pd.Categorical(["m", None, "m", "f", "m", "f"], categories=["z", "m", "f"]),
    "categorical_numbers": pd.Categorical([1.0, 2.0, None, 1.0, 2.0, 1.0]),
    "mixed_objects": pd.array([1, True, 1.0, "1", None, -0.0], dtype=object),
    "floats_signed_zero": np.array([0.0, -0.0, 1.0, np.nan, 2.5, 1e16]),
    "float32": np.array([0.1, -0.0, 1.0, np.nan, 2.5, 0.1], dtype="float32"),
    "ints": np.array([1, 2, 3, 10, 2, 1]),
    "nullable_ints": pd.array([1, None, 2, 2, 1, 1], dtype="Int64"),
    "nullable_floats": pd.array([1.0, None, -0.0, 0.0, 1, 1], dtype="Float64"),
    "bools": np.array([True, False, True, True, False, False]),
    "object_bools": pd.array([True, False, None, True, False, False], dtype=object),
    "datetimes": pd.to_datetime(["2020-01-01", None, "2020-01-02 10:00", "2020-01-01", "2020-01-01",
                                 "2020-01-01"], format="mixed").array,
    "all_missing_but_one": pd.array([None, None, "a", None, None, None], dtype=object),
}


@pytest.fixture(scope="module")
def adversarial() -> pd.DataFrame:
    return pd.DataFrame(ADVERSARIAL, index=[5, 3, 9, 1, 0, 2])


def _assert_same_groups(frame: pd.DataFrame, features: tuple[str, ...]) -> None:
    old_codes, old_keys = _previous.group_codes(frame, features)
    codes, keys = group_codes(frame, features)
    np.testing.assert_array_equal(codes, old_codes)
    assert codes.dtype == code_dtype(len(keys))  # held narrow (issue 12: memory); the values as before
    pd.testing.assert_frame_equal(keys, old_keys)


@pytest.mark.parametrize("column", list(ADVERSARIAL))
def test_group_codes_equal_the_row_by_row_codes_for_one_column(adversarial, column):
    _assert_same_groups(adversarial, (column,))


@pytest.mark.parametrize("column", list(ADVERSARIAL))
def test_group_codes_equal_the_row_by_row_codes_for_intersections(adversarial, column):
    other = "mixed_objects" if column != "mixed_objects" else "ints"
    _assert_same_groups(adversarial, (column, other))
    _assert_same_groups(adversarial, ("arrow_text", column, other) if column != "arrow_text" else (column, other))


def test_group_codes_of_many_rows_and_groups_equal_the_row_by_row_codes():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.choice(["x", "y", "é", "Z"], 5000), "b": rng.integers(0, 40, 5000),
                          "c": pd.array(rng.choice(["p", "q", None], 5000), dtype="str")})
    for features in [("a",), ("b",), ("c",), ("a", "b"), ("b", "c", "a")]:
        _assert_same_groups(frame, features)


def test_partition_groups_are_the_group_codes_of_each_grouping():
    rng = np.random.default_rng(4)
    frame = sensitive_frame(pd.DataFrame({"sex": rng.choice(["f", "m", None], 300),
                                          "race": rng.choice(["a", "b", "c"], 300)}), ["sex", "race"])
    groupings = [("sex",), ("race",), ("sex", "race")]
    part = partition(frame, groupings)
    for index, features in enumerate(groupings):
        codes, keys = _previous.group_codes(frame, features)
        np.testing.assert_array_equal(part.row_codes(index), codes)
        pd.testing.assert_frame_equal(part.keys[index], keys)


def test_sensitive_frame_equals_the_row_by_row_labels(adversarial):
    columns = list(ADVERSARIAL)
    expected = _previous.sensitive_frame(adversarial, columns)
    got = sensitive_frame(adversarial, columns)
    assert all(isinstance(got[c].dtype, pd.CategoricalDtype) for c in columns)  # held as codes (issue 12: memory)
    pd.testing.assert_frame_equal(got.astype(object), expected)  # the same texts row by row
    assert got.attrs == expected.attrs


def test_sensitive_frame_labels_each_distinct_value_once(monkeypatch):
    from auditkit.stats import missing_group

    calls = []
    label = missing_group.group_label
    monkeypatch.setattr(missing_group, "group_label", lambda value: calls.append(value) or label(value))
    out = sensitive_frame(pd.DataFrame({"g": ["a", "b"] * 5000 + [None]}), ["g"])
    assert sorted(calls) == ["a", "b"] and out["g"].iloc[-1] == "(missing)"


@pytest.mark.parametrize(("values", "exact"), [
    (pd.Series(["a", None]), True),
    (pd.Series(["a", "b"], dtype=object), True),
    (pd.Series([1, 2]), True),
    (pd.Series([True, False]), True),
    (pd.Series(pd.Categorical(["a", "b"])), True),
    (pd.Series(pd.Categorical([1.5, 2.5])), False),
    (pd.Series([1, True], dtype=object), False),  # equal and hashed alike, yet "1" and "True"
    (pd.Series([0.5, -0.0]), False),  # pandas hashes -0.0 with 0.0: distinct_values hashes the bits instead
    (pd.Series(pd.array([1.0, -0.0], dtype="Float64")), False),
])
def test_hashes_exactly_only_where_equal_hashes_mean_equal_texts(values, exact):
    assert hashes_exactly(values) is exact


def test_distinct_floats_keep_both_zeros_apart_and_missing_values_out():
    codes, uniques = distinct_values(pd.Series([0.0, -0.0, np.nan, 0.0, 2.5]))
    assert codes.tolist() == [0, 1, -1, 0, 2]
    assert [str(v) for v in uniques] == ["0.0", "-0.0", "2.5"]


def test_text_levels_merge_values_of_one_text_and_sort_missing_last():
    codes, names = text_levels(pd.Series([1, "1", None, "a", 10], dtype=object))
    assert codes.tolist() == [0, 0, 3, 2, 1] and names.tolist()[:3] == ["1", "10", "a"] and pd.isna(names.iloc[3])


def test_labelled_falls_back_to_one_label_per_row_for_mixed_objects():
    codes, labels = labelled(pd.Series([1, True, "1", None], dtype=object), str)
    assert codes.tolist() == [0, 1, 0, -1] and labels == ["1", "True"]


def test_renumber_equals_numpy_unique_for_small_and_large_code_spaces():
    rng = np.random.default_rng(0)
    for size in (7, 10**9):
        codes = rng.choice(rng.integers(0, size, 5), 100)
        present, inverse = np.unique(codes, return_inverse=True)
        dense, found = renumber(codes, size)
        np.testing.assert_array_equal(dense, inverse)
        np.testing.assert_array_equal(found, present)
