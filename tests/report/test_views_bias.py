"""Bias views: frames straight from audit.json, every string escaped."""

from __future__ import annotations

import json

from auditkit import audit
from auditkit.report import bias_views as _views_bias


def test_every_section_renders_and_strings_are_escaped(frame):
    data = frame.assign(region=frame["region"].replace("east", "<script>alert(1)</script>"))
    result = audit(data=data, target="approved", sensitive=["sex", "region"], predictions="decision", scores="score",
                   steps=["data_bias", "fairness"], step_options={"fairness": {"n_boot": 50},
                                                               "data_bias": {"n_boot": 20}},
                   policy={"demographic_parity_difference": {"max": 0.01}})
    doc = json.loads(result.to_json())
    html = _views_bias.bias_html(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html
    for title in ("Policy checks", "Disparities", "Each group against the reference", "Representation",
                  "Outcome by group in the data", "Proxies of sensitive features", "Calibration by sex"):
        assert f"<h3>{title}</h3>" in html
    comparisons = _views_bias.comparisons_frame(doc)
    assert len(comparisons) == len(doc["fairness"]["comparisons"])
    assert comparisons["adjusted p"].tolist() == [c["p_adjusted"] for c in doc["fairness"]["comparisons"]]
    checks = _views_bias.checks_frame(doc)
    assert set(checks["status"]) == {"failed"} and checks["threshold"].iloc[0] == "max 0.01"


def test_an_audit_without_bias_sections_shows_nothing():
    assert _views_bias.bias_html({"dataset": {}}) == ""
