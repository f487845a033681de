"""engine="dask" with the data_bias step: the in-memory engine's numbers, from tables that equal a pandas crosstab."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers
from _frames import make_frame

import auditkit
from auditkit.data_bias.proxies import encode_column
from auditkit.engine.dask_bias_tables import MISSING, aggregate_bias
from auditkit.exceptions import InputError

SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "scores": "score",
            "seed": 3, "progress": False, "step_options": {"data_bias": {"n_boot": 100}}}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Every kind of column data_bias encodes: binned numbers, few numbers, text pooled beyond 30 levels, ties,
    an identifier, a constant; missing values in a number, a text and a sensitive column."""
    data = make_frame(900, seed=21)
    rng = np.random.default_rng(4)
    data.loc[data.index[::13], "income"] = np.nan
    data.loc[data.index[::29], "region"] = None
    data["rating"] = rng.integers(1, 6, len(data))  # 5 values: numeric, not binned
    data["city"] = np.where(data["sex"] == "male", "m", "f") + rng.integers(0, 40, len(data)).astype(str)
    data.loc[data.index[::17], "city"] = None
    data["tied"] = rng.choice(["a", "b", "c"], len(data))  # equal counts are likely among few levels
    data["row_id"] = [f"id{i}" for i in range(len(data))]
    data["constant"] = 1
    return data


def _dask(frame: pd.DataFrame, npartitions: int = 5) -> dd.DataFrame:
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame.sample(frac=1.0, random_state=1), npartitions=npartitions)  # another order


@pytest.fixture(scope="module")
def audits(frame) -> tuple[dict, dict]:
    steps = {"steps": ["data_overview", "data_bias", "performance", "fairness"]}
    memory = auditkit.audit(data=frame, **SETTINGS, **steps).to_dict()
    on_dask = auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", **SETTINGS, **steps).to_dict()
    return memory, on_dask


def test_data_bias_numbers_equal_the_in_memory_engine(audits):
    memory, on_dask = audits
    assert on_dask["data"]["bias"]["proxies"] and on_dask["data"]["bias"]["missingness"]  # not two empty sections
    assert_same_numbers(on_dask, memory)


def test_every_kind_of_column_is_encoded_or_skipped_as_in_memory(audits):
    bias = audits[1]["data"]["bias"]
    kinds = {row["feature"]: row["kind"] for row in bias["proxies"]}
    assert kinds == {"income": "numeric (binned)", "debt": "numeric (binned)", "rating": "numeric",
                     "city": "categorical", "tied": "categorical"}
    assert {row["column"] for row in bias["skipped_columns"]} == {"row_id", "constant"}
    assert {row["column"] for row in bias["missingness"]} == {"income", "city"}


@pytest.mark.parametrize("column", ["income", "debt", "rating", "city", "tied"])
@pytest.mark.parametrize("feature", ["sex", "region"])
def test_the_pair_tables_equal_a_pandas_crosstab(frame, column, feature):
    with dask.config.set(scheduler="synchronous"):
        encodings, pairs = aggregate_bias(_dask(frame, 3), [column], [feature])
    table = pairs[(feature, column)].groupby(level=[0, 2]).sum().unstack(fill_value=0)
    levels = encode_column(frame[column])
    expected = pd.crosstab(levels.codes, frame[feature].fillna(MISSING))
    assert encodings[column].n_levels == levels.n_levels
    assert table.to_numpy().tolist() == expected.loc[:, list(table.columns)].to_numpy().tolist()
    assert list(table.index) == list(expected.index) and sorted(table.columns) == sorted(expected.columns)


def test_unknown_columns_are_named(frame):
    with pytest.raises(InputError, match="^data_bias columns not in the data: nowhere$"):
        auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", steps=["data_bias"],
                       **{**SETTINGS, "step_options": {"data_bias": {"columns": ["income", "nowhere"]}}})


def test_chosen_columns_skip_the_target_and_sensitive_columns_as_in_memory(frame):
    settings = {**SETTINGS, "steps": ["data_bias"],
                "step_options": {"data_bias": {"n_boot": 50, "columns": ["sex", "city", "approved", "income"]}}}
    memory = auditkit.audit(data=frame, **settings).to_dict()
    on_dask = auditkit.audit(data=_dask(frame), engine="dask", scheduler="synchronous", **settings).to_dict()
    assert_same_numbers(on_dask, memory)
    assert {row["feature"] for row in on_dask["data"]["bias"]["proxies"]} == {"city", "income"}
