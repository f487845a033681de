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
    >>> from auditkit.io.model_outputs import predict_for_audit
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



class ReportError(AuditkitError):
    """The report notebook did not finish: a cell failed, the time ran out or its kernel died.

    ``notebook`` is the report notebook's file name, ``cell`` the index of the cell where it stopped
    (counting the report notebook's cells from 0; None when unknown), ``source_line`` that cell's
    first line, ``error`` the error's last line (``Type: message``), ``timeout`` the time limit in
    seconds when it ran out, and ``kept`` the partly executed notebook, once it is kept.

    Examples
    --------
    >>> error = ReportError("bias_report.ipynb", cell=9, source_line="for features in groupings:",
    ...                     error="KeyError: 'race'")
    >>> print(error)
    the report notebook bias_report.ipynb failed at cell 9 ("for features in groupings:"): KeyError: 'race'
    >>> print(error.kept_as("reports/audit/report.failed.ipynb"))  # doctest: +NORMALIZE_WHITESPACE
    the report notebook bias_report.ipynb failed at cell 9 ("for features in groupings:"): KeyError: 'race';
    the partly executed notebook is reports/audit/report.failed.ipynb
    >>> print(ReportError("audit_report.ipynb", cell=4, source_line="time.sleep(60)", timeout=30))
    the report notebook audit_report.ipynb did not finish within report_timeout=30 seconds: stopped at cell 4 \
("time.sleep(60)")
    """

    def __init__(self, notebook: str, *, cell: int | None = None, source_line: str = "", error: str = "",
                 timeout: float | None = None, kept: str | None = None) -> None:
        self.notebook, self.cell, self.source_line, self.error = notebook, cell, source_line, error
        self.timeout, self.kept = timeout, kept
        super().__init__(self._message())

    def kept_as(self, path: object) -> ReportError:
        """The same error, saying where the partly executed notebook is kept."""
        return ReportError(self.notebook, cell=self.cell, source_line=self.source_line, error=self.error,
                           timeout=self.timeout, kept=None if path is None else str(path))

    def _message(self) -> str:
        where = "" if self.cell is None else f"cell {self.cell}"
        if where and self.source_line:
            where += f" ({_show_line(self.source_line)})"
        if self.timeout is not None:
            limit = int(self.timeout) if float(self.timeout).is_integer() else self.timeout
            text = f"the report notebook {self.notebook} did not finish within report_timeout={limit} seconds"
            text += f": stopped at {where}" if where else ""
        else:
            text = f"the report notebook {self.notebook} failed" + (f" at {where}" if where else "")
            text += f": {self.error}" if self.error else ""
        return text + (f"; the partly executed notebook is {self.kept}" if self.kept else "")


def _show_line(line: str, limit: int = 80) -> str:
    """A line of code in double quotes, cut at ``limit`` characters."""
    return '"' + (line if len(line) <= limit else line[: limit - 3] + "...") + '"'


class BrowserError(AuditkitError):
    """The browser that prints the report to PDF failed (it is installed, but wrote no PDF).

    Examples
    --------
    >>> print(BrowserError("chromium did not print report.html to PDF (exit status 1)"))
    chromium did not print report.html to PDF (exit status 1)
    """


class BrowserNotFoundError(InputError):
    """No Chromium or Chrome was found to print the report to PDF.

    Examples
    --------
    >>> issubclass(BrowserNotFoundError, InputError)
    True
    """


def one_line_error(exc: BaseException) -> str:
    """``exc`` as one line: its message for bad input, else ``Type: message`` (first line only).

    Examples
    --------
    >>> one_line_error(ValueError("predict failed\\nmore detail"))
    'ValueError: predict failed'
    >>> one_line_error(InputError("data file not found: x.csv"))
    'data file not found: x.csv'
    """
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if isinstance(exc, InputError) else f"{type(exc).__name__}: {text}".rstrip(": ")
