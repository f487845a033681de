"""Explanation views: render headless from audit.json + artifacts, escape every string."""

import re
from html import unescape

import matplotlib
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from auditkit import audit
from auditkit.report import explain_views as views
from auditkit.report.render import write_audit
from auditkit.report.views import load, load_result

matplotlib.use("Agg")
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"income": rng.normal(50, 15, n).round(1), "region": rng.choice(["north", "south", "east"], n),
                          "sex": rng.choice([HOSTILE, "male"], n)})
    frame["approved"] = ((frame["income"] + 10 * (frame["region"] == "south") + rng.normal(0, 10, n)) > 55).astype(int)
    options = {"lime": {"n_instances": 3, "repeats": 2, "num_samples": 300}}
    with threadpool_limits(limits=1, user_api="openmp"):  # small data: as fast, and calm on a busy machine
        result = audit(data=frame, target="approved", sensitive=["sex"], steps=["shap", "lime", "agreement"],
                       step_options=options)
    out = tmp_path_factory.mktemp("audit")
    write_audit(result, out)
    return out


def _captured(monkeypatch) -> list:
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    return shown


def test_show_renders_every_section_escaped(audit_dir, monkeypatch):
    shown = _captured(monkeypatch)
    views.show(load(audit_dir), load_result(audit_dir))
    html = "".join(getattr(obj, "data", "") for obj in shown)
    assert "SHAP values satisfy additivity: max |sum + base − output| =" in html
    assert "LIME: local explanations" in html and "Do SHAP and LIME agree?" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_plots_are_result_plot_with_alternative_text(audit_dir, monkeypatch):
    shown = _captured(monkeypatch)
    doc = load(audit_dir)
    views.show(doc, load_result(audit_dir))
    html = "".join(getattr(obj, "data", "") for obj in shown)
    alts = [unescape(a) for a in re.findall(r"<img alt='([^']*)'", html)]
    top = doc["explanations"]["shap"]["top_features"]
    assert [a.split(". ")[0] for a in alts] == [
        "Horizontal bar chart of the mean absolute SHAP value per feature",
        "Beeswarm plot: one dot per explained row and feature",
        *["Dependence plot of one feature's SHAP values"] * len(top),
        "Horizontal bar chart of each feature's part in the gaps between groups",
    ]
    assert [a.split(". ")[1] for a in alts[2:-1]] == [f"Dependence: {f}" for f in top]


def test_missing_artifacts_are_said_not_failed(audit_dir, monkeypatch):
    shown = _captured(monkeypatch)
    result = load_result(audit_dir)
    result.step("shap").artifacts.clear()  # a folder without artifacts/
    views.show(load(audit_dir), result)
    assert any("beeswarm and dependence plots are not shown" in getattr(o, "data", "") for o in shown)


def test_audit_without_explanations_points_to_its_findings(monkeypatch):
    shown = _captured(monkeypatch)
    doc = {"findings": [{"id": "shap.needs_model", "step": "shap", "severity": "info",
                         "message": "No SHAP explanations: <needs> the model"}]}
    views.show(doc, ".")
    assert len(shown) == 1 and "No explanations in this audit" in shown[0].data
    assert "The explanation steps left 1 finding (shap: 1 info); it is in the findings list" in shown[0].data
    assert "needs" not in shown[0].data  # the finding itself is shown once, in the findings list
