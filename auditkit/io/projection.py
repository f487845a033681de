"""Which columns of the data an audit reads, so that a Parquet file is read with only those.

An audit reads the target, sensitive, prediction and score columns and the model's features.
Only a spec that names its features (``features=[...]``) says which those are, and only when
every step it runs reads no other column: ``data_overview`` describes every column, and
``data_bias`` checks every column for proxies unless its ``columns`` option names them.
Steps not built into auditkit may read any column, so they read the whole file.
"""

from __future__ import annotations

from typing import Any

from auditkit.registry import BUILTIN_STEPS

# Built-in steps that read only the columns the spec names (through ctx.X, y, sensitive, scores).
NAMED_COLUMN_STEPS = frozenset({"performance", "fairness", "shap", "lime", "agreement", "mitigation"})


def columns_used(spec: Any) -> list[str] | None:
    """The columns the audit of ``spec`` reads, or None when it may read any (or the spec does not say).

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> spec = AuditSpec(data="scores.parquet", target="y", sensitive=["sex"], predictions="decision",
    ...                  features=["age", "income"], steps=["performance", "fairness"])
    >>> columns_used(spec)
    ['y', 'sex', 'decision', 'age', 'income']
    >>> columns_used(AuditSpec(data="scores.parquet", target="y", sensitive=["sex"], predictions="decision",
    ...                        features=["age"])) is None  # the default steps include data_overview
    True
    """
    if spec.features is None or spec.target is None or not spec.sensitive:
        return None
    extra: list[str] = []
    for step in spec.build_steps():
        if not _built_in(step):
            return None
        if step.name == "data_bias" and getattr(step, "columns", None) is not None:
            extra.extend(step.columns)
        elif step.name not in NAMED_COLUMN_STEPS:
            return None
    named = [spec.target, *spec.sensitive, spec.predictions, spec.scores, *spec.features, *extra]
    return list(dict.fromkeys(c for c in named if c is not None))


def _built_in(step: Any) -> bool:
    cls = type(step)
    return BUILTIN_STEPS.get(step.name) == f"{cls.__module__}:{cls.__qualname__}"
