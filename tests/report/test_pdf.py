"""auditkit.report.print_pdf: report.html printed by headless Chromium, atomically; a clear error without one."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from _report_helpers import chromium_or_skip, pdf_pages

from auditkit.exceptions import BrowserError, BrowserNotFoundError, InputError
from auditkit.report import print_pdf
from auditkit.report.pdf import find_browser
from auditkit.report.render import export_html


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


def _report(folder: Path, *cells: nbformat.NotebookNode) -> Path:
    """``folder/report.html`` exported (as a report is) from a notebook of ``cells``."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=list(cells)), folder / "report.ipynb")
    return export_html(folder / "report.ipynb", folder / "report.html")


def _markdown(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text)


def _html(html: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("display_data", data={"text/html": html})])


def test_each_section_starts_a_new_page(tmp_path, chromium):
    html = _report(tmp_path, _markdown("# Audit\n\nverdict"), _markdown("## Findings\n\nx"),
                   _markdown("## Fairness by group\n\ny"), _markdown("## Provenance\n\nz"))
    pdf = print_pdf(tmp_path)
    assert pdf == tmp_path / "report.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf_pages(pdf) == 4  # the first screen, then one page per section
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html", "report.ipynb", "report.pdf"]
    assert html.is_file()


def test_folded_sections_print_open(tmp_path, chromium):
    rows = "".join(f"<p>row {i}</p>" for i in range(300))
    _report(tmp_path / "folded", _markdown("# Audit"), _html(f"<details><summary>All rows</summary>{rows}</details>"))
    _report(tmp_path / "none", _markdown("# Audit"), _html("<details><summary>All rows</summary></details>"))
    folded, empty = print_pdf(tmp_path / "folded"), print_pdf(tmp_path / "none")
    assert pdf_pages(empty) == 1
    assert pdf_pages(folded) >= 5  # 300 rows: several pages, printed although folded on screen


def test_the_pdf_goes_where_it_is_asked(tmp_path, chromium):
    _report(tmp_path, _markdown("# Audit"))
    assert print_pdf(tmp_path / "report.html", tmp_path / "out" / "a.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_browser_that_fails_leaves_the_previous_pdf_and_no_temporary_file(tmp_path):
    html = _report(tmp_path, _markdown("# Audit"))
    (tmp_path / "report.pdf").write_bytes(b"%PDF- the previous one")
    false = "/bin/false" if Path("/bin/false").exists() else "/usr/bin/false"
    with pytest.raises(BrowserError, match=rf"^false did not print {html} to PDF \(exit status 1\)$"):
        print_pdf(tmp_path, browser=false)
    assert (tmp_path / "report.pdf").read_bytes() == b"%PDF- the previous one"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html", "report.ipynb", "report.pdf"]


def test_without_a_browser_the_error_says_so_and_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("AUDITKIT_CHROMIUM", raising=False)
    with pytest.raises(BrowserNotFoundError) as missing:
        find_browser()
    assert str(missing.value) == (
        "no Chromium or Chrome found to print the report to PDF (looked for chromium, chromium-browser, "
        "google-chrome, google-chrome-stable on PATH); install Chromium (Debian/Ubuntu: apt-get install chromium; "
        "macOS: brew install chromium) or Google Chrome, or set AUDITKIT_CHROMIUM to the browser's path; "
        "report.html prints from any browser too")


def test_the_environment_variable_names_the_browser(tmp_path, monkeypatch):
    browser = tmp_path / "my-chrome"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv("AUDITKIT_CHROMIUM", str(browser))
    assert find_browser() == str(browser)
    monkeypatch.setenv("AUDITKIT_CHROMIUM", str(tmp_path / "none"))
    with pytest.raises(BrowserNotFoundError, match=r"^AUDITKIT_CHROMIUM must name a Chromium or Chrome executable; "
                                                   r"got '.*/none', which is not an executable file or on PATH$"):
        find_browser()


def test_a_folder_without_a_report_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"^report to print must be a report.html file or a folder holding one; "
                                         rf"got '{tmp_path}', which has none$"):
        print_pdf(tmp_path, browser="unused")
    assert os.listdir(tmp_path) == []
