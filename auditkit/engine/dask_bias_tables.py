"""The tables the data_bias step needs, aggregated by Dask: each column's levels and its tables with the sensitive ones.

Three reads of the data, no shuffle:

1. Per column, in the same pass as :func:`auditkit.engine.dask_tables.aggregate`: a text column's rows
   per distinct value (in order of first appearance), merged in the partitions' order by a tree of
   tasks whose root encodes the column as the in-memory engine does
   (:func:`auditkit.data_bias.proxies.encode_column`'s top categories, the same levels in the same
   order); a numeric column's sketch of each partition's sorted values, merged into the plan of its
   second pass (:mod:`auditkit.engine.dask_numbers`).
2. :func:`~auditkit.engine.dask_numbers.finish_encodings`: the numeric columns' exact deciles and
   distinct values, counted per partition in the plans' intervals and ranges
   (:mod:`auditkit.engine.dask_order_stats`), give ``encode_column``'s quantile bins. An encoding keeps
   only how a value maps to its level (:class:`ColumnEncoding`: a few thresholds for a binned column).
3. Per (sensitive feature, column) pair, the rows of every (level, missing or not, sensitive value),
   counted on each partition and summed by a tree of tasks.

The client receives the plans, the encodings and the pair tables, never the rows; no task holds a
numeric column (at most a partition of it, or a range of its distinct values).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import IDENTIFIER_SHARE, MAX_LEVELS
from auditkit.engine.dask_encoding import ColumnEncoding, skipped
from auditkit.engine.dask_numbers import PendingNumbers, finish_encodings, join_lists, plan_column, sorted_present
from auditkit.engine.dask_order_stats import RunSketch
from auditkit.engine.dask_tables import merge_tree, sum_counts

MISSING = "\x00(missing)"  # the key of a missing sensitive value in the pair tables


def encode_counts(counts: pd.Series, n_missing: int, dtype: Any) -> ColumnEncoding:
    """The encoding of a text column whose distinct values (in order of first appearance) occur ``counts`` times.

    The levels come from the counts (:func:`_text_encoding`: ``encode_column``'s top texts, ties broken
    by first appearance). A numeric column is encoded from its order statistics instead
    (:mod:`auditkit.engine.dask_numbers`).

    Examples
    --------
    >>> encoding = encode_counts(pd.Series([3, 1, 3], index=["b", "a", "c"]), 2, "object")
    >>> encoding.kind, encoding.n_levels, encoding.levels.tolist()
    ('categorical', 4, [2, 1, 3])
    """
    if _is_number(dtype):
        raise TypeError(f"encode_counts encodes text columns; got a {dtype} column (see encode_numbers)")
    counts = counts[counts.to_numpy() > 0]  # a categorical column counts its unused categories too
    return _text_encoding(counts, n_missing)


def _text_encoding(counts: pd.Series, n_missing: int) -> ColumnEncoding:
    """``encode_column``'s levels of a text column from its values' counts (first appearance first), no rows.

    The :data:`~auditkit.data_bias.proxies.MAX_LEVELS` most frequent texts (ties: the first seen)
    sorted, level 0 the missing values, the last level the rest; levels present renumbered in order.
    """
    n_unique = len(counts)
    if n_unique <= 1 and not n_missing:
        return skipped("constant", "the column has a single value", n_unique)
    if n_unique > max(50, IDENTIFIER_SHARE * (int(counts.sum()) + n_missing)):
        return skipped("identifier", f"{n_unique} distinct values: looks like an identifier or free text", n_unique)
    texts = np.array([str(value) for value in counts.index.astype(object)], dtype=object)
    text_of_value, names = pd.factorize(texts)
    per_text = np.bincount(text_of_value, weights=counts.to_numpy(), minlength=len(names)).astype(np.int64)
    top = sorted(names[np.argsort(-per_text, kind="stable")[:MAX_LEVELS]])
    position = {name: i + 1 for i, name in enumerate(top)}
    level = np.array([position.get(name, len(top) + 1) for name in names], dtype=np.int64)[text_of_value]
    present = np.unique(np.r_[level, [0] * bool(n_missing)])
    if len(present) < 2:
        return skipped("constant", "the column has a single value", n_unique)
    return ColumnEncoding("categorical", len(present), None, 0 if n_missing else -1, counts.index.to_numpy(),
                          np.searchsorted(present, level), False, n_unique)


def encodings_graph(frame: Any, columns: list[str]) -> Any:
    """``also`` of :func:`~auditkit.engine.dask_tables.aggregate`: per column its delayed encoding (text) or plan.

    A numeric column's :class:`~auditkit.engine.dask_numbers.PendingNumbers` becomes its encoding in
    :func:`~auditkit.engine.dask_numbers.finish_encodings` (a second pass).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit.engine.dask_tables import aggregate
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "x": [1.0, 2.0, None, 2.0]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     encodings = aggregate(data, ["g"], also=encodings_graph(data, ["g", "x"])).also
    >>> (encodings[0].kind, encodings[0].n_levels, encodings[0].missing_level), encodings[1].plan.n
    (('categorical', 3, 0), 3)
    >>> finish_encodings(data, {"x": encodings[1]})["x"].kind
    'numeric'
    """
    import dask

    position = {c: i for i, c in enumerate(frame.columns)}
    numeric = [_is_number(frame.dtypes[c]) for c in columns]

    def build(partitions: list[Any], missing: Any) -> list[Any]:
        parts = [dask.delayed(_column_values)(part, columns, numeric) for part in partitions]
        roots = []
        for i, column in enumerate(columns):
            leaves = [part[i] for part in parts]
            if numeric[i]:  # a plan for the second pass (finish_encodings), on a worker
                roots.append(dask.delayed(PendingNumbers)(dask.delayed(plan_column)(merge_tree(join_lists, leaves)),
                                                          missing[position[column]]))
            else:
                roots.append(dask.delayed(encode_counts)(merge_tree(sum_counts, leaves), missing[position[column]],
                                                         frame.dtypes[column]))
        return roots

    return build


def _is_number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _column_values(part: pd.DataFrame, columns: list[str], numeric: list[bool]) -> list[Any]:
    """Per column: a numeric column's sketch of its sorted present values (in a list, for :func:`join_lists`);
    another's rows per distinct value (first appearance first)."""
    return [[RunSketch.of(sorted_present(part[c]))] if number else part[c].value_counts(sort=False, dropna=True)
            for c, number in zip(columns, numeric, strict=True)]


def pair_tables(frame: Any, values: dict[str, list[Any]],
                encodings: dict[str, ColumnEncoding]) -> dict[tuple[str, str], pd.Series]:
    """Per (feature, column): the rows by (level, missing, sensitive value), sorted by level and missing.

    ``values`` holds every value of each sensitive feature as :func:`keyed` gives them (the cells').
    Each partition counts into one fixed array per pair, summed by a tree of tasks.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "x": ["u", "v", "u", None]}), npartitions=2)
    >>> encoding = encode_counts(pd.Series([2, 1], index=["u", "v"]), 1, "object")
    >>> with dask.config.set(scheduler="synchronous"):
    ...     pairs = pair_tables(data, {"g": ["a", "b", MISSING]}, {"x": encoding})
    >>> pairs[("g", "x")].to_dict()
    {(0, True, '\\x00(missing)'): 1, (1, False, 'a'): 2, (2, False, 'b'): 1}
    """
    import dask

    tables = [dask.delayed(_pair_tables)(part, values, encodings) for part in frame.to_delayed()]
    merged = dask.compute(merge_tree(_sum_lists, tables))[0]
    out = {}
    for (feature, column), counts in zip([(f, c) for c in encodings for f in values], merged, strict=True):
        present = np.flatnonzero(counts)
        cells, which = np.divmod(present, len(values[feature]))
        index = pd.MultiIndex.from_arrays([cells // 2 - 1, (cells % 2).astype(bool),
                                           pd.Index(values[feature], dtype=object)[which]])
        out[(feature, column)] = pd.Series(counts[present], index=index)
    return out


def aggregate_bias(frame: Any, columns: list[str],
                   features: list[str]) -> tuple[dict[str, ColumnEncoding], dict[tuple[str, str], pd.Series]]:
    """Each of ``columns``' encoding and the (feature, column) tables (:func:`pair_tables`): both passes.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "x": ["u", "v", "u", None]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     encodings, pairs = aggregate_bias(data, ["x"], ["g"])
    >>> encodings["x"].n_levels, pairs[("g", "x")].to_dict()
    (3, {(0, True, '\\x00(missing)'): 1, (1, False, 'a'): 2, (2, False, 'b'): 1})
    """
    from auditkit.engine.dask_tables import aggregate

    tables = aggregate(frame, features, also=encodings_graph(frame, columns))
    encodings = finish_encodings(frame, dict(zip(columns, tables.also, strict=True)))
    return encodings, pair_tables(frame, sensitive_values(tables.cells, features), encodings)


def sensitive_values(cells: pd.DataFrame, features: list[str]) -> dict[str, list[Any]]:
    """Every value of each of ``features`` in ``cells`` (:attr:`~auditkit.engine.dask_tables.DaskTables.cells`), keyed.

    Examples
    --------
    >>> sensitive_values(pd.DataFrame({"g": ["b", "a", None, "a"]}), ["g"])
    {'g': ['b', 'a', '\\x00(missing)']}
    """
    return {f: list(pd.unique(keyed(cells[f]).to_numpy())) for f in features}


def _pair_tables(part: pd.DataFrame, values: dict[str, list[Any]],
                 encodings: dict[str, ColumnEncoding]) -> list[np.ndarray]:
    """Per (feature, column), column-major: this partition's rows per (level + 1, missing, sensitive value) cell."""
    sensitive = [pd.Index(v, dtype=object).get_indexer(keyed(part[f])) for f, v in values.items()]
    out = []
    for column, encoding in encodings.items():
        missing = part[column].isna().to_numpy()
        cell = (encoding.levels_of(part[column]) + 1) * 2 + missing  # level -1 (skipped column) is cell 0 or 1
        width = (encoding.n_levels + 1) * 2
        for codes, known in zip(sensitive, values.values(), strict=True):
            out.append(np.bincount(cell * len(known) + codes, minlength=width * len(known)))
    return out


def keyed(values: pd.Series) -> pd.Series:
    """``values`` as objects, :data:`MISSING` where missing: the sensitive values as the pair tables key them.

    Examples
    --------
    >>> keyed(pd.Series(["a", None])).tolist()
    ['a', '\\x00(missing)']
    """
    return values.astype(object).where(values.notna(), MISSING)


def _sum_lists(parts: list[list[np.ndarray]]) -> list[np.ndarray]:
    return [np.sum(arrays, axis=0) for arrays in zip(*parts, strict=True)]
