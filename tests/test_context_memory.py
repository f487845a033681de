"""What the audit context holds a row, and where the read's memory comes from (issue 12: peak memory).

Deterministic spies, no timings and no resident-size measurements: the dtypes the context keeps per row (group
codes, sensitive columns, confusion cells), what the steps leave in the context's cache, and the Arrow pool a
Parquet file is read into.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from auditkit import AuditSpec, build_context
from auditkit.io.arrow_memory import read_into_returning_pool, returning_pool
from auditkit.io.data import read_data
from auditkit.runner import run_step
from auditkit.stats.counts import confusion_cells
from auditkit.stats.levels import code_dtype

N_ROWS = 2_000


def _frame(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    return pd.DataFrame({
        "sex": rng.choice(["female", "male"], n),
        "race": rng.choice([f"r{i}" for i in range(12)], n).astype(object),
        "x": rng.normal(size=n),
        "c": rng.choice(["u", "v", "w"], n),
        "label": (rng.random(n) < score).astype(int),
        "score": score,
        "decision": (score > 0.5).astype(int),
    })


def _spec(data, steps=("data_overview", "data_bias", "performance", "fairness")) -> AuditSpec:
    return AuditSpec(data=data, target="label", sensitive=["sex", "race"], predictions="decision", scores="score",
                     steps=list(steps), seed=0, step_options={"fairness": {"n_boot": 10}, "data_bias": {"n_boot": 10}})


@pytest.fixture(scope="module")
def audited():
    """A context after every data and fairness step has run (and filled its cache)."""
    spec = _spec(_frame())
    ctx = build_context(spec)
    for step in spec.build_steps():
        run_step(step, ctx, errors="raise")
    return ctx


def _cached_group_codes(ctx) -> dict:
    return {key[1]: value for key, value in ctx.cache._values.items() if key[0] == "group_codes"}


def test_every_cached_group_code_is_one_byte_a_row_for_up_to_128_groups(audited):
    cached = _cached_group_codes(audited)
    assert set(cached) == {("sex",), ("race",), ("sex", "race")}  # each grouping once, shared by the steps
    for features, (codes, keys) in cached.items():
        assert codes.dtype == code_dtype(len(keys)) == np.int8, features
        assert codes.shape == (N_ROWS,)


def test_what_the_steps_leave_in_the_cache_is_narrow(audited):
    """data_bias and fairness keep their group codes in the cache for the next step: narrow, nothing row-long else."""
    row_long = [array for value in audited.cache._values.values()
                for array in (value if isinstance(value, tuple) else (value,))
                if isinstance(array, np.ndarray) and len(array) == N_ROWS]
    assert len(row_long) == 3 and all(array.itemsize == 1 for array in row_long)


def test_sensitive_columns_are_categorical_codes_of_the_texts(audited):
    frame = _frame()
    for column in ("sex", "race"):
        values = audited.sensitive[column]
        assert isinstance(values.dtype, pd.CategoricalDtype)
        assert values.cat.codes.dtype == np.int8
        assert values.astype(object).tolist() == frame[column].astype(str).tolist()


def test_sensitive_missing_values_are_a_category_of_their_own():
    frame = _frame().astype({"race": object})
    frame.loc[[3, 7], "race"] = None
    ctx = build_context(_spec(frame, steps=("data_overview",)))
    race = ctx.sensitive["race"]
    assert isinstance(race.dtype, pd.CategoricalDtype) and not race.isna().any()
    assert race.iloc[[3, 7]].tolist() == ["(missing)", "(missing)"]
    assert ctx.sensitive.attrs["missing_groups"] == {"race": "(missing)"}


def test_confusion_cells_are_one_byte_a_row():
    cells = confusion_cells(np.array([1, 0, 1, 0], dtype=np.int8), np.array([1, 1, 0, 0], dtype=np.int8))
    assert cells.dtype == np.int8 and cells.tolist() == [0, 1, 2, 3]
    assert confusion_cells(np.array([1, 0]), np.array([0, 1])).dtype == np.int8  # int64 input too


def test_the_context_shares_the_frames_columns_when_every_row_is_audited():
    loaded = read_data(_frame())
    ctx = build_context(_spec(loaded.frame), loaded=loaded)
    for column in ("x", "score"):
        assert np.shares_memory(ctx.frame[column].to_numpy(), loaded.frame[column].to_numpy())


def test_parquet_is_read_into_the_returning_pool(tmp_path):
    """The frame's columns come from the pool that returns freed memory, not Arrow's default one."""
    path = tmp_path / "rows.parquet"
    _frame(20_000).to_parquet(path, index=False)
    pool, default = returning_pool(), pa.default_memory_pool()
    before = pool.bytes_allocated(), default.bytes_allocated()
    frame = read_data(path).frame
    grown = pool.bytes_allocated() - before[0]
    assert grown >= frame[["x", "score"]].memory_usage(index=False).sum()  # the numbers live in the returning pool
    assert default.bytes_allocated() - before[1] < grown / 10
    assert pa.default_memory_pool().backend_name == default.backend_name  # the default is back after the read


def test_the_default_pool_comes_back_after_a_failed_read():
    default = pa.default_memory_pool().backend_name
    with pytest.raises(RuntimeError), read_into_returning_pool():
        raise RuntimeError("the read failed")
    assert pa.default_memory_pool().backend_name == default
