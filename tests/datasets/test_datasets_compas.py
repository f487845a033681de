"""Parsing of ProPublica's COMPAS data and the ProPublica row filter."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auditkit import datasets
from auditkit.exceptions import InputError


@pytest.fixture(scope="module")
def compas() -> datasets.Dataset:
    return datasets.load("compas")


def test_all_raw_rows_are_kept(compas) -> None:
    assert len(compas.frame) == 7214


def test_duplicate_columns_are_dropped(compas) -> None:
    columns = list(compas.frame.columns)
    assert len(columns) == len(set(columns))
    assert columns.count("decile_score") == 1
    assert columns.count("priors_count") == 1
    assert not any(col.endswith(".1") for col in columns)
    assert len(columns) == 52


def test_high_risk_is_medium_or_high(compas) -> None:
    frame = compas.frame
    expected = frame["score_text"].isin(["Medium", "High"]).astype(int)
    assert (frame["compas_high_risk"] == expected).all()
    assert frame["compas_high_risk"].sum() == 3317


def test_target_and_sensitive_features(compas) -> None:
    assert compas.target_name == "two_year_recid"
    assert set(compas.target) == {0, 1}
    assert compas.positive_label == 1
    assert compas.sensitive_features == ["race", "sex"]
    assert compas.feature_names == [
        "sex", "age", "age_cat", "race", "juv_fel_count", "juv_misd_count",
        "juv_other_count", "priors_count", "c_charge_degree",
    ]  # fmt: skip


def test_every_column_is_a_feature_or_documented_exclusion(compas) -> None:
    meta = json.loads((compas.datasheet.parent / "metadata.json").read_text())
    excluded = {col for group in meta["excluded_columns"].values() for col in group}
    assert excluded | set(compas.feature_names) == set(compas.frame.columns)
    assert not excluded & set(compas.feature_names)


def test_propublica_filter_gives_6172_rows(compas) -> None:
    filtered = datasets.propublica_filter(compas.frame)
    assert len(filtered) == 6172
    assert filtered["days_b_screening_arrest"].between(-30, 30).all()
    assert filtered.index.isin(compas.frame.index).all()


def test_propublica_filter_does_not_mutate_input(compas) -> None:
    before = compas.frame.copy()
    datasets.propublica_filter(compas.frame)
    pd.testing.assert_frame_equal(compas.frame, before)


def test_propublica_filter_rejects_frame_without_columns() -> None:
    with pytest.raises(InputError, match="days_b_screening_arrest"):
        datasets.propublica_filter(pd.DataFrame({"x": [1]}))
