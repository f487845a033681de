"""Review of the column-by-column Parquet reader: the frame's column labels and attrs are pandas' own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditkit.io.data_files import read_file


def _int_labels() -> pd.DataFrame:
    return pd.DataFrame({0: [1.5, 2.0], 1: ["a", "b"]})


def _named_labels() -> pd.DataFrame:
    frame = pd.DataFrame({"x": [1, 2], "y": [3.0, 4.0]})
    frame.columns.name = "features"
    return frame


def _with_attrs() -> pd.DataFrame:
    frame = pd.DataFrame({"x": [1, 2]})
    frame.attrs = {"source": "survey"}
    return frame


def _tuple_labels() -> pd.DataFrame:
    return pd.DataFrame([[1, 2.0]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))


@pytest.mark.parametrize("make", [_int_labels, _named_labels, _with_attrs, _tuple_labels], ids=lambda f: f.__name__)
@pytest.mark.parametrize("index", [False, None], ids=["no_index", "range_index"])
def test_column_labels_and_attrs_are_those_pandas_reads(tmp_path: Path, make, index):
    path = tmp_path / "data.parquet"
    make().to_parquet(path, index=index)
    got, _, _ = read_file(path, None)
    expected = pd.read_parquet(path)
    pd.testing.assert_frame_equal(got, expected, check_column_type=True)
    assert got.columns.names == expected.columns.names
    assert got.attrs == expected.attrs


def test_a_projection_of_integer_labelled_columns_keeps_pandas_labels(tmp_path: Path):
    path = tmp_path / "data.parquet"
    pd.DataFrame({0: [1, 2], 1: [3, 4], 2: [5, 6]}).to_parquet(path, index=False)
    got, _, how = read_file(path, None, columns=["2", "0"])
    pd.testing.assert_frame_equal(got, pd.read_parquet(path, columns=["0", "2"]), check_column_type=True)
    assert how["columns_read"] == ["0", "2"]
