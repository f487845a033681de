"""Numbers in findings, written for people: three significant digits, never scientific notation."""

from __future__ import annotations

import math


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
