"""The step registry: built-in steps by name, plugins by entry point, steps registered from outside the package."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import auditkit
from auditkit import AuditSpec, InputError, audit, audit_to_dir, register_step
from auditkit.params import Interval
from auditkit.registry import (
    BUILTIN_STEPS,
    DEFAULT_STEPS,
    KNOWN_SECTIONS,
    REGISTRY,
    StepRegistry,
    get_step,
    step_names,
)
from auditkit.result import AuditResult, StepResult
from auditkit.steps import FairnessStep, PerformanceStep, Step
from auditkit.testing import check_step

PACKAGE = Path(auditkit.__file__).parent
DATA = {"target": "approved", "sensitive": ["sex"], "predictions": "decision", "seed": 0}


@dataclass
class DecisionBalance(Step):
    """A step written outside auditkit: the share of positive decisions by group, flagged above ``max_gap``."""

    max_gap: float = 0.1

    name = "decision_balance"
    section = "decision_balance"
    constraints = {"max_gap": [Interval(float, 0, 1)]}

    def run(self, ctx) -> StepResult:
        feature = ctx.sensitive_features[0]
        shares = {str(g): float(ctx.y_pred[(ctx.sensitive[feature] == g).to_numpy()].mean())
                  for g in sorted(ctx.sensitive[feature].unique())}
        gap = max(shares.values()) - min(shares.values())
        findings = [self.finding("medium", f"gap.{feature}", f"Positive decisions differ by {gap:.0%} by {feature}.",
                                 {"gap": gap})] if gap > self.max_gap else []
        return self.result(payload={"feature": feature, "shares": shares, "gap": gap}, findings=findings)


@dataclass
class NeedsModel(Step):
    name = "needs_a_model"
    section = "explanations"
    needs_model = True

    def run(self, ctx) -> StepResult:  # pragma: no cover - never run without a model
        raise AssertionError("a step that needs a model ran without one")


@pytest.fixture
def registered():
    register_step(DecisionBalance)
    yield DecisionBalance
    REGISTRY.unregister("decision_balance")


# ---- look-up


def test_builtin_steps_are_found_by_name_in_the_order_of_the_standard_audit():
    assert step_names()[: len(BUILTIN_STEPS)] == list(BUILTIN_STEPS)
    assert list(DEFAULT_STEPS) == [name for name in BUILTIN_STEPS if name != "mitigation"]  # it trains models
    assert get_step("fairness") is FairnessStep
    assert AuditSpec(data="german").step_names == list(DEFAULT_STEPS)


@pytest.mark.parametrize(("name", "message"), [
    ("fairnes", "No step named 'fairnes' (did you mean 'fairness'?); available: data_overview, data_bias, "
                "performance, fairness, shap, lime, agreement, mitigation"),
    ("bias", "No step named 'bias'; available: data_overview, data_bias, performance, fairness, shap, lime, agreement, "
             "mitigation"),
])
def test_unknown_name_lists_the_available_steps(name, message):
    with pytest.raises(InputError) as error:
        get_step(name)
    assert str(error.value) == message
    with pytest.raises(InputError) as error:
        AuditSpec(data="german", steps=["performance", name])
    assert str(error.value) == message


def test_registry_module_imports_nothing_from_auditkit_but_the_exceptions():
    tree = ast.parse((PACKAGE / "registry.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {m for m in imported if m and m.startswith("auditkit")} == {"auditkit.exceptions"}


def test_spec_asks_the_registry_and_never_imports_the_steps():
    tree = ast.parse((PACKAGE / "spec.py").read_text())
    runtime = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module and node.module.startswith("auditkit.steps")]
    # the one import of auditkit.steps is for type annotations only
    assert all(_under_type_checking(tree, node) for node in runtime)


def _under_type_checking(tree: ast.Module, target: ast.AST) -> bool:
    return any(isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" and target in ast.walk(node)
               for node in ast.walk(tree))


# ---- registering


def test_a_step_defined_outside_the_package_is_checked_registered_and_written_to_audit_json(frame, tmp_path,
                                                                                         registered):
    check_step(DecisionBalance)
    spec = AuditSpec(data=frame, **DATA, steps=["performance", "decision_balance"])
    result = audit_to_dir(spec, tmp_path / "out", report=False)
    doc = json.loads((tmp_path / "out" / "audit.json").read_text())
    female = frame["decision"][frame["sex"] == "female"].mean()
    assert doc["decision_balance"]["shares"]["female"] == pytest.approx(female, abs=1e-12)
    assert list(doc)[:6] == ["schema_version", "provenance", "dataset", "steps", "performance", "decision_balance"]
    assert doc["dataset"]["spec"]["steps"] == ["performance", "decision_balance"]
    assert result.step("decision_balance").payload["gap"] == doc["decision_balance"]["gap"]


def test_register_step_works_as_a_decorator_and_returns_the_class():
    @register_step
    @dataclass
    class Tiny(Step):
        name = "tiny_step"
        section = "tiny"

        def run(self, ctx):
            return self.result(payload={"n": ctx.n_rows})

    try:
        assert get_step("tiny_step") is Tiny and "tiny_step" in step_names()
    finally:
        REGISTRY.unregister("tiny_step")


def test_a_redefined_class_replaces_itself_but_not_another_step(registered):
    @dataclass
    class DecisionBalance(Step):  # the same class, defined again (a notebook cell run twice)
        name = "decision_balance"
        section = "decision_balance"

        def run(self, ctx):  # pragma: no cover
            return self.result()

    DecisionBalance.__qualname__ = registered.__qualname__
    assert register_step(DecisionBalance) is DecisionBalance

    @dataclass
    class Impostor(Step):
        name = "fairness"
        section = "fairness"

        def run(self, ctx):  # pragma: no cover
            return self.result()

    with pytest.raises(InputError, match=r"^a step named 'fairness' is already registered "
                                         r"\(auditkit.steps.fairness:FairnessStep\); pass replace=True"):
        register_step(Impostor)
    assert get_step("fairness") is FairnessStep


@pytest.mark.parametrize(("attributes", "message"), [
    ({"name": "my step", "section": "x"}, "needs a name that is an identifier (e.g. name = 'my_step'); got 'my step'"),
    ({"name": "x"}, "needs a section, the audit.json key it writes (not one of schema_version, provenance, "
                    "dataset, steps, findings); got None"),
    ({"name": "x", "section": "provenance"}, "needs a section, the audit.json key it writes"),
])
def test_a_class_without_the_shape_of_a_step_is_refused(attributes, message):
    cls = dataclass(type("Broken", (Step,), {**attributes, "run": lambda self, ctx: None}))
    with pytest.raises(InputError, match=f"^step class Broken {_escaped(message)}"):
        register_step(cls)


def test_a_step_that_is_not_a_dataclass_is_refused():
    class Plain(Step):
        name, section = "plain", "plain"

    with pytest.raises(InputError, match=r"^step class .*Plain must be a dataclass \(decorate it with @dataclass\)"):
        register_step(Plain)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


# ---- entry points (a plugin package installed beside auditkit)


PLUGIN = '''
from dataclasses import dataclass
from auditkit.steps import Step


@dataclass
class RowCount(Step):
    name = "row_count"
    section = "row_count"

    def run(self, ctx):
        return self.result(payload={"rows": ctx.n_rows})
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A distribution on sys.path whose entry point in group ``auditkit.steps`` names a step."""
    (tmp_path / "rowcount_plugin.py").write_text(PLUGIN)
    info = tmp_path / "rowcount_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rowcount-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[auditkit.steps]\nrow_count = rowcount_plugin:RowCount\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = StepRegistry(BUILTIN_STEPS)
    monkeypatch.setattr("auditkit.registry.REGISTRY", fresh)
    return fresh


def test_a_plugin_step_is_found_through_its_entry_point(plugin, frame):
    assert "row_count" in step_names()
    assert get_step("row_count").__module__ == "rowcount_plugin"
    result = audit(data=frame, **DATA, steps=["row_count"])
    assert result.to_dict()["row_count"] == {"rows": len(frame)}


def test_a_plugin_cannot_silently_take_a_builtin_name(tmp_path, monkeypatch):
    info = tmp_path / "evil-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[auditkit.steps]\nfairness = evil:Fairness\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = StepRegistry(BUILTIN_STEPS)
    with pytest.warns(UserWarning, match="names the step 'fairness', which already exists; it is ignored"):
        assert fresh.get("fairness") is FairnessStep


def test_a_broken_plugin_is_named(tmp_path, monkeypatch):
    info = tmp_path / "broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[auditkit.steps]\nbroken = no_such_module:Step\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InputError, match=r"^the step 'broken' cannot be imported from no_such_module:Step: "
                                         r"ModuleNotFoundError"):
        StepRegistry(BUILTIN_STEPS).get("broken")


# ---- steps given as instances


def test_instances_and_names_run_in_the_order_given_and_are_recorded_as_name_and_settings(frame):
    fairness = FairnessStep(n_boot=50, intersections=False)
    spec = AuditSpec(data=frame, **DATA, steps=[fairness, "performance"])
    assert spec.step_names == ["fairness", "performance"] and spec.step("fairness") is fairness
    result = audit(spec)
    assert [s.name for s in result.steps] == ["fairness", "performance"]
    assert result.step("fairness").payload["settings"]["n_boot"] == 50
    recorded = json.loads(result.to_json())["dataset"]["spec"]
    assert recorded["steps"] == ["fairness", "performance"]
    assert recorded["step_options"]["fairness"] == json.loads(json.dumps(fairness.get_params()))
    rebuilt = AuditSpec.from_dict({**recorded, "data": frame})
    assert rebuilt.step("fairness") == fairness


def test_step_options_still_set_steps_named_by_name(frame):
    spec = AuditSpec(data=frame, **DATA, steps=["fairness"], step_options={"fairness": {"n_boot": 20}})
    assert spec.build_steps() == [FairnessStep(n_boot=20)]


def test_an_instance_changed_after_it_was_built_is_checked_when_the_spec_is_built(frame):
    step = FairnessStep()
    step.ci_level = 2.0
    with pytest.raises(InputError) as error:
        AuditSpec(data=frame, **DATA, steps=[step])
    assert str(error.value) == "fairness step: ci_level must be a number above 0 and below 1; got 2.0 (float)"


def test_options_for_a_step_given_as_an_instance_are_refused(frame):
    with pytest.raises(InputError, match=r"^step_options sets options for 'fairness', which steps gives as a "
                                         r"FairnessStep instance; set them on the instance instead$"):
        AuditSpec(data=frame, **DATA, steps=[FairnessStep()], step_options={"fairness": {"n_boot": 5}})


@pytest.mark.parametrize("steps", [[FairnessStep(), "fairness"], [PerformanceStep(), PerformanceStep()],
                                   [FairnessStep], [object()]])
def test_steps_hold_names_and_instances_each_once(frame, steps):
    with pytest.raises(InputError, match=r"^steps must be a non-empty list of step names or steps \(Step instances\), "
                                         r"each named once; got "):
        AuditSpec(data=frame, **DATA, steps=steps)


def test_an_unregistered_instance_runs_and_is_recorded(frame):
    result = audit(data=frame, **DATA, steps=DecisionBalance(max_gap=0.0))
    assert "decision_balance" in result.to_dict()
    assert result.dataset["spec"]["step_options"] == {"decision_balance": {"max_gap": 0.0}}


# ---- sections


def test_unknown_sections_follow_the_known_ones_in_the_order_the_steps_ran():
    def result(name, section):
        return StepResult(name=name, section=section, payload={name: 1})

    audit_result = AuditResult(provenance={}, dataset={}, steps=[
        result("zeta", "zeta"), result("fairness", "fairness"), result("alpha", "alpha"),
        result("data_overview", "data"), result("zeta_more", "zeta")])
    doc = audit_result.to_dict()
    assert list(doc) == ["schema_version", "provenance", "dataset", "steps", "data", "fairness", "zeta", "alpha",
                         "findings"]
    assert doc["zeta"] == {"zeta": 1, "zeta_more": 1}
    assert KNOWN_SECTIONS == ("data", "performance", "fairness", "explanations", "checks")


# ---- needs_model


def test_a_step_that_needs_a_model_is_skipped_with_an_info_finding_without_one(frame):
    result = audit(data=frame, **DATA, steps=[NeedsModel(), "performance"])
    (finding,) = result.step("needs_a_model").findings
    assert finding.id == "needs_a_model.needs_model" and finding.severity == "info"
    assert finding.message == ("The needs_a_model step did not run: it needs the model, and this audit checks "
                               "existing decisions only. Audit with a model (model=...) to run it.")
    assert result.failed_steps == []


@pytest.mark.parametrize("name", ["shap", "lime", "agreement"])
def test_explanation_steps_declare_that_they_need_a_model(name):
    assert get_step(name).needs_model and not get_step("fairness").needs_model


def test_the_explanation_steps_hold_no_ad_hoc_model_check():
    for module in ("shap_step", "lime_step", "agreement", "_explain_common"):
        source = (PACKAGE / "steps" / f"{module}.py").read_text()
        assert "ctx.model is None" not in source and "def needs_model" not in source, module


def test_a_step_module_imports_no_other_step():
    for path in sorted((PACKAGE / "steps").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        others = {m for m in imported if m.startswith("auditkit.steps.") and not m.startswith("auditkit.steps._")}
        assert path.name == "__init__.py" or not others, (path.name, others)

