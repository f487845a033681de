"""auditkit: bias and explainability audits that are reproducible and checked.

>>> import auditkit
>>> result = auditkit.audit(data="german", sample=300)   # doctest: +SKIP
"""

from auditkit import datasets
from auditkit._version import __version__
from auditkit.context import AuditContext, build_context
from auditkit.exceptions import AuditkitError, InputError, StepError
from auditkit.registry import register_step
from auditkit.result import AuditResult, Finding, StepResult
from auditkit.runner import audit, audit_to_dir
from auditkit.spec import AuditSpec
from auditkit.steps import Step

__all__ = [
    "AuditContext",
    "AuditResult",
    "AuditSpec",
    "AuditkitError",
    "Finding",
    "InputError",
    "Step",
    "StepError",
    "StepResult",
    "__version__",
    "audit",
    "audit_to_dir",
    "build_context",
    "datasets",
    "register_step",
]
