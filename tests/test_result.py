import json
import math

import numpy as np
import pytest

from auditkit import audit
from auditkit.report.views import findings_html, header_html
from auditkit.result import Finding, to_jsonable


def test_to_jsonable_turns_nan_and_numpy_into_json():
    value = {"a": np.float64("nan"), "b": np.int64(3), "c": [np.bool_(True), math.inf], "d": np.array([1.5])}
    assert to_jsonable(value) == {"a": None, "b": 3, "c": [True, None], "d": [1.5]}


def test_finding_rejects_unknown_severity():
    with pytest.raises(ValueError, match="severity must be one of"):
        Finding(id="x", step="s", severity="catastrophic", message="m")


def test_strings_from_data_are_escaped_in_html(frame):
    frame = frame.copy()
    frame["sex"] = frame["sex"].replace({"female": "<script>alert(1)</script>"})
    result = audit(data=frame, target="approved", sensitive=["sex"], predictions="decision")
    doc = json.loads(result.to_json())
    rendered = result._repr_html_() + header_html(doc) + findings_html(doc)
    assert "<script>alert(1)</script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result._repr_html_()


def test_failing_step_becomes_an_error_finding(frame, monkeypatch):
    from auditkit.steps import performance

    def boom(self, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(performance.PerformanceStep, "run", boom)
    result = audit(data=frame, target="approved", sensitive=["sex"], predictions="decision")
    assert result.failed_steps == ["performance"]
    errors = [f for f in result.findings if f.severity == "error"]
    assert "disk on fire" in errors[0].message
    assert "fairness" in result.to_dict()
