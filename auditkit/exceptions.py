"""The one exception hierarchy of auditkit.

Every error a user can cause is an :class:`InputError` (also a ``ValueError``); the CLI
turns those into exit status 2 with a one-line message. Anything else is a bug or an
environment failure (exit status 1).

This module imports nothing from auditkit but the leaf :mod:`auditkit.text` (values in
messages are shown by its :func:`~auditkit.text.show`, as everywhere else).
"""

from __future__ import annotations

from collections.abc import Sequence

from auditkit.text import show as _show


class AuditkitError(Exception):
    """Root of every error raised by auditkit.

    Examples
    --------
    >>> issubclass(InputError, AuditkitError), issubclass(StepError, AuditkitError)
    (True, True)
    """


class InputError(AuditkitError, ValueError):
    """The user's input (data, spec, model, options) cannot be audited as given.

    Examples
    --------
    >>> import auditkit
    >>> try:
    ...     auditkit.audit(data="no_such_dataset")
    ... except ValueError as error:  # an InputError is also a ValueError
    ...     print(type(error).__name__, isinstance(error, InputError))
    DatasetNotFoundError True
    """


class DatasetNotFoundError(InputError):
    """A bundled dataset name that does not exist.

    Examples
    --------
    >>> from auditkit import datasets
    >>> datasets.load("germna")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DatasetNotFoundError: Unknown dataset 'germna'.
    Available bundled datasets: adult, compas, german.
    """


class ColumnNotFoundError(InputError):
    """Columns named in the spec are not in the data; the message lists every column the data has.

    ``column`` is the first missing column, ``missing`` all of them (in the order they were named).

    Examples
    --------
    >>> error = ColumnNotFoundError("Sex", "sensitive", ["sex", "age"])
    >>> print(error)
    sensitive column 'Sex' is not in the data; did you mean 'sex'? Available columns: 'sex', 'age'
    >>> error.column, error.missing, error.role
    ('Sex', ['Sex'], 'sensitive')
    """

    def __init__(self, column: str, role: str, available: list[str], *, also_missing: Sequence[str] = ()) -> None:
        self.column = column
        self.missing = [column, *also_missing]
        self.role = role
        self.available = list(available)
        if also_missing:
            named = ", ".join(f"{_show(c)}{_did_you_mean(c, self.available, inline=True)}" for c in self.missing)
            what = f"{role} columns {named} are not in the data"
        else:
            what = f"{role} column {_show(column)} is not in the data{_did_you_mean(column, self.available)}"
        shown = ", ".join(_show(name) for name in self.available)
        stop = " " if what.endswith("?") else ". "
        super().__init__(f"{what}{stop}Available columns: {shown}")


def _did_you_mean(column: object, available: list[object], *, inline: bool = False) -> str:
    """``"; did you mean 'Sex'?"`` for the closest name (same letters in another case first), or ``""``."""
    import difflib

    names = {str(name): name for name in available}
    wanted = str(column)
    folded = [name for text, name in names.items() if text.strip().casefold() == wanted.strip().casefold()]
    close = folded or [names[text] for text in difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.75)]
    if not close:
        return ""
    return f" (did you mean {_show(close[0])}?)" if inline else f"; did you mean {_show(close[0])}?"


TASK_HINT = "; for more than two classes pass task='multiclass', for a numeric outcome task='regression'"


class TargetNotBinaryError(InputError):
    """The target (or predictions) column does not have exactly two values.

    Examples
    --------
    >>> error = TargetNotBinaryError("y", ["a", "b", "c"])
    >>> error.column, error.values
    ('y', ['a', 'b', 'c'])
    """

    def __init__(self, column: str, values: list[object]) -> None:
        self.column = column
        self.values = values
        shown = ", ".join(_show(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")
        hint = TASK_HINT if len(values) > 2 else ""
        super().__init__(
            f"column '{column}' must be binary for a classification audit, "
            f"but it has {len(values)} distinct values: {shown}{hint}"
        )


class DataReadError(InputError):
    """A data file that is missing or cannot be parsed.

    Examples
    --------
    >>> from auditkit.io.data import read_data
    >>> read_data("no/such/file.csv")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data file not found: no/such/file.csv
    """


class ModelLoadError(InputError):
    """A model file that cannot be loaded, or may not be loaded without an explicit opt-in.

    Examples
    --------
    >>> from auditkit.io.models import load_model
    >>> load_model("no/such/model.skops")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model file not found: no/such/model.skops
    """


class ModelPredictionError(InputError):
    """The model raised while predicting, or returns what the audit cannot read (wrong task, labels, shape, NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from auditkit.io.models import predict_for_audit
    >>> X = pd.DataFrame({"x": [0.0, 1.0]})
    >>> predict_for_audit(LinearRegression().fit(X, [0.0, 1.0]), X, "binary", (0, 1), "y")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelPredictionError: the model (LinearRegression) is a regressor and returns continuous
    numbers, but a binary audit expects a classifier whose classes are the labels of target 'y' (0, 1); ...
    """


class UnknownNameError(InputError, KeyError):
    """A step or table name that the audit result does not have; the message lists those it has.

    Also a ``KeyError``, so ``except KeyError`` around a lookup keeps working. ``name`` is the
    name asked for, ``available`` the names there are.

    Examples
    --------
    >>> error = UnknownNameError("no table 'gender' in step 'fairness'", "gender", ["sex", "age_group"])
    >>> str(error), isinstance(error, KeyError), isinstance(error, InputError)
    ("no table 'gender' in step 'fairness'; its tables: sex, age_group", True, True)
    """

    def __init__(self, what: str, name: object, available: Sequence[object], kind: str = "tables") -> None:
        self.name = name
        self.available = list(available)
        listing = ", ".join(map(str, self.available)) or "none"
        super().__init__(f"{what}{_did_you_mean(name, self.available, inline=True)}; its {kind}: {listing}")

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class StepError(AuditkitError):
    """An audit step failed; carries the step name and the original error.

    Examples
    --------
    >>> error = StepError("shap", ValueError("bad model"))
    >>> print(error)
    step 'shap' failed: ValueError: bad model
    >>> error.step, type(error.error).__name__
    ('shap', 'ValueError')
    """

    def __init__(self, step: str, error: BaseException) -> None:
        self.step = step
        self.error = error
        super().__init__(f"step '{step}' failed: {type(error).__name__}: {error}")

