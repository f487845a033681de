"""The distinct values of a column, found once by hashing, then named as text.

Turning every row into text to find the groups costs a Python call per row; hashing the
column (:func:`pandas.factorize`) and naming each *distinct* value costs one call per value.
The two agree only where hashing never merges values whose text differs. It can: in a
column of Python objects ``1``, ``1.0`` and ``True`` hash alike and compare equal, yet read
``"1"``, ``"1.0"`` and ``"True"``; ``-0.0`` and ``0.0`` are one float but two texts.
:func:`distinct_values` therefore hashes floats by their bits and refuses object columns
that hold anything but text; those columns (mixed types) are named row by row.

This module imports nothing from auditkit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

# What pandas.api.types.infer_dtype calls object columns whose values hash exactly as their text.
EXACT_OBJECT_KINDS = frozenset({"string", "empty"})
# NumPy dtype kinds whose equal values are the same value: signed, unsigned, bool, datetime, timedelta.
EXACT_NUMPY_KINDS = frozenset("iubMm")
FLOAT_BITS = {2: np.int16, 4: np.int32, 8: np.int64}
# The integer types codes are held in, narrowest first (signed: -1 can mark a missing value).
CODE_TYPES = (np.int8, np.int16, np.int32, np.int64)


def code_dtype(n_codes: int) -> np.dtype:
    """The narrowest signed integer type that holds every code ``-1 .. n_codes - 1``.

    Group codes are kept for a whole audit (one per row and grouping), so they are held in
    this type; whoever computes with them (``codes * k + y``, a ``bincount`` of combined
    codes) widens them first (:func:`wide`), as products of narrow codes overflow.

    Examples
    --------
    >>> [code_dtype(n).name for n in (2, 128, 129, 2**15 + 1, 2**31 + 1)]
    ['int8', 'int8', 'int16', 'int32', 'int64']
    """
    for kind in CODE_TYPES:
        if n_codes - 1 <= np.iinfo(kind).max:
            return np.dtype(kind)
    raise ValueError(f"too many codes for 64-bit integers: {n_codes}")


def narrow(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``codes`` (all in ``-1 .. n_codes - 1``) in :func:`code_dtype` of ``n_codes``, without a copy when already so.

    Examples
    --------
    >>> import numpy as np
    >>> narrow(np.array([0, 2, 1]), 3).dtype.name
    'int8'
    """
    return np.asarray(codes).astype(code_dtype(n_codes), copy=False)


def wide(codes: np.ndarray) -> np.ndarray:
    """``codes`` as 64-bit integers, ready for arithmetic that could overflow a narrow type (``codes * k + y``).

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([100, 1], dtype=np.int8)
    >>> (wide(codes) * 4).tolist(), (codes * 4).dtype.name  # the narrow product would wrap around
    ([400, 4], 'int8')
    """
    return np.asarray(codes, dtype=np.int64)


def hashes_exactly(values: pd.Series) -> bool:
    """Whether hashing ``values`` puts two values together only when they are the same value.

    Floats are not, as hashed by pandas (``-0.0 == 0.0``); :func:`distinct_values` hashes
    their bits instead.

    Examples
    --------
    >>> import pandas as pd
    >>> hashes_exactly(pd.Series(["a", None])), hashes_exactly(pd.Series([1, 2])), hashes_exactly(pd.Series([0.5]))
    (True, True, False)
    >>> hashes_exactly(pd.Series([1, True], dtype=object))  # 1 == True, but "1" != "True"
    False
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return hashes_exactly(pd.Series(dtype.categories))
    if pd.api.types.is_object_dtype(dtype):
        return pd.api.types.infer_dtype(values, skipna=True) in EXACT_OBJECT_KINDS
    if isinstance(dtype, np.dtype):
        return dtype.kind in EXACT_NUMPY_KINDS
    return (pd.api.types.is_string_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
            or (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)))


def distinct_values(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Code of every row (-1 where missing) and the distinct values, in order of first appearance.

    Returns None when hashing could merge different values (see :func:`hashes_exactly`).

    Examples
    --------
    >>> import pandas as pd
    >>> codes, uniques = distinct_values(pd.Series(["b", None, "a", "b"]))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    >>> distinct_values(pd.Series([0.0, -0.0, None]))[1].tolist()  # two zeros, two values
    [0.0, -0.0]
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize in FLOAT_BITS:
        numbers = values.to_numpy()
        present = ~np.isnan(numbers)
        bit_codes, bits = pd.factorize(numbers[present].view(FLOAT_BITS[dtype.itemsize]))
        codes = np.full(len(numbers), -1, dtype=np.int64)
        codes[present] = bit_codes
        return codes, pd.Series(np.asarray(bits).view(dtype))
    if not hashes_exactly(values):
        return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Series(uniques)


def recode(codes: np.ndarray, mapping: np.ndarray, missing: int = -1) -> np.ndarray:
    """``mapping[codes]``, with ``missing`` where a code is -1 (a missing value).

    Examples
    --------
    >>> import numpy as np
    >>> recode(np.array([0, -1, 1]), np.array([5, 7]), missing=9).tolist()
    [5, 9, 7]
    """
    mapping = np.asarray(mapping, dtype=np.int64)
    return np.append(mapping, missing)[codes]  # code -1 picks the appended last entry


def renumber(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes in ``0..size-1`` renumbered ``0..k-1`` in the order of the values present, and those values.

    The same as ``numpy.unique(codes, return_inverse=True)`` (reversed), without sorting the
    rows when a table of all ``size`` values is small. The dense codes are in :func:`code_dtype`
    of the number of values present.

    Examples
    --------
    >>> import numpy as np
    >>> dense, present = renumber(np.array([7, 2, 7, 5]), 10)
    >>> dense.tolist(), present.tolist()
    ([2, 0, 2, 1], [2, 5, 7])
    """
    codes = np.asarray(codes)
    if size <= 4 * len(codes) + 1024:
        present = np.flatnonzero(np.bincount(codes, minlength=size))
        position = np.zeros(size, dtype=code_dtype(len(present)))
        position[present] = np.arange(len(present))
        return position[codes], present
    present, dense = np.unique(codes, return_inverse=True)
    return narrow(dense.reshape(-1), len(present)), present


def text_levels(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Levels of ``values.astype(str)``, sorted as text, converting each distinct value once.

    Returns
    -------
    codes : ndarray of int64
        Level of every row; missing values (which ``astype(str)`` keeps missing) are the
        last level.
    names : Series
        The text of each level, in the dtype ``astype(str)`` gives; NaN last if any row is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, names = text_levels(pd.Series([10, 9, 10]))  # sorted as text: "10" before "9"
    >>> codes.tolist(), names.tolist()
    ([0, 1, 0], ['10', '9'])
    """
    found = distinct_values(values)
    if found is None:
        found = distinct_values(values.astype(str))
    codes, uniques = found
    texts = uniques.astype(str)
    order, names = pd.factorize(texts, sort=True)  # one level per text (an int 1 and a str "1" are one)
    names = pd.Series(names, dtype=texts.dtype)
    codes = recode(codes, order, missing=len(names))
    if (codes == len(names)).any():
        names = pd.concat([names, pd.Series([np.nan], dtype=names.dtype)], ignore_index=True)
    return codes, names


def labelled(values: pd.Series, label: Callable[[Any], str]) -> tuple[np.ndarray, list[str]]:
    """Code of every row (-1 where missing) and ``label`` of each distinct value, one call per value.

    ``label`` sees each value as ``values.map(label)`` would (``astype(object)``: Python
    numbers, Timestamps). The labels of two values may be equal (``1`` and ``1.0``). Columns
    that cannot be hashed exactly (see :func:`hashes_exactly`) are labelled row by row.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, labels = labelled(pd.Series(["b", None, "b"]), str.upper)
    >>> codes.tolist(), labels
    ([0, -1, 0], ['B'])
    """
    found = distinct_values(values)
    if found is None:
        codes, texts = distinct_values(values.map(label, na_action="ignore").astype(object))
        return codes, [str(t) for t in texts]
    codes, uniques = found
    return codes, [label(u) for u in uniques.astype(object)]
