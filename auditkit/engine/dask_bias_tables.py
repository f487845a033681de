"""The tables the data_bias step needs, aggregated by Dask: each column's levels and its tables with the sensitive ones.

Two passes over the data, no shuffle:

1. Per column, the rows of every distinct value (in order of first appearance), merged by a tree of
   tasks; the root of each tree, on a worker, encodes the column as the in-memory engine does
   (:func:`auditkit.data_bias.proxies.encode_column` on those values, each repeated as often as it
   occurs: quantile bins of numbers, top categories of text, the same levels in the same order) and
   keeps only how a value maps to its level (:class:`ColumnEncoding`: at most a few thresholds for a
   binned column).
2. Per (sensitive feature, column) pair, the rows of every (level, missing or not, sensitive value),
   counted on each partition and summed by a tree of tasks.

The client receives the encodings and the pair tables, never the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import encode_column
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

    def levels_of(self, values: pd.Series) -> np.ndarray:
        """Level of each of ``values`` (-1 for every row of a skipped column)."""
        out = np.full(len(values), self.missing_level, dtype=np.int64)
        if self.skipped is not None:
            return np.full(len(values), -1, dtype=np.int64)
        present = values.notna().to_numpy()
        if self.binned:
            numbers = values.to_numpy(dtype=float)[present]
            out[present] = self.levels[np.searchsorted(self.keys, numbers, side="right")]
        else:
            out[present] = self.levels[pd.Index(self.keys).get_indexer(values[present])]
        return out


def encode_counts(counts: pd.Series, n_missing: int, dtype: Any) -> ColumnEncoding:
    """The encoding of a column whose distinct values (in order of first appearance) occur ``counts`` times.

    The column is rebuilt with each value repeated (missing values last) and encoded by
    ``encode_column``, whose levels depend on the values and their counts only, not on the rows' order
    (quantiles; counts of texts, ties broken by first appearance).

    Examples
    --------
    >>> counts = pd.Series([1] * 20, index=np.arange(20.0))
    >>> encoding = encode_counts(counts, 0, "float64")
    >>> encoding.binned, encoding.n_levels, encoding.keys.tolist()[:3]
    (True, 10, [2.0, 4.0, 6.0])
    """
    counts = counts[counts.to_numpy() > 0]  # a categorical column counts its unused categories too
    values = pd.Series(np.repeat(counts.index.to_numpy(), counts.to_numpy()), dtype=dtype)
    if n_missing:
        values = pd.concat([values, pd.Series([np.nan] * n_missing)], ignore_index=True)
    encoded = encode_column(values)
    if encoded.codes is None:
        return ColumnEncoding(encoded.kind, 0, encoded.skipped, -1, np.array([]), np.array([], dtype=np.int64), False)
    starts = np.cumsum(counts.to_numpy()) - counts.to_numpy()
    level_of_value = encoded.codes[starts].astype(np.int64)
    missing_level = int(encoded.codes[-1]) if n_missing else -1
    if encoded.kind != "numeric (binned)":
        return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, counts.index.to_numpy(),
                              level_of_value, False)
    order = np.argsort(counts.index.to_numpy(dtype=float), kind="stable")
    ordered, by_value = counts.index.to_numpy(dtype=float)[order], level_of_value[order]
    change = np.flatnonzero(np.diff(by_value) != 0) + 1  # a level's levels are nondecreasing in the value
    return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, ordered[change],
                          np.r_[by_value[:1], by_value[change]], True)


def aggregate_bias(frame: Any, columns: list[str], features: list[str],
                   n_missing: dict[str, int]) -> tuple[dict[str, ColumnEncoding], dict[tuple[str, str], pd.Series]]:
    """Each of ``columns``' encoding, and per (feature, column) the rows by (level, missing, sensitive value).

    ``n_missing`` gives each column's missing values (from :func:`auditkit.engine.dask_tables.aggregate`).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "x": ["u", "v", "u", None]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     encodings, pairs = aggregate_bias(data, ["x"], ["g"], {"x": 1})
    >>> encodings["x"].n_levels, pairs[("g", "x")].to_dict()
    (3, {(0, True, '\\x00(missing)'): 1, (1, False, 'a'): 2, (2, False, 'b'): 1})
    """
    import dask

    parts = frame.to_delayed()
    counted = [dask.delayed(_value_counts)(part, columns) for part in parts]
    roots = [dask.delayed(encode_counts)(merge_tree(sum_counts, [c[i] for c in counted]), n_missing[col],
                                         frame.dtypes[col]) for i, col in enumerate(columns)]
    encodings = dict(zip(columns, dask.compute(*roots), strict=True))
    tables = [dask.delayed(_pair_tables)(part, features, encodings) for part in parts]
    merged = dask.compute(merge_tree(_merge_lists, tables))[0]
    pairs = [(f, c) for c in columns for f in features]
    return encodings, {pair: table.sort_index(level=[0, 1], sort_remaining=False, kind="stable")
                       for pair, table in zip(pairs, merged, strict=True)}


def _value_counts(part: pd.DataFrame, columns: list[str]) -> list[pd.Series]:
    return [part[c].value_counts(sort=False, dropna=True) for c in columns]


def _pair_tables(part: pd.DataFrame, features: list[str], encodings: dict[str, ColumnEncoding]) -> list[pd.Series]:
    """Per (feature, column), column-major: rows by (level, missing, sensitive value) of this partition."""
    sensitive = [pd.factorize(keyed(part[f]), use_na_sentinel=False) for f in features]
    out = []
    for column, encoding in encodings.items():
        missing = part[column].isna().to_numpy()
        cell = (encoding.levels_of(part[column]) + 1) * 2 + missing  # level -1 (skipped column) is cell 0 or 1
        width = (encoding.n_levels + 1) * 2
        for codes, values in sensitive:
            counts = np.bincount(cell * len(values) + codes, minlength=width * len(values))
            present = np.flatnonzero(counts)
            cells, which = np.divmod(present, len(values))
            index = pd.MultiIndex.from_arrays([cells // 2 - 1, (cells % 2).astype(bool),
                                               np.asarray(values, dtype=object)[which]])
            out.append(pd.Series(counts[present], index=index))
    return out


def keyed(values: pd.Series) -> pd.Series:
    """``values`` as objects, :data:`MISSING` where missing: the sensitive values as the pair tables key them.

    Examples
    --------
    >>> keyed(pd.Series(["a", None])).tolist()
    ['a', '\\x00(missing)']
    """
    return values.astype(object).where(values.notna(), MISSING)


def _merge_lists(parts: list[list[pd.Series]]) -> list[pd.Series]:
    return [sum_counts(list(tables)) for tables in zip(*parts, strict=True)]
