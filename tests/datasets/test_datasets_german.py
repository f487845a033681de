"""Decoding of the Statlog German Credit dataset."""

from __future__ import annotations

import re

import pytest

from auditkit import datasets


@pytest.fixture(scope="module")
def german() -> datasets.Dataset:
    return datasets.load("german")


def test_shape(german) -> None:
    assert german.frame.shape == (1000, 23)


def test_no_symbolic_codes_left(german) -> None:
    text_columns = german.frame.select_dtypes(exclude="number").columns
    code = re.compile(r"^A\d{2,3}$")
    for col in text_columns:
        assert not german.frame[col].astype(str).str.match(code).any(), col


def test_numeric_attributes_stay_numeric(german) -> None:
    for col in ["duration_months", "credit_amount", "age", "installment_rate"]:
        assert german.frame[col].dtype.kind == "i", col


def test_target_is_good_or_bad(german) -> None:
    assert german.target_name == "credit_risk"
    assert german.target.value_counts().to_dict() == {"good": 700, "bad": 300}
    assert german.positive_label == "good"


def test_derived_sex_and_age_group(german) -> None:
    frame = german.frame
    assert frame["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert (frame["sex"] == frame["personal_status_sex"].str.split(":").str[0]).all()
    assert set(frame["age_group"]) == {"under_25", "25_and_over"}
    assert ((frame["age"] < 25) == (frame["age_group"] == "under_25")).all()
    assert (frame["age_group"] == "under_25").sum() == 149


def test_feature_choice(german) -> None:
    assert german.sensitive_features == ["sex", "age_group"]
    assert "sex" in german.feature_names
    assert "age" in german.feature_names
    assert "age_group" not in german.feature_names
    assert "personal_status_sex" not in german.feature_names
    assert len(german.feature_names) == 20
