"""Work that depends only on the data, done once per dataset and reused by every model audited on it.

The data is read and hashed once (:class:`~auditkit.io.data.LoadedData`), and the data-only steps
(``data_overview``, ``data_bias``) run once. A model's audit reuses a step's result only when everything
the step reads is the same in its own context: the audited rows, their columns and types, the model's
input columns, the target and its encoding, the sensitive groups, the seed and the step's settings.
Anything else (another sample, a model with other input columns) and the step runs again, so a batch
audit's results are always those of a solo audit.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from auditkit.context import build_context
from auditkit.io.data import LoadedData, read_data
from auditkit.runner import run_step

if TYPE_CHECKING:
    from auditkit.context import AuditContext
    from auditkit.result import StepResult
    from auditkit.spec import AuditSpec
    from auditkit.steps import Step

# Built-in steps that read the data only (never the model or its predictions).
DATA_STEPS = ("data_overview", "data_bias")


@dataclass(frozen=True)
class SharedData:
    """The data of an audit, read once, and results of data-only steps keyed by what they read.

    Pass it to :func:`auditkit.audit` or :func:`auditkit.audit_to_dir` (``shared=``) for an audit of
    the same ``data`` and ``encoding``.

    Attributes
    ----------
    loaded : LoadedData
        The data as read (frame, sha256, metadata).
    results : dict of str to StepResult
        Results of data-only steps by :func:`step_key`.

    Examples
    --------
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> spec = auditkit.AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                           steps=["data_overview", "performance"])
    >>> shared = prepare_shared(spec)
    >>> shared.loaded.name, len(shared.results)
    ('DataFrame', 1)
    >>> result = auditkit.audit(spec, shared=shared, progress=False)
    >>> result.step("data_overview").payload == auditkit.audit(spec, progress=False).step("data_overview").payload
    True
    """

    loaded: LoadedData
    results: dict[str, StepResult] = field(default_factory=dict)

    def result_for(self, step: Step, ctx: AuditContext) -> StepResult | None:
        """A copy of the result ``step`` would give on ``ctx``, when it was computed already; else None.

        Examples
        --------
        >>> from auditkit import AuditSpec, build_context
        >>> from auditkit.steps import PerformanceStep
        >>> spec = AuditSpec(data="compas", predictions="is_recid", sample=100)
        >>> prepare_shared(spec).result_for(PerformanceStep(), build_context(spec)) is None  # not data-only
        True
        """
        if not is_data_step(step):
            return None
        found = self.results.get(step_key(step, ctx))
        return None if found is None else copy.deepcopy(found)


def prepare_shared(spec: AuditSpec) -> SharedData:
    """Read ``spec``'s data and run its data-only steps, without the model.

    The steps run on the audit's data-only context (``build_context(..., data_only=True)``): the same
    rows, target and groups as the audit, and no model loaded, fitted or called (loading and calling
    one here only delayed every audit waiting for this work). A model is taken to get the data's
    feature columns (or ``spec.features``); an audit whose model takes other columns finds no result
    under its :func:`step_key` and runs the step itself. Data that does not fit the spec does not fail
    here: the data is still shared and each audit reports its own error.

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> shared = prepare_shared(AuditSpec(data="compas", predictions="is_recid", sample=100,
    ...                                   steps=["data_bias", "fairness"]))
    >>> list(shared.results) == [key for key in shared.results if key.startswith("data_bias:")]
    True
    """
    loaded = read_data(spec.data, encoding=spec.encoding)
    steps = [step for step in spec.build_steps() if is_data_step(step)]
    if not steps:
        return SharedData(loaded)
    try:
        ctx = build_context(spec, loaded=loaded, data_only=True)
    except Exception:  # noqa: BLE001 - each audit reports this error
        return SharedData(loaded)
    results = {}
    for step in steps:
        result = run_step(step, ctx)
        if not any(f.id == f"{step.name}.failed" for f in result.findings):
            results[step_key(step, ctx)] = result
    return SharedData(loaded, results)


def is_data_step(step: Step) -> bool:
    """True for a built-in step that reads the data only (``data_overview``, ``data_bias``).

    Examples
    --------
    >>> from auditkit.steps import DataBiasStep, FairnessStep
    >>> is_data_step(DataBiasStep()), is_data_step(FairnessStep())
    (True, False)
    """
    return step.name in DATA_STEPS and type(step).__module__.startswith("auditkit.steps.")


def step_key(step: Step, ctx: AuditContext) -> str:
    """``"<step>:<sha256>"`` of the step's settings and everything a data-only step reads from ``ctx``.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> from auditkit.steps import DataBiasStep
    >>> spec = AuditSpec(data="compas", predictions="is_recid", sample=100)
    >>> ctx = build_context(spec)
    >>> step_key(DataBiasStep(), ctx) == step_key(DataBiasStep(), build_context(spec))
    True
    >>> step_key(DataBiasStep(), ctx) == step_key(DataBiasStep(n_boot=10), ctx)
    False
    """
    digest = hashlib.sha256()
    described = {
        "settings": step.get_params(), "frame_columns": [str(c) for c in ctx.frame.columns],
        "frame_dtypes": [str(t) for t in ctx.frame.dtypes], "features": [str(c) for c in ctx.X.columns],
        "target": ctx.target, "positive_label": ctx.positive_label, "labels": list(ctx.labels), "task": ctx.task,
        "seed": ctx.seed, "min_group_size": ctx.spec.min_group_size, "predictions": ctx.spec.predictions,
        "scores": ctx.spec.scores, "sensitive": ctx.sensitive_features,
    }
    digest.update(json.dumps(described, default=repr, sort_keys=True).encode())
    digest.update(ctx.cache.get_or_compute(("batch.shared.rows_digest",), lambda: _rows_digest(ctx)))
    return f"{step.name}:{digest.hexdigest()}"


def _rows_digest(ctx: AuditContext) -> bytes:
    """sha256 of the audited rows, their groups and target (once per context: every data step's key has it)."""
    digest = hashlib.sha256()
    for frame in (ctx.frame, ctx.sensitive):
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(ctx.y_true.tobytes())
    return digest.digest()
