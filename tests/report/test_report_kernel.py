"""A report kernel started ahead: it imports what reports use while the audit runs, and the notebook runs on it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
from _report_helpers import fake_reports, kernel_imports_this_checkout

import auditkit
from auditkit.report import execute, render
from auditkit.report.execute import WARM_UP_IMPORTS, ReportKernel, execute_notebook

SHOW_LOADED = ("import sys\n"
               f"print(sorted(name for name in {WARM_UP_IMPORTS!r} if name in sys.modules))\n"
               "print(sys.executable)")


def run_cells(tmp_path: Path, *cells: str, kernel: ReportKernel | None) -> list[nbformat.NotebookNode]:
    source = fake_reports(tmp_path / "notebooks", *cells) / "audit_report.ipynb"
    out = tmp_path / "out.ipynb"
    execute_notebook(source, out, {"audit_dir": str(tmp_path)}, timeout=120, quiet=True, kernel=kernel)
    return [cell for cell in nbformat.read(out, as_version=4).cells if cell.cell_type == "code"
            and "injected-parameters" not in cell.metadata.get("tags", [])]


def test_a_kernel_started_ahead_has_imported_what_reports_use(tmp_path, monkeypatch):
    kernel_imports_this_checkout(monkeypatch)
    with ReportKernel() as kernel:
        assert kernel.started
        time.sleep(1)  # the audit would run meanwhile
        cells = run_cells(tmp_path, SHOW_LOADED, kernel=kernel)
    loaded, python = cells[-1].outputs[0]["text"].splitlines()
    assert loaded == str(sorted(WARM_UP_IMPORTS)) and python == sys.executable
    # the warm-up is not an execution of the notebook: its cells count from 1 as always (2: papermill's parameters)
    assert [cell.execution_count for cell in cells] == [1, 3]
    assert not kernel.folder.exists()  # shut down and removed on leaving


def test_without_a_kernel_ahead_the_report_starts_a_fresh_one(tmp_path, monkeypatch):
    kernel_imports_this_checkout(monkeypatch)
    cells = run_cells(tmp_path, SHOW_LOADED, kernel=None)
    assert cells[-1].outputs[0]["text"].splitlines()[0] == "[]"
    assert [cell.execution_count for cell in cells] == [1, 3]


def test_a_kernel_that_cannot_start_leaves_the_report_to_start_its_own(tmp_path, monkeypatch):
    kernel_imports_this_checkout(monkeypatch)

    def broken(spec_dir):
        raise OSError("no kernel today")

    with monkeypatch.context() as patch:
        patch.setattr(execute, "running_python_kernel", broken)
        kernel = ReportKernel()
        kernel.start()
    assert not kernel.started
    cells = run_cells(tmp_path, "print(6 * 7)", kernel=kernel)
    assert cells[-1].outputs[0]["text"] == "42\n"
    kernel.close()
    assert not kernel.folder.exists()


@pytest.mark.parametrize(("report", "started"), [("bias", True), (False, None)])
def test_audit_to_dir_starts_the_report_kernel_before_the_audit(tmp_path, monkeypatch, report, started):
    seen = {}
    audit = auditkit.runner.audit

    def audit_seeing_the_kernel(*args, **kwargs):
        seen["during audit"] = [kernel.started for kernel in kernels]
        return audit(*args, **kwargs)

    kernels: list[ReportKernel] = []
    real_start = ReportKernel.start

    def start(self):
        kernels.append(self)
        real_start(self)

    def commit_report(folder, **settings):
        seen["given"] = settings["kernel"]
        return folder.path / "report.html"

    monkeypatch.setattr(ReportKernel, "start", start)
    monkeypatch.setattr(auditkit.runner, "audit", audit_seeing_the_kernel)
    monkeypatch.setattr(render, "commit_report", commit_report)
    auditkit.audit_to_dir(out_dir=tmp_path / "out", data="german", sample=100, seed=1, steps=["performance"],
                          report=report, quiet=True, progress=False)
    if started is None:
        assert kernels == [] and "given" not in seen
    else:
        assert seen["during audit"] == [True]
        assert seen["given"] is kernels[0]
        assert not kernels[0].folder.exists()  # shut down once the report is written
