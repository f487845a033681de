"""What a table must be to be audited (unique flat columns, rows, a second column) and plain dtypes.

Shared by every way data comes in (a file of any format, a DataFrame), so the same table is
refused, or read, the same way whatever its source.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import DataReadError, _show

NESTED_VALUE_TYPES = (list, tuple, dict, set, frozenset, np.ndarray)
# infer_dtype results of object columns that cannot hold nested values.
FLAT_OBJECT_KINDS = {"string", "bytes", "empty", "integer", "floating", "boolean", "decimal", "complex",
                     "datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period", "interval",
                     "categorical"}
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def check_frame(frame: pd.DataFrame, where: str) -> None:
    """Raise :class:`DataReadError` unless ``frame`` has unique flat columns, rows and two columns or more.

    Examples
    --------
    >>> import pandas as pd
    >>> check_frame(pd.DataFrame({"a": [1], "b": [2]}), "data")
    >>> check_frame(pd.DataFrame([[1, 2]], columns=["a", "a"]), "data.csv")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data.csv has duplicate column names: 'a' (columns 1 and 2);
    rename them so that each name occurs once
    """
    duplicates = duplicate_names_message(list(frame.columns))
    if duplicates:
        raise DataReadError(f"{where} {duplicates}")
    nested = _nested_object_columns(frame)
    if nested:
        raise DataReadError(f"{where} {nested_columns_message(nested)}")
    if frame.shape[1] == 0:
        raise DataReadError(f"{where} has no columns")
    if frame.shape[1] == 1:
        raise DataReadError(f"{where} has only one column ({_show(frame.columns[0])}); an audit needs a target "
                            f"and at least one other column{_separator_hint(frame.columns[0])}")
    if frame.shape[0] == 0:
        names = ", ".join(_show(c) for c in frame.columns)
        raise DataReadError(f"{where} has no data rows, only the columns {names}")


def duplicate_names_message(names: list[Any]) -> str:
    """``"has duplicate column names: ..."`` naming each repeated name and its positions, or ``""``.

    Examples
    --------
    >>> duplicate_names_message(["a", "b", "a"])
    "has duplicate column names: 'a' (columns 1 and 3); rename them so that each name occurs once"
    >>> duplicate_names_message(["a", "b"])
    ''
    """
    positions: dict[Any, list[int]] = defaultdict(list)
    for number, name in enumerate(names, start=1):
        if name != "":
            positions[name].append(number)
    repeated = [f"{_show(name)} (columns {_and_list(at)})" for name, at in positions.items() if len(at) > 1]
    if not repeated:
        return ""
    return f"has duplicate column names: {'; '.join(repeated)}; rename them so that each name occurs once"


def nested_columns_message(nested: dict[Any, str]) -> str:
    """``"has nested columns ..."`` naming each column and what it holds.

    Examples
    --------
    >>> nested_columns_message({"tags": "lists"})
    "has nested columns, which cannot be audited: 'tags' (lists);
    flatten them into plain columns or drop them before the audit"
    """
    shown = ", ".join(f"{_show(name)} ({kind})" for name, kind in nested.items())
    return (f"has nested columns, which cannot be audited: {shown}; "
            "flatten them into plain columns or drop them before the audit")


def header_names(text: str | Iterable[str], sep: str) -> list[str] | None:
    """The names in the first non-blank row of delimited ``text`` as written (None if every row is blank).

    ``text`` is the text, or its lines (a text file: only the lines up to the header are read).

    pandas renames a repeated name (``sex``, ``sex.1``), so duplicates are told from the header itself.

    Examples
    --------
    >>> header_names("\\n\\nage,sex,age\\n30,f,31\\n", ",")
    ['age', 'sex', 'age']
    """
    try:
        for row in csv.reader(io.StringIO(text) if isinstance(text, str) else text, delimiter=sep):
            if any(cell.strip() for cell in row):
                return row
    except csv.Error:  # e.g. a header cell longer than the csv module's field limit: pandas reports it
        return []
    return None


def plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with pandas' nullable dtypes as the NumPy dtypes a CSV read would give.

    ``Int64``/``Float64`` become ``int64``/``float64`` (``float64`` with NaN where there is ``NA``),
    ``boolean`` becomes ``bool`` (``object`` with NaN where there is ``NA``), ``string`` with ``NA``
    becomes pandas' default ``str`` with NaN, and ``Decimal`` values become floats. Estimators and
    encoders of scikit-learn do not accept ``pd.NA``; categorical and datetime columns are kept.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "s": pd.array(["a", None], dtype="string")})
    >>> plain_dtypes(frame).dtypes.astype(str).tolist()
    ['float64', 'str']
    """
    out = frame.copy(deep=False)  # columns are replaced (isetitem), never written into: no need to copy the data
    for position in range(out.shape[1]):
        converted = _plain_column(out.iloc[:, position])
        if converted is not None:
            out.isetitem(position, converted)
    return out


def _plain_column(values: pd.Series) -> pd.Series | None:
    dtype = values.dtype
    if pd.api.types.is_object_dtype(dtype):
        kind = pd.api.types.infer_dtype(values, skipna=True)
        return values.astype(float) if kind == "decimal" else None
    if isinstance(dtype, pd.CategoricalDtype) or not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return None
    has_missing = bool(values.isna().any())
    if pd.api.types.is_bool_dtype(dtype):
        if not has_missing:
            return values.astype(bool)
        return pd.Series(values.to_numpy(dtype=object, na_value=np.nan), index=values.index, name=values.name)
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        if has_missing:
            as_numbers = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            as_numbers = values.to_numpy(dtype=getattr(dtype, "numpy_dtype", float))
        return pd.Series(as_numbers, index=values.index, name=values.name)
    if pd.api.types.is_string_dtype(dtype) and getattr(dtype, "na_value", None) is pd.NA:
        return values.astype("str")
    return None


def _nested_object_columns(frame: pd.DataFrame) -> dict[Any, str]:
    """Object columns holding lists, dicts, arrays...: ``{column: "list values"}``."""
    nested = {}
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not pd.api.types.is_object_dtype(values.dtype):
            continue
        if pd.api.types.infer_dtype(values, skipna=True) in FLAT_OBJECT_KINDS:
            continue
        kinds = sorted({type(v).__name__ for v in values if isinstance(v, NESTED_VALUE_TYPES)})
        if kinds:
            nested[frame.columns[position]] = "/".join(kinds) + " values"
    return nested


def _separator_hint(name: Any) -> str:
    found = [word for sep, word in SEPARATOR_NAMES.items() if sep in str(name)]
    if not found:
        return ""
    return f"; the name holds a {found[0]}, but .csv files are read comma-separated (and .tsv files tab-separated)"


def _and_list(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
