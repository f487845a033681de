"""data_overview counts distinct NumPy numbers by sorting: the same counts as ``Series.nunique()``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.steps.data_overview import column_summary, n_unique

COLUMNS = {
    "floats": pd.Series(np.random.default_rng(0).normal(size=2000)),
    "signed_zeros_and_nan": pd.Series([0.0, -0.0, np.nan, 1.5, 1.5, np.nan]),
    "nan_payloads": pd.Series(np.array([np.nan, -np.nan, np.float64("nan"), 2.0])),
    "all_nan": pd.Series([np.nan, np.nan]),
    "empty": pd.Series([], dtype=float),
    "infinities": pd.Series([np.inf, -np.inf, np.inf, 0.0]),
    "float32": pd.Series(np.array([0.1, np.nan, 0.1, 0.2], dtype=np.float32)),
    "ints": pd.Series([3, 1, 3, -7]),
    "uint8": pd.Series(np.array([255, 0, 255], dtype=np.uint8)),
    "bools": pd.Series([True, False, True]),
    "nullable_ints": pd.Series([1, None, 1, 2], dtype="Int64"),
    "strings": pd.Series(["a", None, "b", "a"], dtype="str"),
    "objects": pd.Series([1, "1", None, 1.0], dtype=object),
    "categorical": pd.Series(pd.Categorical(["x", "y", None, "x"])),
    "datetimes": pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-01"])),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_n_unique_equals_pandas_nunique(name):
    assert n_unique(COLUMNS[name]) == COLUMNS[name].nunique(dropna=True)


def test_column_summary_counts_every_column_as_pandas_does():
    frame = pd.DataFrame({name: values.reindex(range(6)) for name, values in COLUMNS.items() if len(values)})
    summary = column_summary(frame)
    assert summary["n_unique"].tolist() == frame.nunique(dropna=True).tolist()
    assert summary["column"].tolist() == frame.columns.tolist()
