"""Validation at the boundary: messages say what was expected and what was given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import ColumnNotFoundError, InputError, TargetNotBinaryError
from auditkit.io.labels import find_label, label_codes, show, show_all


def require_target(frame: pd.DataFrame, target: str | None) -> None:
    """Raise :class:`InputError` unless a target is given and :class:`ColumnNotFoundError` unless it is a column.

    Examples
    --------
    >>> import pandas as pd
    >>> require_target(pd.DataFrame({"y": [0, 1]}), "y")
    >>> require_target(pd.DataFrame({"y": [0, 1]}), None)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: no target column given; ...
    """
    if not target:
        raise InputError("no target column given; pass target=COLUMN")
    require_columns(frame, [target], "target")
    if frame[target].isna().any():
        n_missing = int(frame[target].isna().sum())
        raise InputError(f"target column '{target}' has {n_missing} missing values; drop or fill them first")


def require_columns(frame: pd.DataFrame, columns: list[str], role: str) -> None:
    """Raise :class:`ColumnNotFoundError` naming every one of ``columns`` that ``frame`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"sex": [1], "age": [2]}), ["Sex"], "sensitive")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ColumnNotFoundError: sensitive column 'Sex' is not in the data; did you mean 'sex'?
    Available columns: 'sex', 'age'
    """
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ColumnNotFoundError(missing[0], role, list(frame.columns), also_missing=missing[1:])


def resolve_positive_label(frame: pd.DataFrame, target: str, given: Any, default: Any) -> Any:
    """The positive label as the target column's own value (``"1"`` and ``1`` find ``1.0``).

    Examples
    --------
    >>> import pandas as pd
    >>> float(resolve_positive_label(pd.DataFrame({"y": [0.0, 1.0]}), "y", "1", None))
    1.0
    """
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
    """``(negative label, positive label)``; raises unless the column has exactly two values.

    Examples
    --------
    >>> import pandas as pd
    >>> binary_labels(pd.Series(["good", "bad", "good"]), "credit", "good")
    ('bad', 'good')
    """
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

    Examples
    --------
    >>> import pandas as pd
    >>> binary_predictions(pd.Series(["good", "bad"]), "decision", ("bad", "good"), "credit").tolist()
    [1, 0]
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
    """Existing multiclass predictions as positions in ``labels`` (the target's classes).

    Examples
    --------
    >>> import pandas as pd
    >>> class_predictions(pd.Series(["c", "a"]), "guess", ("a", "b", "c"), "grade").tolist()
    [2, 0]
    """
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

    Examples
    --------
    >>> import pandas as pd
    >>> values, kind = numeric_scores(pd.Series([0.2, 0.9]), "score")
    >>> values.tolist(), kind
    ([0.2, 0.9], 'probability')
    >>> numeric_scores(pd.Series(["high", "low"]), "score")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: scores column 'score' must be numeric; it has dtype str
    """
    if not pd.api.types.is_numeric_dtype(values):
        raise InputError(f"scores column '{column}' must be numeric; it has dtype {values.dtype}")
    if values.isna().any():
        raise InputError(f"scores column '{column}' has {int(values.isna().sum())} missing values")
    scores = values.to_numpy(dtype=float)
    require_finite(scores, f"scores column '{column}'")
    return scores, score_kind(scores)


def score_kind(scores: np.ndarray) -> str:
    """``"probability"`` when every score is within [0, 1], else ``"decision"``.

    Examples
    --------
    >>> import numpy as np
    >>> score_kind(np.array([0.1, 0.9])), score_kind(np.array([-2.0, 3.5]))
    ('probability', 'decision')
    """
    return "probability" if bool(np.all((scores >= 0) & (scores <= 1))) else "decision"


def require_finite(numbers: np.ndarray, described: str) -> None:
    """Refuse ``inf``/``-inf`` (and NaN) with a count of each.

    Examples
    --------
    >>> import numpy as np
    >>> require_finite(np.array([0.5, np.inf, -np.inf, np.inf]), "scores column 'score'")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: scores column 'score' has values that are not finite numbers (2 inf, 1 -inf);
    expected finite numbers
    """
    bad = ~np.isfinite(numbers)
    if bad.any():
        refuse_not_finite({"inf": int(np.isposinf(numbers).sum()), "-inf": int(np.isneginf(numbers).sum()),
                           "NaN": int(np.isnan(numbers).sum())}, described)


def refuse_not_finite(counts: dict[str, int], described: str) -> None:
    """:func:`require_finite`'s error from the counts of ``inf``, ``-inf`` and ``NaN`` (none when all are 0).

    Examples
    --------
    >>> refuse_not_finite({"inf": 0, "-inf": 0, "NaN": 0}, "scores column 'score'")
    >>> refuse_not_finite({"inf": 1, "-inf": 0, "NaN": 2}, "scores column 'score'")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: scores column 'score' has values that are not finite numbers (1 inf, 2 NaN);
    expected finite numbers
    """
    shown = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    if shown:
        raise InputError(f"{described} has values that are not finite numbers ({shown}); expected finite numbers")


def require_binary(values: pd.Series, column: str) -> None:
    """Raise :class:`TargetNotBinaryError` (which suggests a ``task``) unless ``values`` has two values.

    Examples
    --------
    >>> import pandas as pd
    >>> require_binary(pd.Series(["a", "b", "a"]), "y")
    >>> require_binary(pd.Series(["a", "b", "c"]), "y")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.TargetNotBinaryError: column 'y' must be binary for a classification audit, but it has
    3 distinct values: 'a', 'b', 'c'; ...
    """
    distinct = list(pd.unique(values.dropna()))
    if len(distinct) != 2:
        raise TargetNotBinaryError(column, sorted(distinct, key=str))


def class_labels(values: pd.Series) -> tuple[Any, ...]:
    """The classes of a multiclass audit: the target's distinct values, sorted as text.

    Examples
    --------
    >>> import pandas as pd
    >>> class_labels(pd.Series(["low", "high", "mid", "low"]))
    ('high', 'low', 'mid')
    """
    return tuple(sorted(pd.unique(values.dropna()), key=str))


def class_codes(values: pd.Series, labels: tuple[Any, ...], target: str) -> np.ndarray:
    """Position of each target value in ``labels``.

    Examples
    --------
    >>> import pandas as pd
    >>> class_codes(pd.Series(["b", "c", "a"]), ("a", "b", "c"), "grade").tolist()
    [1, 2, 0]
    """
    return label_codes(values, labels, f"target column '{target}'", target)


def numeric_values(values: pd.Series, column: str, role: str) -> np.ndarray:
    """A numeric column without missing values as floats (regression targets and predictions).

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_values(pd.Series([1, 2.5]), "income", "target").tolist()
    [1.0, 2.5]
    >>> numeric_values(pd.Series([1.0, None]), "income", "target")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: target column 'income' has 1 missing values
    """
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
    """A sensitive column cannot also be the target, the predictions or the scores.

    Examples
    --------
    >>> sensitive_roles(["sex"], {"target": "approved", "predictions": "decision", "scores": None})
    >>> sensitive_roles(["sex", "approved"], {"target": "approved", "predictions": None, "scores": None})
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: column 'approved' is given both as a sensitive feature and as the target
    """
    for role, column in roles.items():
        if column is not None and column in sensitive:
            raise InputError(f"column '{column}' is given both as a sensitive feature and as the {role}")


def sensitive_values(values: pd.Series, column: str) -> None:
    """A sensitive column needs at least two observed groups and not too many (a continuous column).

    Examples
    --------
    >>> import pandas as pd
    >>> sensitive_values(pd.Series(["f", "m"]), "sex")
    >>> sensitive_values(pd.Series(["f", "f"]), "sex")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: sensitive column 'sex' has 1 observed group(s) (0 missing values): 'f';
    comparing groups needs at least two
    """
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
