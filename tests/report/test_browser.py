"""A rendered report opened in headless Chromium: the DOM a reader gets shows the title and every section.

The ``dom`` fixture is the DOM Chromium builds from the ``report.html`` of a small audit (compas's
existing decisions, 300 rows, the bias report), parsed with BeautifulSoup; tests of what the first
screen shows (the verdict, the scorecard) select from it as a reader's browser would, e.g.
``dom.select_one("#verdict")``. Without Chromium these tests are skipped, saying so; ``.ci/run``
installs it and sets ``AUDITKIT_REQUIRE_CHROMIUM`` so that in CI they run (or fail).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from _report_helpers import chromium_or_skip, dump_dom, kernel_imports_this_checkout, remote_loads
from bs4 import BeautifulSoup

import auditkit
from auditkit.report import notebook_path, views
from auditkit.report.document import verdict_text
from auditkit.report.scorecard import STATUSES, scorecard_rows

KIND = "bias"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The folder of a small audit rendered as the ``bias`` report (one notebook run, ~10 s)."""
    out = tmp_path_factory.mktemp("browser") / "audit"
    with pytest.MonkeyPatch.context() as monkeypatch:
        kernel_imports_this_checkout(monkeypatch)
        auditkit.audit_to_dir(out_dir=out, data="compas", predictions="compas_high_risk", sample=300,
                              steps=["performance", "fairness"], report=KIND, progress=False, quiet=True)
    return out


@pytest.fixture(scope="module")
def dom(rendered) -> BeautifulSoup:
    return dump_dom(rendered / "report.html", chromium_or_skip())


def _headings(level: str) -> list[str]:
    """The headings of ``level`` (``"#"``, ``"##"``) written in the report notebook's Markdown."""
    cells = nbformat.read(notebook_path(KIND), as_version=4).cells
    return [line[len(level) + 1:].strip() for cell in cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith(level + " ")]


def _texts(dom: BeautifulSoup, selector: str) -> list[str]:
    return [" ".join(tag.get_text(" ", strip=True).replace("¶", "").split()) for tag in dom.select(selector)]


def test_the_rendered_page_shows_the_report_title(dom):
    """The first heading is the notebook's Markdown title, or (a title made by code) one naming the data."""
    shown = _texts(dom, "h1")
    assert shown, "the rendered page has no <h1>"
    written = _headings("#")
    assert shown[0] == written[0] if written else "compas" in shown[0]


def test_the_rendered_page_shows_every_section_of_the_notebook(dom):
    sections = _headings("##")
    assert len(sections) >= 3
    shown = _texts(dom, "h2")
    assert [section for section in sections if section not in shown] == []


def test_the_rendered_page_names_the_data_audited(dom):
    assert "compas" in dom.select_one("main").get_text(" ")


def test_the_rendered_page_shows_no_code(dom):
    assert dom.select(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .highlight") == []
    assert "run_for_notebook" not in dom.get_text(" ")


def test_the_rendered_page_fetches_nothing_remote(dom, rendered):
    assert remote_loads(dom) == []
    assert remote_loads(BeautifulSoup((rendered / "report.html").read_text(encoding="utf-8"), "html.parser")) == []


def test_the_first_screen_shows_the_verdict_then_the_scorecard_before_any_section(dom, rendered):
    doc = views.load(rendered)
    verdict, scorecard, first_section = dom.select_one("#verdict"), dom.select_one("#scorecard"), dom.select_one("h2")
    assert verdict is not None and scorecard is not None, "no verdict or scorecard in the rendered page"
    assert " ".join(verdict.get_text(" ", strip=True).split()) == f"Verdict: {verdict_text(doc)}"
    order = list(dom.descendants)
    assert order.index(verdict) < order.index(scorecard) < order.index(first_section)


def test_the_scorecard_shows_one_row_per_grouping_and_criterion_with_a_status_in_words(dom, rendered):
    rows = scorecard_rows(views.load(rendered))
    shown = dom.select("#scorecard tbody tr")
    assert len(shown) == len(rows) > 0
    for tr, row in zip(shown, rows, strict=True):
        cells = [td.get_text(" ", strip=True) for td in tr.select("td")]
        assert cells[0] == row.grouping
        assert STATUSES[row.status][0] in cells  # the status in words, not only as a colour
