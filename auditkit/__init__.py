"""auditkit: bias and explainability audits that are reproducible and checked.

>>> import auditkit
>>> result = auditkit.audit(data="german", sample=300)   # doctest: +SKIP
"""

from . import datasets
from ._audit import audit, audit_to_dir
from ._version import __version__
from .context import AuditContext, build_context
from .exceptions import AuditkitError, InputError
from .result import AuditResult, Finding, StepResult
from .spec import AuditSpec

__all__ = [
    "AuditContext",
    "AuditResult",
    "AuditSpec",
    "AuditkitError",
    "Finding",
    "InputError",
    "StepResult",
    "__version__",
    "audit",
    "audit_to_dir",
    "build_context",
    "datasets",
]
