"""Validation at the boundary: messages say what was expected and what was given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import ColumnNotFoundError, InputError, TargetNotBinaryError
from auditkit.io.labels import find_label, label_codes, show, show_all


def require_target(frame: pd.DataFrame, target: str | None) -> None:
    if not target:
        raise InputError("no target column given; pass target=COLUMN")
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
    """The positive label as the target column's own value (``"1"`` and ``1`` find ``1.0``)."""
    values = list(pd.unique(frame[target].dropna()))
    candidate = given if given is not None else default
    if candidate is None:
        return _implicit_positive(values, target)
    position = find_label(candidate, values)
    if position is None:
        raise InputError(
            f"positive label {show(candidate)} does not occur in target column '{target}'; "
            f"its values are: {show_all(values)}"
        )
    return values[position]


def _implicit_positive(values: list[Any], target: str) -> Any:
    """The value standing for 1 (or True) of a 0/1 or boolean target; otherwise the user must say."""
    positions = {find_label(1, values), find_label(0, values)}
    if len(values) == 2 and positions == {0, 1}:
        return values[find_label(1, values)]
    raise InputError(
        f"cannot tell which value of target '{target}' is the positive outcome; pass positive_label=VALUE "
        f"(values: {show_all(values)})"
    )


def binary_labels(target_values: pd.Series, target: str, positive: Any) -> tuple[Any, Any]:
    """``(negative label, positive label)``; raises unless the column has exactly two values."""
    values = list(pd.unique(target_values.dropna()))
    if len(values) != 2:
        raise TargetNotBinaryError(target, sorted(values, key=str))
    negative = values[0] if find_label(values[1], [positive]) == 0 else values[1]
    return negative, positive


def binary_predictions(values: pd.Series, column: str, labels: tuple[Any, Any], target: str) -> np.ndarray:
    """Existing decisions as 0/1 (1 = the positive label), read in the target's own labels.

    Decisions are a subset of the target's labels (``1``, ``1.0`` and ``True`` are one label);
    anything else (``"Good"`` against a ``"good"``/``"bad"`` target, ``1`` against ``"yes"``/``"no"``)
    is refused rather than guessed.
    """
    if values.isna().any():
        raise InputError(f"predictions column '{column}' has {int(values.isna().sum())} missing values")
    distinct = list(pd.unique(values))
    if len(distinct) > 2 and pd.api.types.is_float_dtype(values):
        raise InputError(
            f"predictions column '{column}' has {len(distinct)} distinct numbers, so it looks like scores, "
            "not decisions; pass it as scores=COLUMN together with predictions=COLUMN of decisions, "
            "or threshold it into 0/1 decisions first"
        )
    if len(distinct) > 2:
        raise TargetNotBinaryError(column, sorted(distinct, key=str))
    return label_codes(values, labels, f"predictions column '{column}'", target).astype(np.int8)


def class_predictions(values: pd.Series, column: str, labels: tuple[Any, ...], target: str) -> np.ndarray:
    """Existing multiclass predictions as positions in ``labels`` (the target's classes)."""
    if values.isna().any():
        raise InputError(f"predictions column '{column}' has {int(values.isna().sum())} missing values")
    return label_codes(values, labels, f"predictions column '{column}'", target)


def numeric_scores(values: pd.Series, column: str) -> tuple[np.ndarray, str]:
    """A finite numeric scores column and its kind.

    Returns
    -------
    scores : ndarray of float
    kind : {"probability", "decision"}
        ``"probability"`` when every score is within [0, 1]; otherwise the scores are read
        as decision scores (only their order is used: ROC AUC, no Brier score or calibration).
    """
    if not pd.api.types.is_numeric_dtype(values):
        raise InputError(f"scores column '{column}' must be numeric; it has dtype {values.dtype}")
    if values.isna().any():
        raise InputError(f"scores column '{column}' has {int(values.isna().sum())} missing values")
    scores = values.to_numpy(dtype=float)
    require_finite(scores, f"scores column '{column}'")
    return scores, score_kind(scores)


def score_kind(scores: np.ndarray) -> str:
    """``"probability"`` when every score is within [0, 1], else ``"decision"``."""
    return "probability" if bool(np.all((scores >= 0) & (scores <= 1))) else "decision"


def require_finite(numbers: np.ndarray, described: str) -> None:
    """Refuse ``inf``/``-inf`` (and NaN) with a count of each."""
    bad = ~np.isfinite(numbers)
    if bad.any():
        counts = {"inf": int(np.isposinf(numbers).sum()), "-inf": int(np.isneginf(numbers).sum()),
                  "NaN": int(np.isnan(numbers).sum())}
        shown = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        raise InputError(f"{described} has values that are not finite numbers ({shown}); expected finite numbers")


def require_binary(values: pd.Series, column: str) -> None:
    """Raise :class:`TargetNotBinaryError` (which suggests a ``task``) unless ``values`` has two values."""
    distinct = list(pd.unique(values.dropna()))
    if len(distinct) != 2:
        raise TargetNotBinaryError(column, sorted(distinct, key=str))


def class_labels(values: pd.Series) -> tuple[Any, ...]:
    """The classes of a multiclass audit: the target's distinct values, sorted as text."""
    return tuple(sorted(pd.unique(values.dropna()), key=str))


def class_codes(values: pd.Series, labels: tuple[Any, ...], target: str) -> np.ndarray:
    """Position of each target value in ``labels``."""
    return label_codes(values, labels, f"target column '{target}'", target)


def numeric_values(values: pd.Series, column: str, role: str) -> np.ndarray:
    """A numeric column without missing values as floats (regression targets and predictions)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InputError(
            f"{role} column '{column}' must be numeric for a regression audit; it has dtype {values.dtype}"
        )
    if values.isna().any():
        raise InputError(f"{role} column '{column}' has {int(values.isna().sum())} missing values")
    numbers = values.to_numpy(dtype=float)
    require_finite(numbers, f"{role} column '{column}'")
    return numbers


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
        only = f": {show(present.iloc[0])}" if observed else ""
        raise InputError(
            f"sensitive column '{column}' has {observed} observed group(s) ({missing} missing values){only}; "
            "comparing groups needs at least two"
        )
    if observed > MAX_SENSITIVE_GROUPS:
        raise InputError(
            f"sensitive column '{column}' has {observed} distinct values (at most {MAX_SENSITIVE_GROUPS} groups "
            "are compared); bin it into groups first, e.g. age into age bands"
        )
