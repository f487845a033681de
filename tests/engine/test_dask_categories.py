"""engine="dask" on Dask frames with categorical columns, their categories unknown to Dask or known: the numbers of
the in-memory engine on the same rows (whose ``astype("category")`` sorts the categories of the whole column)."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers
from _frames import make_frame
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import auditkit
from auditkit.engine.dask_categories import known_categories, unknown_categoricals

COUNTS_STEPS = ["data_overview", "data_bias", "performance", "fairness"]
OPTIONS = {"fairness": {"n_boot": 30}, "data_bias": {"n_boot": 20}, "shap": {"max_rows": 40},
           "lime": {"n_instances": 3, "num_samples": 300}}
FEATURES = ["income", "debt", "region"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = make_frame(600, seed=3).drop(columns=["score"])
    data.loc[data.index[::37], "region"] = None
    return data.astype({"sex": object, "region": object})


def categorical(frame: pd.DataFrame, column: str, known: bool):
    """``frame`` as a Dask frame whose ``column`` is categorical: categories unknown, or known (``categorize``)."""
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(frame, npartitions=3).astype({column: "category"})
    assert unknown_categoricals(data) == [column]  # each partition has its own categories
    return data.categorize(columns=[column]) if known else data


def a_model(frame: pd.DataFrame):
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["region"]), remainder="passthrough")
    return make_pipeline(encode, LogisticRegression()).fit(frame[FEATURES], frame["approved"])


@pytest.mark.parametrize("known", [False, True], ids=["unknown categories", "categorize()"])
@pytest.mark.parametrize("column", ["sex", "region"], ids=["a sensitive column", "a feature column"])
def test_a_models_audit_with_shap_and_lime_gives_the_in_memory_numbers(frame, column, known):
    in_memory_rows = frame.drop(columns=["decision"]).astype({column: "category"})
    settings = {"target": "approved", "sensitive": ["sex"], "model": a_model(in_memory_rows), "features": FEATURES,
                "seed": 7, "steps": [*COUNTS_STEPS, "shap", "lime"], "step_options": OPTIONS}
    in_memory = auditkit.audit(data=in_memory_rows, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=categorical(frame.drop(columns=["decision"]), column, known), engine="dask",
                             scheduler="synchronous", progress=False, **settings).to_dict()
    assert [f["id"] for f in on_dask["findings"] if f["severity"] == "error"] == []
    assert on_dask["explanations"]["lime"]["instances"] and on_dask["explanations"]["shap"]
    assert_same_numbers(on_dask, in_memory)


@pytest.mark.parametrize("column", ["sex", "region"], ids=["a sensitive column", "another column"])
def test_an_audit_of_predictions_gives_the_in_memory_numbers(frame, column):
    settings = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "seed": 7,
                "steps": COUNTS_STEPS, "step_options": OPTIONS}
    in_memory = auditkit.audit(data=frame.astype({column: "category"}), progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=categorical(frame, column, known=False), engine="dask", scheduler="synchronous",
                             progress=False, **settings).to_dict()
    assert_same_numbers(on_dask, in_memory)


def test_the_categories_made_known_are_those_of_the_whole_column():
    values = pd.DataFrame({"g": ["y", "x", "z"] * 3 + ["w"], "x": range(10)})
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(values, npartitions=3).astype({"g": "category"})
    with dask.config.set(scheduler="synchronous"):
        known = known_categories(data)
        parts = dask.compute(*known.to_delayed())
    expected = values.astype({"g": "category"})["g"].dtype
    assert known["g"].cat.known and known["g"].dtype == expected
    assert all(part["g"].dtype == expected for part in parts)  # one dtype in every partition


@pytest.mark.parametrize("columns", [["x", "g"], ["g"], ["x"]])
def test_a_categorized_frames_columns_can_be_selected(columns):
    values = pd.DataFrame({"g": ["a", "b"] * 5, "x": range(10), "y": range(10)})
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(values, npartitions=2).categorize(columns=["g"])
    with dask.config.set(scheduler="synchronous"):
        parts = dask.compute(*known_categories(data)[columns].to_delayed())
    assert pd.concat(parts)[columns].astype(object).equals(values[columns].astype(object))
