"""Parsing of the UCI Adult dataset."""

from __future__ import annotations

import pytest

from auditkit import datasets

COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income", "split",
]  # fmt: skip


@pytest.fixture(scope="module")
def adult() -> datasets.Dataset:
    return datasets.load("adult")


def test_shape_and_split_sizes(adult) -> None:
    assert adult.frame.shape == (48842, 16)
    assert adult.frame["split"].value_counts().to_dict() == {"train": 32561, "test": 16281}


def test_columns_are_snake_case_in_file_order(adult) -> None:
    assert list(adult.frame.columns) == COLUMNS


def test_labels_have_no_trailing_dot(adult) -> None:
    assert set(adult.target) == {"<=50K", ">50K"}
    assert adult.target.value_counts().to_dict() == {"<=50K": 37155, ">50K": 11687}
    assert adult.positive_label == ">50K"


def test_question_marks_become_missing_and_rows_are_kept(adult) -> None:
    frame = adult.frame
    assert not (frame == "?").any().any()
    missing = frame.isna().sum()
    assert missing[missing > 0].to_dict() == {
        "workclass": 2799,
        "occupation": 2809,
        "native_country": 857,
    }
    assert int(frame.isna().any(axis=1).sum()) == 3620


def test_values_have_no_leading_spaces(adult) -> None:
    assert not adult.frame["sex"].str.startswith(" ").any()
    assert set(adult.frame["sex"]) == {"Male", "Female"}


def test_features_and_sensitive_attributes(adult) -> None:
    assert adult.sensitive_features == ["sex", "race"]
    assert "fnlwgt" not in adult.feature_names
    assert "split" not in adult.feature_names
    assert len(adult.feature_names) == 13
    assert adult.frame["age"].dtype.kind == "i"
