"""What a failing step does to an audit: errors="record" keeps the traceback, errors="raise" stops with StepError."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from auditkit import AuditSpec, InputError, StepError, audit, audit_to_dir
from auditkit.result import StepResult
from auditkit.runner import run_step
from auditkit.steps import Step

DATA = {"target": "approved", "sensitive": ["sex"], "predictions": "decision", "seed": 0}


def _explode(depth: int) -> None:
    if depth == 0:
        raise RuntimeError("disk on fire")
    _explode(depth - 1)


@dataclass
class Boom(Step):
    name = "boom"
    section = "boom"

    def run(self, ctx) -> StepResult:
        _explode(2)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class BadInput(Step):
    name = "bad_input"
    section = "bad_input"

    def run(self, ctx) -> StepResult:
        raise InputError("bad_input step: the column 'x' is not in the data")


def test_recorded_failure_keeps_a_readable_message_and_the_traceback_in_audit_json(frame, tmp_path):
    spec = AuditSpec(data=frame, **DATA, steps=[Boom(), "performance"])
    result = audit_to_dir(spec, tmp_path / "out", report=False)
    assert result.failed_steps == ["boom"]
    assert "performance" in result.to_dict()  # the other steps still ran
    doc = json.loads((tmp_path / "out" / "audit.json").read_text())
    (finding,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert finding["id"] == "boom.failed" and finding["step"] == "boom"
    assert finding["message"] == "The boom step failed and its results are missing: RuntimeError: disk on fire"
    evidence = finding["evidence"]
    assert evidence["error_type"] == "RuntimeError" and evidence["error"] == "disk on fire"
    trace = evidence["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert trace.count("in _explode") == 3 and "in run" in trace
    assert trace.rstrip().endswith("RuntimeError: disk on fire")


def test_record_is_the_default_and_says_the_failure_on_stderr(frame, capsys):
    result = audit(data=frame, **DATA, steps=[Boom()])
    assert result.failed_steps == ["boom"]
    assert capsys.readouterr().err == "auditkit: step 'boom' failed: RuntimeError: disk on fire\n"


def test_raise_stops_the_audit_with_a_step_error_carrying_the_original(frame):
    with pytest.raises(StepError) as error:
        audit(data=frame, **DATA, steps=["performance", Boom(), "fairness"], errors="raise")
    assert str(error.value) == "step 'boom' failed: RuntimeError: disk on fire"
    assert error.value.step == "boom"
    assert isinstance(error.value.error, RuntimeError) and error.value.__cause__ is error.value.error


@pytest.mark.parametrize("errors", ["record", "raise"])
def test_an_input_error_from_a_step_is_raised_either_way(frame, errors):
    with pytest.raises(InputError, match=r"^bad_input step: the column 'x' is not in the data$"):
        audit(data=frame, **DATA, steps=[BadInput()], errors=errors)


@pytest.mark.parametrize("errors", ["ignore", True, None])
def test_errors_takes_record_or_raise(frame, errors):
    with pytest.raises(InputError) as error:
        audit(data=frame, **DATA, steps=["performance"], errors=errors)
    assert str(error.value).startswith(f"errors must be one of record, raise; got {errors!r}")


@dataclass
class Impersonator(Step):
    name = "impersonator"
    section = "fairness"

    def run(self, ctx) -> StepResult:
        return StepResult(name="impersonator", section="provenance", payload={"auditkit_version": "forged"})


def test_a_result_outside_the_declared_section_is_a_recorded_failure(frame):
    result = audit(data=frame, **DATA, steps=[Impersonator()])
    (finding,) = result.findings
    assert finding.message == ("The impersonator step failed and its results are missing: TypeError: "
                               "Impersonator.run returned the result of step 'impersonator' in section "
                               "'provenance'; the step is 'impersonator' and declares section 'fairness'")
    assert result.to_dict()["provenance"] == result.provenance


def test_run_step_is_what_the_audit_runs(frame):
    from auditkit import build_context

    ctx = build_context(AuditSpec(data=frame, **DATA))
    recorded = run_step(Boom(), ctx)
    assert recorded.section == "checks" and recorded.findings[0].id == "boom.failed"
    with pytest.raises(StepError, match="^step 'boom' failed"):
        run_step(Boom(), ctx, errors="raise")
