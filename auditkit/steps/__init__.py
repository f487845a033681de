"""Audit steps. Each is a small dataclass: keyword settings, one ``run(context) -> StepResult``.

The contract every step follows is documented on :class:`Step`. Steps are found by name
through :mod:`auditkit.registry`; a new step needs its own module and a registration
(:func:`auditkit.register_step` or an ``auditkit.steps`` entry point), nothing else.
"""

from __future__ import annotations

from auditkit.steps._base import Step
from auditkit.steps.agreement import AgreementStep
from auditkit.steps.data_bias import DataBiasStep
from auditkit.steps.data_overview import DataOverviewStep
from auditkit.steps.fairness import FairnessStep
from auditkit.steps.lime_step import LimeStep
from auditkit.steps.mitigation import MitigationStep
from auditkit.steps.performance import PerformanceStep
from auditkit.steps.shap_step import ShapStep

__all__ = ["Step", "DataBiasStep", "DataOverviewStep", "PerformanceStep", "FairnessStep",
           "ShapStep", "LimeStep", "AgreementStep", "MitigationStep"]
