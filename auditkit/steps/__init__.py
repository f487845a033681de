"""Audit steps. Each is a small class: keyword settings, one ``run(context) -> StepResult``.

Register a new analysis by adding it to :data:`STEPS`; nothing else changes.
"""

from __future__ import annotations

from auditkit.steps._base import Step
from auditkit.steps.agreement import AgreementStep
from auditkit.steps.data_bias import DataBiasStep
from auditkit.steps.data_overview import DataOverviewStep
from auditkit.steps.fairness import FairnessStep
from auditkit.steps.lime_step import LimeStep
from auditkit.steps.performance import PerformanceStep
from auditkit.steps.shap_step import ShapStep

STEPS: dict[str, type[Step]] = {
    DataOverviewStep.name: DataOverviewStep,
    DataBiasStep.name: DataBiasStep,
    PerformanceStep.name: PerformanceStep,
    FairnessStep.name: FairnessStep,
    ShapStep.name: ShapStep,
    LimeStep.name: LimeStep,
    AgreementStep.name: AgreementStep,
}

__all__ = ["STEPS", "Step", "DataBiasStep", "DataOverviewStep", "PerformanceStep", "FairnessStep",
           "ShapStep", "LimeStep", "AgreementStep"]
