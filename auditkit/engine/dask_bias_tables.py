"""The tables the data_bias step needs, aggregated by Dask: each column's levels and its tables with the sensitive ones.

Two passes over the data, no shuffle:

1. Per column, in the same pass as :func:`auditkit.engine.dask_tables.aggregate`: a numeric column's
   values, or a text column's rows per distinct value (in order of first appearance), merged in the
   partitions' order by a tree of tasks; the root of each tree, on a worker, encodes the column as the
   in-memory engine does (:func:`auditkit.data_bias.proxies.encode_column` on the same values: quantile
   bins of numbers, top categories of text, the same levels in the same order) and keeps only how a
   value maps to its level (:class:`ColumnEncoding`: a few thresholds for a binned column).
2. Per (sensitive feature, column) pair, the rows of every (level, missing or not, sensitive value),
   counted on each partition and summed by a tree of tasks.

The client receives the encodings and the pair tables, never the rows. A numeric column's values
(8 bytes a row) are gathered on the worker that encodes it, as the exact quantiles need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import IDENTIFIER_SHARE, MAX_LEVELS, N_BINS, encode_column
from auditkit.engine.dask_tables import merge_tree, sum_counts

MISSING = "\x00(missing)"  # the key of a missing sensitive value in the pair tables


@dataclass(frozen=True)
class ColumnEncoding:
    """How one column's values map to the levels :func:`~auditkit.data_bias.proxies.encode_column` gives.

    Attributes
    ----------
    kind : str
        ``encode_column``'s kind (``"numeric (binned)"``, ``"numeric"``, ``"categorical"``, ...).
    n_levels : int
    skipped : str or None
        Why the column is not encoded (``encode_column``'s reason), or None.
    missing_level : int
        Level of a missing value (-1 when the column has none, or is skipped).
    keys : ndarray
        Binned: the smallest value of each level after the first (sorted); otherwise every distinct value.
    levels : ndarray of int
        Binned: the level below the first key, then of each key onwards; otherwise the level of each key.
    binned : bool
    n_distinct : int
        Distinct values present (missing values not counted), as ``Series.nunique`` counts them; -1 if not known.

    Examples
    --------
    >>> encoding = encode_counts(pd.Series([3, 1], index=["a", "b"]), 1, "object")
    >>> encoding.kind, encoding.levels_of(pd.Series(["b", None, "a"])).tolist()
    ('categorical', [2, 0, 1])
    """

    kind: str
    n_levels: int
    skipped: str | None
    missing_level: int
    keys: np.ndarray
    levels: np.ndarray
    binned: bool
    n_distinct: int = -1

    def levels_of(self, values: pd.Series) -> np.ndarray:
        """Level of each of ``values`` (-1 for every row of a skipped column)."""
        out = np.full(len(values), self.missing_level, dtype=np.int64)
        if self.skipped is not None:
            return np.full(len(values), -1, dtype=np.int64)
        present = values.notna().to_numpy()
        if self.binned:
            numbers = values.to_numpy(dtype=float)[present]
            out[present] = self.levels[np.searchsorted(self.keys, numbers, side="right")]
        else:  # each distinct value of the partition looked up once
            codes, distinct = pd.factorize(values[present])
            out[present] = self.levels[pd.Index(self.keys).get_indexer(distinct)][codes]
        return out


def encode_counts(counts: pd.Series, n_missing: int, dtype: Any) -> ColumnEncoding:
    """The encoding of a column whose distinct values (in order of first appearance) occur ``counts`` times.

    A text column's levels come from the counts (:func:`_text_encoding`); a numeric column is rebuilt
    with each value repeated (missing values last) and encoded by ``encode_column``, whose levels depend
    on the values and their counts only, not on the rows' order (quantiles; counts of texts, ties
    broken by first appearance).

    Examples
    --------
    >>> counts = pd.Series([1] * 20, index=np.arange(20.0))
    >>> encoding = encode_counts(counts, 0, "float64")
    >>> encoding.binned, encoding.n_levels, encoding.keys.tolist()[:3]
    (True, 10, [2.0, 4.0, 6.0])
    """
    counts = counts[counts.to_numpy() > 0]  # a categorical column counts its unused categories too
    if not _is_number(dtype):
        return _text_encoding(counts, n_missing)
    values = pd.Series(np.repeat(counts.index.to_numpy(), counts.to_numpy()), dtype=dtype)
    if n_missing:
        values = pd.concat([values, pd.Series([np.nan] * n_missing)], ignore_index=True)
    encoded = encode_column(values)
    if encoded.codes is None:
        return ColumnEncoding(encoded.kind, 0, encoded.skipped, -1, np.array([]), np.array([], dtype=np.int64), False,
                              len(counts))
    starts = np.cumsum(counts.to_numpy()) - counts.to_numpy()
    level_of_value = encoded.codes[starts].astype(np.int64)
    missing_level = int(encoded.codes[-1]) if n_missing else -1
    if encoded.kind != "numeric (binned)":
        return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, counts.index.to_numpy(),
                              level_of_value, False, len(counts))
    order = np.argsort(counts.index.to_numpy(dtype=float), kind="stable")
    ordered, by_value = counts.index.to_numpy(dtype=float)[order], level_of_value[order]
    change = np.flatnonzero(np.diff(by_value) != 0) + 1  # a level's levels are nondecreasing in the value
    return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, ordered[change],
                          np.r_[by_value[:1], by_value[change]], True, len(counts))


def _text_encoding(counts: pd.Series, n_missing: int) -> ColumnEncoding:
    """``encode_column``'s levels of a text column from its values' counts (first appearance first), no rows.

    The :data:`~auditkit.data_bias.proxies.MAX_LEVELS` most frequent texts (ties: the first seen)
    sorted, level 0 the missing values, the last level the rest; levels present renumbered in order.
    """
    n_unique = len(counts)
    if n_unique <= 1 and not n_missing:
        return _skipped("constant", "the column has a single value", n_unique)
    if n_unique > max(50, IDENTIFIER_SHARE * (int(counts.sum()) + n_missing)):
        return _skipped("identifier", f"{n_unique} distinct values: looks like an identifier or free text", n_unique)
    texts = np.array([str(value) for value in counts.index.astype(object)], dtype=object)
    text_of_value, names = pd.factorize(texts)
    per_text = np.bincount(text_of_value, weights=counts.to_numpy(), minlength=len(names)).astype(np.int64)
    top = sorted(names[np.argsort(-per_text, kind="stable")[:MAX_LEVELS]])
    position = {name: i + 1 for i, name in enumerate(top)}
    level = np.array([position.get(name, len(top) + 1) for name in names], dtype=np.int64)[text_of_value]
    present = np.unique(np.r_[level, [0] * bool(n_missing)])
    if len(present) < 2:
        return _skipped("constant", "the column has a single value", n_unique)
    return ColumnEncoding("categorical", len(present), None, 0 if n_missing else -1, counts.index.to_numpy(),
                          np.searchsorted(present, level), False, n_unique)


def _skipped(kind: str, reason: str, n_distinct: int) -> ColumnEncoding:
    return ColumnEncoding(kind, 0, reason, -1, np.array([]), np.array([], dtype=np.int64), False, n_distinct)


def encode_values(values: pd.Series) -> ColumnEncoding:
    """The encoding of a numeric column whose values (missing ones included) are ``values``.

    See :func:`encode_sorted`, which this calls with the present values sorted.

    Examples
    --------
    >>> encoding = encode_values(pd.Series([*range(20), None], dtype=float))
    >>> encoding.binned, encoding.n_levels, encoding.missing_level, encoding.keys.tolist()[:3], encoding.n_distinct
    (True, 11, 0, [2.0, 4.0, 6.0], 20)
    >>> encode_values(pd.Series([3, 1, 3])).levels_of(pd.Series([1, 3])).tolist()
    [0, 1]
    """
    numbers = values.to_numpy(dtype=float)
    missing = np.isnan(numbers)
    return encode_sorted(np.sort(numbers[~missing]), int(missing.sum()), values.dtype)


def encode_sorted(present: np.ndarray, n_missing: int, dtype: Any) -> ColumnEncoding:
    """The encoding of a numeric column of ``dtype`` from its present values (as floats) and its missing count.

    ``present`` is sorted here, in place (the workers hand over runs sorted per partition, concatenated:
    no copy of the column is made). A column of more than :data:`~auditkit.data_bias.proxies.N_BINS`
    distinct values is binned from them (:func:`_binned_sorted`: the quantiles ``encode_column`` takes,
    each bin's first value), with no per-row level array; fewer distinct values go through
    ``encode_column`` (whose levels do not depend on the rows' order then). Also counts the distinct
    values (``n_distinct``), for the data overview.

    Examples
    --------
    >>> encoding = encode_sorted(np.array([5.0, 1.0, 3.0]), 1, "float64")
    >>> encoding.kind, encoding.n_levels, encoding.missing_level, encoding.n_distinct
    ('numeric', 4, 0, 3)
    """
    ordered = np.asarray(present, dtype=float)
    ordered.sort(kind="stable")  # sorted runs: merged
    n_distinct = int(len(ordered) > 0) + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    if n_distinct > N_BINS:  # encode_column bins exactly these columns
        return _binned_sorted(ordered, n_missing > 0, n_distinct)
    if n_missing:
        return _encode_few(pd.Series(np.r_[ordered, np.full(n_missing, np.nan)]), n_distinct)
    return _encode_few(pd.Series(ordered).astype(dtype), n_distinct)


def _binned_sorted(ordered: np.ndarray, has_missing: bool, n_distinct: int) -> ColumnEncoding:
    """``encode_column``'s quantile bins of the sorted present values ``ordered``: its levels, from the bins' starts.

    Level 0 holds the missing values (if any), then each non-empty bin in order of value, as
    ``encode_column`` renumbers them.
    """
    edges = np.unique(np.quantile(ordered, np.linspace(0, 1, N_BINS + 1)[1:-1]))
    bounds = np.r_[0, np.searchsorted(ordered, edges, side="left"), len(ordered)]  # a value >= an edge is above it
    found = np.flatnonzero(np.diff(bounds) > 0)  # bins that hold values (0: below the first edge)
    offset = int(has_missing)
    return ColumnEncoding("numeric (binned)", len(found) + offset, None, 0 if has_missing else -1,
                          ordered[bounds[found[1:]]], np.arange(len(found), dtype=np.int64) + offset, True,
                          n_distinct)


def _encode_few(values: pd.Series, n_distinct: int) -> ColumnEncoding:
    """The encoding of a numeric column of few distinct values, by ``encode_column``."""
    encoded = encode_column(values)
    if encoded.codes is None:
        return ColumnEncoding(encoded.kind, 0, encoded.skipped, -1, np.array([]), np.array([], dtype=np.int64), False,
                              n_distinct)
    codes = encoded.codes.astype(np.int64)
    missing = values.isna().to_numpy()
    missing_level = int(codes[np.argmax(missing)]) if missing.any() else -1
    present = values.to_numpy()[~missing]
    distinct, first = np.unique(present, return_index=True)
    return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, distinct, codes[~missing][first], False,
                          n_distinct)


def encodings_graph(frame: Any, columns: list[str]) -> Any:
    """``also`` of :func:`~auditkit.engine.dask_tables.aggregate`: the delayed encoding of each of ``columns``.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit.engine.dask_tables import aggregate
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "x": [1.0, 2.0, None, 2.0]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     encodings = aggregate(data, ["g"], also=encodings_graph(data, ["g", "x"])).also
    >>> [(e.kind, e.n_levels, e.missing_level) for e in encodings]
    [('categorical', 3, 0), ('numeric', 3, 0)]
    """
    import dask

    position = {c: i for i, c in enumerate(frame.columns)}
    numeric = [_is_number(frame.dtypes[c]) for c in columns]

    def build(partitions: list[Any], missing: Any) -> list[Any]:
        parts = [dask.delayed(_column_values)(part, columns, numeric) for part in partitions]
        roots = []
        for i, column in enumerate(columns):
            leaves = [part[i] for part in parts]
            if numeric[i]:
                roots.append(dask.delayed(encode_sorted)(merge_tree(_concat, leaves), missing[position[column]],
                                                         frame.dtypes[column]))
            else:
                roots.append(dask.delayed(encode_counts)(merge_tree(sum_counts, leaves), missing[position[column]],
                                                         frame.dtypes[column]))
        return roots

    return build


def _is_number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _column_values(part: pd.DataFrame, columns: list[str], numeric: list[bool]) -> list[Any]:
    """Per column: a numeric column's present values sorted (floats); another's rows per distinct value (first
    appearance first)."""
    return [_sorted_present(part[c]) if number else part[c].value_counts(sort=False, dropna=True)
            for c, number in zip(columns, numeric, strict=True)]


def _sorted_present(values: pd.Series) -> np.ndarray:
    numbers = values.to_numpy(dtype=float)
    return np.sort(numbers[~np.isnan(numbers)])


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts)


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
    encodings = dict(zip(columns, tables.also, strict=True))
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
