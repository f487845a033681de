"""Which columns of the data an audit reads, so that a Parquet file is read with only those.

An audit of decisions (``predictions=``) reads the target, sensitive, prediction and score
columns; an audit of a model also the model's features, which the spec must name
(``features=[...]``) for them to be known before the data is read. Either way only when every
step it runs reads no other column: ``data_overview`` describes every column, and
``data_bias`` checks every column for proxies unless its ``columns`` option names them. Steps
not built into auditkit may read any column, so with them the whole file is read.
"""

from __future__ import annotations

from typing import Any

from auditkit.registry import BUILTIN_STEPS

# Built-in steps that read only the columns the spec names (the model's inputs, y, sensitive, scores);
# in an audit of decisions the steps that need a model do not run.
NAMED_COLUMN_STEPS = frozenset({"performance", "fairness", "shap", "lime", "agreement", "mitigation"})


def columns_used(spec: Any) -> list[str] | None:
    """The columns the audit of ``spec`` reads, or None when it may read any (or the spec does not say).

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> columns_used(AuditSpec(data="scores.parquet", target="y", sensitive=["sex"], predictions="decision",
    ...                        scores="p", steps=["performance", "fairness"]))
    ['y', 'sex', 'decision', 'p']
    >>> columns_used(AuditSpec(data="scores.parquet", target="y", sensitive=["sex"], features=["age", "income"],
    ...                        steps=["fairness", "shap"]))  # the reference model's inputs are named
    ['y', 'sex', 'age', 'income']
    >>> columns_used(AuditSpec(data="scores.parquet", target="y", sensitive=["sex"], predictions="decision"))
    ... # the default steps include data_overview, which describes every column
    """
    if spec.target is None or not spec.sensitive:
        return None
    if spec.predictions is not None:
        inputs: list[str] = []
    elif spec.features is not None:
        inputs = list(spec.features)
    else:
        return None
    extra: list[str] = []
    for step in spec.build_steps():
        if not _built_in(step):
            return None
        if step.name == "data_bias" and getattr(step, "columns", None) is not None:
            extra.extend(step.columns)
        elif step.name not in NAMED_COLUMN_STEPS:
            return None
    named = [spec.target, *spec.sensitive, spec.predictions, spec.scores, *inputs, *extra]
    return list(dict.fromkeys(c for c in named if c is not None))


def _built_in(step: Any) -> bool:
    cls = type(step)
    return BUILTIN_STEPS.get(step.name) == f"{cls.__module__}:{cls.__qualname__}"
