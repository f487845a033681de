"""Batch audits: many models on many datasets from one plan, run on Dask distributed, compared on one page.

:func:`batch` runs a :class:`BatchPlan` (read from YAML) and returns its summary; see :mod:`auditkit.batch.plan`
for the form of a plan, :mod:`auditkit.batch.summary` for the columns of ``summary.csv``.
"""

from auditkit.batch.plan import BatchPlan, PlannedAudit
from auditkit.batch.run import batch
from auditkit.batch.shared import SharedData, prepare_shared

__all__ = ["BatchPlan", "PlannedAudit", "SharedData", "batch", "prepare_shared"]
