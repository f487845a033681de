"""report.html is exported without nbconvert's second parse of the page, and is the same document as nbconvert's."""

from __future__ import annotations

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from auditkit.report import html_export
from auditkit.report.render import HTML_TEMPLATE, TEMPLATES_DIR, export_html, html_exporter

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def _output(html: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})


def _notebook() -> nbformat.NotebookNode:
    """Prose, tables, images with and without alternative text, a PNG output, an error, several outputs a cell."""
    cells = [
        nbformat.v4.new_markdown_cell("# Audit of loans\n\nCosts $5 & more; <b>bold</b>.\n\n![a chart](data:image/png;"
                                      f"base64,{PNG})"),
        nbformat.v4.new_code_cell("sections.groups(doc)", outputs=[
            _output("<table class='x'><tr><th>group</th><td>a &amp; b</td></tr></table>"),
            _output(f"<div class='tex2jax_ignore'><img alt='Bars of &quot;rates&quot;' src='data:image/png;base64,"
                    f"{PNG}' width='3'/></div>"),
            _output(f"<p>no alt: <img src='data:image/png;base64,{PNG}'><br>line</p>")]),
        nbformat.v4.new_code_cell("plt.plot()", outputs=[
            nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def _nbconverts(exclude_input: bool) -> HTMLExporter:
    exporter = HTMLExporter(template_name=HTML_TEMPLATE, extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = exclude_input
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = exporter.embed_images = True
    return exporter


@pytest.mark.parametrize("exclude_input", [True, False])  # the report hides the code; the input areas as well
def test_the_page_is_the_document_nbconvert_writes(exclude_input):
    ours = html_exporter()
    ours.exclude_input = exclude_input
    resources = {"metadata": {"name": "auditkit audit report"}}
    notebook = _notebook()
    page, _ = ours.from_notebook_node(notebook, resources=dict(resources))
    theirs, _ = _nbconverts(exclude_input).from_notebook_node(notebook, resources=dict(resources))
    assert str(BeautifulSoup(page, "html.parser")) == theirs
    parsed = BeautifulSoup(page, "html.parser")
    assert len(parsed.select("img")) == 4 and not parsed.select("img:not([alt])")
    assert [img["alt"] for img in parsed.select("img")].count(html_export.NO_ALT) == 2  # markdown's has "a chart"
    assert parsed.select(".jp-Notebook div.jp-OutputArea-output[tabindex='0']")
    assert not parsed.select(".jp-Notebook div.jp-OutputArea-output:not([tabindex])")
    assert not parsed.select("div.jp-Cell-inputWrapper:not([tabindex])")


def test_export_never_parses_the_whole_page(tmp_path, monkeypatch):
    import bs4

    parsed = []
    original = bs4.BeautifulSoup.__init__

    def spy(self, *args, **kwargs):
        parsed.append(len(str(args[0])) if args else 0)
        original(self, *args, **kwargs)

    monkeypatch.setattr(bs4.BeautifulSoup, "__init__", spy)
    nbformat.write(_notebook(), tmp_path / "report.ipynb")
    export_html(tmp_path / "report.ipynb", tmp_path / "report.html")
    page = (tmp_path / "report.html").stat().st_size
    assert max(parsed, default=0) < page / 100  # only bits of text (nbconvert's markdown filters), never the page


def test_an_image_without_alternative_text_is_logged_as_nbconvert_does(caplog):
    exporter = html_exporter()
    with caplog.at_level("WARNING"):
        exporter.from_notebook_node(_notebook(), resources={"metadata": {"name": "x"}})
    assert "Alternative text is missing on 2 image(s)." in caplog.text
