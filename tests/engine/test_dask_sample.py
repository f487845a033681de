"""The Dask engine's stratified sample: the in-memory sampler's rows, drawn from per-partition stratum counts."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from auditkit.engine import dask_explain, dask_sample
from auditkit.engine.dask_explain import row_seeds
from auditkit.engine.dask_sample import POSITION, count_strata, draw, pull_positions, pull_sample
from auditkit.explain.shap_sample import stratified_rows
from auditkit.stats.missing_group import sensitive_frame


def rows_of(n: int, seed: int, shares: dict[str, list[float]]) -> pd.DataFrame:
    """``n`` rows: one column per sensitive feature (values drawn with ``shares``, None is missing), and ``x``."""
    rng = np.random.default_rng(seed)
    data = {feature: rng.choice(np.array([f"v{i}" if i else None for i in range(len(p))], dtype=object), size=n,
                                p=p)
            for feature, p in shares.items()}
    return pd.DataFrame({**data, "x": np.arange(n) * 10})


def partitioned(frame: pd.DataFrame, sizes: list[int]):
    """``frame`` as a Dask frame with partitions of ``sizes`` rows (zeros make empty partitions)."""
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    assert bounds[-1] == len(frame)
    pieces = [dask.delayed(frame.iloc[a:b].copy)() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return dd.from_delayed(pieces, meta=frame.iloc[:0], verify_meta=False)


def cells_of(frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """One row per combination of the sensitive values present (as the engine's cells have them)."""
    return frame[features].drop_duplicates().reset_index(drop=True)


CASES = {  # n, partition sizes, shares per feature, limit, floor
    "uneven partitions": (400, [7, 150, 0, 243], {"sex": [0, 0.3, 0.7], "race": [0, 0.8, 0.15, 0.05]}, 60, 10),
    "empty partitions at both ends": (200, [0, 100, 100, 0], {"sex": [0, 0.5, 0.5]}, 20, 5),
    "missing values and tiny strata": (300, [100, 100, 100], {"g": [0.02, 0.9, 0.05, 0.03]}, 25, 10),
    "more strata than rows": (250, [50, 200], {"a": [0, 0.3, 0.3, 0.4], "b": [0, 0.2, 0.2, 0.3, 0.3]}, 6, 10),
    "one partition": (120, [120], {"sex": [0.1, 0.45, 0.45]}, 30, 8),
    "every row": (50, [20, 30], {"sex": [0, 0.5, 0.5]}, 80, 5),
    "no limit": (50, [25, 25], {"sex": [0, 0.5, 0.5]}, None, 5),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_the_sample_is_the_in_memory_samplers(case, seed):
    n, sizes, shares, limit, floor = CASES[case]
    frame = rows_of(n, seed, shares)
    features = list(shares)
    groups = sensitive_frame(frame, features)
    expected = stratified_rows(groups, limit, np.random.default_rng(seed), floor)
    cells = cells_of(frame, features)
    with dask.config.set(scheduler="synchronous"):
        strata = count_strata(partitioned(frame, sizes), cells, sensitive_frame(cells, features))
        rows, sample = pull_sample(partitioned(frame, sizes), strata,
                                   draw(strata, limit, np.random.default_rng(seed), floor), ["x"])
    np.testing.assert_array_equal(rows[POSITION].to_numpy(), expected.positions)
    np.testing.assert_array_equal(rows["x"].to_numpy(), frame["x"].to_numpy()[expected.positions])
    np.testing.assert_array_equal(sample.weights, expected.weights)
    if len(expected.positions) < n:
        assert sample.counts(pd.DataFrame()) == expected.counts(groups)


def test_the_strata_are_counted_per_partition():
    frame = rows_of(90, 3, {"sex": [0.2, 0.4, 0.4]})
    cells = cells_of(frame, ["sex"])
    with dask.config.set(scheduler="synchronous"):
        strata = count_strata(partitioned(frame, [30, 0, 60]), cells, sensitive_frame(cells, ["sex"]))
    labels = strata.groups["sex"].tolist()
    expected = [[int((sensitive_frame(part, ["sex"])["sex"] == g).sum()) for g in labels]
                for part in (frame.iloc[:30], frame.iloc[:0], frame.iloc[30:])]
    assert strata.counts.tolist() == expected
    assert strata.starts.tolist() == [0, 30, 30, 90]


def test_rows_by_position_come_from_their_partitions():
    frame = rows_of(100, 4, {"sex": [0, 0.5, 0.5]})
    cells = cells_of(frame, ["sex"])
    with dask.config.set(scheduler="synchronous"):
        strata = count_strata(partitioned(frame, [10, 0, 45, 45]), cells, sensitive_frame(cells, ["sex"]))
        rows = pull_positions(partitioned(frame, [10, 0, 45, 45]), strata, np.array([0, 9, 10, 54, 55, 99]), ["x"])
    assert rows["x"].tolist() == [0, 90, 100, 540, 550, 990]


def test_the_client_never_receives_a_whole_column_and_reads_only_the_partitions_it_needs(monkeypatch):
    frame = rows_of(2000, 5, {"sex": [0.05, 0.45, 0.5], "race": [0, 0.6, 0.4]})
    features = ["sex", "race"]
    cells = cells_of(frame, features)
    received, pulled = [], []
    compute = dask.compute

    def spy(*args, **kwargs):
        out = compute(*args, **kwargs)
        received.extend(np.size(v) if not isinstance(v, pd.DataFrame) else len(v) for v in out)
        return out

    rows_of_partition = dask_sample._rows_of_partition

    def pulling(part, *args):
        pulled.append(len(part))
        return rows_of_partition(part, *args)

    monkeypatch.setattr(dask, "compute", spy)
    monkeypatch.setattr(dask_sample, "_rows_of_partition", pulling)
    sizes = [400] * 5
    with dask.config.set(scheduler="synchronous"):
        strata = count_strata(partitioned(frame, sizes), cells, sensitive_frame(cells, features))
        rows, _ = pull_sample(partitioned(frame, sizes), strata, draw(strata, 12, np.random.default_rng(0), 2),
                              ["x"])
    assert max(received) <= max(5 * len(strata.groups), 12)  # counts per (partition, stratum); the sample's rows
    assert len(rows) == 12 and len(pulled) <= 5
    with dask.config.set(scheduler="synchronous"):
        pulled.clear()
        pull_positions(partitioned(frame, sizes), strata, np.array([3, 1999]), ["x"])
    assert pulled == [400, 400]  # the first and last partitions only


@pytest.mark.parametrize("n", [1, 7, 50])
def test_row_seeds_drawn_in_chunks_are_the_in_memory_seeds(n, monkeypatch):
    from types import SimpleNamespace

    from auditkit.steps._explain_common import shap_row_seeds

    monkeypatch.setattr(dask_explain, "SEED_CHUNK", 3)  # many chunks, of odd size
    ctx = SimpleNamespace(n_rows=n, rng=lambda salt: np.random.default_rng([11, len(salt)]))
    positions = np.unique(np.array([0, n // 2, n - 1]))
    np.testing.assert_array_equal(row_seeds(ctx, positions), shap_row_seeds(ctx)[positions])
