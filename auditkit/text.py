"""Text for people: values as a user wrote them, numbers in findings, data strings shown as written in plots.

This module imports nothing from auditkit, so every module (:mod:`auditkit.exceptions` included)
can format values with the one rule of :func:`show`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SHOWN_VALUES = 10


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (anything else as it is).

    Examples
    --------
    >>> plain(np.int64(1)), plain(np.str_("a")), plain("b")
    (1, 'a', 'b')
    """
    return value.item() if isinstance(value, np.generic) else value


def show(value: Any) -> str:
    """A value as a user typed it: text quoted, numbers plain (never ``np.int64(1)``).

    The one way auditkit shows a label, class, group or column name in a message.

    Examples
    --------
    >>> show(np.int64(1)), show(np.str_("a")), show(1.5), show(True), show("1")
    ('1', "'a'", '1.5', 'True', "'1'")
    """
    value = plain(value)
    return repr(value) if isinstance(value, str) else str(value)


def show_all(values: Any) -> str:
    """Distinct values, sorted as text, at most ``SHOWN_VALUES`` of them, joined by commas.

    Examples
    --------
    >>> show_all([np.int64(2), np.int64(1), np.int64(2)])
    '1, 2'
    """
    shown = sorted({show(v) for v in values})
    extra = ", ..." if len(shown) > SHOWN_VALUES else ""
    return ", ".join(shown[:SHOWN_VALUES]) + extra


def number(value: float | None, sign: bool = False) -> str:
    """Format ``value`` for a finding's message.

    Examples
    --------
    >>> number(0.123456), number(3620.4), number(-829.2, sign=True), number(0.000123), number(-9.07e-05)
    ('0.123', '3,620', '-829', '0.000123', '-0.0000907')
    >>> number(7e-15)  # far below any rate's resolution: scientific notation says so
    '7e-15'
    """
    if value is None or not math.isfinite(value):
        return "undefined"
    plus = "+" if sign else ""
    if abs(value) >= 1000:
        return f"{value:{plus},.0f}"
    if value == 0 or abs(value) >= 1 or 1e-6 <= abs(value) < 1e-4:  # fixed point, three significant digits
        digits = max(0, 2 - int(math.floor(math.log10(abs(value))))) if value else 0
        return f"{value:{plus}.{digits}f}"
    return f"{value:{plus}.3g}"  # .3g is fixed point from 1e-4 up


P_FLOOR = 0.001  # p-values below it are shown as "< 0.001": more digits are noise, not evidence


def p_value(value: float | None) -> str:
    """A p-value as people read it: ``"< 0.001"`` when below 0.001, otherwise three decimals.

    The one format of p-values in findings, tables and the report; ``audit.json`` keeps the
    exact numbers.

    Examples
    --------
    >>> p_value(1.5e-33), p_value(0.0423), p_value(0.001), p_value(1.0), p_value(None)
    ('< 0.001', '0.042', '0.001', '1.000', 'undefined')
    """
    if value is None or not math.isfinite(value):
        return "undefined"
    return f"< {P_FLOOR}" if value < P_FLOOR else f"{value:.3f}"


# Text properties that make matplotlib show a string exactly as written: a ``$`` in a column
# name or category value does not start mathtext (``$\x$`` would crash the report), and a
# ``text.usetex`` setting in the user's matplotlibrc does not send data strings to LaTeX.
PLAIN_TEXT: dict[str, bool] = {"parse_math": False, "usetex": False}


def plain_text(*texts: Any) -> None:
    """Show matplotlib ``Text`` artists made elsewhere (legend entries, ...) as plain text.

    Examples
    --------
    >>> from matplotlib.text import Text
    >>> label = Text(text="price in $, $x$")
    >>> plain_text(label)
    >>> label.get_parse_math(), label.get_usetex(), label.get_text()
    (False, False, 'price in $, $x$')
    """
    for text in texts:
        text.set(**PLAIN_TEXT)
