"""Audit steps. Each is a small class: keyword settings, one ``run(context) -> StepResult``.

Register a new analysis by adding it to :data:`STEPS`; nothing else changes.
"""

from __future__ import annotations

from ._base import Step
from .data_overview import DataOverviewStep
from .fairness import FairnessStep
from .performance import PerformanceStep

STEPS: dict[str, type[Step]] = {
    DataOverviewStep.name: DataOverviewStep,
    PerformanceStep.name: PerformanceStep,
    FairnessStep.name: FairnessStep,
}

__all__ = ["STEPS", "Step", "DataOverviewStep", "PerformanceStep", "FairnessStep"]
