"""LIME and agreement under the Dask engine: the in-memory instances and numbers, from rows pulled from the frame."""

from __future__ import annotations

import dataclasses

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers, parquet_parts
from _frames import make_frame
from lime.lime_tabular import LimeTabularExplainer
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

import auditkit
from auditkit.engine import dask_audit
from auditkit.engine.dask_lime import rest_positions
from auditkit.engine.dask_lime_stats import lime_training, stats_explainer
from auditkit.engine.dask_order_stats import SAMPLES
from auditkit.explain.codec import TabularCodec
from auditkit.explain.lime_runs import _impute, lime_settings
from auditkit.steps.lime_step import LimeStep

SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "seed": 7, "progress": False}
FEATURES = ["income", "debt"]
WEIGHTS_REL = 1e-12  # LIME weights: bins' means/stds are sums in another order; measured ≤ 2e-15 relative
LIME = {"n_instances": 8, "repeats": 2, "num_samples": 300}  # 6 groups: at most 6 errors, then a sample


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Two sensitive columns (one with missing values), two numeric features (one with missing values)."""
    data = make_frame(300, seed=3).drop(columns=["score", "decision"])
    data.loc[data.index[::37], "region"] = None
    data.loc[data.index[5::23], "income"] = np.nan
    return data.astype({"sex": object, "region": object})


def partitioned(frame: pd.DataFrame, sizes: list[int]):
    """``frame`` as a Dask frame with partitions of ``sizes`` rows (zeros make empty partitions)."""
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    pieces = [dask.delayed(frame.iloc[a:b].copy)() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with dask.config.set({"dataframe.convert-string": False}):  # object strings, as the in-memory frame has them
        return dd.from_delayed(pieces, meta=frame.iloc[:0], verify_meta=False)


def _one_hot_logistic():
    return make_pipeline(make_column_transformer((OneHotEncoder(), ["sex"]), remainder="passthrough"),
                         LogisticRegression())


MODELS = {  # model, its input columns
    "a tree (tied scores)": (lambda: DecisionTreeClassifier(max_depth=3, random_state=0), FEATURES),
    "a pipeline with a category": (_one_hot_logistic, ["debt", "sex"]),
}
PARTITIONS = {"even": [100, 100, 100], "uneven and empty": [0, 7, 150, 0, 143]}


def audits(frame: pd.DataFrame, model, columns, sizes, **settings):
    fitted = model().fit(frame[columns], frame["approved"])
    both = {**SETTINGS, "model": fitted, **settings}
    return (auditkit.audit(data=partitioned(frame, sizes), engine="dask", scheduler="synchronous", **both),
            auditkit.audit(data=frame, **both))


@pytest.mark.parametrize("case", list(MODELS))
@pytest.mark.parametrize("sizes", list(PARTITIONS))
@pytest.mark.parametrize("discretize", [True, False])
def test_lime_on_dask_explains_the_in_memory_instances_with_the_same_numbers(case, sizes, discretize, frame):
    model, columns = MODELS[case]
    on_dask, in_memory = audits(frame, model, columns, PARTITIONS[sizes], steps=["performance", "lime"],
                                step_options={"lime": {**LIME, "discretize_continuous": discretize}})
    got, expected = on_dask.step("lime").payload["lime"], in_memory.step("lime").payload["lime"]
    chosen = ["row_id", "reason", "y_true", "y_pred", "score"]
    assert [[row[k] for k in chosen] for row in got["instances"]] == [[row[k] for k in chosen]
                                                                      for row in expected["instances"]]
    assert [row["reason"] for row in got["instances"]].count("random sample") >= 1
    assert got["training_rows"] == len(frame) and got["imputed_numeric_values"] == expected["imputed_numeric_values"]
    assert_same_numbers(on_dask.to_dict(), in_memory.to_dict(), rel=WEIGHTS_REL)


CHOICES = {  # model, its inputs, the LIME step's options
    "no errors asked": (MODELS["a tree (tied scores)"], {"errors_per_group": 0}),
    "three errors a group, tied scores": (MODELS["a tree (tied scores)"], {"errors_per_group": 3, "n_instances": 14}),
    "fewer instances than groups": (MODELS["a tree (tied scores)"], {"n_instances": 3}),
    "decision scores": ((LinearSVC, FEATURES[1:]), {"errors_per_group": 2}),
}


@pytest.mark.parametrize("case", list(CHOICES))
def test_the_instances_are_the_in_memory_steps(case, frame):
    (model, columns), options = CHOICES[case]
    on_dask, in_memory = audits(frame, model, columns, PARTITIONS["uneven and empty"], steps=["lime"],
                                step_options={"lime": {"repeats": 1, "num_samples": 50, **options}})
    chosen = ["row_id", "reason", "y_true", "y_pred", "score"]
    got, expected = (audit.step("lime").payload["lime"]["instances"] for audit in (on_dask, in_memory))
    assert [[row[k] for k in chosen] for row in got] == [[row[k] for k in chosen] for row in expected]
    assert len(got) == options.get("n_instances", 20)


def test_requested_rows_are_found_in_their_partitions_as_in_memory(frame):
    ids = [250, "3", 3, 10_000, 0, 299]  # "3" and 3 name one row (explained twice, as in memory); 10,000: no row
    on_dask, in_memory = audits(frame, *MODELS["a tree (tied scores)"], PARTITIONS["uneven and empty"],
                                steps=["lime"], step_options={"lime": {**LIME, "row_ids": ids}})
    got, expected = on_dask.step("lime").payload["lime"], in_memory.step("lime").payload["lime"]
    assert [row["row_id"] for row in got["instances"]] == [250, 3, 3, 0, 299]
    assert got["missing_row_ids"] == expected["missing_row_ids"] == [10_000]
    assert_same_numbers(on_dask.to_dict(), in_memory.to_dict(), rel=WEIGHTS_REL)


@pytest.mark.parametrize("options", [{}, {"explainer": "permutation", "n_permutations": 1, "background_size": 20}])
def test_agreement_on_dask_compares_shap_on_limes_instances_as_in_memory(options, frame):
    on_dask, in_memory = audits(frame, *MODELS["a pipeline with a category"], PARTITIONS["uneven and empty"],
                                steps=["lime", "agreement"], step_options={"lime": LIME, "shap": options})
    assert_same_numbers(on_dask.to_dict(), in_memory.to_dict(), rel=WEIGHTS_REL)
    assert len(on_dask.step("agreement").payload["agreement"]["instances"]) == LIME["n_instances"]


def _numbers(n: int, seed: int) -> pd.DataFrame:
    """Numbers with ties, missing and infinite values; a category with missing values; a constant column."""
    rng = np.random.default_rng(seed)
    x = rng.choice([1.0, 2.0, 2.0, 3.5, 10.0, np.nan, np.inf, -np.inf], size=n, p=[.2, .2, .2, .1, .1, .1, .05, .05])
    return pd.DataFrame({"x": x, "y": rng.normal(size=n), "g": rng.choice(np.array(["a", "b", None], dtype=object),
                                                                          size=n), "k": np.full(n, 4, dtype=np.int64)})


@pytest.mark.parametrize(("n", "sizes"), [(200, [0, 13, 187, 0]), (9, [4, 5]), (1, [1])])
@pytest.mark.parametrize("discretize", [True, False])
def test_the_explainer_knows_what_lime_learns_from_every_row(n, sizes, discretize):
    data = _numbers(n, n)
    with dask.config.set(scheduler="synchronous"):
        training = lime_training(partitioned(data, sizes), list(data.columns))
    codec = TabularCodec.fit(data)
    assert training.codec == codec
    codes, medians, _ = _impute(codec, codec.encode(data), None)
    np.testing.assert_array_equal(training.medians[[1, 3]], medians[[1, 3]])
    assert training.medians[0] == medians[0] or np.isnan(data["x"]).all()
    settings = lime_settings(codec, "classification", discretize)
    ours, theirs = stats_explainer(training, settings), LimeTabularExplainer(codes, **settings)
    assert ours.feature_values == theirs.feature_values
    for j in theirs.feature_frequencies:
        np.testing.assert_array_equal(ours.feature_frequencies[j], theirs.feature_frequencies[j])
    if discretize:
        assert ours.discretizer.names == theirs.discretizer.names  # the quartiles, to the last bit
        for j in theirs.discretizer.lambdas:
            assert ours.discretizer.mins[j] == theirs.discretizer.mins[j]
            assert ours.discretizer.maxs[j] == theirs.discretizer.maxs[j]
            np.testing.assert_allclose(ours.discretizer.means[j], theirs.discretizer.means[j], rtol=1e-12)
            np.testing.assert_allclose(ours.discretizer.stds[j], theirs.discretizer.stds[j], rtol=1e-12)
    else:
        np.testing.assert_allclose(ours.scaler.mean_, theirs.scaler.mean_, rtol=1e-12)
        np.testing.assert_allclose(ours.scaler.scale_, theirs.scaler.scale_, rtol=1e-12)


@pytest.mark.parametrize("taken", [[], [0], [2, 3, 4], [0, 5, 9]])
def test_ranks_among_the_rest_are_the_positions_choice_of_the_rest_picks(taken):
    rest = np.array([p for p in range(10) if p not in taken])
    ranks = np.arange(len(rest))
    np.testing.assert_array_equal(rest_positions(ranks, np.array(taken, dtype=np.int64)), rest)


def _received(value) -> int:
    """Numbers in what the client received from one computation."""
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index | np.ndarray):
        return int(np.size(value))
    if isinstance(value, dict):
        return sum(_received(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_received(v) for v in value)
    if dataclasses.is_dataclass(value):
        return sum(_received(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 1


def test_the_client_receives_no_whole_column(monkeypatch):
    data = make_frame(24_000, seed=1).drop(columns=["score", "decision"])
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(data[FEATURES], data["approved"])
    received: list[int] = []
    compute, explained = dask.compute, dask_audit.EXPLAINED[LimeStep]

    def spy(*args, **kwargs):
        out = compute(*args, **kwargs)
        received.append(_received(out))
        return out

    def spied(*args):
        with monkeypatch.context() as inside:
            inside.setattr(dask, "compute", spy)
            return explained(*args)

    monkeypatch.setitem(dask_audit.EXPLAINED, LimeStep, spied)
    auditkit.audit(data=partitioned(data, [6000] * 4), engine="dask", scheduler="synchronous", model=model,
                   steps=["lime"], step_options={"lime": {**LIME, "repeats": 1}}, **SETTINGS)
    sketches = 4 * len(FEATURES) * 2 * (SAMPLES + 1)  # per partition and numeric column: values and ranks
    assert received and max(received) <= sketches + 100 < len(data)  # bounded by partitions, not rows: no column


@pytest.mark.slow
def test_lime_and_agreement_on_a_local_cluster_give_the_in_memory_numbers(frame, tmp_path):
    """Parquet parts read by a 2-process LocalCluster (not the synchronous scheduler): same instances and numbers."""
    model, columns = MODELS["a pipeline with a category"]
    fitted = model().fit(frame[columns], frame["approved"])
    back = parquet_parts(frame, tmp_path, np.array_split(np.arange(len(frame)), 3))
    both = {**SETTINGS, "model": fitted, "steps": ["performance", "lime", "agreement"],
            "step_options": {"lime": LIME}}
    on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask", **both)
    in_memory = auditkit.audit(data=back, **both)
    got, expected = (audit.step("lime").payload["lime"]["instances"] for audit in (on_dask, in_memory))
    assert [row["row_id"] for row in got] == [row["row_id"] for row in expected]
    assert_same_numbers(on_dask.to_dict(), in_memory.to_dict(), rel=WEIGHTS_REL)
