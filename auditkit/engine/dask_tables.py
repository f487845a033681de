"""The small tables a counts-based audit needs, aggregated by Dask from partitioned data.

Nothing here holds the rows: each partition is reduced on a worker to counts (rows per combination of
the sensitive, target and prediction values; missing and distinct values per column), and only those
counts reach the client.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.params import show

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)
COUNT = "__auditkit_rows__"  # the column of row counts in :attr:`DaskTables.cells`


@dataclass(frozen=True)
class DaskSource:
    """A Dask frame plus where it came from.

    Attributes
    ----------
    frame : dask.dataframe.DataFrame
    name : str
        The data's default name (the pattern's file stem, or ``"dask_frame"``).
    files : dict of str to str
        Each file read (as matched) to the SHA-256 of its bytes; empty for a frame given in memory.
    read : dict
        How the data was read: ``engine``, ``format``, ``partitions``, ``pattern``.

    Examples
    --------
    >>> DaskSource(None, "loans", {"part-0.parquet": "ab12"}).files
    {'part-0.parquet': 'ab12'}
    """

    frame: Any
    name: str
    files: dict[str, str] = field(default_factory=dict)
    read: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DaskTables:
    """What the counts-based steps need of the data, computed once.

    Attributes
    ----------
    cells : DataFrame
        One row per distinct combination of the key columns (missing values kept), with its row
        count in column :data:`COUNT`.
    columns : DataFrame
        Per column of the data: ``column``, ``dtype``, ``n_missing``, ``n_unique``
        (:func:`auditkit.steps.data_overview.column_summary`).
    n_rows : int
    also : object
        What :func:`aggregate`'s ``also`` computed over the same partitions (None without it).

    Examples
    --------
    >>> tables = DaskTables(pd.DataFrame({"g": ["a", "b"], COUNT: [2, 1]}), pd.DataFrame(), 3)
    >>> tables.n_rows, tables.cells[COUNT].tolist()
    (3, [2, 1])
    """

    cells: pd.DataFrame
    columns: pd.DataFrame
    n_rows: int
    also: Any = None

    def with_unique(self, n_unique: dict[str, int]) -> DaskTables:
        """These tables with the ``n_unique`` of some columns (counted elsewhere) set.

        Examples
        --------
        >>> columns = pd.DataFrame({"column": ["x", "y"], "n_unique": [-1, 2]})
        >>> DaskTables(pd.DataFrame(), columns, 3).with_unique({"x": 5}).columns["n_unique"].tolist()
        [5, 2]
        """
        columns = self.columns.copy()
        given = columns["column"].map(n_unique)
        columns["n_unique"] = given.fillna(columns["n_unique"]).astype(np.int64)
        return replace(self, columns=columns)


def open_source(data: Any, encoding: str | None = None) -> DaskSource:
    """A :class:`DaskSource` of ``data``: a ``dask.dataframe.DataFrame``, or a path pattern of Parquet/CSV files.

    Files are hashed (SHA-256, streamed) as tasks, where they are read. Strings stay ``object`` columns,
    as pandas reads them, so column dtypes match the in-memory engine's.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> source = open_source(dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a"]}), npartitions=2))
    >>> source.name, source.read["partitions"], source.files
    ('dask_frame', 2, {})
    """
    if is_dask_frame(data):
        return DaskSource(data, "dask_frame", {}, {"engine": "dask", "format": "dask dataframe",
                                                   "partitions": data.npartitions})
    if not isinstance(data, str | PathLike):
        raise InputError(f"engine='dask' needs data as a path pattern of Parquet/CSV files (e.g. 'part-*.parquet') "
                         f"or a dask.dataframe.DataFrame; got {show(data)} ({type(data).__name__})")
    return _open_files(fspath(data), encoding)


def _open_files(pattern: str, encoding: str | None) -> DaskSource:
    import dask
    import dask.dataframe as dd

    files = sorted(glob.glob(pattern)) or ([pattern] if Path(pattern).is_file() else [])
    if not files:
        raise InputError(f"data matched no file: {show(pattern)}; expected a Parquet/CSV path or pattern such as "
                         "'part-*.parquet'")
    kinds = {_file_kind(f) for f in files}
    if len(kinds) != 1:
        raise InputError(f"data must match files of one format (Parquet or CSV); {show(pattern)} matched "
                         f"{', '.join(sorted(kinds))} files")
    kind = kinds.pop()
    with dask.config.set({"dataframe.convert-string": False}):
        if kind == "parquet":
            frame = dd.read_parquet(files)
        else:
            frame = dd.read_csv(files, encoding=encoding or "utf-8", blocksize=None)  # one partition per file
    digests = dask.compute(*[dask.delayed(_sha256)(f) for f in files])
    read = {"engine": "dask", "format": kind, "partitions": frame.npartitions, "pattern": pattern,
            "files_read": len(files)}
    return DaskSource(frame, Path(files[0]).stem if len(files) == 1 else Path(pattern).stem.rstrip("-_*"),
                      dict(zip(files, digests, strict=True)), read)


def _file_kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise InputError(f"engine='dask' reads Parquet (.parquet, .pq) or CSV (.csv) files; got {show(path)}")


def _sha256(path: str) -> str:
    from auditkit.io.data_files import file_sha256

    return file_sha256(Path(path))


def combined_sha256(source: DaskSource) -> str:
    """One SHA-256 for the data: of the files' ``name sha256`` lines, or of every partition's content hash.

    Examples
    --------
    >>> source = DaskSource(None, "x", {"b.parquet": "22", "a.parquet": "11"})
    >>> combined_sha256(source) == hashlib.sha256(b"a.parquet 11\\nb.parquet 22").hexdigest()
    True
    """
    if source.files:
        lines = [f"{Path(name).name} {sha}" for name, sha in sorted(source.files.items())]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()
    import dask

    parts = dask.compute(*[dask.delayed(_frame_sha256)(p) for p in source.frame.to_delayed()])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _frame_sha256(part: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes()).hexdigest()


SPLIT_EVERY = 8  # partial results merged per task in the trees that combine the partitions' tables
BUCKET_PARTITIONS = 4  # partitions' worth of a column's distinct values that one task merges at most


def aggregate(frame: Any, keys: list[str], also: Callable[[list[Any], Any], Any] | None = None,
              counted: Collection[str] = ()) -> DaskTables:
    """Rows per combination of ``keys`` (missing values kept) and the column summary, in one pass over the data.

    ``counted``: columns whose distinct values ``also`` counts (the data_bias encodings, which see every
    value of a column anyway); their ``n_unique`` is left -1 here, for :meth:`DaskTables.with_unique`,
    and no task holds their distinct values (a continuous column's are about all its values).

    ``also(partitions, missing)`` may add Dask work over the same partitions (``to_delayed``), read once
    for both: it receives them and the delayed missing counts per column and returns delayed values,
    computed with the tables and found in :attr:`DaskTables.also`.

    Each partition is read once and reduced on its worker to its cells, missing counts and each
    column's distinct values, these split by hash into ``buckets`` (:func:`distinct_buckets`); trees of
    tasks (:data:`SPLIT_EVERY` inputs each, one tree per column and bucket for the distinct values, so
    that no task holds more than a bucket of one column) merge them. No shuffle.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b", "a", None], "y": [1, 0, 1, 1]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     tables = aggregate(data, ["g", "y"])
    >>> tables.n_rows, tables.cells.to_dict(orient="list")
    (4, {'g': ['a', 'b', None], 'y': [1, 0, 1], '__auditkit_rows__': [2, 1, 1]})
    >>> tables.columns[["column", "n_missing", "n_unique"]].to_dict(orient="list")
    {'column': ['g', 'y'], 'n_missing': [1, 0], 'n_unique': [2, 2]}
    """
    import dask

    keys = list(dict.fromkeys(keys))
    names = list(frame.columns)
    uncounted = [c for c in names if c not in set(counted)]
    buckets = distinct_buckets(frame.npartitions)
    partitions = frame.to_delayed()
    parts = [dask.delayed(_partition_tables, nout=3)(part, keys, uncounted, buckets) for part in partitions]
    cells = merge_tree(sum_counts, [part[0] for part in parts])
    missing = merge_tree(_add, [part[1] for part in parts])
    distinct = [[dask.delayed(len)(merge_tree(_union, [part[2][i][b] for part in parts])) for b in range(buckets)]
                for i in range(len(uncounted))]
    cells, missing, distinct, extra = dask.compute(cells, missing, distinct,
                                                   None if also is None else also(partitions, missing))
    unique_of = {c: sum(counts) for c, counts in zip(uncounted, distinct, strict=True)}
    unique = [unique_of.get(c, -1) for c in names]
    cells = cells.rename(COUNT).reset_index().sort_values(keys, na_position="last", kind="stable")
    columns = pd.DataFrame({
        "column": [str(c) for c in names],
        "dtype": [str(t) for t in frame.dtypes],
        "n_missing": np.asarray(missing, dtype=np.int64),
        "n_unique": np.asarray(unique, dtype=np.int64),
    })
    return DaskTables(cells.reset_index(drop=True), columns, int(cells[COUNT].sum()), extra)


def distinct_buckets(partitions: int) -> int:
    """Buckets the distinct values of a column are split into: one per :data:`BUCKET_PARTITIONS` partitions.

    A bucket's root task holds the distinct values of about that many partitions, however many there are.

    Examples
    --------
    >>> distinct_buckets(3), distinct_buckets(20), distinct_buckets(2000)
    (1, 5, 500)
    """
    return max(1, -(-partitions // BUCKET_PARTITIONS))


def _partition_tables(part: pd.DataFrame, keys: list[str], columns: list[str],
                      buckets: int) -> tuple[pd.Series, np.ndarray, list[list[np.ndarray]]]:
    """One partition's rows per cell of ``keys``, missing values per column, distinct values per column and bucket.

    Distinct values of ``columns`` only.
    """
    cells = part.groupby(keys, dropna=False, observed=True, sort=False).size()
    distinct = [_by_bucket(_distinct(part[c]), buckets) for c in columns]
    return cells, part.isna().sum().to_numpy(dtype=np.int64), distinct


def _distinct(values: pd.Series) -> np.ndarray:
    """The distinct values present, as a NumPy array (found in the column's own dtype: fast for Arrow strings)."""
    distinct = np.asarray(values.unique())
    return distinct[~pd.isna(distinct)]


def _by_bucket(values: np.ndarray, buckets: int) -> list[np.ndarray]:
    """``values`` split by hash into ``buckets`` (a value always falls in the same bucket)."""
    if buckets == 1:
        return [values]
    if values.dtype.kind == "f":  # a multiplicative hash of the bits; -0.0 is 0.0, as pandas counts distinct values
        bits = (values.astype(np.float64) + 0.0).view(np.uint64)
        hashed = (bits * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    else:
        hashed = pd.util.hash_array(values)
    bucket = (hashed % np.uint64(buckets)).astype(np.int16 if buckets < 2**15 else np.int64)
    order = np.argsort(bucket, kind="stable")  # a radix sort of 16-bit keys
    return np.split(values[order], np.searchsorted(bucket[order], np.arange(1, buckets)))


def merge_tree(merge: Any, leaves: list[Any]) -> Any:
    """``merge`` (of a list) applied to ``leaves`` by groups of :data:`SPLIT_EVERY`, level by level, to one value.

    Examples
    --------
    >>> import dask
    >>> merge_tree(sum, [dask.delayed(i) for i in range(20)]).compute(scheduler="synchronous")
    190
    """
    import dask

    while len(leaves) > 1:
        leaves = [dask.delayed(merge)(leaves[i:i + SPLIT_EVERY]) for i in range(0, len(leaves), SPLIT_EVERY)]
    return leaves[0] if len(leaves) == 1 else dask.delayed(merge)(leaves)


def sum_counts(parts: list[pd.Series]) -> pd.Series:
    """Counts indexed by keys, summed by key (missing keys kept), keys in order of first appearance.

    Examples
    --------
    >>> sum_counts([pd.Series([1, 2], index=["b", None]), pd.Series([3, 4], index=["a", "b"])]).to_dict()
    {'b': 5, nan: 2, 'a': 3}
    """
    joined = pd.concat(parts)
    return joined.groupby(level=list(range(joined.index.nlevels)), dropna=False, sort=False).sum()


def _add(parts: list[np.ndarray]) -> np.ndarray:
    return np.sum(parts, axis=0)


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return pd.unique(np.concatenate(parts))


def is_dask_frame(value: Any) -> bool:
    """True for a ``dask.dataframe.DataFrame`` (checked by name: Dask is not imported for this).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> is_dask_frame(dd.from_pandas(pd.DataFrame({"x": [1]}), npartitions=1)), is_dask_frame(pd.DataFrame())
    (True, False)
    """
    return any(cls.__name__ == "DataFrame" and cls.__module__.startswith("dask") for cls in type(value).__mro__)
