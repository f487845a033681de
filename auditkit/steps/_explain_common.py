"""Helpers shared by the explanation steps (SHAP, LIME, agreement)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.result import Finding, StepResult

SECTION = "explanations"
_WHAT = {"shap": "No SHAP explanations", "lime": "No LIME explanations",
         "agreement": "No SHAP/LIME agreement check"}


def needs_model(step: str) -> StepResult:
    """The result of an explanation step on an audit without a model: one info finding."""
    finding = Finding(
        id=f"{step}.needs_model",
        step=step,
        severity="info",
        message=(
            f"{_WHAT.get(step, 'No explanations')}: explanations need the model, and this audit "
            "checks existing decisions only. "
            "Audit with a model (model=) to explain its decisions."
        ),
    )
    return StepResult(name=step, section=SECTION, findings=[finding])


def row_ids(index: pd.Index) -> list[Any]:
    """Row labels as JSON-friendly values (ints stay ints, anything else becomes a string)."""
    return [int(v) if isinstance(v, int | np.integer) else str(v) for v in index]


def shap_row_seeds(ctx: Any) -> np.ndarray:
    """One seed per audited row for the permutation explainer (from the audit seed)."""
    return ctx.rng("shap.row").integers(0, 2**31 - 1, size=ctx.n_rows)


def top_names(features: list[str], scores: np.ndarray, k: int) -> list[str]:
    """Names of the ``k`` features with the largest scores (ties: column order)."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    return [features[j] for j in order]
