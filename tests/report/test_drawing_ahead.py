"""The report kernel draws each finished step's figures while the audit runs; the audit tells it when."""

from __future__ import annotations

import time

import nbformat
from _report_helpers import fake_reports, kernel_imports_this_checkout
from _result_fixtures import full_audit

import auditkit
from auditkit.report.execute import ReportKernel, execute_notebook
from auditkit.result import AuditResult


def test_the_audit_says_after_each_step_what_it_has_so_far():
    seen = []
    result = auditkit.audit(data="german", sample=200, seed=1, steps=["performance", "fairness"], progress=False,
                            step_options={"fairness": {"n_boot": 20}},
                            step_done=lambda so_far: seen.append((so_far, [s.name for s in so_far.steps])))
    assert [names for _, names in seen] == [["performance"], ["performance", "fairness"]]
    last = seen[-1][0]
    assert isinstance(last, AuditResult) and last.dataset == result.dataset
    assert last.step("fairness") is result.step("fairness")


def test_a_kernel_draws_a_finished_steps_figures_before_the_notebook_runs(tmp_path, monkeypatch):
    kernel_imports_this_checkout(monkeypatch)
    result = full_audit()
    so_far = AuditResult(provenance={}, dataset=result.dataset, steps=result.steps[: 4])  # up to fairness
    assert so_far.steps[-1].name == "fairness"
    with ReportKernel() as kernel:
        kernel.draw_ahead(AuditResult(provenance={}, dataset=result.dataset, steps=result.steps[:3]))  # no figures
        kernel.draw_ahead(so_far)
        saved = sorted(path.name for path in kernel.folder.glob("so-far-*"))
        time.sleep(1)
        source = fake_reports(tmp_path / "notebooks", "from auditkit.report.figure_cache import kept_figures\n"
                              "print(kept_figures())") / "audit_report.ipynb"
        out = tmp_path / "out.ipynb"
        execute_notebook(source, out, {"audit_dir": str(tmp_path)}, timeout=120, quiet=True, kernel=kernel)
    kept = int(nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"])
    assert saved == ["so-far-1"]  # saved for the step with figures only
    assert kept > 3  # the fairness figures: rates by grouping, disparities, calibration


def test_a_kernel_that_did_not_start_is_not_asked_to_draw(tmp_path):
    kernel = ReportKernel()  # never started
    kernel.draw_ahead(full_audit())
    assert not list(kernel.folder.glob("so-far-*"))
    kernel.close()
