"""The report notebooks run an audit from their ``parameters`` cell under plain papermill (CLI and Python API).

``papermill notebooks/bias_report.ipynb out.ipynb -p data compas -p predictions compas_high_risk``
runs an audit in the kernel through one library call (:func:`auditkit.notebook.run_for_notebook`);
``audit_dir`` instead re-renders a saved audit, as ``auditkit report`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

import auditkit
from auditkit.exceptions import InputError
from auditkit.notebook import run_for_notebook
from auditkit.report import notebook_path
from auditkit.report.render import write_audit

SETTINGS = ("data", "target", "positive_label", "sensitive", "model", "predictions", "scores", "seed", "steps",
            "policy", "data_name", "model_name", "sample")
KINDS = ("bias", "full")
ALL_KINDS = ("bias", "explain", "full")
FAST = {"data": "compas", "predictions": "compas_high_risk", "sample": 300, "steps": "performance,fairness"}
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _kernel_imports_this_checkout(monkeypatch):
    """The kernel (a child process) imports the auditkit under test, whatever the working folder."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), path]) if path else str(REPO_ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _outputs(notebook: Path) -> list:
    cells = nbformat.read(notebook, as_version=4).cells
    return [output for cell in cells if cell.cell_type == "code" for output in cell.outputs]


def _html(outputs: list) -> str:
    return "\n".join(str(output.get("data", {}).get("text/html", "")) for output in outputs)


def _assert_fairness_report(notebook: Path, n_rows: int) -> None:
    outputs = _outputs(notebook)
    assert [output for output in outputs if output.output_type == "error"] == []
    html = _html(outputs)
    assert f"compas — {n_rows}" in html  # the header names the data audited and its rows
    for grouping in ("race", "sex", "race × sex"):  # compas's documented sensitive columns and their intersection
        assert f"<h3>{grouping}</h3>" in html
    assert "selection_rate" in html and "<h3>Disparities</h3>" in html


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_inspect_notebook_lists_every_setting_with_its_help(kind):
    parameters = pm.inspect_notebook(str(notebook_path(kind)))
    assert set(SETTINGS) | {"audit_dir"} <= set(parameters)
    undocumented = [name for name, parameter in parameters.items() if len(parameter["help"]) < 20]
    assert undocumented == []
    assert parameters["audit_dir"]["help"].startswith("alternative: a folder holding a saved audit.json")
    assert parameters["audit_dir"]["default"] == "None"


@pytest.mark.parametrize(("kind", "name"), [("bias", "bias_report.ipynb"), ("explain", "explainability_report.ipynb"),
                                            ("full", "audit_report.ipynb")])
def test_notebook_path_finds_the_notebooks(kind, name):
    assert notebook_path(kind).name == name
    assert notebook_path(kind).is_file()


def test_notebook_path_refuses_an_unknown_kind():
    with pytest.raises(InputError, match=r"^report kind must be one of 'bias', 'explain', 'full'; got 'pdf'$"):
        notebook_path("pdf")


def test_bias_report_runs_an_audit_through_the_papermill_api(tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(notebook_path("bias")), str(out), parameters={**FAST, "out_dir": str(tmp_path / "audit")},
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    _assert_fairness_report(out, 300)
    doc = auditkit.AuditResult.from_json(tmp_path / "audit").to_dict()
    assert [step["name"] for step in doc["steps"]] == ["performance", "fairness"]
    assert doc["dataset"]["n_rows"] == 300


def test_bias_report_runs_an_audit_through_the_papermill_cli(tmp_path):
    out = tmp_path / "out.ipynb"
    command = [sys.executable, "-m", "papermill", str(notebook_path("bias")), str(out), "--cwd", str(tmp_path),
               "-p", "data", "compas", "-p", "predictions", "compas_high_risk", "-p", "sample", "300",
               "-p", "steps", "performance,fairness", "--kernel", "python3", "--no-progress-bar"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    _assert_fairness_report(out, 300)


@pytest.mark.parametrize("kind", KINDS)
def test_audit_dir_re_renders_a_saved_audit(kind, tmp_path):
    result = auditkit.audit(**{**FAST, "steps": ["performance", "fairness"]}, progress=False)
    write_audit(result, tmp_path / "audit")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(notebook_path(kind)), str(out), parameters={"audit_dir": str(tmp_path / "audit")},
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    _assert_fairness_report(out, 300)


# --- run_for_notebook: parameters as papermill passes them ------------------------------------------------------------

def test_settings_as_papermill_passes_them(tmp_path):
    """Empty strings and None are unset; comma-separated strings are lists; the report picks the default steps."""
    folder = run_for_notebook(report="bias", out_dir=tmp_path, data="compas", predictions="compas_high_risk",
                              sample=300, sensitive="race, sex", model="", scores=None, seed=None, steps=None)
    doc = auditkit.AuditResult.from_json(folder).to_dict()
    assert folder == tmp_path
    assert [step["name"] for step in doc["steps"]] == ["data_overview", "data_bias", "performance", "fairness"]
    assert doc["dataset"]["sensitive_features"] == ["race", "sex"]


def test_audit_dir_is_returned_as_is(tmp_path):
    write_audit(auditkit.audit(**{**FAST, "steps": ["performance"]}, progress=False), tmp_path)
    assert run_for_notebook(str(tmp_path), data=None, model="", seed=None) == tmp_path


@pytest.mark.parametrize(("audit_dir", "settings", "message"), [
    ("saved", {"data": "compas", "sample": 300},
     r"^give either audit_dir \(to re-render a saved audit\) or the audit's settings, not both; "
     r"got audit_dir='saved' and data='compas', sample=300$"),
    (None, {"predictions": "decision"},
     r"^data is required to run an audit \(or audit_dir to re-render a saved one\); got neither$"),
    ("", {}, r"^data is required to run an audit \(or audit_dir to re-render a saved one\); got neither$"),
    ("no-such-folder", {}, r"^audit_dir must be a folder holding audit.json; got 'no-such-folder'$"),
])
def test_bad_parameters_are_one_line_input_errors(audit_dir, settings, message):
    with pytest.raises(InputError, match=message):
        run_for_notebook(audit_dir, **settings)


def test_the_readme_says_how_to_run_them_with_papermill():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "papermill notebooks/bias_report.ipynb out.ipynb -p data compas -p predictions compas_high_risk" in readme
    assert "auditkit.report.notebook_path(" in readme
