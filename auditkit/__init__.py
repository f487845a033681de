"""auditkit: bias and explainability audits that are reproducible and checked.

The public API is what this module exports (:data:`__all__`): :func:`audit` and
:func:`audit_to_dir` run an audit described by an :class:`AuditSpec` (or its settings as
keywords) and return an :class:`AuditResult` made of one :class:`StepResult` per
:class:`Step`, each with its :class:`Finding` list. :mod:`auditkit.datasets` holds the
bundled data, :mod:`auditkit.exceptions` the errors.

Examples
--------
>>> import auditkit
>>> german = auditkit.datasets.load("german").frame
>>> decided = german.assign(decision=german["duration_months"].le(18).map({True: "good", False: "bad"}))
>>> result = auditkit.audit(data=decided, target="credit_risk", positive_label="good", sensitive=["sex"],
...                         predictions="decision", steps=["fairness"], progress=False)
>>> result.table("fairness", "sex")[["sex", "n"]].values.tolist()
[['female', 310], ['male', 690]]
"""

from auditkit import datasets, exceptions
from auditkit._version import __version__
from auditkit.batch import batch
from auditkit.context import AuditContext, build_context
from auditkit.exceptions import AuditkitError, InputError, StepError
from auditkit.registry import register_step
from auditkit.result import AuditResult, Finding, StepResult
from auditkit.runner import audit, audit_to_dir
from auditkit.spec import AuditSpec
from auditkit.steps import Step

# The step registry (register_step) and auditkit.testing (check_step) join this list with their branch.
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
    "batch",
    "build_context",
    "datasets",
    "register_step",
    "exceptions",
]
