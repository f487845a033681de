"""engine="dask" holds no row-sized data where it need not: the client audits cells, the workers count less.

* the client's context is one row per cell with its count as weight, never a frame of the audited rows;
* a numeric column is binned from its values sorted once (no per-row level arrays at the encoding root), with
  exactly ``encode_column``'s levels, and counts its distinct values for the overview;
* the columns the encodings count keep no per-partition distinct values (a continuous column's are all its values).
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _frames import make_frame

import auditkit
from auditkit import runner
from auditkit.data_bias.proxies import encode_column
from auditkit.engine import dask_tables
from auditkit.engine.dask_numbers import encode_values
from auditkit.engine.dask_tables import aggregate


def _rows(n: int = 4000) -> pd.DataFrame:
    frame = make_frame(n, seed=5)
    frame["score"] = frame["score"].round(1)
    return frame


def _dask(frame: pd.DataFrame) -> dd.DataFrame:
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=4)


@pytest.mark.parametrize("steps", [["performance", "fairness"], ["data_overview", "data_bias", "performance",
                                                                 "fairness"]])
def test_the_client_context_holds_cells_not_rows(monkeypatch, steps):
    contexts = []

    def spy(spec, *, loaded=None):
        contexts.append(build(spec, loaded=loaded))
        return contexts[-1]

    build = runner.build_context
    monkeypatch.setattr(runner, "build_context", spy)
    frame = _rows()
    keys = ["sex", "region", "approved", "decision"]  # the scores are reduced on the workers, no key
    audit = auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", target="approved",
                           sensitive=["sex", "region"], predictions="decision", scores="score", steps=steps,
                           progress=False, step_options={"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20}})
    [ctx] = contexts
    n_cells = len(frame.groupby(keys).size())
    assert n_cells < len(frame) / 10
    assert len(ctx.frame) == len(ctx.y_true) == len(ctx.sensitive) == len(ctx.weights) == n_cells
    assert ctx.n_rows == int(ctx.weights.sum()) == len(frame) == audit.to_dict()["dataset"]["n_rows"]


def _column(kind: str) -> pd.Series:
    rng = np.random.default_rng(7)
    values = {
        "continuous": rng.normal(size=3000),
        "ties at the quantiles": np.r_[np.zeros(1500), rng.integers(1, 30, 1500)].astype(float),
        "one value dominates": np.r_[np.full(2900, 5.0), np.arange(100.0)],
        "signed zeros": np.r_[[-0.0, 0.0] * 500, np.arange(20.0)],
        "integers": rng.integers(0, 40, 3000),
        "few values": rng.integers(0, 6, 3000).astype(float),
        "constant": np.ones(3000),
    }[kind]
    return pd.Series(values)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("kind", ["continuous", "ties at the quantiles", "one value dominates", "signed zeros",
                                  "integers", "few values", "constant"])
def test_numbers_are_binned_as_encode_column_bins_them(kind, missing):
    values = _column(kind)
    if missing:
        values = values.astype(float)
        values.iloc[::9] = np.nan
    expected = encode_column(values)
    encoding = encode_values(values)
    assert (encoding.kind, encoding.n_levels, encoding.skipped) == (expected.kind, expected.n_levels, expected.skipped)
    if expected.codes is not None:
        assert encoding.levels_of(values).tolist() == expected.codes.astype(int).tolist()
    assert encoding.n_distinct == values.nunique()


def test_counted_columns_keep_no_distinct_values_on_the_workers(monkeypatch):
    seen = []

    def spy(values):
        seen.append(values.name)
        return distinct(values)

    distinct = dask_tables._distinct
    monkeypatch.setattr(dask_tables, "_distinct", spy)
    with dask.config.set(scheduler="synchronous"):
        tables = aggregate(_dask(_rows(200)), ["sex", "approved"], counted=["income", "debt"])
    assert seen and not {"income", "debt"} & set(seen)
    unique = dict(zip(tables.columns["column"], tables.columns["n_unique"], strict=True))
    assert unique["income"] == unique["debt"] == -1 and unique["sex"] == 2  # -1: for the encodings to fill
    filled = tables.with_unique({"income": 7}).columns.set_index("column")["n_unique"]
    assert filled["income"] == 7 and filled["debt"] == -1


def _text(kind: str) -> pd.Series:
    rng = np.random.default_rng(2)
    n = 600
    values = {
        "few": rng.choice(["b", "a", "c"], n),
        "over 30 levels with ties": np.array([f"v{i % 45}" for i in range(n)], dtype=object),
        "identifier": np.array([f"id{i}" for i in range(n)], dtype=object),
        "constant": np.full(n, "x", dtype=object),
        "same text twice": np.array([1, "1", "a"] * (n // 3), dtype=object),
        "booleans": rng.random(n) < 0.3,
    }[kind]
    return pd.Series(values)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("kind", ["few", "over 30 levels with ties", "identifier", "constant", "same text twice",
                                  "booleans"])
def test_texts_are_encoded_from_their_counts_as_encode_column_encodes_the_rows(kind, missing):
    from auditkit.engine.dask_bias_tables import encode_counts

    values = _text(kind)
    if missing:
        values = values.astype(object)
        values.iloc[::7] = None
    counts = values.value_counts(sort=False, dropna=True)
    rows = pd.Series(np.repeat(counts.index.to_numpy(), counts.to_numpy()), dtype=values.dtype)  # grouped by value
    rows = pd.concat([rows, pd.Series([None] * int(values.isna().sum()), dtype=object)], ignore_index=True)
    expected = encode_column(rows if missing else rows.astype(values.dtype))
    encoding = encode_counts(counts, int(values.isna().sum()), values.dtype)
    assert (encoding.kind, encoding.n_levels, encoding.skipped) == (expected.kind, expected.n_levels, expected.skipped)
    if expected.codes is not None:
        assert encoding.levels_of(values).tolist() == encode_column(values).codes.astype(int).tolist()
    assert encoding.n_distinct == values.nunique()


def test_proxies_are_measured_on_the_pair_tables_without_rebuilding_rows(monkeypatch):
    from auditkit.engine import dask_bias

    tables = []

    def spy(table, encoded, rng, n_boot, level):
        tables.append(table)
        return measure(table, encoded, rng, n_boot, level)

    measure = dask_bias.table_row
    monkeypatch.setattr(dask_bias, "table_row", spy)
    frame = _rows()
    audit = auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", target="approved",
                           sensitive=["sex", "region"], predictions="decision", steps=["data_bias"], progress=False,
                           step_options={"data_bias": {"n_boot": 20}})
    proxies = audit.to_dict()["data"]["bias"]["proxies"]
    assert tables and len(tables) == len(proxies)
    assert all(int(table.sum()) == len(frame) for table in tables)  # every audited row, counted, none repeated
    assert {table.shape[1] for table in tables} == {frame["sex"].nunique(), frame["region"].nunique()}


def test_missingness_is_counted_from_the_pair_tables_without_rebuilding_rows(monkeypatch):
    from auditkit.data_bias import analysis

    counted = []

    def spy(feature, column, keys, gone, n, *args):
        counted.append((column, int(gone.sum()), int(n.sum())))
        return by_group(feature, column, keys, gone, n, *args)

    def refuse(*args, **kwargs):
        raise AssertionError("missingness of rows rebuilt from the tables")

    by_group = analysis.missing_by_group
    monkeypatch.setattr(analysis, "missing_by_group", spy)
    monkeypatch.setattr(analysis, "missingness", refuse)  # the rows' entry point: the engine needs only counts
    frame = _rows()
    frame.loc[frame.index[::7], "income"] = np.nan
    audit = auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", target="approved",
                           sensitive=["sex", "region"], predictions="decision", steps=["data_bias"], progress=False,
                           step_options={"data_bias": {"n_boot": 20}})
    assert audit.to_dict()["data"]["bias"]["missingness"]
    assert counted == [("income", int(frame["income"].isna().sum()), len(frame))] * 2  # one per sensitive feature
