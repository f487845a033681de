"""teach.glossary: the words of a lesson, from the report's glossary and the lessons' own terms."""

from __future__ import annotations

import ast

import nbformat
import pytest

from auditkit import teach
from auditkit.exceptions import InputError
from auditkit.report.glossary import TERMS
from auditkit.teach.glossary import LESSON_TERMS
from auditkit.teach.student import lessons_dirs


def test_entries_come_in_the_order_asked_as_html_and_text():
    entries = teach.glossary("label-bias", "selection-rate")
    assert [t.slug for t in entries.terms] == ["label-bias", "selection-rate"]
    assert str(entries).splitlines()[1].startswith("Selection rate: The share of rows")
    assert entries._repr_html_().count("<dt") == 2


def test_an_unknown_entry_is_named_with_the_list():
    with pytest.raises(InputError, match=r"^no glossary entry 'bias'; the entries are: selection-rate, "):
        teach.glossary("bias")


def test_lesson_terms_do_not_redefine_report_terms():
    assert not {t.slug for t in LESSON_TERMS} & {t.slug for t in TERMS}


def test_no_term_is_defined_twice_under_another_slug():
    """The report's glossary is the one source: a lesson term may not be a report term under another slug or name."""
    names = [t.name.lower() for t in (*TERMS, *LESSON_TERMS)]
    assert len(names) == len(set(names))
    same_term = [(lesson.slug, report.slug) for lesson in LESSON_TERMS for report in TERMS
                 if lesson.regex().search(report.name)]
    assert same_term == []


@pytest.mark.parametrize("path", sorted(lessons_dirs()[0].glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_lesson_ends_with_its_words(path):
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    call = ast.parse(cells[-1].source).body[-1].value
    assert ast.unparse(call.func) == "teach.glossary"
    teach.glossary(*(arg.value for arg in call.args))  # every entry exists
