"""``auditkit demo``: its stated budgets, and the command's process kept free of imports it never uses."""

from __future__ import annotations

import subprocess
import sys

import pytest

import auditkit
import auditkit.runner
from auditkit import cli
from auditkit.report.explain_views import shap_summary_html
from auditkit.steps.lime_step import LimeStep


def test_the_demo_audits_adult_with_every_step_and_a_stated_lime_budget(tmp_path, monkeypatch):
    seen = {}

    def audit_to_dir(spec, out, **settings):
        seen.update(spec=spec, out=out, report=settings["report"])
        raise auditkit.InputError("stop here")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(auditkit.runner, "audit_to_dir", audit_to_dir)
    assert cli.main(["demo"]) == 2
    spec = seen["spec"]
    assert (spec.data, spec.steps, seen["report"], str(seen["out"])) == ("adult", None, "full", "reports/demo")
    assert spec.step_options == {"lime": {"num_samples": 1000}}
    assert LimeStep().num_samples == 5000  # audits other than the demo keep LIME's usual budget


def test_the_report_states_the_budgets_the_demo_uses():
    lime_options = {**cli.DEMO_SETTINGS["step_options"]["lime"], "n_instances": 2, "repeats": 2}
    result = auditkit.audit(data="german", sample=300, seed=1, steps=["shap", "lime"], progress=False,
                            step_options={"shap": {"max_rows": 120}, "lime": lime_options})
    explanations = result.to_dict()["explanations"]
    assert "(1000 perturbed samples each;" in auditkit.report.explain_views.lime_html(explanations["lime"])
    summary = shap_summary_html(explanations["shap"])
    assert "Rows explained: a seeded sample of 120 of 300 audited rows." in summary
    # the reference model sees each column once: no dummies summed
    assert "Features are the original columns, each one input of the model." in summary


RUN = ("import sys; from auditkit.cli import main; main(['datasets']); import nbformat, papermill; "
       "nbformat.validate(nbformat.v4.new_notebook()); print(sys.modules['rfc3987_syntax'])")


def test_the_command_imports_papermill_without_compiling_iri_grammars():
    out = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "None"  # kept out: nbformat and papermill work without it


@pytest.mark.parametrize("first", ["jsonschema", "rfc3987_syntax"])
def test_a_process_that_imported_them_first_keeps_them(first):
    code = f"import {first}; " + RUN
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1].startswith("<module 'rfc3987_syntax'")


@pytest.mark.parametrize(("call", "frozen"), [("main()", "True"), ("main(['datasets'])", "False")])
def test_the_program_leaves_its_objects_to_the_os_at_exit_and_a_caller_keeps_them(call, frozen):
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))  # runs after the command's\n"
            "from auditkit.cli import main\n"
            f"sys.argv = ['auditkit', 'datasets']\n{call}\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["adult", "compas", "german", "frozen", frozen]
