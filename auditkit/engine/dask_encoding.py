"""How a column's values map to the levels data_bias gives them, decided once for all partitions of the data.

:class:`ColumnEncoding` is what the Dask engine's workers need to count a column's pair tables
(:func:`auditkit.engine.dask_bias_tables.pair_tables`): a few thresholds for a binned column, the
distinct values otherwise. Built from counts (:func:`auditkit.engine.dask_bias_tables.encode_counts`)
or from exact order statistics (:func:`auditkit.engine.dask_numbers.encode_numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import encode_column


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
    >>> from auditkit.engine.dask_bias_tables import encode_counts
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


def skipped(kind: str, reason: str, n_distinct: int) -> ColumnEncoding:
    """The encoding of a column data_bias skips (``kind``: ``"constant"``, ``"identifier"``), for ``reason``.

    Examples
    --------
    >>> skipped("constant", "the column has a single value", 1).levels_of(pd.Series([1, 1])).tolist()
    [-1, -1]
    """
    return ColumnEncoding(kind, 0, reason, -1, np.array([]), np.array([], dtype=np.int64), False, n_distinct)


def encode_few(values: pd.Series, n_distinct: int) -> ColumnEncoding:
    """The encoding of a numeric column of few distinct values by ``encode_column``, from ``values``.

    ``values`` need hold each distinct value once (and one missing value if the column has any):
    ``encode_column`` gives a column of at most :data:`~auditkit.data_bias.proxies.N_BINS` distinct
    numbers one level per value (the values' texts, sorted; missing values first), whatever their counts.

    Examples
    --------
    >>> encoding = encode_few(pd.Series([2.0, 1.0, None]), 2)
    >>> encoding.n_levels, encoding.missing_level, encoding.keys.tolist(), encoding.levels.tolist()
    (3, 0, [1.0, 2.0], [1, 2])
    """
    encoded = encode_column(values)
    if encoded.codes is None:
        return skipped(encoded.kind, encoded.skipped, n_distinct)
    codes = encoded.codes.astype(np.int64)
    missing = values.isna().to_numpy()
    missing_level = int(codes[np.argmax(missing)]) if missing.any() else -1
    present = values.to_numpy()[~missing]
    distinct, first = np.unique(present, return_index=True)
    return ColumnEncoding(encoded.kind, encoded.n_levels, None, missing_level, distinct, codes[~missing][first], False,
                          n_distinct)
