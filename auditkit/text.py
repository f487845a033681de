"""Text for people: numbers in findings (three significant digits), data strings shown as written in plots."""

from __future__ import annotations

import math
from typing import Any


def number(value: float | None, sign: bool = False) -> str:
    """Format ``value`` for a finding's message.

    Examples
    --------
    >>> number(0.123456), number(3620.4), number(-829.2, sign=True), number(0.000123)
    ('0.123', '3,620', '-829', '0.000123')
    """
    if value is None or not math.isfinite(value):
        return "undefined"
    plus = "+" if sign else ""
    if abs(value) >= 1000:
        return f"{value:{plus},.0f}"
    if value == 0 or abs(value) >= 1:
        digits = max(0, 2 - int(math.floor(math.log10(abs(value))))) if value else 0
        return f"{value:{plus}.{digits}f}"
    return f"{value:{plus}.3g}"


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
