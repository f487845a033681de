"""Executing a report notebook: the running Python's kernel, a whole-report time limit, a failure named.

The report notebooks are replaced by tiny hand-made ones (``notebooks_dir`` points at a temporary
folder), so each test costs one kernel start (~2 s) and shows one behaviour: what a cell does is
in the test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from _report_helpers import fake_reports

from auditkit.exceptions import ReportError
from auditkit.report import notebooks
from auditkit.report.execute import running_python_kernel
from auditkit.report.render import render_report


@pytest.fixture
def reports(tmp_path, monkeypatch):
    """Make the report notebooks the cells given: ``reports(*cells)`` -> an audit folder to render."""
    def make(*cells: str) -> Path:
        monkeypatch.setattr(notebooks, "notebooks_dir", lambda: fake_reports(tmp_path / "notebooks", *cells))
        out = tmp_path / "audit"
        out.mkdir(exist_ok=True)
        (out / "audit.json").write_text(json.dumps({"schema_version": "1"}))
        return out
    return make


def executed(notebook: Path) -> list[nbformat.NotebookNode]:
    """The code cells of an executed notebook, without the one papermill injects."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [cell for cell in cells if cell.cell_type == "code"
            and "injected-parameters" not in cell.metadata.get("tags", [])]


# --- the kernel --------------------------------------------------------------------------------------------------

def _broken_python3_kernelspec(folder: Path) -> Path:
    """A Jupyter data folder whose ``python3`` kernel spec points to a Python that does not exist."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(folder / "no-such-python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (elsewhere)", "language": "python"}))
    return folder


def test_the_kernel_is_the_running_python_whatever_python3_kernel_spec_is_installed(reports, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(_broken_python3_kernelspec(tmp_path / "jupyter")))  # searched first
    out = reports("import sys\nprint(sys.executable)")
    render_report(out, quiet=True)
    printed = executed(out / "report.ipynb")[-1].outputs[0]["text"]
    assert printed.strip() == sys.executable
    assert nbformat.read(out / "report.ipynb", as_version=4).metadata.kernelspec.name == "python3"


def test_the_kernel_manager_sees_only_the_spec_made_for_this_python(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(_broken_python3_kernelspec(tmp_path / "jupyter")))
    kernel = running_python_kernel(tmp_path / "kernels")
    assert kernel.kernel_spec_manager.find_kernel_specs() == {"python3": str(tmp_path / "kernels" / "python3")}
    assert kernel.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]


# --- a failing cell is named, its notebook kept and marked ----------------------------------------------------------

def test_a_failing_cell_is_named_and_the_partly_executed_notebook_kept(reports):
    out = reports("x = 1", "# look it up\nvalue = {}['missing']", "print('never')")
    with pytest.raises(ReportError) as failed:
        render_report(out, quiet=True)
    kept = out / "report.failed.ipynb"
    assert str(failed.value) == (
        "the report notebook audit_report.ipynb failed at cell 3 (\"value = {}['missing']\"): KeyError: 'missing'; "
        f"the partly executed notebook is {kept}")
    assert (failed.value.cell, failed.value.error, failed.value.timeout) == (3, "KeyError: 'missing'", None)
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "report.failed.ipynb"]
    book = nbformat.read(kept, as_version=4)
    assert book.metadata.auditkit == {"status": "failed", "error": str(failed.value.kept_as(None))}
    assert "did not finish" in book.cells[0].source and "KeyError" in book.cells[0].source
    code = executed(kept)
    assert [cell.execution_count is not None for cell in code] == [True, True, True, False]
    assert code[-1].outputs == []


def test_a_kernel_that_dies_is_named_as_the_failure(reports):
    out = reports("import os\nos._exit(3)", "print('never')")
    with pytest.raises(ReportError, match=r'^the report notebook audit_report.ipynb failed at cell 2 \("import os"\): '
                                          r"DeadKernelError: Kernel died; the partly executed notebook is "):
        render_report(out, quiet=True)
    assert (out / "report.failed.ipynb").is_file() and not (out / "report.html").exists()


# --- the time limit is for the whole report -------------------------------------------------------------------

def test_a_report_running_past_its_time_limit_is_stopped_and_kept(reports):
    out = reports("import time", "time.sleep(120)", "print('never')")
    with pytest.raises(ReportError) as failed:
        render_report(out, report_timeout=3, quiet=True)
    assert str(failed.value) == ("the report notebook audit_report.ipynb did not finish within report_timeout=3 "
                                 "seconds: stopped at cell 3 (\"time.sleep(120)\"); the partly executed notebook is "
                                 f"{out / 'report.failed.ipynb'}")
    assert not (out / "report.html").exists()
    assert executed(out / "report.failed.ipynb")[-1].execution_count is None


def test_the_time_limit_is_for_all_cells_together_not_each(reports):
    """Ten cells of one second each: none is long, together they pass a 4-second limit."""
    out = reports(*["import time; time.sleep(1)"] * 10)
    with pytest.raises(ReportError, match="did not finish within report_timeout=4 seconds: stopped at cell"):
        render_report(out, report_timeout=4, quiet=True)
    ran = [cell.execution_count is not None for cell in executed(out / "report.failed.ipynb")]
    assert ran[0] and not ran[-1]


@pytest.mark.slow
def test_a_cell_that_ignores_the_interrupt_is_stopped_too(reports):
    out = reports("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(120)")
    with pytest.raises(ReportError, match=r"did not finish within report_timeout=2 seconds: stopped at cell 2 "
                                          r'\("import signal, time"\)'):
        render_report(out, report_timeout=2, quiet=True)
    assert nbformat.read(out / "report.failed.ipynb", as_version=4).metadata.auditkit["status"] == "failed"


@pytest.mark.parametrize("seconds", [0, -5, "60", True, float("inf")])
def test_a_time_limit_must_be_a_positive_number(reports, seconds):
    from auditkit.exceptions import InputError

    out = reports("print('never')")
    with pytest.raises(InputError, match=r"^report_timeout must be a number, above 0; got "):
        render_report(out, report_timeout=seconds)
    assert sorted(path.name for path in out.iterdir()) == ["audit.json"]
