"""The label of the group of rows whose sensitive value is missing (NaN, None, NA).

Missing values form a group of their own, never dropped. Its label must not collide with
a value written in the data: a column may hold the category ``"missing"`` *and* NaN, and
the two are different people. The label is :data:`MISSING_GROUP`, ``"(missing)"``; should
a column hold that very text as well, the label becomes ``"(missing 2)"`` (then
``"(missing 3)"``, ...) for that column only. The label of each column with missing
values is kept in ``sensitive.attrs["missing_groups"]`` of the frame that
:func:`sensitive_frame` returns, so every step can tell the missing group from a value.

This module imports only :mod:`auditkit.stats.levels` from auditkit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from auditkit.stats.levels import labelled, narrow, text_levels

MISSING_GROUP = "(missing)"
ATTRS_KEY = "missing_groups"


def group_label(value: Any) -> str:
    """A group value as text: whole floats without ``.0`` (``1.0`` and ``1`` are one group).

    Examples
    --------
    >>> group_label(1.0), group_label(1), group_label("a")
    ('1', '1', 'a')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def missing_label(observed: Iterable[str]) -> str:
    """The missing group's label: :data:`MISSING_GROUP` unless a value in ``observed`` already is that text.

    Examples
    --------
    >>> missing_label(["missing", "a"])
    '(missing)'
    >>> missing_label(["(missing)", "(missing 2)", "a"])
    '(missing 3)'
    """
    taken = set(observed)
    label, k = MISSING_GROUP, 1
    while label in taken:
        k += 1
        label = f"{MISSING_GROUP[:-1]} {k})"
    return label


def sensitive_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sensitive columns as text; missing values become the group :func:`missing_label` names.

    Returns
    -------
    DataFrame
        One column per sensitive column, values as text (:func:`group_label`), held as a
        categorical column (one narrow code a row; its categories sorted as text). Its
        ``attrs["missing_groups"]`` maps each column that has missing values to the label
        of its missing group.

    Examples
    --------
    >>> import pandas as pd
    >>> out = sensitive_frame(pd.DataFrame({"g": ["missing", None, "a"]}), ["g"])
    >>> out["g"].tolist(), out.attrs["missing_groups"]
    (['missing', '(missing)', 'a'], {'g': '(missing)'})
    """
    return sensitive_frame_and_levels(frame, columns)[0]


def sensitive_frame_and_levels(frame: pd.DataFrame,
                               columns: list[str]) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, pd.Series]]]:
    """:func:`sensitive_frame`, and per column what :func:`~auditkit.stats.levels.text_levels` gives for it.

    The levels come from the column's distinct values, found once: the rows of the text
    column are not hashed a second time.

    Examples
    --------
    >>> import pandas as pd
    >>> out, levels = sensitive_frame_and_levels(pd.DataFrame({"g": ["b", None, "a", "b"]}), ["g"])
    >>> codes, names = levels["g"]
    >>> codes.tolist(), names.tolist()
    ([2, 0, 1, 2], ['(missing)', 'a', 'b'])
    """
    out = pd.DataFrame(index=frame.index)
    labels: dict[str, str] = {}
    levels = {}
    for col in columns:
        codes, texts = labelled(frame[col], group_label)  # one call per distinct value
        if (codes < 0).any():
            labels[col] = missing_label(texts)
        names = np.array([*texts, labels.get(col)], dtype=object)
        level_codes, level_names = _text_levels_of(codes, names, col in labels)  # code -1 (missing) picks the last
        out[col] = _categorical(level_codes, level_names, frame.index)
        levels[col] = level_codes, level_names
    out.attrs[ATTRS_KEY] = labels
    return out, levels


def _categorical(level_codes: np.ndarray, level_names: pd.Series, index: pd.Index) -> pd.Series:
    """The texts ``level_names[level_codes]`` as a categorical column: a narrow code a row, not a pointer a row."""
    categories = pd.Index(level_names.to_numpy(dtype=object), dtype=object)
    values = pd.Categorical.from_codes(narrow(level_codes, len(categories)), categories=categories)
    return pd.Series(values, index=index)


def _text_levels_of(codes: np.ndarray, names: np.ndarray, missing: bool) -> tuple[np.ndarray, pd.Series]:
    """What ``text_levels`` gives for the rows ``names[codes]``, from the few names (last: the missing label)."""
    used = names if missing else names[:-1]
    name_of_entry, distinct = pd.factorize(used)  # entries with the same text (1 and "1") are one level
    level_of_distinct, level_names = text_levels(pd.Series(distinct, dtype=object))
    level_of_entry = np.append(level_of_distinct[name_of_entry], -1)  # code -1 never occurs without missing rows
    return narrow(level_of_entry[:len(names)], len(level_names))[codes], level_names  # narrow a row


def missing_groups(sensitive: pd.DataFrame) -> dict[str, str]:
    """Column to the label of its missing group, for the columns of ``sensitive`` that have one.

    Examples
    --------
    >>> import pandas as pd
    >>> missing_groups(sensitive_frame(pd.DataFrame({"g": ["a", None], "h": ["x", "y"]}), ["g", "h"]))
    {'g': '(missing)'}
    """
    return dict(sensitive.attrs.get(ATTRS_KEY, {}))


def is_missing(keys: pd.DataFrame, features: Iterable[str], missing: dict[str, str]) -> pd.Series:
    """Per row of ``keys`` (one column per feature): whether any feature is at its missing group.

    Examples
    --------
    >>> import pandas as pd
    >>> keys = pd.DataFrame({"sex": ["f", "(missing)"], "race": ["(missing)", "a"]})
    >>> is_missing(keys, ["sex"], {"sex": "(missing)"}).tolist()
    [False, True]
    """
    flags = pd.Series(False, index=keys.index)
    for feature in features:
        if feature in missing:
            flags |= keys[feature].astype(str).eq(missing[feature])
    return flags
