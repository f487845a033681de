"""Parquet files are read one column at a time (a lower peak of memory): the frame pandas reads, every dtype."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditkit.io.data_files import read_file


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "number": [1.5, np.nan, 2.0], "integer": [3, 1, 2], "small": pd.Series([1, 2, 3], dtype="uint16"),
        "text": ["x", None, "z"], "python_string": pd.array(["p", None, "q"], dtype="string[python]"),
        "category": pd.Categorical(["u", "v", "u"], categories=["v", "u"], ordered=True),
        "when": pd.to_datetime(["2020-01-01", None, "2021-05-05"]).tz_localize("Europe/Paris"),
        "flag": [True, False, True], "nullable": pd.array([1, None, 3], dtype="Int64"),
        "nullable_flag": pd.array([True, None, False], dtype="boolean"), "raw": [b"x", b"y", None],
        "duration": pd.to_timedelta([1, 2, 3], unit="s"),
    })


@pytest.mark.parametrize(("index", "labels"), [(False, None), (None, None), (None, [5, 6, 7]), (True, None),
                                               (None, pd.RangeIndex(3, name="id"))], ids=str)
def test_reading_by_column_gives_the_frame_pandas_reads(tmp_path: Path, index, labels):
    frame = _frame()
    if labels is not None:
        frame.index = labels
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=index)
    got, _, how = read_file(path, None)
    pd.testing.assert_frame_equal(got, pd.read_parquet(path), check_column_type=True)
    assert how["format"] == "parquet"


def test_a_projection_reads_the_columns_asked_for_in_the_files_order(tmp_path: Path):
    path = tmp_path / "data.parquet"
    _frame().to_parquet(path, index=False)
    got, _, how = read_file(path, None, columns=["text", "number", "when"])
    pd.testing.assert_frame_equal(got, pd.read_parquet(path, columns=["number", "text", "when"]))
    assert how["columns_read"] == ["number", "text", "when"]


def test_a_file_of_no_rows_keeps_its_columns_and_dtypes(tmp_path: Path):
    path = tmp_path / "empty.parquet"
    _frame().iloc[:0].to_parquet(path, index=False)
    got, _, _ = read_file(path, None)
    pd.testing.assert_frame_equal(got, pd.read_parquet(path), check_column_type=True)
