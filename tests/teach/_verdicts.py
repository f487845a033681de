"""Helpers for the tests of the lessons' checkers: a wrong answer is turned down with a hint, and the answer never
shows in the text."""

from __future__ import annotations

import ast
import re

import nbformat

from auditkit import teach
from auditkit.report.glossary import TERMS
from auditkit.teach.glossary import LESSON_TERMS


def text_of(feedback) -> str:
    """Everything a student sees of a verdict: message, hint and the HTML box."""
    return f"{feedback.message} {feedback.hint} {feedback._repr_html_()}"


def shows_number(text: str, value: float) -> bool:
    """Whether ``text`` shows ``value`` in a usual form (0.2513, 0.251, 0.25, 25.1%, 25%, 25.1)."""
    forms = {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", f"{value:.1%}", f"{value:.0%}", f"{value * 100:.1f}"}
    return any(re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text) for form in forms)


def turned_down(feedback, expected: float | None = None, names: tuple[str, ...] = ()) -> None:
    """Not right, with a hint; the text shows neither the expected number nor any of the expected ``names``."""
    assert feedback.status == "not yet" and feedback.hint, feedback
    if expected is not None:
        assert not shows_number(text_of(feedback), expected), feedback
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", f"{feedback.message}"), feedback


def goal_terms_missing_from_glossary(path) -> list[str]:
    """Words in bold in a lesson's learning goals that no entry of the lesson's closing glossary call defines."""
    cells = nbformat.read(path, as_version=4).cells
    goals = cells[0].source.split("**Learning goals.**", 1)[1].split("**How to work.**", 1)[0]
    call = ast.parse([c for c in cells if c.cell_type == "code"][-1].source).body[-1].value
    known = {term.slug: term for term in (*TERMS, *LESSON_TERMS)}
    used = [known[arg.value] for arg in call.args]
    teach.glossary(*(term.slug for term in used))
    return [word for word in re.findall(r"\*\*(.+?)\*\*", goals) if not any(t.regex().search(word) for t in used)]
