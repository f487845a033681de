"""Explanation views: render headless from audit.json + artifacts, escape every string."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from auditkit import audit
from auditkit.report import explain_views as views
from auditkit.report.render import write_audit
from auditkit.report.views import load

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
    import matplotlib.pyplot as plt

    shown = _captured(monkeypatch)
    monkeypatch.setattr(plt, "show", lambda: plt.close("all"))
    views.show(load(audit_dir), audit_dir)
    html = "".join(getattr(obj, "data", "") for obj in shown)
    assert "SHAP values satisfy additivity: max |sum + base − output| =" in html
    assert "LIME: local explanations" in html and "Do SHAP and LIME agree?" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_plots_read_the_artifacts(audit_dir):
    doc = load(audit_dir)
    rows = views.load_shap_artifacts(audit_dir)
    assert rows is not None and len(rows["values"]) == doc["dataset"]["n_rows"]
    top = doc["explanations"]["shap"]["top_features"]
    fig = views.plot_beeswarm(rows, top, "log-odds")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(reversed(top))
    fig = views.plot_dependence(rows, "region", "log-odds")
    assert {t.get_text() for t in fig.axes[0].get_xticklabels()} == {"north", "south", "east"}


def test_missing_artifacts_are_said_not_failed(audit_dir, monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    shown = _captured(monkeypatch)
    monkeypatch.setattr(plt, "show", lambda: plt.close("all"))
    views.show(load(audit_dir), tmp_path)  # a folder without artifacts/
    assert any("beeswarm and dependence plots are not shown" in getattr(o, "data", "") for o in shown)


def test_audit_without_explanations_shows_only_its_findings(monkeypatch):
    shown = _captured(monkeypatch)
    doc = {"findings": [{"id": "shap.needs_model", "step": "shap", "severity": "info",
                         "message": "No SHAP explanations: <needs> the model"}]}
    views.show(doc, ".")
    assert len(shown) == 1 and "&lt;needs&gt;" in shown[0].data
