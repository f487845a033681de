"""Validation at the boundary: messages say what was expected and what was given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .exceptions import ColumnNotFoundError, InputError, TargetNotBinaryError, _show


def require_target(frame: pd.DataFrame, target: str | None) -> None:
    if not target:
        raise InputError("no target column given; pass --target COLUMN")
    require_columns(frame, [target], "target")
    if frame[target].isna().any():
        n_missing = int(frame[target].isna().sum())
        raise InputError(f"target column '{target}' has {n_missing} missing values; drop or fill them first")


def require_columns(frame: pd.DataFrame, columns: list[str], role: str) -> None:
    """Raise :class:`ColumnNotFoundError` naming every one of ``columns`` that ``frame`` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ColumnNotFoundError(missing[0], role, list(frame.columns), also_missing=missing[1:])


def resolve_positive_label(frame: pd.DataFrame, target: str, given: Any, default: Any) -> Any:
    """The positive label as a value of the target column's own type."""
    values = list(pd.unique(frame[target].dropna()))
    candidate = given if given is not None else default
    if candidate is None:
        return _implicit_positive(values, target)
    for value in values:
        if value == candidate or str(value) == str(candidate):
            return value
    shown = ", ".join(_show(v) for v in sorted(values, key=str)[:10])
    raise InputError(
        f"positive label {_show(candidate)} does not occur in target column '{target}'; its values are: {shown}"
    )


def _implicit_positive(values: list[Any], target: str) -> Any:
    as_set = {str(v).lower() for v in values}
    if as_set <= {"0", "1"} or as_set <= {"true", "false"}:
        for value in values:
            if str(value).lower() in {"1", "true"}:
                return value
    raise InputError(
        f"cannot tell which value of target '{target}' is the positive outcome; pass --positive-label "
        f"(values: {', '.join(_show(v) for v in sorted(values, key=str)[:10])})"
    )


def binary_labels(target_values: pd.Series, target: str, positive: Any) -> tuple[Any, Any]:
    """``(negative label, positive label)``; raises unless the column has exactly two values."""
    values = list(pd.unique(target_values.dropna()))
    if len(values) != 2:
        raise TargetNotBinaryError(target, sorted(values, key=str))
    negative = values[0] if values[1] == positive else values[1]
    return negative, positive


def binary_predictions(values: pd.Series, column: str, positive: Any,
                       target_values: pd.Series | None = None) -> np.ndarray:
    """Existing decisions as 0/1 (1 = positive label, or 1/True for 0/1 and boolean columns).

    The decisions must use the target's own labels, or 0/1 / True/False; anything else (e.g.
    ``"Good"`` against a ``"good"``/``"bad"`` target) is refused rather than read as all negative.
    """
    if values.isna().any():
        raise InputError(f"predictions column '{column}' has {int(values.isna().sum())} missing values")
    distinct = list(pd.unique(values))
    if len(distinct) > 2 and pd.api.types.is_float_dtype(values):
        raise InputError(
            f"predictions column '{column}' has {len(distinct)} distinct numbers, so it looks like scores, "
            "not decisions; pass it as --scores together with a --predictions column of decisions, "
            "or threshold it into 0/1 decisions first"
        )
    if len(distinct) > 2:
        raise TargetNotBinaryError(column, sorted(distinct, key=str))
    allowed = {str(v) for v in pd.unique(target_values.dropna())} if target_values is not None else None
    if allowed is not None and not _is_zero_one(distinct) and not {str(v) for v in distinct} <= allowed:
        raise InputError(
            f"predictions column '{column}' has values {', '.join(sorted(map(str, distinct)))}, "
            f"which are neither the target's labels ({', '.join(sorted(allowed))}) nor 0/1 or True/False"
        )
    matches = values.map(lambda v: v == positive or str(v) == str(positive))
    if matches.any() or not _is_zero_one(distinct):
        return matches.to_numpy(dtype=np.int8)
    return values.map(lambda v: str(v).lower() in {"1", "true", "1.0"}).to_numpy(dtype=np.int8)


def _is_zero_one(distinct: list[Any]) -> bool:
    return {str(v).lower() for v in distinct} <= {"0", "1", "0.0", "1.0", "true", "false"}


def numeric_scores(values: pd.Series, column: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values):
        raise InputError(f"scores column '{column}' must be numeric; it has dtype {values.dtype}")
    if values.isna().any():
        raise InputError(f"scores column '{column}' has {int(values.isna().sum())} missing values")
    return values.to_numpy(dtype=float)


def require_binary(values: pd.Series, column: str) -> None:
    """Raise :class:`TargetNotBinaryError` (which suggests ``--task``) unless ``values`` has two values."""
    distinct = list(pd.unique(values.dropna()))
    if len(distinct) != 2:
        raise TargetNotBinaryError(column, sorted(distinct, key=str))


def class_labels(*columns: pd.Series) -> tuple[Any, ...]:
    """The classes of a multiclass audit: the distinct values of ``columns``, matched and sorted as text."""
    by_text: dict[str, Any] = {}
    for values in columns:
        for value in pd.unique(values.dropna()):
            by_text.setdefault(str(value), value)
    return tuple(by_text[k] for k in sorted(by_text))


def class_codes(values: Any, labels: tuple[Any, ...], column: str) -> np.ndarray:
    """Index of each value in ``labels`` (matched as text)."""
    series = pd.Series(np.asarray(values, dtype=object))
    if series.isna().any():
        raise InputError(f"column '{column}' has {int(series.isna().sum())} missing values")
    lookup = {str(label): i for i, label in enumerate(labels)}
    return series.map(lambda v: lookup[str(v)]).to_numpy(dtype=np.int64)


def numeric_values(values: pd.Series, column: str, role: str) -> np.ndarray:
    """A numeric column without missing values as floats (regression targets and predictions)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InputError(
            f"{role} column '{column}' must be numeric for a regression audit; it has dtype {values.dtype}"
        )
    if values.isna().any():
        raise InputError(f"{role} column '{column}' has {int(values.isna().sum())} missing values")
    return values.to_numpy(dtype=float)


MAX_SENSITIVE_GROUPS = 50


def sensitive_roles(sensitive: list[str], roles: dict[str, str | None]) -> None:
    """A sensitive column cannot also be the target, the predictions or the scores."""
    for role, column in roles.items():
        if column is not None and column in sensitive:
            raise InputError(f"column '{column}' is given both as a sensitive feature and as the {role}")


def sensitive_values(values: pd.Series, column: str) -> None:
    """A sensitive column needs at least two observed groups and not too many (a continuous column)."""
    present = values.dropna()
    observed = present.astype(str).nunique()
    if observed < 2:
        missing = int(values.isna().sum())
        only = f": {_show(present.iloc[0])}" if observed else ""
        raise InputError(
            f"sensitive column '{column}' has {observed} observed group(s) ({missing} missing values){only}; "
            "comparing groups needs at least two"
        )
    if observed > MAX_SENSITIVE_GROUPS:
        raise InputError(
            f"sensitive column '{column}' has {observed} distinct values (at most {MAX_SENSITIVE_GROUPS} groups "
            "are compared); bin it into groups first, e.g. age into age bands"
        )
