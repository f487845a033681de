"""The report's papermill engine saves the executed notebook when the run starts and ends, not at every cell."""

from __future__ import annotations

import nbformat
import papermill.engines
from _report_helpers import fake_reports, kernel_imports_this_checkout

from auditkit.report.execute import execute_notebook


def test_the_notebook_is_saved_at_the_ends_of_the_run_not_at_each_cell(tmp_path, monkeypatch):
    kernel_imports_this_checkout(monkeypatch)
    saves = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: (saves.append(path), real(nb, path)))
    cells = [f"print({i})" for i in range(8)]
    source = fake_reports(tmp_path / "notebooks", *cells) / "audit_report.ipynb"
    out = tmp_path / "out.ipynb"
    execute_notebook(source, out, {"audit_dir": str(tmp_path)}, timeout=120, quiet=True)
    assert len(saves) == 2  # papermill's own engine: 2 per cell and 2 more (24 here)
    executed = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    assert [c.outputs[0]["text"] for c in executed if c.outputs] == [f"{i}\n" for i in range(8)]
    assert all(c.metadata.papermill["status"] == "completed" for c in executed)
