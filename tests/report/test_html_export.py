"""report.html opens offline (nothing fetched from a network) and carries a print stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from _report_helpers import remote_loads
from bs4 import BeautifulSoup

from auditkit.report.render import export_html


def _notebook(folder: Path, *cells, metadata: dict | None = None) -> Path:
    book = nbformat.v4.new_notebook(cells=list(cells), metadata=metadata or {})
    nbformat.write(book, folder / "report.ipynb")
    return folder / "report.ipynb"


def _html_output(html: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell("display(HTML(...))", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})])


@pytest.fixture
def page(tmp_path) -> str:
    """A report whose notebook has TeX-like text, a folded table and the widget state JupyterLab saves."""
    notebook = _notebook(
        tmp_path,
        nbformat.v4.new_markdown_cell("# Audit of loans\n\nCosts $5 and $6; see [the docs](https://example.org/x)."),
        nbformat.v4.new_markdown_cell("## Fairness by group"),
        _html_output("<details><summary>All 40 rows</summary><table><tr><td>a</td></tr></table></details>"),
        metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                             "version_minor": 0}}},
    )
    return export_html(notebook, tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_report_loads_nothing_remote(page):
    """No require.js, MathJax, Mermaid or widget renderer from a CDN; links in the text stay links."""
    parsed = BeautifulSoup(page, "html.parser")
    assert remote_loads(parsed) == []
    assert [a["href"] for a in parsed.find_all("a", href=re.compile("^http"))] == ["https://example.org/x"]


def test_remote_loads_finds_what_a_browser_would_fetch():
    """The check above can fail: each way a page fetches from a network is found."""
    page = BeautifulSoup(
        '<script src="https://cdn.example.org/require.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/css">'
        "<script>s.src = 'https://unpkg.com/@jupyter-widgets/html-manager';</script>"
        "<style>@import url(https://fonts.example.org/a.css);</style>"
        '<img src="http://example.org/p.png"><a href="https://example.org/kept">text link</a>', "html.parser")
    assert len(remote_loads(page)) == 5


def test_the_report_has_a_print_stylesheet(page):
    css = BeautifulSoup(page, "html.parser").find("style", id="auditkit-print").get_text()
    print_rules = css[css.index("@media print"):]
    squashed = " ".join(print_rules.split())
    assert "overflow: visible !important" in squashed  # nothing clipped on paper
    assert re.search(r"\bh2 \{ break-before: page;", squashed)  # each main section on a new page
    assert "details::details-content { content-visibility: visible !important; display: block !important; }" \
        in squashed  # folded sections print open
    assert re.search(r"img, svg, canvas \{ max-width: 100% !important; height: auto !important;", squashed)


def test_folded_sections_are_opened_before_printing(page):
    """Browsers without ``::details-content`` open them from a ``beforeprint`` handler (and close them after)."""
    scripts = " ".join(script.get_text() for script in BeautifulSoup(page, "html.parser").find_all("script"))
    assert 'addEventListener("beforeprint"' in scripts and 'details:not([open])' in scripts
    assert 'addEventListener("afterprint"' in scripts


def test_the_report_shows_no_code_and_no_prompts(page):
    parsed = BeautifulSoup(page, "html.parser")
    assert parsed.select(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .highlight") == []
    assert "display(HTML(...))" not in page
