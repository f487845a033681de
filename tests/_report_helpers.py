"""Helpers for the report tests: stand-in report notebooks, headless Chromium, the rendered DOM, PDF pages."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from auditkit.exceptions import BrowserNotFoundError
from auditkit.report.pdf import browser_flags, find_browser

REPO_ROOT = Path(__file__).resolve().parents[1]
# Set by .ci/run once Chromium is installed: a missing browser then fails the browser tests instead of skipping them.
REQUIRE_CHROMIUM = "AUDITKIT_REQUIRE_CHROMIUM"
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
LOADING_ATTRIBUTES = ("src", "href", "data", "poster", "srcset", "action", "formaction", "background")


def fake_reports(folder: Path, *cells: str, name: str = "audit_report.ipynb") -> Path:
    """A report notebook ``name`` in ``folder``: a title, a ``parameters`` cell (``audit_dir``), then ``cells``."""
    parameters = nbformat.v4.new_code_cell("audit_dir = None")
    parameters.metadata["tags"] = ["parameters"]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A report"), parameters,
                                           *(nbformat.v4.new_code_cell(source) for source in cells)])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, folder / name)
    return folder


def kernel_imports_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report kernel (a child process) imports the auditkit under test, whatever the working folder."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), path]) if path else str(REPO_ROOT))


def chromium_or_skip() -> str:
    """The Chromium that auditkit would use; else skip the test saying why (fail when CI requires one)."""
    try:
        return find_browser()
    except BrowserNotFoundError as missing:
        if os.environ.get(REQUIRE_CHROMIUM):
            pytest.fail(f"{REQUIRE_CHROMIUM} is set, but {missing}")
        pytest.skip(f"needs headless Chromium, and {missing}")


def dump_dom(html: Path, browser: str) -> BeautifulSoup:
    """The DOM of ``html`` as headless Chromium renders it (after its scripts ran), parsed."""
    with tempfile.TemporaryDirectory(prefix="auditkit-test-chromium-") as profile:
        done = subprocess.run([browser, *browser_flags(profile), "--dump-dom", html.resolve().as_uri()],
                              capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return BeautifulSoup(done.stdout, "html.parser")


def remote_loads(page: BeautifulSoup) -> list[str]:
    """Everything in ``page`` that a browser would fetch from the network (plain ``<a>`` links excepted)."""
    found = [f"<{tag.name} {name}={tag[name]!r}>" for tag in page.find_all(True) if tag.name != "a"
             for name in LOADING_ATTRIBUTES if tag.has_attr(name) and REMOTE.match(str(tag[name]))]
    for script in page.find_all("script"):
        found += [f"<script> fetching {url}" for url in re.findall(r"https?://[^\s'\"]+", script.get_text())]
    for style in page.find_all("style"):
        css = style.get_text()
        found += [f"<style> {rule}" for rule in re.findall(r"(?:@import|url\()\s*['\"]?(?:https?:)?//[^)'\"\s]+", css)]
    return found


def pdf_pages(pdf: Path) -> int:
    """The number of pages of a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
