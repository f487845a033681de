"""The tables Dask aggregates: counts of distinct and missing values equal pandas' on the whole frame."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from auditkit.engine.dask_tables import COUNT, aggregate, distinct_buckets


@pytest.mark.parametrize("npartitions", [1, 3, 13])  # 13 partitions: 4 buckets of distinct values per column
def test_distinct_and_missing_counts_equal_pandas(npartitions):
    rng = np.random.default_rng(0)
    n = 5003
    frame = pd.DataFrame({"x": np.r_[rng.normal(size=n - 3).round(2), [0.0, -0.0, np.nan]],
                          "s": rng.choice(np.array(["a", "b", None], dtype=object), n),
                          "i": rng.integers(0, 300, n), "t": [f"id{i % 1700}" for i in range(n)]})
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(frame, npartitions=npartitions)
    with dask.config.set(scheduler="synchronous"):
        tables = aggregate(data, ["s"])
    assert distinct_buckets(data.npartitions) == (4 if npartitions == 13 else 1)
    assert tables.columns["n_unique"].tolist() == frame.nunique().tolist() == [525, 2, 300, 1700]
    assert tables.columns["n_missing"].tolist() == frame.isna().sum().tolist()
    expected = frame["s"].value_counts(dropna=False)
    assert dict(zip(tables.cells["s"], tables.cells[COUNT], strict=True)) == expected.to_dict()
