"""Report views for the bias half of an audit (disparities, uncertainty, data bias, checks)."""

from __future__ import annotations

from typing import Any


def show(doc: dict[str, Any]) -> None:
    """Display the bias sections of ``doc`` in a notebook (nothing when the audit has none)."""
