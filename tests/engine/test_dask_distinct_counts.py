"""engine="dask": data_overview's n_unique is ``Series.nunique``; no task holds several columns' distinct values.

* adversarial columns (ties, -0.0 and 0.0, NaN, +-inf, strings with None, booleans, categoricals) over
  partition layouts (one, even, uneven, empty partitions), with and without data_bias;
* a spy: with the second pass's budget at a byte, no task of a data_overview-only audit returns more
  distinct values than a bucket of one column (on the old single pass, a partition's task returned every
  column's).
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.callbacks import Callback

import auditkit
from auditkit.engine.dask_tables import BUCKET_PARTITIONS

N = 600
COLUMNS = 12  # continuous columns of the spied audit


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame({
        "sex": rng.choice(["f", "m"], N),
        "approved": rng.integers(0, 2, N),
        "decision": rng.integers(0, 2, N),
        "continuous": rng.normal(size=N),
        "signed zeros": rng.choice([-0.0, 0.0, 1.0], N),
        "nan and inf": rng.choice([np.nan, np.inf, -np.inf, 2.0, -0.0, 0.0], N),
        "ties": rng.integers(0, 4, N).astype(float),
        "all missing": np.full(N, np.nan),
        "integers": rng.integers(-(2**40), 2**40, N),
        "strings": rng.choice(np.array(["a", "b", None, "c"], dtype=object), N),
        "flag": rng.choice([True, False], N),
        "kind": pd.Categorical(rng.choice(["x", "y"], N), categories=["x", "y", "z"]),
    })


def _data(frame: pd.DataFrame, layout: str):
    cuts = {"one": [], "even": [N * i // 7 for i in range(1, 7)], "very uneven": [1, 2, N - 3],
            "empty ones": [0, 0, N // 3, N // 3, N]}[layout]
    bounds = [0, *cuts, N]
    parts = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(lambda p: p, parts)


@pytest.mark.parametrize("layout", ["one", "even", "very uneven", "empty ones"])
@pytest.mark.parametrize("steps", [["data_overview"], ["data_overview", "data_bias"]])
def test_n_unique_is_series_nunique(layout, steps):
    frame = _frame()
    audit = auditkit.audit(data=_data(frame, layout), engine="dask", scheduler="synchronous", target="approved",
                           predictions="decision", sensitive=["sex"], steps=steps, progress=False,
                           step_options={"data_bias": {"n_boot": 5}}).to_dict()
    got = {c["column"]: c["n_unique"] for c in audit["data"]["overview"]["columns"]}
    assert got == {c: int(frame[c].nunique()) for c in frame.columns}


class _MostDistinct(Callback):
    """Records the most values (summed over the NumPy arrays inside lists and tuples) any task returns."""

    def __init__(self) -> None:
        super().__init__()
        self.most = 0

    def _posttask(self, key, result, dsk, state, worker_id):
        self.most = max(self.most, _values(result))


def _values(value, depth: int = 0) -> int:
    if isinstance(value, np.ndarray):
        return len(value) if value.ndim and value.dtype.kind in "fO" else 0
    if depth > 4 or not isinstance(value, list | tuple):
        return 0  # a partition read, a table keyed by cells
    return sum(_values(v, depth + 1) for v in value)


def test_no_task_of_an_overview_returns_several_columns_distinct_values(monkeypatch):
    from auditkit.engine import dask_numbers

    monkeypatch.setattr(dask_numbers, "IN_FLIGHT_BYTES", 1)  # one column a read
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], N), "approved": rng.integers(0, 2, N),
                          "decision": rng.integers(0, 2, N),
                          **{f"x{i}": rng.random(N) for i in range(COLUMNS)}})  # continuous: every value distinct
    partitions = 6
    spy = _MostDistinct()
    with spy:
        audit = auditkit.audit(data=dd.from_pandas(frame, npartitions=partitions), engine="dask",
                               scheduler="synchronous", target="approved", predictions="decision",
                               sensitive=["sex"], steps=["data_overview"], progress=False).to_dict()
    assert [c["n_unique"] for c in audit["data"]["overview"]["columns"]][3:] == [N] * COLUMNS
    # at most a bucket of one column (BUCKET_PARTITIONS partitions' worth, give or take the hash), not a
    # partition of every column (COLUMNS partitions' worth)
    assert N / partitions <= spy.most <= 1.5 * BUCKET_PARTITIONS * N / partitions < COLUMNS * N / partitions
