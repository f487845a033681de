"""The HTML exporter warmed while the kernel runs the notebook: ready sooner, and the same HTML."""

from __future__ import annotations

import nbformat

from auditkit.report.render import export_html, html_exporter


def test_a_warmed_exporter_writes_the_same_html_as_a_new_one(tmp_path):
    html = "<img alt='bars' src='data:image/png;base64,AA'/>"
    image = nbformat.v4.new_output("display_data", data={"text/html": html})
    cells = [nbformat.v4.new_markdown_cell("# Audit of loans\n\nRates *by* group."),
             nbformat.v4.new_code_cell("sections.groups(doc)", outputs=[image])]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "report.ipynb")
    warmed = html_exporter(warm=True)
    cold = export_html(tmp_path / "report.ipynb", tmp_path / "cold.html").read_text()
    assert export_html(tmp_path / "report.ipynb", tmp_path / "warm.html", exporter=warmed).read_text() == cold
    assert "Audit of loans" in cold and "bars" in cold
