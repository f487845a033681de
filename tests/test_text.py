"""Numbers in messages: readable, never scientific notation for everyday magnitudes."""

import pytest

from auditkit.text import number


@pytest.mark.parametrize(("value", "sign", "text"), [
    (0.123456, False, "0.123"), (3620.4, False, "3,620"), (-829.2, True, "-829"), (0.0448, True, "+0.0448"),
    (12.345, False, "12.3"), (None, False, "undefined"), (float("nan"), False, "undefined"),
])
def test_number(value, sign, text):
    assert number(value, sign) == text
