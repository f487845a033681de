"""Categorical columns of a Dask frame made known before an audit reads them: every partition with one dtype.

``dd.from_pandas(...).astype("category")`` (or Parquet read without a schema's dictionary) gives categorical
columns whose categories Dask does not know: each partition holds its own (the values it has). A model or
an explainer then sees a different dtype in each partition, and LIME's perturbed rows, decoded to the
column's dtype (``category`` of no known value), would all be missing. So the engine makes them known
first, as ``frame.categorize()`` would: one pass over those columns collects every partition's categories,
and every partition is cast to the categories pandas infers from their union (sorted, as
``astype("category")`` of the whole column sorts them).

A frame already categorized (``frame.categorize()``) is read through one ``map_partitions``: Dask
2026.8 fails to select some columns of it (a ``Categorize`` expression simplified under a projection).
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def unknown_categoricals(frame: Any) -> list[str]:
    """The categorical columns of ``frame`` (a Dask frame) whose categories Dask does not know.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b"], "x": [1, 2]}), npartitions=1)
    >>> unknown_categoricals(data.astype({"g": "category"})), unknown_categoricals(data.categorize(["g"]))
    (['g'], [])
    """
    return [c for c in frame.columns
            if isinstance(frame._meta[c].dtype, pd.CategoricalDtype) and not frame[c].cat.known]


def known_categories(frame: Any) -> Any:
    """``frame`` with the categories of every categorical column known (computed with the current scheduler).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["b", "a", "c", "a"]}), npartitions=2).astype({"g": "category"})
    >>> with dask.config.set(scheduler="synchronous"):
    ...     known = known_categories(data)
    >>> known["g"].cat.known, known["g"].cat.categories.tolist()
    (True, ['a', 'b', 'c'])
    """
    import dask

    if _categorized(frame):
        frame = frame.map_partitions(_as_is, meta=frame._meta)
    unknown = unknown_categoricals(frame)
    if not unknown:
        return frame
    found = dask.compute(*[dask.delayed(_categories)(part) for part in frame[unknown].to_delayed()])
    dtypes = {c: pd.CategoricalDtype(pd.Categorical(pd.concat([pd.Series(f[c]) for f in found],
                                                              ignore_index=True).drop_duplicates()).categories,
                                     ordered=frame._meta[c].dtype.ordered)
              for c in unknown}
    return frame.astype(dtypes)


def _categories(part: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: part[c].cat.categories.tolist() for c in part.columns}


def _as_is(part: pd.DataFrame) -> pd.DataFrame:
    return part


def _categorized(frame: Any) -> bool:
    """Whether ``frame``'s expression has a ``Categorize`` step (``frame.categorize()``)."""
    seen, todo = set(), [getattr(frame, "expr", None)]
    while todo:
        expr = todo.pop()
        if expr is None or id(expr) in seen:
            continue
        seen.add(id(expr))
        if type(expr).__name__ == "Categorize":
            return True
        todo.extend(expr.dependencies())
    return False
