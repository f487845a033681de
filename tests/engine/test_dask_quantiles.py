"""engine="dask" finds a numeric column's quantiles and distinct values in passes over its partitions, exactly.

* the order statistics from the sketches' brackets give ``numpy.quantile`` to the last bit, whatever the
  values (ties, one value, infinities, huge numbers) and the partitions (uneven, empty);
* the column's encoding (bins, levels, distinct count) equals ``encode_column``'s with missing values;
* no task of an audit holds a column: every array a task returns is at most a range of its values.
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import longest_array
from _frames import make_frame
from dask.callbacks import Callback

import auditkit
from auditkit.data_bias.proxies import encode_column
from auditkit.engine.dask_numbers import encode_values
from auditkit.engine.dask_order_stats import (
    RunSketch,
    brackets,
    count_partition,
    merge_interval_counts,
    plan_numbers,
    quantiles_from_counts,
    union_sorted,
)
from auditkit.stats.sorted_numbers import DECILES

Q = np.r_[DECILES, 0.0, 1.0, 0.001, 0.999, 1 / 3]


def _values(kind: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    return {
        "continuous": rng.normal(size=5000),
        "ties at every decile": rng.integers(0, 7, 5000).astype(float),
        "one value dominates": np.r_[np.full(4900, 2.5), rng.normal(size=100)],
        "all equal": np.full(3000, -1.25),
        "one value": np.array([3.0]),
        "two values": np.array([7.0, -7.0]),
        "infinities": np.r_[rng.normal(size=2000), np.full(300, np.inf), np.full(200, -np.inf)],
        "mostly infinite": np.r_[np.full(900, np.inf), [1.0, 2.0], np.full(900, -np.inf)],
        "huge and tiny": np.r_[rng.normal(size=1000) * 1e300, rng.normal(size=1000) * 1e-300, [np.finfo(float).max]],
        "signed zeros": np.r_[[-0.0, 0.0] * 1000, rng.normal(size=500)],
        "integers": rng.integers(-(2**40), 2**40, 4000).astype(float),
    }[kind]


def _partitions(values: np.ndarray, layout: str) -> list[np.ndarray]:
    n = len(values)
    cuts = {
        "one": [],
        "even": [n * i // 7 for i in range(1, 7)],
        "very uneven": [1, 2, max(2, n - 3)],
        "empty ones": [0, 0, n // 3, n // 3, n // 2, n, n],
    }[layout]
    return [np.sort(part) for part in np.split(values, cuts)]


KINDS = ["continuous", "ties at every decile", "one value dominates", "all equal", "one value", "two values",
         "infinities", "mostly infinite", "huge and tiny", "signed zeros", "integers"]
LAYOUTS = ["one", "even", "very uneven", "empty ones"]


def _in_passes(runs: list[np.ndarray], samples: int, n_ranges: int = 3):
    plan = plan_numbers([RunSketch.of(run, samples) for run in runs], Q, n_ranges)
    counted = [count_partition(run, plan.intervals, plan.cuts) for run in runs]
    return plan, merge_interval_counts([part[0] for part in counted]), counted


@pytest.mark.parametrize("samples", [2, 16, 1024])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_quantiles_from_the_passes_are_numpy_quantile_bit_for_bit(kind, layout, samples):
    values = _values(kind)
    runs = _partitions(values, layout)
    plan, counts, _ = _in_passes(runs, samples)
    with np.errstate(invalid="ignore"):  # inf - inf: numpy's own NaN, reproduced
        found = quantiles_from_counts(counts, plan.n, Q)
        expected = np.quantile(values, Q)
    np.testing.assert_array_equal(found, expected)  # NaN where numpy gives NaN; -0.0 equals 0.0
    nonzero = expected != 0
    assert np.array_equal(found[nonzero].view(np.uint64), expected[nonzero].view(np.uint64))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_bracket_holds_its_order_statistic(kind, layout):
    values = _values(kind)
    ordered = np.sort(values)
    runs = _partitions(values, layout)
    ranks = np.unique(np.r_[0, len(values) - 1, np.linspace(0, len(values) - 1, 25).astype(int)])
    bounds = brackets([RunSketch.of(run, 8) for run in runs], ranks)
    assert (bounds[:, 0] <= ordered[ranks]).all() and (ordered[ranks] <= bounds[:, 1]).all()


def test_the_second_pass_pulls_a_small_share_of_the_values():
    values = _values("continuous")
    runs = _partitions(values, "even")
    plan, counts, _ = _in_passes(runs, samples=64)
    pulled = sum(len(v) for v in counts.values)
    steps = sum(-(-len(run) // 64) for run in runs)
    assert 0 < pulled <= len(Q) * 4 * steps < len(values)  # about two sketch steps a partition per bracket
    heavy = _in_passes(_partitions(_values("one value dominates"), "even"), samples=64)[1]
    assert sum(len(v) for v in heavy.values) <= 2 * len(Q) * 4 * steps  # a value's ties: one entry, counted


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_distinct_values_are_counted_per_range(kind, layout):
    values = _values(kind)
    runs = _partitions(values, layout)
    plan, _, counted = _in_passes(runs, samples=16, n_ranges=4)
    ranges = [union_sorted([part[1][r] for part in counted]) for r in range(len(plan.cuts) + 1)]
    assert sum(len(r) for r in ranges) == pd.Series(values).nunique()
    slack = 2 * sum(-(-len(run) // 16) for run in runs)  # two sketch steps a partition
    assert max(len(r) for r in ranges) <= len(values) / 4 + slack  # about a quarter of the rows each, at most


def _with_missing(kind: str) -> pd.Series:
    values = pd.Series(_values(kind))
    values.iloc[::13] = np.nan
    if kind == "two values":
        values = pd.Series([7.0, None, -7.0])
    return values


@pytest.mark.parametrize("partitions", [1, 5, 40])
@pytest.mark.parametrize("kind", KINDS)
def test_the_encoding_equals_encode_column_with_missing_values(kind, partitions):
    values = _with_missing(kind)
    with np.errstate(invalid="ignore"):
        expected = encode_column(values)
        encoding = encode_values(values, partitions=partitions)
    assert (encoding.kind, encoding.n_levels, encoding.skipped) == (expected.kind, expected.n_levels, expected.skipped)
    if expected.codes is not None:
        assert encoding.levels_of(values).tolist() == expected.codes.astype(int).tolist()
    assert encoding.n_distinct == values.nunique()


def test_none_is_missing_in_an_object_column_of_numbers():
    values = pd.Series([1.5, None, 2.5, *range(20)], dtype=float)
    assert encode_values(values, partitions=3).missing_level == 0 == encode_column(values).codes[1]


class _LargestArray(Callback):
    """Records the longest NumPy array any task returns (inside lists, tuples, dicts and dataclasses)."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def _posttask(self, key, result, dsk, state, worker_id):
        self.largest = max(self.largest, longest_array(result, frames=False))



def test_no_task_of_an_audit_holds_a_numeric_column():
    frame = make_frame(8000, seed=3)
    frame["amount"] = np.random.default_rng(3).random(len(frame))  # continuous: every value distinct
    partitions = 16
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(frame, npartitions=partitions)
    spy = _LargestArray()
    with spy:
        audit = auditkit.audit(data=data, engine="dask", scheduler="synchronous", target="approved",
                               sensitive=["sex", "region"], predictions="decision", steps=["data_bias"],
                               progress=False, step_options={"data_bias": {"n_boot": 20}})
    assert audit.to_dict()["data"]["bias"]["proxies"]
    assert frame["amount"].nunique() == len(frame)  # its values, or its distinct values, would be a whole column
    assert len(frame) / partitions <= spy.largest <= len(frame) / 3  # a partition, or a range of the values


@pytest.mark.parametrize(("budget", "expected"), [(1, [{"income"}, {"debt"}, {"score"}]),
                                                  (2**30, [{"income", "debt", "score"}])])
def test_the_second_pass_holds_the_columns_that_fit_its_budget_at_once(monkeypatch, budget, expected):
    from auditkit.engine import dask_numbers
    from auditkit.engine.dask_bias_tables import aggregate_bias

    computes: list[set[str]] = []

    def spy_count(part, plans):
        computes[-1].update(part.columns)
        return count_columns(part, plans)

    def spy_compute(*args, **kwargs):
        computes.append(set())
        return compute(*args, **kwargs)

    count_columns, compute = dask_numbers._count_columns, dask.compute
    monkeypatch.setattr(dask_numbers, "_count_columns", spy_count)
    monkeypatch.setattr(dask_numbers, "IN_FLIGHT_BYTES", budget)
    monkeypatch.setattr(dask, "compute", spy_compute)
    frame = make_frame(600, seed=1)
    with dask.config.set(scheduler="synchronous"):
        encodings, _ = aggregate_bias(dd.from_pandas(frame, npartitions=3), ["income", "debt", "score", "region"],
                                      ["sex"])
    assert [names for names in computes if names] == expected  # read and computed together: only these
    assert encodings["income"].binned and encodings["region"].kind == "categorical"
