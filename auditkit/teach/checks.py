"""Checkers for exercises: compare an answer with the expected one and say right, or give a hint.

Every checker returns a :class:`~auditkit.teach.feedback.Feedback` and never raises for a
student's answer, whatever its type: ``...`` or ``None`` is "no answer yet", a value of the
wrong kind is named ("expected one number; got a Series of 2 values"). The expected answer is
never part of the text of a "not yet": hints say where to look, not what to find. A mistake of
the exercise's author (an expected value that is not a number, an empty list of options) is
an :class:`~auditkit.exceptions.InputError`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from auditkit.exceptions import InputError
from auditkit.teach.feedback import NO_ANSWER, NOT_YET, RIGHT, Feedback
from auditkit.text import plain, show

DEFAULT_TOLERANCE = 0.005
"""Largest accepted distance from the expected number: an answer rounded to two decimals passes."""

UNANSWERED = "replace the ... with your answer and run the cell again."


def is_unanswered(answer: Any) -> bool:
    """True for ``...`` (the placeholder of a student's exercise) and ``None``.

    Examples
    --------
    >>> is_unanswered(...), is_unanswered(None), is_unanswered(0)
    (True, True, False)
    """
    return answer is Ellipsis or answer is None


def check_number(answer: Any, expected: float, *, tol: float = DEFAULT_TOLERANCE, why: str = "", hint: str = "",
                 exercise: str = "") -> Feedback:
    """Is ``answer`` one number within ``tol`` of ``expected``?

    Parameters
    ----------
    answer : object
        The student's answer: a number, or anything holding exactly one (a one-element Series or array).
    expected : float
        The right value, computed from the data by the lesson's checker.
    tol : float, default 0.005
        Largest accepted absolute difference.
    why : str
        Said when the answer is right (it may restate the answer).
    hint : str
        Said when it is not (it must not contain the answer).
    exercise : str
        The exercise's short title.

    Returns
    -------
    Feedback
        Right; or not yet, saying what is wrong (text instead of a number, a table instead of
        one value, a percentage instead of a share) and the hint.

    Examples
    --------
    >>> check_number(0.251, 0.2513, why="a quarter of the group is selected.")
    ✓ Right: a quarter of the group is selected.
    >>> check_number(25.13, 0.2513, hint="Divide by the group's size.")
    ✗ Not yet: 25.13 looks like a percentage; give the share as a number between 0 and 1. Hint: Divide by the \
group's size.
    >>> check_number(..., 0.2513).status
    'no answer'
    """
    expected = _author_number("expected", expected)
    _author_number("tol", tol)
    if is_unanswered(answer):
        return Feedback(NO_ANSWER, UNANSWERED, hint, exercise)
    value, problem = _one_number(answer)
    if problem:
        return Feedback(NOT_YET, problem, hint, exercise)
    if abs(value - expected) <= tol:
        return Feedback(RIGHT, why or f"{_short(value)} is right.", "", exercise)
    if 0 <= expected <= 1 and abs(value / 100 - expected) <= tol:
        message = f"{_short(value)} looks like a percentage; give the share as a number between 0 and 1."
        return Feedback(NOT_YET, message, hint, exercise)
    return Feedback(NOT_YET, f"{_short(value)} is not it.", hint, exercise)


def check_choice(answer: Any, expected: Any, options: Sequence[Any], *, why: str = "", hint: str = "",
                 exercise: str = "") -> Feedback:
    """Is ``answer`` the right one of ``options``? Text is compared without case and surrounding spaces.

    Parameters
    ----------
    answer : object
        The student's choice.
    expected : object
        The right option (one of ``options``).
    options : sequence
        Every option the exercise offers; an answer that is none of them is told so, with the options.
    why, hint, exercise : str
        As for :func:`check_number`.

    Returns
    -------
    Feedback

    Examples
    --------
    >>> check_choice("Other ", "Other", ["White", "Black", "Other"], why="the smallest group.")
    ✓ Right: the smallest group.
    >>> check_choice("Purple", "Other", ["White", "Black", "Other"]).message
    "'Purple' is not one of the options: 'White', 'Black', 'Other'."
    """
    if not options:
        raise InputError("options must name at least one choice; got none")
    if not any(_same_choice(option, expected) for option in options):
        raise InputError(f"expected must be one of the options ({_listed(options)}); got {show(expected)}")
    if is_unanswered(answer):
        return Feedback(NO_ANSWER, UNANSWERED, hint, exercise)
    if not any(_same_choice(option, answer) for option in options):
        return Feedback(NOT_YET, f"{_shown(answer)} is not one of the options: {_listed(options)}.", hint, exercise)
    if _same_choice(answer, expected):
        return Feedback(RIGHT, why or f"{_shown(answer)} is right.", "", exercise)
    return Feedback(NOT_YET, f"{_shown(answer)} is not it.", hint, exercise)


def check_columns(answer: Any, expected: Iterable[str], *, columns: Iterable[str] | None = None, why: str = "",
                  hint: str = "", exercise: str = "") -> Feedback:
    """Does ``answer`` name exactly the columns ``expected`` (in any order)?

    Parameters
    ----------
    answer : str or iterable of str
        One column name or several (a list, tuple, set or pandas Index).
    expected : iterable of str
        The right columns.
    columns : iterable of str, optional
        Every column of the data: a name that is not one of them is told so.
    why, hint, exercise : str
        As for :func:`check_number`.

    Returns
    -------
    Feedback
        Not yet names the student's own wrong columns and says how many are missing (not which).

    Examples
    --------
    >>> check_columns(["proxy"], ["proxy"], why="it follows group membership.")
    ✓ Right: it follows group membership.
    >>> check_columns(["x0", "proxy"], ["proxy"]).message
    "'x0' does not belong."
    >>> check_columns([], ["proxy"]).message
    '1 column is missing.'
    """
    right = {str(name) for name in expected}
    if is_unanswered(answer):
        return Feedback(NO_ANSWER, UNANSWERED, hint, exercise)
    given = _names(answer)
    if given is None:
        return Feedback(NOT_YET, f"expected a list of column names; got {_kind(answer)}.", hint, exercise)
    if columns is not None:
        unknown = [name for name in given if name not in {str(c) for c in columns}]
        if unknown:
            return Feedback(NOT_YET, f"{_listed(unknown)} {_is_are(unknown)} not a column of the data.", hint,
                            exercise)
    extra = [name for name in given if name not in right]
    missing = len(right - set(given))
    return _set_feedback(given, extra, missing, "column", why=why, hint=hint, exercise=exercise)


def check_items(answer: Any, expected: Iterable[str], *, allowed: Sequence[str], noun: str = "item",
                why: str = "", hint: str = "", exercise: str = "") -> Feedback:
    """Does ``answer`` name exactly the items ``expected`` of ``allowed`` (in any order, case ignored)?

    For exercises whose answer is a set: the options on a front, the claims a table supports.

    Parameters
    ----------
    answer : str or iterable of str
        One item or several (a list, tuple, set or pandas Index).
    expected : iterable of str
        The right items (each one of ``allowed``).
    allowed : sequence of str
        Every item the exercise offers: an answer naming another is told the list.
    noun : str, default "item"
        What an item is, in the messages ("option", "claim").
    why, hint, exercise : str
        As for :func:`check_number`.

    Returns
    -------
    Feedback
        Not yet names the student's own items that do not belong and says how many are
        missing (not which).

    Examples
    --------
    >>> check_items(["b", "A"], ["A", "B"], allowed=["A", "B", "C"], noun="claim", why="both hold.")
    ✓ Right: both hold.
    >>> check_items(["A", "C"], ["A", "B"], allowed=["A", "B", "C"], noun="claim").message
    "'C' does not belong. 1 claim is missing."
    >>> check_items("D", ["A"], allowed=["A", "B"], noun="claim").message
    "'D' is not one of the claims: 'A', 'B'."
    """
    options = [str(item) for item in allowed]
    if not options:
        raise InputError("allowed must name at least one item; got none")
    right = [_matching(str(item), options) for item in expected]
    if None in right:
        raise InputError(f"expected must be items of allowed ({_listed(options)}); got {_listed(expected)}")
    if is_unanswered(answer):
        return Feedback(NO_ANSWER, UNANSWERED, hint, exercise)
    given = _names(answer)
    if given is None:
        return Feedback(NOT_YET, f"expected a list of {noun}s; got {_kind(answer)}.", hint, exercise)
    unknown = [name for name in given if _matching(name, options) is None]
    if unknown:
        return Feedback(NOT_YET, f"{_listed(unknown)} {_is_are(unknown)} not one of the {noun}s: {_listed(options)}.",
                        hint, exercise)
    chosen = {_matching(name, options) for name in given}
    extra = [name for name in given if _matching(name, options) not in right]
    missing = len(set(right) - chosen)
    return _set_feedback(given, extra, missing, noun, why=why, hint=hint, exercise=exercise)


def check_values(answer: Any, expected: Mapping[Hashable, float], *, tol: float = DEFAULT_TOLERANCE, why: str = "",
                 hint: str = "", exercise: str = "") -> Feedback:
    """Does ``answer`` give, for each key of ``expected``, a number within ``tol`` of it (e.g. a rate per group)?

    Parameters
    ----------
    answer : mapping or pandas.Series
        Values by key (a dict, or a Series indexed by group as ``groupby(...).mean()`` gives);
        keys the exercise does not ask for are ignored.
    expected : mapping
        The right value of each key.
    tol : float, default 0.005
    why, hint, exercise : str
        As for :func:`check_number`.

    Returns
    -------
    Feedback
        Not yet names the keys whose value is missing or wrong (never the right values).

    Examples
    --------
    >>> check_values({"a": 0.3, "b": 0.6}, {"a": 0.3, "b": 0.5}).message
    "the value for 'b' is not right."
    """
    for key, value in expected.items():
        _author_number(f"expected[{show(key)}]", value)
    if is_unanswered(answer):
        return Feedback(NO_ANSWER, UNANSWERED, hint, exercise)
    given = _as_mapping(answer)
    if given is None:
        return Feedback(NOT_YET, f"expected values by group (a Series or dict); got {_kind(answer)}.", hint,
                        exercise)
    missing = [key for key in expected if key not in given]
    if missing:
        return Feedback(NOT_YET, f"no value for {_listed(missing)}.", hint, exercise)
    wrong = [key for key, value in expected.items()
             if _one_number(given[key])[1] or abs(_one_number(given[key])[0] - value) > tol]
    if wrong:
        values = "the value for" if len(wrong) == 1 else "the values for"
        return Feedback(NOT_YET, f"{values} {_listed(wrong)} {_is_are(wrong)} not right.", hint, exercise)
    return Feedback(RIGHT, why or "every value is right.", "", exercise)


def answer_near(answer: Any, value: float, tol: float = DEFAULT_TOLERANCE) -> bool:
    """Whether ``answer`` is one number (also in a one-element Series or array) within ``tol`` of ``value``.

    For checkers that recognise a usual mistake (a count instead of a share, a sign the wrong way
    round) before they say "not it".

    Examples
    --------
    >>> answer_near(0.252, 0.25), answer_near(-0.25, 0.25), answer_near("0.25", 0.25), answer_near(..., 0.25)
    (True, False, False, False)
    """
    number, problem = _one_number(answer)
    return not problem and abs(number - value) <= tol


def _set_feedback(given: list[str], extra: list[str], missing: int, noun: str, *, why: str, hint: str,
                  exercise: str) -> Feedback:
    """The verdict on a set answer: right when nothing is ``extra`` or ``missing``, else the extra items named
    and the missing ones counted (not named: that would give the answer away)."""
    if not extra and not missing:
        return Feedback(RIGHT, why or f"{_listed(given)}: right.", "", exercise)
    problems = [f"{_listed(extra)} {'does' if len(extra) == 1 else 'do'} not belong."] if extra else []
    if missing:
        problems.append(f"{missing} {noun}{' is' if missing == 1 else 's are'} missing.")
    return Feedback(NOT_YET, " ".join(problems), hint, exercise)


def _author_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(plain(value), numbers.Real) or math.isnan(float(value)):
        raise InputError(f"{name} must be a number; got {show(value)}")
    return float(value)


def _one_number(answer: Any) -> tuple[float, str]:
    """``(value, "")`` for one number (also in a one-element Series or array), else ``(nan, what is wrong)``."""
    if isinstance(answer, str):
        return math.nan, f"got the text {answer!r}; give a number (without quotes)."
    if hasattr(answer, "shape") and hasattr(answer, "__len__") and not np.isscalar(answer):
        size = int(np.size(answer))
        if size != 1:
            return math.nan, f"expected one number; got {_kind(answer)}: pick the value the exercise asks for."
        answer = np.asarray(answer).reshape(-1)[0]
    answer = plain(answer)
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return math.nan, f"expected one number; got {_kind(answer)}."
    if math.isnan(float(answer)):
        return math.nan, "the answer is NaN (not a number): did a filter keep no rows?"
    return float(answer), ""


def _names(answer: Any) -> list[str] | None:
    if isinstance(answer, str):
        return [answer]
    if isinstance(answer, Mapping) or not isinstance(answer, Iterable):
        return None
    items = [plain(item) for item in answer]
    return items if all(isinstance(item, str) for item in items) else None


def _matching(name: str, options: Sequence[str]) -> str | None:
    """The option ``name`` stands for (case and surrounding spaces ignored), or None."""
    return next((option for option in options if _same_choice(option, name)), None)


def _as_mapping(answer: Any) -> Mapping | None:
    if isinstance(answer, Mapping):
        return answer
    if hasattr(answer, "to_dict") and hasattr(answer, "index") and getattr(answer, "ndim", 0) == 1:
        return answer.to_dict()
    return None


def _same_choice(left: Any, right: Any) -> bool:
    left, right = plain(left), plain(right)
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    try:
        return bool(left == right)
    except (TypeError, ValueError):
        return False


def _kind(value: Any) -> str:
    if hasattr(value, "shape") and not np.isscalar(value):
        return f"{_a(type(value).__name__)} of {int(np.size(value))} value{'s' if np.size(value) != 1 else ''}"
    if isinstance(plain(value), str | bool | numbers.Number):
        return _shown(value)
    return _a(type(value).__name__)


def _a(noun: str) -> str:
    noun = {"ndarray": "NumPy array"}.get(noun, noun)
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _shown(value: Any) -> str:
    return _short(plain(value)) if isinstance(plain(value), float) else show(value)


def _short(value: float) -> str:
    return f"{value:.4g}"


def _listed(values: Iterable[Any]) -> str:
    return ", ".join(_shown(value) for value in values)


def _is_are(values: Sequence[Any]) -> str:
    return "is" if len(values) == 1 else "are"
