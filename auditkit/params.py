"""Constraints on settings, declared once per setting and checked when an object is built.

In the spirit of scikit-learn's ``_param_validation``: each class that has settings
(:class:`~auditkit.spec.AuditSpec`, every audit step) maps each setting to a list of
accepted forms, and :func:`validate` raises one :class:`InputError` of one form::

    <name> must be <expected>; got <value> (<type>)

Only real types pass: a boolean is ``True``/``False`` (never the text ``"false"``), a
number is an int or float (never text, never a boolean), an integer is never ``12.7``.

Examples
--------
>>> validate("sample", 12.7, [None, Interval(int, 10)])
Traceback (most recent call last):
...
auditkit.exceptions.InputError: sample must be an integer, at least 10; got 12.7 (float)
"""

from __future__ import annotations

import math
import numbers
import os
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from auditkit.exceptions import InputError
from auditkit.text import plain


class Constraint(Protocol):
    """A form a setting may take.

    Examples
    --------
    >>> form = Interval(int, 1)
    >>> form.accepts(3), form.accepts(0), form.description
    (True, False, 'an integer, at least 1')
    """

    description: str

    def accepts(self, value: Any) -> bool:  # pragma: no cover - protocol
        ...


def validate(name: str, value: Any, constraints: Iterable[Constraint | None]) -> None:
    """Raise :class:`InputError` unless ``value`` satisfies one of ``constraints`` (``None``: may be None).

    Examples
    --------
    >>> validate("n_boot", 200, [Interval(int, 0)])
    >>> validate("n_boot", "200", [Interval(int, 0)])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: n_boot must be an integer, at least 0; got '200' (str)
    """
    forms = [_NONE if c is None else c for c in constraints]
    if not any(form.accepts(value) for form in forms):
        shown = [form for form in forms if form is not _NONE] or forms  # "None" is the default, not advice
        expected = " or ".join(form.description for form in shown)
        raise InputError(f"{name} must be {expected}; got {show(value)}{_type_note(value)}")


def show(value: Any) -> str:
    """``value`` as :func:`auditkit.text.show` shows it (``1``, not ``np.int64(1)``), long values cut.

    Examples
    --------
    >>> import numpy as np
    >>> show(np.int64(1)), show("german"), show(["a"] * 10)
    ('1', "'german'", "['a', 'a', 'a', 'a', 'a', 'a', ...]")
    """
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    value = plain(value)  # plain: np.str_('a') is a str whose repr names numpy
    text = _SHORT.repr(value)
    return text if isinstance(value, str) else " ".join(text.split())  # one line, whatever an object's repr


def _type_note(value: Any) -> str:
    return "" if value is None else f" ({type(value).__name__})"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 6


@dataclass(frozen=True)
class _NoneForm:
    description: str = "None"

    def accepts(self, value: Any) -> bool:
        return value is None


_NONE = _NoneForm()


@dataclass(frozen=True)
class Boolean:
    """``True`` or ``False`` (also numpy booleans); never text or numbers.

    Examples
    --------
    >>> Boolean().accepts(True), Boolean().accepts("false")
    (True, False)
    >>> validate("trust_model", "false", [Boolean()])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: trust_model must be true or false; got 'false' (str)
    """

    description: str = "true or false"

    def accepts(self, value: Any) -> bool:
        return is_bool(value)


@dataclass(frozen=True)
class Interval:
    """A finite int (``kind=int``) or number (``kind=float``) within optional bounds.

    ``closed`` says which bounds are included: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.

    Examples
    --------
    >>> Interval(float, 0, 1, closed="neither").description
    'a number above 0 and below 1'
    >>> Interval(int, 10).accepts(12), Interval(int, 10).accepts(12.0), Interval(int, 10).accepts(True)
    (True, False, False)
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if not is_number(value) or (self.kind is int and not isinstance(value, numbers.Integral)):
            return False
        if not isinstance(value, numbers.Integral) and not math.isfinite(value):  # ints are finite (and may be huge)
            return False
        above = self.low is None or value > self.low or (value == self.low and self.closed in ("both", "left"))
        below = self.high is None or value < self.high or (value == self.high and self.closed in ("both", "right"))
        return above and below

    @property
    def description(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        low_in, high_in = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            if low_in and high_in:
                return f"{what} from {_num(self.low)} to {_num(self.high)}"
            left = "from" if low_in else "above"
            right = "up to" if high_in else "below"
            return f"{what} {left} {_num(self.low)} and {right} {_num(self.high)}"
        if self.low is not None:
            return f"{what}, {'at least' if low_in else 'above'} {_num(self.low)}"
        if self.high is not None:
            return f"{what}, {'at most' if high_in else 'below'} {_num(self.high)}"
        return "a finite number" if self.kind is not int else what


@dataclass(frozen=True)
class Options:
    """One of a few text values.

    Examples
    --------
    >>> Options(("holm", "bh")).accepts("holm"), Options(("holm", "bh")).description
    (True, 'one of holm, bh')
    """

    values: tuple[str, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    @property
    def description(self) -> str:
        return f"one of {', '.join(self.values)}"


@dataclass(frozen=True)
class Text:
    """Non-empty text, e.g. a column name.

    Examples
    --------
    >>> Text().accepts("sex"), Text().accepts(""), Text().accepts(1)
    (True, False, False)
    """

    description: str = "a column name (text)"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value != ""


@dataclass(frozen=True)
class Prose:
    """Free text that says something: not empty, not only spaces (e.g. a model's intended use).

    Examples
    --------
    >>> Prose().accepts("Screening loan applications."), Prose().accepts("  "), Prose().accepts(3)
    (True, False, False)
    """

    description: str = "a text (not empty)"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value.strip() != ""


@dataclass(frozen=True)
class PathForm:
    """A file path (non-empty text or a ``pathlib.Path``).

    Examples
    --------
    >>> from pathlib import Path
    >>> PathForm().accepts("data.csv"), PathForm().accepts(Path("data.csv")), PathForm().accepts(3)
    (True, True, False)
    """

    description: str = "a file path"

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, str) and value != "") or isinstance(value, os.PathLike)


@dataclass(frozen=True)
class Scalar:
    """One value: text, a finite number or a boolean (not a list, mapping, date or None).

    Examples
    --------
    >>> Scalar().accepts("yes"), Scalar().accepts(1), Scalar().accepts(float("nan")), Scalar().accepts(["yes"])
    (True, True, False, False)
    """

    description: str = "a single value (text, a number or true/false)"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str) or is_bool(value) or isinstance(value, numbers.Integral):
            return True
        return is_number(value) and math.isfinite(value)


@dataclass(frozen=True)
class ListOf:
    """A list (or tuple) whose every item satisfies ``item``; optionally without repeats.

    Examples
    --------
    >>> form = ListOf(Text(), "a list of column names", unique=True)
    >>> form.accepts(["sex", "race"]), form.accepts(["sex", "sex"]), form.accepts("sex")
    (True, False, False)
    """

    item: Constraint
    description: str = "a list"
    unique: bool = False
    min_items: int = 0

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, list | tuple) or len(value) < self.min_items:
            return False
        if not all(self.item.accepts(v) for v in value):
            return False
        return not self.unique or len(set(value)) == len(value)


@dataclass(frozen=True)
class MappingOf:
    """A mapping whose keys satisfy ``key`` and values satisfy ``value`` (``None``: anything).

    Examples
    --------
    >>> form = MappingOf(Text(), Interval(float, 0, 1))
    >>> form.accepts({"f": 0.5}), form.accepts({"f": 2})
    (True, False)
    """

    key: Constraint | None
    value: Constraint | None
    description: str = "a mapping"

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, Mapping):
            return False
        return all((self.key is None or self.key.accepts(k)) and (self.value is None or self.value.accepts(v))
                   for k, v in value.items())


@dataclass(frozen=True)
class AnyOf:
    """Any of several forms (for the items of a list or the values of a mapping).

    Examples
    --------
    >>> form = AnyOf((CallableForm(), Text()), "a metric")
    >>> form.accepts(len), form.accepts("sklearn.metrics:f1_score"), form.accepts(3)
    (True, True, False)
    """

    forms: tuple[Constraint | None, ...]
    description: str

    def accepts(self, value: Any) -> bool:
        return any((value is None) if form is None else form.accepts(value) for form in self.forms)


@dataclass(frozen=True)
class CallableForm:
    """A Python callable.

    Examples
    --------
    >>> CallableForm().accepts(print), CallableForm().accepts("print")
    (True, False)
    """

    description: str = "a callable"

    def accepts(self, value: Any) -> bool:
        return callable(value)


@dataclass(frozen=True)
class DataFrameForm:
    """A pandas DataFrame (checked by name: pandas is not imported for this).

    Examples
    --------
    >>> import pandas as pd
    >>> DataFrameForm().accepts(pd.DataFrame()), DataFrameForm().accepts({"a": [1]})
    (True, False)
    """

    description: str = "a DataFrame"

    def accepts(self, value: Any) -> bool:
        return any(cls.__name__ == "DataFrame" and cls.__module__.startswith("pandas") for cls in type(value).__mro__)


def is_bool(value: Any) -> bool:
    """True for ``True``/``False`` and numpy booleans.

    Examples
    --------
    >>> import numpy as np
    >>> is_bool(True), is_bool(np.bool_(False)), is_bool(1)
    (True, True, False)
    """
    return isinstance(value, bool | np.bool_)


def is_number(value: Any) -> bool:
    """True for ints and floats (numpy ones too), never for booleans.

    Examples
    --------
    >>> is_number(1), is_number(0.5), is_number(True), is_number("1")
    (True, True, False, False)
    """
    return isinstance(value, numbers.Real) and not is_bool(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def check_all(obj: Any, constraints: Mapping[str, list], prefix: str = "") -> None:
    """Validate every setting of ``obj`` (an attribute per setting), in the order they are declared.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> settings = SimpleNamespace(n_boot=100, ci_level=1.5)
    >>> check_all(settings, {"n_boot": [Interval(int, 0)], "ci_level": [Interval(float, 0.5, 1, closed="left")]},
    ...           prefix="fairness.")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: fairness.ci_level must be a number from 0.5 and below 1; got 1.5 (float)
    """
    for setting, forms in constraints.items():
        validate(f"{prefix}{setting}", getattr(obj, setting), forms)
