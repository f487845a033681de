"""Every bundled dataset has a complete datasheet."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "datasets"

SECTIONS = [
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing",
    "Uses",
    "Distribution and licence",
    "Maintenance",
    "Target and positive label",
    "Sensitive features",
    "Citation",
    "Original files",
    "Known caveats",
]


@pytest.mark.parametrize("name", ["adult", "compas", "german"])
def test_datasheet_has_every_section(name: str) -> None:
    text = (DATA / name / "DATASHEET.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("## ")}
    assert set(SECTIONS) <= headings
    assert "@" in text  # a BibTeX entry
    for marker in ("TODO", "TBD", "FIXME", "lorem"):
        assert marker not in text
