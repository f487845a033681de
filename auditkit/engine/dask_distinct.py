"""Distinct counts of columns whose distinct values are not bounded by their dtype, a few columns a read.

:func:`auditkit.engine.dask_tables.aggregate` counts distinct values with the cells, in the same read:
each partition hands over every column's distinct values, which wait for their merge trees. For a
continuous column these are about all its values (8 bytes a row), so counting every column at once
would hold about a partition of every column per pending partition. Here the columns whose distinct
values a dtype does not bound (numbers, strings; not booleans or categoricals) are counted after the
cells in groups that hold at most :data:`~auditkit.engine.dask_numbers.IN_FLIGHT_BYTES` a worker
(:func:`~auditkit.engine.dask_numbers.columns_per_read`), each group read once (a projection) and
computed before the next, as the data_bias encodings' second pass does. Within a group, values are
split by hash into buckets merged by trees (:func:`~auditkit.engine.dask_tables.distinct_buckets`), so
no task holds more than a partition or a bucket of one column.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from auditkit.engine.dask_numbers import _workers, columns_per_read
from auditkit.engine.dask_tables import _by_bucket, _distinct, _union, distinct_buckets, merge_tree


def unbounded_columns(frame: Any, skip: Collection[str] = ()) -> list[str]:
    """The columns of ``frame`` (not in ``skip``) whose distinct values their dtype does not bound.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> data = pd.DataFrame({"x": [1.5], "b": [True], "c": pd.Categorical(["a"]), "s": ["a"], "i": [1]})
    >>> unbounded_columns(dd.from_pandas(data, npartitions=1), skip=["i"])
    ['x', 's']
    """
    skip = set(skip)
    return [c for c, dtype in frame.dtypes.items()
            if c not in skip and not (pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype))]


def distinct_counts(frame: Any, columns: list[str], n_rows: int) -> dict[str, int]:
    """Each of ``columns``' distinct present values counted (as ``Series.nunique``), a group of columns a read.

    ``n_rows``: the frame's rows (they size the groups).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"x": [0.0, -0.0, None, 2.5], "s": ["a", "b", "a", None]}),
    ...                       npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     distinct_counts(data, ["x", "s"], 4)
    {'x': 2, 's': 2}
    """
    import dask

    step = columns_per_read(n_rows, _workers())
    counts: dict[str, int] = {}
    for i in range(0, len(columns), step):
        group = columns[i:i + step]
        counts.update(zip(group, dask.compute(*_group_graph(frame[group], group)), strict=True))
    return counts


def _group_graph(frame: Any, group: list[str]) -> list[Any]:
    """The delayed distinct counts of ``group``: one read of its columns, one merge tree per column and bucket."""
    import dask

    buckets = distinct_buckets(frame.npartitions)
    parts = [dask.delayed(_partition_distinct, nout=len(group))(part, group, buckets)
             for part in frame.to_delayed()]
    return [dask.delayed(sum)([dask.delayed(len)(merge_tree(_union, [part[i][b] for part in parts]))
                               for b in range(buckets)]) for i in range(len(group))]


def _partition_distinct(part: pd.DataFrame, group: list[str], buckets: int) -> list[list[Any]]:
    """One partition's distinct present values of each column of ``group``, split by hash into ``buckets``."""
    return [_by_bucket(_distinct(part[c]), buckets) for c in group]
