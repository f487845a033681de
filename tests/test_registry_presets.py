"""Steps presets: ``steps="quick"`` stands for a set of steps with lighter settings, wherever steps are given."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import auditkit
from auditkit import AuditSpec, InputError, register_step
from auditkit.cli import build_parser, spec_from_args
from auditkit.datasets import make_biased
from auditkit.notebook import run_for_notebook
from auditkit.registry import DEFAULT_STEPS, STEP_PRESETS, get_step
from auditkit.result import StepResult
from auditkit.steps import FairnessStep, Step

QUICK = ["data_overview", "data_bias", "performance", "fairness", "shap"]


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """The reference model's boosted trees: one OpenMP thread is as fast here, and does not crawl on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_quick_runs_the_standard_steps_but_lime_and_agreement():
    assert AuditSpec(data="german", steps="quick").step_names == QUICK
    assert set(DEFAULT_STEPS) - set(QUICK) == {"lime", "agreement"}


def test_quick_uses_fewer_resamples_and_explains_a_sample():
    options = AuditSpec(data="german", steps=["quick"]).step_options
    assert options == {"data_bias": {"n_boot": 200}, "fairness": {"n_boot": 200, "extra_metrics_n_boot": 100},
                       "shap": {"max_rows": 500}}
    assert get_step("fairness")().n_boot > 200 and get_step("data_bias")().n_boot > 200


@pytest.mark.parametrize("name", sorted(STEP_PRESETS))
def test_every_preset_names_registered_steps_and_valid_settings(name):
    spec = AuditSpec(data="german", steps=name)
    built = {step.name: step for step in spec.build_steps()}
    assert list(built) == list(STEP_PRESETS[name].steps)
    for step, settings in STEP_PRESETS[name].options.items():
        assert {k: getattr(built[step], k) for k in settings} == dict(settings)


def test_step_options_win_over_the_preset_option_by_option():
    spec = AuditSpec(data="german", steps="quick", step_options={"fairness": {"n_boot": 50}})
    assert spec.step_options["fairness"] == {"n_boot": 50, "extra_metrics_n_boot": 100}
    assert spec.step("fairness").n_boot == 50


@pytest.mark.parametrize(("steps", "names"), [
    (["quick", "lime"], [*QUICK, "lime"]),
    (["performance", "quick"], ["performance", "data_overview", "data_bias", "fairness", "shap"]),
    (["quick", "fairness"], ["data_overview", "data_bias", "performance", "shap", "fairness"]),
])
def test_a_preset_expands_in_place_and_a_step_named_elsewhere_runs_once(steps, names):
    assert AuditSpec(data="german", steps=steps).step_names == names


def test_a_step_named_beside_the_preset_keeps_its_own_settings():
    spec = AuditSpec(data="german", steps=["quick", "fairness"])
    assert "fairness" not in spec.step_options and spec.step("fairness").n_boot == FairnessStep().n_boot
    given = AuditSpec(data="german", steps=["quick", FairnessStep(n_boot=30)])
    assert given.step("fairness").n_boot == 30 and "fairness" not in given.step_options


def test_the_command_line_takes_a_preset_and_its_help_names_it():
    args = build_parser().parse_args(["audit", "--data", "german", "--steps", "quick"])
    assert spec_from_args(args).step_names == QUICK
    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["audit"].format_help().split())
    assert "or a preset: quick = the standard steps but lime and agreement" in help_text


def test_a_yaml_spec_takes_a_preset(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("data: german\nsteps: quick\n")
    assert AuditSpec.from_yaml(path).step_names == QUICK


def test_a_step_cannot_take_the_name_of_a_preset():
    @dataclass
    class Quick(Step):
        name = "quick"
        section = "quick"

        def run(self, ctx):
            return StepResult(self.name, self.section)

    with pytest.raises(InputError, match=r"^a step cannot be named 'quick': that is the name of a steps preset"):
        register_step(Quick)


def test_a_quick_audit_records_its_steps_and_settings(tmp_path):
    folder = run_for_notebook(data=make_biased(400, seed=1), steps="quick", out_dir=tmp_path, report="full")
    result = auditkit.AuditResult.from_json(folder)
    assert [step.name for step in result.steps] == QUICK
    assert result.dataset["spec"]["steps"] == QUICK
    assert result.step("fairness").payload["settings"]["n_boot"] == 200
    assert result.failed_steps == []
