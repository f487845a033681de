"""Reading values in the target's own labels: one rule for positive labels, decisions and model classes.

A value stands for a label of the target when the two are the same text, or the same
number (``1``, ``1.0``, ``True`` and ``np.int64(1)`` are one label, as in Python). Text
that reads as a number (``"1"``, as the command line passes it) matches a numeric label of
that value, and ``"true"``/``"false"`` match the booleans. Nothing else matches: in
particular there is no fallback that reads ``1`` as "positive" when the target's labels
are ``"yes"``/``"no"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.text import show, show_all  # the one way to show a value; re-exported here

__all__ = ["class_position", "find_group", "find_label", "label_codes", "show", "show_all"]

def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real | np.bool_) and not isinstance(value, str)


def _as_number(value: Any) -> float | None:
    """The number a value stands for: numbers and booleans as they are, text parsed; else None."""
    if _is_number(value):
        number = float(value)
        return number if not math.isnan(number) else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "false"}:
            return float(text == "true")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _same_kind_equal(value: Any, label: Any) -> bool:
    if _is_number(value) and _is_number(label):
        return float(value) == float(label)
    if isinstance(value, str) and isinstance(label, str):
        return value == label
    if _is_number(value) or _is_number(label) or isinstance(value, str) or isinstance(label, str):
        return False
    try:
        return bool(value == label)
    except (TypeError, ValueError):
        return False


def _cross_kind_equal(value: Any, label: Any) -> bool:
    """A number against text that reads as that number (``1.0`` against ``"1"``)."""
    if isinstance(value, str) == isinstance(label, str):
        return False
    number, other = _as_number(value), _as_number(label)
    return number is not None and number == other


def find_label(value: Any, labels: Sequence[Any]) -> int | None:
    """Position in ``labels`` of the label ``value`` stands for, or None.

    Same-kind matches (number with number, text with text) win over a number matched with
    text that reads as it.

    Raises
    ------
    InputError
        When ``value`` matches several labels (e.g. a column holding both ``1`` and ``"1"``).

    Examples
    --------
    >>> find_label("1", (0.0, 1.0)), find_label(True, (0, 1)), find_label(1, ("no", "yes"))
    (1, 1, None)
    """
    for equal in (_same_kind_equal, _cross_kind_equal):
        hits = [i for i, label in enumerate(labels) if equal(value, label)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise InputError(
                f"{show(value)} matches several labels ({show_all([labels[i] for i in hits])}); "
                "code each label once, as one type"
            )
    return None


def class_position(label: Any, classes: Sequence[Any]) -> int:
    """Position in a model's ``classes`` of the class ``label`` stands for (the rule of :func:`find_label`).

    Raises
    ------
    InputError
        When ``label`` is none of the classes: there is no fallback to another class.

    Examples
    --------
    >>> class_position("1", [0.0, 1.0]), class_position("no", ["no", "yes"])
    (1, 0)
    """
    position = find_label(label, classes)
    if position is None:
        raise InputError(
            f"the positive label {show(label)} is not one of the model's classes ({show_all(classes)}); "
            "explain a model trained on the target's own labels"
        )
    return position


def find_group(value: Any, groups: Sequence[str]) -> str | None:
    """The group label ``value`` names, or None.

    Group labels are text (:func:`auditkit.stats.missing_group.sensitive_frame` shows the number
    ``1.0`` as ``"1"``). ``value`` names a group by the rule of :func:`find_label`: the same text,
    or the same number (``1``, ``1.0`` and ``True`` name the group ``"1"``). Text that reads as a
    number also names the group of that number (``"1.0"`` names ``"1"``) when no group is that text.

    Raises
    ------
    InputError
        When ``value`` names several groups (e.g. ``1`` with groups ``"1"`` and ``"01"``).

    Examples
    --------
    >>> find_group(1.0, ["1", "2"]), find_group("1.0", ["1", "2"]), find_group("b", ["a", "b"])
    ('1', '1', 'b')
    >>> find_group(3, ["1", "2"]) is None
    True
    """
    groups = [str(g) for g in groups]
    position = find_label(value, groups)
    if position is None and isinstance(value, str) and (number := _as_number(value)) is not None:
        position = find_label(number, groups)
    return None if position is None else groups[position]


def _hashable_values(values: Any) -> pd.Series:
    """``values`` as a Series to hash: numbers, booleans and text as they are, anything else as Python objects.

    A column of one numeric, boolean or text dtype hashes each value to the same group as its
    Python object would, without making a Python object per row.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iufb" or pd.api.types.is_string_dtype(dtype) and (
            not pd.api.types.is_object_dtype(dtype)):
        return series
    return pd.Series(np.asarray(values, dtype=object))


def label_codes(values: Any, labels: Sequence[Any], described: str, target: str) -> np.ndarray:
    """Position in ``labels`` of every value; refuses values that are not one of the target's labels.

    Parameters
    ----------
    values : array-like
        Decisions or class predictions, without missing values.
    labels : sequence
        The target's labels.
    described : str
        What the values are, for the error message, e.g. ``"predictions column 'pred'"``.
    target : str
        Name of the target column, for the error message.

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> import numpy as np
    >>> label_codes(["yes", "no", "yes"], ("no", "yes"), "predictions column 'decision'", "approved").tolist()
    [1, 0, 1]
    >>> label_codes([1.0, 0.0], (0, 1), "predictions", "approved").tolist()  # 1.0 is the label 1
    [1, 0]
    >>> label_codes(["maybe"], ("no", "yes"), "predictions column 'decision'", "approved")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: predictions column 'decision' has values 'maybe', but target 'approved' has
    labels 'no', 'yes' ('maybe' is not among them); predictions must use the target's own labels
    """
    codes, uniques = pd.factorize(_hashable_values(values), use_na_sentinel=False)
    positions = [find_label(u, labels) for u in uniques]
    unknown = [u for u, p in zip(uniques, positions, strict=True) if p is None]
    if unknown:
        raise InputError(
            f"{described} has values {show_all(uniques)}, but target '{target}' has labels {show_all(labels)} "
            f"({show_all(unknown)} {'is' if len(unknown) == 1 else 'are'} not among them); "
            "predictions must use the target's own labels"
        )
    return np.asarray(positions, dtype=np.int64)[codes]

