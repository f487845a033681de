"""check_step: every built-in step keeps the Step contract, and each way of breaking it is named."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from auditkit.params import Interval, ListOf, Options
from auditkit.result import Finding, StepResult
from auditkit.steps import (
    AgreementStep,
    DataBiasStep,
    DataOverviewStep,
    FairnessStep,
    LimeStep,
    PerformanceStep,
    ShapStep,
    Step,
)
from auditkit.testing import check_step, small_context

QUICK_LIME = {"n_instances": 2, "repeats": 2, "num_samples": 200}


@dataclass
class Good(Step):
    threshold: float = 0.5
    label: str = "share"

    name = "good"
    section = "good"
    constraints = {"threshold": [Interval(float, 0, 1)], "label": [Options(("share", "count"))]}

    def run(self, ctx) -> StepResult:
        sample = ctx.rng("good.sample").choice(ctx.n_rows, size=10, replace=False)
        share = float(ctx.y_pred[sample].mean())
        table = pd.DataFrame({"row": sample, "decision": ctx.y_pred[sample]})
        findings = [self.finding("low", "share", f"{share:.0%} positive", {"share": share})] if share > 0 else []
        return self.result(payload={self.label: share, "rows": np.sort(sample)}, tables={"sample": table},
                           findings=findings)


def problems_of(step) -> str:
    with pytest.raises(AssertionError) as error:
        check_step(step)
    return str(error.value)


@pytest.mark.parametrize("step", [PerformanceStep(), DataOverviewStep(), FairnessStep(n_boot=50),
                                  DataBiasStep(n_boot=50)], ids=lambda s: s.name)
def test_builtin_steps_pass(step):
    results = check_step(step)
    assert set(results) == {"reference", "predictions"}
    assert all(r.name == step.name and r.section == step.section for r in results.values())


@pytest.mark.slow
@pytest.mark.parametrize(("step", "options"), [
    (ShapStep(), None), (LimeStep(**QUICK_LIME), None), (AgreementStep(), {"lime": QUICK_LIME})],
    ids=["shap", "lime", "agreement"])
def test_builtin_explanation_steps_pass(step, options):
    results = check_step(step, step_options=options)
    assert results["reference"].payload and results["predictions"].findings[0].id == f"{step.name}.needs_model"


def test_a_step_that_keeps_the_contract_passes_and_gets_its_results_back():
    results = check_step(Good)
    assert results["reference"].payload["share"] == pytest.approx(results["reference"].tables["sample"]
                                                                    ["decision"].mean())


def test_small_context_has_both_modes_on_the_same_rows():
    reference, predictions = small_context(), small_context("predictions")
    assert reference.mode == "reference" and reference.model is not None
    assert predictions.mode == "predictions" and predictions.model is None
    assert list(reference.frame.index) == list(predictions.frame.index)
    assert np.array_equal(reference.y_pred, predictions.y_pred)


def _broken(name: str, **overrides):
    """``Good`` with one part replaced."""
    namespace = {"__annotations__": {"threshold": float, "label": str}, "threshold": 0.5, "label": "share",
                 "name": "good", "section": "good", "constraints": Good.constraints, "run": Good.run}
    namespace.update(overrides)
    return dataclass(type(name, (Step,), namespace))


def _run_with(change):
    def run(self, ctx):
        result = Good.run(self, ctx)
        change(result, ctx)
        return result

    return run


def _set(attribute, value):
    return lambda result, ctx: setattr(result, attribute, value)


@dataclass
class Unsettled(Good):
    """A setting with no declared constraints."""

    extra: int = 3


@dataclass
class Rounding(Good):
    """``__init__`` logic: get_params does not rebuild the same step."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.threshold = round(self.threshold + 0.1, 3)


@dataclass
class Stateful(Good):
    """Keeps state between runs."""

    seen: list = field(default_factory=list)
    constraints = {**Good.constraints, "seen": [ListOf(Interval(int))]}

    def run(self, ctx):
        self.seen.append(1)
        return self.result(payload={"runs": len(self.seen)})


def _add_finding(*findings):
    return lambda result, ctx: result.findings.extend(findings)


def _add_to_payload(**values):
    return lambda result, ctx: result.payload.update(values)


def _flip_first_decision(result, ctx):
    ctx.y_pred[0] = 1 - ctx.y_pred[0]


def _unseeded(result, ctx):
    result.payload["noise"] = float(np.random.default_rng().random())


UNORDERED = {"label": Good.constraints["label"], "threshold": Good.constraints["threshold"]}
BROKEN = [
    (Unsettled, "setting 'extra' has no constraints (add it to Unsettled.constraints)"),
    (_broken("Unordered", constraints=UNORDERED),
     "constraints are not in field order: label, threshold; fields: threshold, label"),
    (Rounding, "Rounding(**get_params()) builds a different step"),
    (_broken("Unseeded", run=_run_with(_unseeded)),
     "the payload differs between two runs with the same seed (draw random numbers from ctx.rng(salt))"),
    (_broken("Frame", run=_run_with(_add_to_payload(table=pd.DataFrame({"a": [1]})))),
     "payload['table'] is a DataFrame, not JSON data"),
    (_broken("IntKeys", run=_run_with(_add_to_payload(counts={1: 2}))),
     "payload['counts'] has the key 1 (int); keys must be text"),
    (_broken("WrongStep", run=_run_with(_add_finding(Finding("other.x", "other", "info", "m")))),
     "finding 'other.x' names step 'other', not 'good'"),
    (_broken("BadId", run=_run_with(_add_finding(Finding("share", "good", "info", "m")))),
     "finding id 'share' does not have the form 'good.<kind>'"),
    (_broken("Twice", run=_run_with(_add_finding(*[Finding("good.a", "good", "info", "m")] * 2))),
     "finding id 'good.a' appears 2 times"),
    (_broken("Mutating", run=_run_with(_flip_first_decision)), "run changed the context: ctx.y_pred"),
    (_broken("NotAFrame", run=_run_with(_set("tables", {"sample": [1, 2]}))),
     "tables['sample'] is a list, not a DataFrame"),
    (Stateful, "the payload differs between two runs with the same seed"),
]


@pytest.mark.parametrize(("step", "problem"), BROKEN, ids=[cls.__name__ for cls, _ in BROKEN])
def test_each_way_of_breaking_the_contract_is_named(step, problem):
    message = problems_of(step)
    assert message.startswith(f"check_step({step.__qualname__}) found ")
    assert problem in message


@pytest.mark.parametrize(("step", "message"), [
    (_broken("WrongSection", run=_run_with(_set("section", "data"))),
     "WrongSection.run returned the result of step 'good' in section 'data'; the step is 'good' and declares "
     "section 'good'"),
    (_broken("NoResult", run=lambda self, ctx: {"share": 1}), "NoResult.run returned dict, not a StepResult"),
    (_broken("Crash", run=lambda self, ctx: 1 / 0), "step 'good' failed: ZeroDivisionError: division by zero"),
])
def test_a_run_that_fails_or_returns_something_else_stops_the_check(step, message):
    assert message in problems_of(step)


def test_a_class_that_is_not_a_step_is_named():
    class NotAStep:
        name, section = "x", "x"

    assert problems_of(NotAStep) == ("check_step(test_a_class_that_is_not_a_step_is_named.<locals>.NotAStep): "
                                     "step class test_a_class_that_is_not_a_step_is_named.<locals>.NotAStep "
                                     "needs a run(ctx) method")


def test_a_step_that_cannot_be_built_with_its_defaults_is_named():
    Required = _broken("Required", __annotations__={"threshold": float}, threshold=field(), label=None,
                       constraints={"threshold": Good.constraints["threshold"]})
    assert "the step cannot be built with its defaults: TypeError" in problems_of(Required)
