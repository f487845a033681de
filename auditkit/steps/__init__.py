"""Audit steps. Each is a small class: keyword settings, one ``run(context) -> StepResult``.

Register a new analysis by adding it to :data:`STEPS`; nothing else changes.
"""

from __future__ import annotations

from ._base import Step
from .agreement import AgreementStep
from .data_bias import DataBiasStep
from .data_overview import DataOverviewStep
from .fairness import FairnessStep
from .lime_step import LimeStep
from .performance import PerformanceStep
from .shap_step import ShapStep

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
