"""``auditkit demo``: the audit it runs and the budgets its report states."""

from __future__ import annotations

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
