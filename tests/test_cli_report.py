"""The command line's report options: --report KIND, --report-timeout, and ``auditkit report DIR [--pdf]``.

Reports that fail are stand-in notebooks (``notebooks_dir`` points at a temporary folder): one
kernel start each. Real report notebooks run in two tests (one needs Chromium); the other kinds
are slow tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from _report_helpers import chromium_or_skip, fake_reports, kernel_imports_this_checkout, pdf_pages

import auditkit
from auditkit.cli import main
from auditkit.report import notebooks
from auditkit.report.notebooks import REPORT_STEPS

FAST = ["--data", "compas", "--predictions", "compas_high_risk", "--sample", "300"]


@pytest.fixture(autouse=True)
def _kernel_imports_this_checkout(monkeypatch):
    kernel_imports_this_checkout(monkeypatch)


def _steps(out: Path) -> list[str]:
    return [step["name"] for step in json.loads((out / "audit.json").read_text())["steps"]]


def _notebook_kind(out: Path) -> str:
    return Path(nbformat.read(out / "report.ipynb", as_version=4).metadata.papermill.input_path).name


def _one_line_error(capsys, status: int, expected_status: int) -> str:
    err = capsys.readouterr().err
    assert status == expected_status, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


# --- auditkit audit --report KIND -----------------------------------------------------------------------------

def test_audit_renders_the_report_it_is_asked_for_with_the_steps_that_report_shows(tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", *FAST, "--report", "bias", "--out", str(out), "-q"]) == 0
    assert capsys.readouterr().out == f"{out / 'report.html'}\n"
    assert _notebook_kind(out) == "bias_report.ipynb"
    assert _steps(out) == list(REPORT_STEPS["bias"])
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "model_card.md", "report.html",
                                                           "report.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "notebook", "steps"), [
    ("explain", "explainability_report.ipynb", list(REPORT_STEPS["explain"])),
    ("full", "audit_report.ipynb", list(auditkit.registry.DEFAULT_STEPS)),
])
def test_each_report_kind_renders_its_notebook(tmp_path, kind, notebook, steps):
    out = tmp_path / "audit"
    assert main(["audit", "--data", "german", "--sample", "300", "--report", kind, "--out", str(out), "-q"]) == 0
    assert _notebook_kind(out) == notebook
    assert _steps(out) == steps
    assert (out / "report.html").is_file()


def test_steps_given_win_over_the_reports_own(tmp_path):
    out = tmp_path / "audit"
    assert main(["audit", *FAST, "--report", "none", "--steps", "performance", "--out", str(out), "-q"]) == 0
    assert _steps(out) == ["performance"]


@pytest.mark.parametrize("no_report", [["--report", "none"], ["--no-report"]])
def test_no_report_writes_the_audit_and_model_card_only(tmp_path, capsys, no_report):
    out = tmp_path / "audit"
    assert main(["audit", *FAST, "--steps", "performance", *no_report, "--out", str(out), "-q"]) == 0
    assert capsys.readouterr().out == f"{out / 'audit.json'}\n"
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "model_card.md"]


def _status(arguments: list[str]) -> int:
    """The exit status of ``auditkit ARGUMENTS``: returned by main, or raised by argparse on a usage error."""
    try:
        return main(arguments)
    except SystemExit as exited:
        return exited.code


@pytest.mark.parametrize(("arguments", "message"), [
    (["--report", "bias", "--no-report"], r"argument --no-report: not allowed with argument --report "
                                          r"\(see 'auditkit audit --help'\)"),
    (["--report", "pdf"], r"argument --report: invalid choice: 'pdf' \(choose from '?bias'?, '?explain'?, '?full'?, "
                          r"'?none'?\) \(see 'auditkit audit --help'\)"),
    (["--report-timeout", "soon"], r"argument --report-timeout: must be a number of seconds; got 'soon' "
                                   r"\(see 'auditkit audit --help'\)"),
    (["--report-timeout", "0"], r"report_timeout must be a number, above 0; got 0 \(int\)"),
])
def test_bad_report_options_are_one_line_errors_before_any_audit(tmp_path, capsys, arguments, message):
    out = tmp_path / "audit"
    status = _status(["audit", *FAST, *arguments, "--out", str(out), "-q"])
    assert re.fullmatch(f"auditkit: error: {message}\n", _one_line_error(capsys, status, 2))
    assert not out.exists()


# --- a report that fails or runs out of time ----------------------------------------------------------------

def test_a_failing_report_names_the_cell_keeps_the_audit_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(notebooks, "notebooks_dir",
                        lambda: fake_reports(tmp_path / "nb", "import json", "value = {}['missing']"))
    out = tmp_path / "audit"
    status = main(["audit", *FAST, "--steps", "performance", "--report", "full", "--out", str(out), "-q"])
    err = _one_line_error(capsys, status, 1)
    assert err == ("auditkit: error: the report notebook audit_report.ipynb failed at cell 3 "
                   f"(\"value = {{}}['missing']\"): KeyError: 'missing'; the partly executed notebook is "
                   f"{out / 'report.failed.ipynb'}\n")
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "model_card.md", "report.failed.ipynb"]


def test_a_report_out_of_time_names_the_cell_and_the_option(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(notebooks, "notebooks_dir", lambda: fake_reports(tmp_path / "nb", "import time",
                                                                         "time.sleep(120)"))
    out = tmp_path / "audit"
    out.mkdir()
    (out / "audit.json").write_text("{}")
    status = main(["report", str(out), "--report-timeout", "2", "-q"])
    err = _one_line_error(capsys, status, 1)
    assert err == ("auditkit: error: the report notebook audit_report.ipynb did not finish within --report-timeout 2 "
                   "seconds: stopped at cell 3 (\"time.sleep(120)\"); the partly executed notebook is "
                   f"{out / 'report.failed.ipynb'}\n")


# --- auditkit report DIR [--pdf] ---------------------------------------------------------------------------

def test_report_re_renders_a_saved_audit_and_prints_it(tmp_path, capsys):
    chromium_or_skip()
    out = tmp_path / "audit"
    auditkit.audit_to_dir(out_dir=out, data="compas", predictions="compas_high_risk", sample=300,
                          steps=["performance", "fairness"], report=False, progress=False)
    assert main(["report", str(out), "--kind", "bias", "--pdf", "-q"]) == 0
    assert capsys.readouterr().out == f"{out / 'report.html'}\n{out / 'report.pdf'}\n"
    assert _notebook_kind(out) == "bias_report.ipynb"
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-" and pdf_pages(out / "report.pdf") > 2
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "model_card.md", "report.html",
                                                           "report.ipynb", "report.pdf"]


def test_report_keeps_the_kind_the_folders_report_was(tmp_path):
    from auditkit.report.render import previous_report_kind

    nbformat.write(nbformat.v4.new_notebook(metadata={"papermill": {"input_path": "/x/explainability_report.ipynb"}}),
                   tmp_path / "report.ipynb")
    assert previous_report_kind(tmp_path) == "explain"
    (tmp_path / "report.ipynb").unlink()
    assert previous_report_kind(tmp_path) == "full"


def test_report_needs_a_saved_audit(tmp_path, capsys):
    status = main(["report", str(tmp_path)])
    err = _one_line_error(capsys, status, 2)
    assert err == (f"auditkit: error: no saved audit in '{tmp_path}': expected a folder holding audit.json "
                   "(as an audit writes it)\n")


def test_report_pdf_without_chromium_says_so_before_rendering(tmp_path, capsys, monkeypatch):
    out = tmp_path / "audit"
    out.mkdir()
    (out / "audit.json").write_text("{}")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("AUDITKIT_CHROMIUM", raising=False)
    status = main(["report", str(out), "--pdf"])
    err = _one_line_error(capsys, status, 2)
    assert err.startswith("auditkit: error: no Chromium or Chrome found to print the report to PDF (looked for ")
    assert "apt-get install chromium" in err and "AUDITKIT_CHROMIUM" in err
    assert sorted(path.name for path in out.iterdir()) == ["audit.json"]  # no notebook was run
