"""A numeric column's data_bias encoding, by Dask, from exact order statistics: no task holds the column.

``encode_column`` bins a column of more than :data:`~auditkit.data_bias.proxies.N_BINS` distinct numbers
at its ``numpy.quantile`` deciles; fewer distinct numbers get one level each. Both need only what two
passes over the partitions find (:mod:`auditkit.engine.dask_order_stats`):

1. with the cells (:func:`auditkit.engine.dask_bias_tables.encodings_graph`): each partition's sketch
   of its sorted values, merged into a :class:`~auditkit.engine.dask_order_stats.NumberPlan` on a
   worker (:func:`plan_column`), which the client receives (:class:`PendingNumbers`);
2. :func:`finish_encodings`: each partition counts the values in the plan's intervals and hands over
   its distinct values per range; trees of tasks sum them (one per column, one per column and range),
   and :func:`encode_numbers` takes the deciles from the exact order statistics, the bins' first values
   and the distinct count (and the distinct values themselves when there are few).

The levels equal ``encode_column``'s; every task holds at most a partition or a range of one column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import BIN_QUANTILES, N_BINS
from auditkit.engine.dask_encoding import ColumnEncoding, encode_few
from auditkit.engine.dask_order_stats import (
    IntervalCounts,
    NumberPlan,
    RunSketch,
    count_partition,
    merge_interval_counts,
    plan_numbers,
    quantiles_from_counts,
    rows_below,
    union_sorted,
)
from auditkit.engine.dask_tables import distinct_buckets, merge_tree


@dataclass(frozen=True)
class PendingNumbers:
    """A numeric column after the first pass: its :class:`~auditkit.engine.dask_order_stats.NumberPlan`.

    Attributes
    ----------
    plan : NumberPlan
    n_missing : int

    Examples
    --------
    >>> PendingNumbers(plan_column([RunSketch.of(np.arange(4.0))]), 1).plan.n
    4
    """

    plan: NumberPlan
    n_missing: int


def sorted_present(values: pd.Series) -> np.ndarray:
    """The present values of ``values`` as floats, sorted (NaN left out).

    Examples
    --------
    >>> sorted_present(pd.Series([3, None, 1])).tolist()
    [1.0, 3.0]
    """
    numbers = values.to_numpy(dtype=float)
    return np.sort(numbers[~np.isnan(numbers)])


def plan_column(sketches: list[RunSketch]) -> NumberPlan:
    """The plan of a column from its partitions' sketches (one each, joined by a tree of :func:`join_lists`).

    The ranges of the distinct count: one per :data:`~auditkit.engine.dask_tables.BUCKET_PARTITIONS`
    partitions (:func:`~auditkit.engine.dask_tables.distinct_buckets`).

    Examples
    --------
    >>> plan_column([RunSketch.of(np.arange(20.0)), RunSketch.of(np.array([]))]).intervals.shape
    (9, 2)
    """
    return plan_numbers(sketches, BIN_QUANTILES, distinct_buckets(len(sketches)))


def join_lists(parts: list[list[Any]]) -> list[Any]:
    """The lists ``parts`` one after the other.

    Examples
    --------
    >>> join_lists([[1], [2, 3]])
    [1, 2, 3]
    """
    return [item for part in parts for item in part]


def encode_numbers(pending: PendingNumbers, counts: IntervalCounts, ranges: list[tuple[int, np.ndarray]],
                   dtype: Any) -> ColumnEncoding:
    """The encoding of a numeric column from both passes: the interval counts and each range's distinct values.

    ``ranges``: per range, its distinct values' count and the values themselves when there are at most
    :data:`~auditkit.data_bias.proxies.N_BINS` (:func:`_range_result`).

    Examples
    --------
    >>> encoding = encode_runs([np.arange(10.0), np.arange(10.0, 20.0)], 0, "float64")
    >>> encoding.binned, encoding.n_levels, encoding.keys.tolist()[:3], encoding.n_distinct
    (True, 10, [2.0, 4.0, 6.0], 20)
    """
    n_distinct = int(sum(count for count, _ in ranges))
    if n_distinct > N_BINS:  # encode_column bins exactly these columns
        return _binned(pending.plan, counts, pending.n_missing > 0, n_distinct)
    distinct = np.concatenate([values for _, values in ranges])
    if pending.n_missing:
        return encode_few(pd.Series(np.r_[distinct, np.nan]), n_distinct)
    return encode_few(pd.Series(distinct).astype(dtype), n_distinct)


def _binned(plan: NumberPlan, counts: IntervalCounts, has_missing: bool, n_distinct: int) -> ColumnEncoding:
    """``encode_column``'s quantile bins: level 0 the missing values (if any), then each bin that holds values.

    A bin starts at an edge (a value at or above it falls above it); its first value is the smallest
    value at or above the edge, which lies in the edge's interval.
    """
    edges = np.unique(quantiles_from_counts(counts, plan.n, BIN_QUANTILES))
    below, first = zip(*[rows_below(counts, plan.intervals, edge, plan.n) for edge in edges], strict=True)
    bounds = np.r_[0, below, plan.n]
    found = np.flatnonzero(np.diff(bounds) > 0)  # bins that hold values (0: below the first edge)
    offset = int(has_missing)
    return ColumnEncoding("numeric (binned)", len(found) + offset, None, 0 if has_missing else -1,
                          np.asarray(first, dtype=float)[found[1:] - 1], np.arange(len(found), dtype=np.int64) + offset,
                          True, n_distinct)


def _range_result(pieces: list[np.ndarray]) -> tuple[int, np.ndarray]:
    """A range's distinct values (from each partition's) counted, and kept only when few (then they encode it)."""
    distinct = union_sorted(pieces)
    return len(distinct), distinct if len(distinct) <= N_BINS else distinct[:0]


IN_FLIGHT_BYTES = 128 * 2**20  # a worker's share of the distinct values the second pass holds at once, at most


def _count_columns(part: pd.DataFrame, plans: dict[str, NumberPlan]) -> list[Any]:
    """One partition's second pass over some columns, flat: per column its interval counts, then its distinct
    values per range."""
    out: list[Any] = []
    for column, plan in plans.items():
        counts, ranges = count_partition(sorted_present(part[column]), plan.intervals, plan.cuts)
        out += [counts, *ranges]
    return out


def finish_encodings(frame: Any, by_column: dict[str, Any]) -> dict[str, ColumnEncoding]:
    """``by_column`` with each :class:`PendingNumbers` replaced by its encoding: the second pass, a few columns a time.

    The partitions' distinct values wait for their range's task, 8 bytes a distinct value spread
    over the workers; so the columns go in groups that hold at most :data:`IN_FLIGHT_BYTES` a worker
    (:func:`columns_per_read`; at least one column), each group read once (a projection of
    ``frame``) and computed before the next.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit.engine.dask_bias_tables import encodings_graph
    >>> from auditkit.engine.dask_tables import aggregate
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b"] * 20, "x": np.arange(40.0)}), npartitions=3)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     pending = aggregate(data, ["g"], also=encodings_graph(data, ["x"])).also
    ...     encoding = finish_encodings(data, {"x": pending[0]})["x"]
    >>> encoding.binned, encoding.n_levels, encoding.keys.tolist()[:3], encoding.n_distinct
    (True, 10, [4.0, 8.0, 12.0], 40)
    """
    import dask

    pending = {c: p for c, p in by_column.items() if isinstance(p, PendingNumbers)}
    if not pending:
        return dict(by_column)
    names = list(pending)
    step = columns_per_read(max(p.plan.n for p in pending.values()), _workers())
    out = dict(by_column)
    for i in range(0, len(names), step):
        group = {c: pending[c] for c in names[i:i + step]}
        out.update(zip(group, dask.compute(*_encodings_graph(frame, group)), strict=True))
    return out


def columns_per_read(n_values: int, workers: int) -> int:
    """Numeric columns of ``n_values`` values whose distinct values fit :data:`IN_FLIGHT_BYTES` a worker (at least 1).

    Examples
    --------
    >>> columns_per_read(10_000_000, 2), columns_per_read(1_000_000_000, 32), columns_per_read(0, 1)
    (3, 1, 1000)
    """
    return max(1, min(1000, IN_FLIGHT_BYTES * workers // max(8 * n_values, 1)))


def _workers() -> int:
    """The workers of the Dask cluster in use (1 without one: a local scheduler)."""
    try:
        from distributed import get_client

        return max(1, len(get_client().scheduler_info()["workers"]))
    except (ImportError, ValueError):
        return 1


def _encodings_graph(frame: Any, group: dict[str, PendingNumbers]) -> list[Any]:
    """The delayed encodings of some numeric columns: their second pass, one read of them."""
    import dask

    plans = {c: numbers.plan for c, numbers in group.items()}
    widths = [len(plan.cuts) + 2 for plan in plans.values()]  # per column: interval counts, each range's values
    parts = [dask.delayed(_count_columns, nout=sum(widths))(part, plans) for part in frame[list(group)].to_delayed()]
    roots, start = [], 0
    for (column, numbers), width in zip(group.items(), widths, strict=True):
        counts = merge_tree(merge_interval_counts, [part[start] for part in parts])
        ranges = [dask.delayed(_range_result)([part[start + 1 + r] for part in parts])
                  for r in range(width - 1)]  # one task per range: it holds the range anyway
        roots.append(dask.delayed(encode_numbers)(numbers, counts, ranges, frame.dtypes[column]))
        start += width
    return roots


def encode_runs(runs: list[np.ndarray], n_missing: int, dtype: Any) -> ColumnEncoding:
    """The encoding of a numeric column whose partitions' present values are ``runs`` (sorted floats): both passes.

    In this process, as the Dask graph computes them (:func:`plan_column`, :func:`count_partition`,
    :func:`encode_numbers`).

    Examples
    --------
    >>> encode_runs([np.array([1.0, 3.0]), np.array([]), np.array([5.0])], 1, "float64").n_levels
    4
    """
    plan = plan_column([RunSketch.of(run) for run in runs])
    counted = [count_partition(run, plan.intervals, plan.cuts) for run in runs]
    ranges = [_range_result([part[1][r] for part in counted]) for r in range(len(plan.cuts) + 1)]
    return encode_numbers(PendingNumbers(plan, n_missing), merge_interval_counts([part[0] for part in counted]),
                          ranges, dtype)


def encode_values(values: pd.Series, partitions: int = 1) -> ColumnEncoding:
    """The encoding of a numeric column whose values (missing ones included) are ``values``, cut in ``partitions``.

    Examples
    --------
    >>> encoding = encode_values(pd.Series([*range(20), None], dtype=float), partitions=3)
    >>> encoding.binned, encoding.n_levels, encoding.missing_level, encoding.keys.tolist()[:3], encoding.n_distinct
    (True, 11, 0, [2.0, 4.0, 6.0], 20)
    >>> encode_values(pd.Series([3, 1, 3])).levels_of(pd.Series([1, 3])).tolist()
    [0, 1]
    """
    chunks = np.array_split(values.to_numpy(dtype=float), partitions)
    runs = [np.sort(chunk[~np.isnan(chunk)]) for chunk in chunks]
    return encode_runs(runs, int(values.isna().sum()), values.dtype)
