"""How a batch lays its audits out on Dask workers: the order they are handed out, the workers' thread settings."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditkit.batch.plan import PlannedAudit


def submission_order(audits: list[PlannedAudit]) -> list[PlannedAudit]:
    """The audits in the order they are given to workers: the largest model files first (a stable sort).

    A batch ends when its last audit does; an audit started last should be a short one, else the other
    workers wait idle for it (8 audits of Adult on 2 workers, plan order: the histogram gradient boosting,
    the longest audit, came last and left one worker idle for 5-6 s of a 37 s batch). An audit's length is
    not known beforehand; a model's file size stands for it, as larger models (more trees, deeper trees)
    take longer to predict and to explain. Audits of a model without a file (given in memory, or
    decisions in the data) count as the smallest. The summary keeps the plan's order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from auditkit.batch.plan import BatchPlan
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "small.skops").write_bytes(b"x" * 10), (folder / "large.skops").write_bytes(b"x" * 1000)
    >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "audits": "all",
    ...                             "models": {"small": str(folder / "small.skops"),
    ...                                        "large": str(folder / "large.skops")}})
    >>> [audit.name for audit in plan.audits], [audit.name for audit in submission_order(plan.audits)]
    (['small-g', 'large-g'], ['large-g', 'small-g'])
    """
    def model_bytes(audit: PlannedAudit) -> int:
        model = audit.spec.model
        try:
            return os.path.getsize(model) if isinstance(model, str | os.PathLike) else 0
        except OSError:
            return 0

    return sorted(audits, key=model_bytes, reverse=True)


WORKER_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Set to 1 in the local cluster's worker processes: the workers, one audit each, are the batch's parallelism."""


def worker_environment() -> dict[str, Any]:
    """The environment a local cluster's worker processes start with: Dask's, and one OpenMP and BLAS thread each.

    Each worker process runs one audit at a time on one core; a model's OpenMP or BLAS threads on top would
    contend for the same cores (on two busy cores a histogram gradient boosting fitted 4-10 times slower with
    two threads than with one). Dask's nanny sets these variables by default; they are set here too, so a
    Dask configuration that changes its default does not change the batch.

    Examples
    --------
    >>> {name: worker_environment()[name] for name in WORKER_THREAD_VARIABLES}
    {'OMP_NUM_THREADS': 1, 'OPENBLAS_NUM_THREADS': 1, 'MKL_NUM_THREADS': 1}
    """
    import dask

    environment = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    return {**environment, **dict.fromkeys(WORKER_THREAD_VARIABLES, 1)}
