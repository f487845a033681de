"""Tidy tables from ``audit.json`` payloads: the frames ``AuditResult.table`` returns.

A step builds its tables from its own payload, both when it runs and when a saved audit is
loaded back (``AuditResult.from_json``), so the two give equal frames. The conventions:

* an interval ``[low, high]`` of a value ``m`` becomes two float columns ``m_ci_low`` and
  ``m_ci_high`` right after the interval's place (``ci`` of ``value`` gives ``value_ci_low``, ...);
* a group ``{"sex": "female", "race": "Black"}`` becomes the label ``"sex=female, race=Black"``;
* a list of names becomes one comma-separated string; a nested record becomes prefixed columns
  (``gap: {metric, first, second}`` gives ``gap_metric``, ``gap_first``, ``gap_second``);
* undefined numbers (``None`` in JSON) are NaN in float columns.

Nothing here computes a number: the tables show the payload's values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

CI_SUFFIXES = ("_ci_low", "_ci_high")
GROUP_KEYS = ("group", "reference", "first", "second")


def grouping_table_name(features: Iterable[Any]) -> str:
    """The table name of a grouping: its features joined by ``*``.

    Examples
    --------
    >>> grouping_table_name(["sex"]), grouping_table_name(("sex", "race"))
    ('sex', 'sex*race')
    """
    return "*".join(map(str, features))


def group_label(group: Mapping[str, Any] | None) -> str | None:
    """``{"sex": "female", "race": "Black"}`` as ``"sex=female, race=Black"`` (None stays None).

    Examples
    --------
    >>> group_label({"sex": "female", "race": "Black"})
    'sex=female, race=Black'
    """
    if group is None:
        return None
    return ", ".join(f"{k}={v}" for k, v in group.items())


def interval_columns(name: str, interval: Any) -> dict[str, Any]:
    """``{name_ci_low: low, name_ci_high: high}`` from ``[low, high]`` (None bounds for a missing interval).

    Examples
    --------
    >>> interval_columns("value", [0.1, 0.3])
    {'value_ci_low': 0.1, 'value_ci_high': 0.3}
    """
    low, high = interval if isinstance(interval, list | tuple) and len(interval) == 2 else (None, None)
    return {f"{name}{CI_SUFFIXES[0]}": low, f"{name}{CI_SUFFIXES[1]}": high}


def flat_record(record: Mapping[str, Any], *, intervals: Mapping[str, str] | None = None,
                nested: Mapping[str, tuple[str, ...]] | None = None,
                texts: Mapping[str, Callable[[Any], Any]] | None = None) -> dict[str, Any]:
    """One payload record as one table row (see the module's conventions).

    Parameters
    ----------
    record : mapping
        A JSON record of a payload.
    intervals : mapping, optional
        Key of an interval to the name of the value it belongs to; by default ``ci`` belongs
        to ``value`` and ``<m>_ci`` to ``<m>``.
    nested : mapping, optional
        Key of a nested record to its fields, so a ``None`` in place of the record still
        gives every column.
    texts : mapping, optional
        Key to a function turning its value into the cell (e.g. a list of records as text).

    Examples
    --------
    >>> flat_record({"grouping": "sex", "value": 0.2, "ci": [0.1, 0.3], "metrics": ["a", "b"],
    ...              "gap": {"metric": "a", "first": {"sex": "f"}, "second": {"sex": "m"}}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'grouping': 'sex', 'value': 0.2, 'value_ci_low': 0.1, 'value_ci_high': 0.3, 'metrics': 'a, b',
     'gap_metric': 'a', 'gap_first': 'sex=f', 'gap_second': 'sex=m'}
    """
    intervals, nested, texts = intervals or {}, nested or {}, texts or {}
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in texts:
            out[key] = texts[key](value)
        elif key in intervals or key == "ci" or key.endswith("_ci"):
            out.update(interval_columns(intervals.get(key, "value" if key == "ci" else key[:-3]), value))
        elif key in nested or (isinstance(value, Mapping) and key not in GROUP_KEYS):
            inner = {**dict.fromkeys(nested.get(key, ())), **(value or {})}
            out.update({f"{key}_{k}": v for k, v in flat_record(inner).items()})
        elif isinstance(value, Mapping):
            out[key] = group_label(value)
        elif isinstance(value, list):
            out[key] = ", ".join(group_label(v) if isinstance(v, Mapping) else str(v) for v in value)
        else:
            out[key] = value
    return out


def records_frame(records: list[Mapping[str, Any]], columns: Iterable[str] = (), *,
                  floats: Iterable[str] = (), **flatten: Any) -> pd.DataFrame:
    """Payload records as a tidy frame.

    Parameters
    ----------
    records : list of mapping
        Rows, flattened by :func:`flat_record` (``flatten`` are its keyword arguments).
    columns : iterable of str, optional
        Columns of the frame when there are no records (an empty table keeps its header).
    floats : iterable of str, optional
        Columns that are float64 even when every value is undefined; every interval
        column (``*_ci_low``, ``*_ci_high``) is too.

    Examples
    --------
    >>> frame = records_frame([{"feature": "age", "share": 0.5, "share_ci": [0.4, None]}])
    >>> frame.columns.tolist(), frame["share_ci_high"].dtype.name
    (['feature', 'share', 'share_ci_low', 'share_ci_high'], 'float64')
    """
    rows = [flat_record(r, **flatten) for r in records]
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(columns))
    return as_floats(frame, [*floats, *(c for c in frame.columns if str(c).endswith(CI_SUFFIXES))])


def as_floats(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` (those present) as float64: undefined values become NaN.

    Examples
    --------
    >>> frame = pd.DataFrame({"metric": ["rows", "roc_auc"], "value": [300, None]}, dtype=object)
    >>> as_floats(frame, ["value", "value_ci_low"])["value"].tolist()
    [300.0, nan]
    """
    for column in dict.fromkeys(columns):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame
