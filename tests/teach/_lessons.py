"""Helpers of the lesson tests: is a verdict a "not yet" that gives nothing away, and which words does a lesson use."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from auditkit.report.glossary import TERMS
from auditkit.teach.glossary import LESSON_TERMS


def feedback_text(feedback) -> str:
    return f"{feedback.message} {feedback.hint} {feedback._repr_html_()}"


def shows_number(text: str, value: float) -> bool:
    """Whether ``text`` shows ``value`` in a usual form (0.2513, 0.251, 0.25, 25.1%, 25%, 25.1)."""
    forms = {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", f"{value:.1%}", f"{value:.0%}", f"{value * 100:.1f}"}
    return any(re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text) for form in forms)


def turned_down(feedback, expected: float | None = None, option: str | None = None) -> None:
    """Not right, with a hint; the text shows neither the expected number nor the expected option."""
    assert feedback.status == "not yet" and feedback.hint, feedback
    if expected is not None:
        assert not shows_number(feedback_text(feedback), expected), feedback
    if option is not None:
        assert not re.search(rf"(?<![\w.]){re.escape(str(option))}(?![\w.])", feedback_text(feedback)), feedback


def glossary_call(path: Path) -> list[str]:
    """The entries of the lesson's last cell, ``teach.glossary(...)``."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    call = ast.parse(cells[-1].source).body[-1].value
    return [arg.value for arg in call.args]


def words_used(path: Path) -> set[str]:
    """The glossary entries whose words the lesson's text (its markdown cells) uses."""
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    return {term.slug for term in (*TERMS, *LESSON_TERMS)
            if any(re.search(pattern, text, 0 if term.exact_case else re.IGNORECASE) for pattern in term.patterns)}


def audit_call(path: Path, function: str) -> dict:
    """The keywords of the lesson's first call of ``auditkit.<function>(...)``: values, or the code of an expression."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == f"auditkit.{function}":
                return {k.arg: _value(k.value) for k in node.keywords}
    raise AssertionError(f"no call of auditkit.{function} in {path.name}")


def _value(node: ast.expr):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)
