"""Which columns a model is given: the reference model's inputs (``features=``/``exclude=``) or a given model's.

The default inputs are the dataset's feature columns (every column but the target for data
without metadata). ``features`` names them instead; ``exclude`` leaves some out of the
reference model's inputs, so an audit can show "fairness through unawareness" (a model
trained without the sensitive columns, whose decisions may still differ by group).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import pandas as pd

from auditkit.exceptions import InputError
from auditkit.io.validate import require_columns
from auditkit.text import show


def reference_columns(frame: pd.DataFrame, target: str, defaults: Sequence[str],
                      features: Sequence[str] | None, exclude: Sequence[str]) -> list[str]:
    """The reference model's input columns.

    Parameters
    ----------
    frame : DataFrame
        The data (every column).
    target : str
        The target column, never an input.
    defaults : sequence of str
        The inputs when neither ``features`` nor ``exclude`` is given.
    features : sequence of str or None
        The inputs, named.
    exclude : sequence of str
        Columns left out of ``defaults``.

    Raises
    ------
    InputError
        A named column is not in the data or is the target, or no input is left.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30], "sex": ["f"], "income": [1.0], "y": [1]})
    >>> reference_columns(frame, "y", ["age", "sex", "income"], None, ["sex"])
    ['age', 'income']
    """
    if features is not None:
        return _named_inputs(frame, target, features)
    require_columns(frame, list(exclude), "exclude")
    if target in exclude:
        raise InputError(f"exclude names the target {show(target)}, which is never an input of the model; "
                         "leave it out of exclude")
    columns = [column for column in defaults if column not in exclude]
    if not columns:
        if exclude:
            raise InputError(f"exclude leaves no feature columns to train the reference model on "
                             f"(the features are {_listed(defaults)})")
        raise InputError("no feature columns left to train a reference model on")
    return columns


def model_columns(model: Any, frame: pd.DataFrame, target: str, defaults: Sequence[str],
                  features: Sequence[str] | None) -> list[str]:
    """The columns passed to a given model, in the order it takes them.

    A model that knows its input columns (``feature_names_in_``) gets those; ``features``, if
    given, must name the same columns. Otherwise the model gets ``features``, or ``defaults``;
    a model that knows only how many inputs it takes (``n_features_in_``) is checked for that.

    Raises
    ------
    InputError
        ``features`` names columns that are not in the data, the target, or not the columns the
        model was fitted on; or the number of columns is not the number the model takes.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = pd.DataFrame({"age": [25, 40, 33, 58], "income": [20, 55, 30, 70], "sex": ["f", "m", "f", "m"],
    ...                       "approved": [0, 1, 0, 1]})
    >>> model = LogisticRegression().fit(frame[["income", "age"]], frame["approved"])
    >>> model_columns(model, frame, "approved", ["age", "income", "sex"], None)  # the columns it was fitted on
    ['income', 'age']
    >>> model_columns(model, frame, "approved", [], ["age", "sex"])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: features must name the columns the model was fitted on ('income', 'age'); \
got 'age', 'sex'
    """
    fitted_on = _fitted_columns(model)
    if features is not None:
        named = _named_inputs(frame, target, features)
        if fitted_on is not None and set(named) != set(fitted_on):
            raise InputError(
                f"features must name the columns the model was fitted on ({_listed(fitted_on)}); "
                f"got {_listed(named)}"
            )
        columns = fitted_on if fitted_on is not None else named
    else:
        columns = fitted_on if fitted_on is not None else list(defaults)
    require_columns(frame, columns, "model feature")
    _check_input_count(model, columns, given=features is not None)
    return columns


def _named_inputs(frame: pd.DataFrame, target: str, features: Sequence[str]) -> list[str]:
    require_columns(frame, list(features), "features")
    if target in features:
        raise InputError(f"features names the target {show(target)}; the target is what the model predicts, "
                         "not one of its inputs")
    return list(features)


def _fitted_columns(model: Any) -> list[str] | None:
    try:
        names = getattr(model, "feature_names_in_", None)
    except Exception:  # noqa: BLE001 - a property that fails means "not known"
        return None
    return None if names is None else list(names)


def _check_input_count(model: Any, columns: list[str], *, given: bool) -> None:
    try:
        expected = getattr(model, "n_features_in_", None)
    except Exception:  # noqa: BLE001 - a property that fails means "not known"
        return
    if isinstance(expected, numbers.Integral) and expected != len(columns):
        source = "features" if given else "the data's feature columns"
        raise InputError(
            f"the model takes {expected} input columns (n_features_in_), but {source} are {len(columns)}: "
            f"{_listed(columns)}; pass features=[COLUMN, ...] naming the model's input columns in its order"
        )


def _listed(columns: Sequence[Any], limit: int = 20) -> str:
    """Column names in their order, as written (``'age', 'sex'``), at most ``limit`` of them."""
    shown = ", ".join(show(column) for column in list(columns)[:limit])
    return shown + (", ..." if len(columns) > limit else "")
