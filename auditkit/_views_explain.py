"""Report views for the explanation half of an audit (SHAP, LIME, agreement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def show(doc: dict[str, Any], audit_dir: str | Path) -> None:
    """Display the explanation sections of ``doc`` in a notebook (nothing when the audit has none)."""
