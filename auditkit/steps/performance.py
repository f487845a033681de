"""Overall performance of the audited decisions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._metrics import TN, TP, FP, FN, rates_from_counts
from ..result import StepResult
from ._base import Step


@dataclass
class PerformanceStep(Step):
    """Confusion matrix and headline metrics over all audited rows (plus AUC/Brier with scores)."""

    name = "performance"
    section = "performance"

    def run(self, ctx) -> StepResult:
        cells = np.bincount(2 * (1 - ctx.y_pred.astype(int)) + (1 - ctx.y_true.astype(int)), minlength=4)
        rates = {k: float(v) for k, v in rates_from_counts(cells).items()}
        precision, recall = rates["precision"], rates["true_positive_rate"]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else float("nan")
        metrics = {"n": int(cells.sum()), **rates, "recall": recall, "f1": f1}
        if ctx.y_score is not None:
            metrics.update(_score_metrics(ctx.y_true, ctx.y_score))
        confusion = {"tp": int(cells[TP]), "fp": int(cells[FP]), "fn": int(cells[FN]), "tn": int(cells[TN])}
        table = pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())})
        return StepResult(
            name=self.name,
            section=self.section,
            payload={"overall": metrics, "confusion_matrix": confusion},
            tables={"overall": table},
        )


def _score_metrics(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    out = {"roc_auc": float("nan"), "brier_score": float("nan")}
    if len(np.unique(y_true)) == 2:
        out["roc_auc"] = float(roc_auc_score(y_true, y_score))
    if np.all((y_score >= 0) & (y_score <= 1)):
        out["brier_score"] = float(brier_score_loss(y_true, y_score))
    return out
