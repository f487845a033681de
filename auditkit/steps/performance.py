"""Overall performance of the audited decisions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.fairness.scores import scores_not_probabilities, weighted_auc
from auditkit.report.tables import as_floats
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.stats.counts import FN, FP, TN, TP, confusion_cells, rates_from_counts
from auditkit.steps._base import Step


@dataclass
class PerformanceStep(Step):
    """Headline metrics over all audited rows.

    Binary: confusion matrix and rates (plus AUC/Brier with scores); multiclass: accuracy,
    balanced accuracy, macro precision/recall/F1 and the confusion matrix (rows = truth);
    regression: MAE, RMSE, R², mean error and mean prediction.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> overall = PerformanceStep().run(ctx).payload["overall"]
    >>> overall["n"], round(overall["accuracy"], 3), round(overall["f1"], 3)
    (400, 0.675, 0.692)
    """

    name = "performance"
    section = "performance"

    def run(self, ctx) -> StepResult:
        seen = training_rows_findings(ctx, self.name)
        if ctx.spec.task == "regression":
            return self._result(_regression_metrics(ctx.y_true, ctx.y_pred), {}, seen)
        if ctx.spec.task == "multiclass":
            metrics, confusion = _multiclass_metrics(ctx.y_true, ctx.y_pred, ctx.labels)
            return self._result(metrics, confusion, seen)
        cells = np.bincount(confusion_cells(ctx.y_true, ctx.y_pred), weights=ctx.weights, minlength=4).astype(np.int64)
        rates = {k: float(v) for k, v in rates_from_counts(cells).items()}
        precision, recall = rates["precision"], rates["true_positive_rate"]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else float("nan")
        metrics = {"n": int(cells.sum()), **rates, "recall": recall, "f1": f1}
        if ctx.y_score is not None:
            metrics.update(_score_metrics(ctx.y_true, ctx.y_score, ctx.score_kind == "probability", ctx.weights))
        elif ctx.score_cells is not None:  # engine="dask": the scores' statistics, computed on the workers
            metrics.update(ctx.score_cells.overall(ctx.y_true, ctx.score_kind == "probability"))
        confusion = {"tp": int(cells[TP]), "fp": int(cells[FP]), "fn": int(cells[FN]), "tn": int(cells[TN])}
        return self._result(metrics, confusion, seen + scores_not_probabilities(ctx, self.name, "the Brier score"))

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return performance_tables(payload)

    def _result(self, metrics: dict, confusion: dict, findings: list | None = None) -> StepResult:
        payload = {"overall": metrics}
        if confusion:
            payload["confusion_matrix"] = confusion
        return StepResult(name=self.name, section=self.section, payload=payload,
                          tables=performance_tables(payload), findings=findings or [])


def training_rows_findings(ctx, step: str) -> list[Finding]:
    """A medium finding when a given model is audited on rows of a bundled dataset's documented training part.

    Only with ``split="all"``: the held-out split (the default) has none of them, and the reference
    model is never audited on its training rows. Existing decisions (``predictions``) get none: no
    model auditkit knows of was trained on the dataset's training part. Which rows a model file was
    trained on is not recorded in it, so for other data this cannot be known and nothing is said.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from sklearn.dummy import DummyClassifier
    >>> german = datasets.load("german", split="train")
    >>> model = DummyClassifier().fit(german.data, german.target)
    >>> ctx = build_context(AuditSpec(data="german", model=model, split="all"))
    >>> [(f.id, f.severity, f.evidence["rows_in_training_part"]) for f in training_rows_findings(ctx, "performance")]
    [('performance.training_rows', 'medium', 700)]
    """
    split = ctx.provenance.get("split") or {}
    seen = split.get("rows_in_training_part")
    if ctx.mode != "model" or not seen:
        return []
    name, audited = ctx.spec.data, split["rows_audited"]
    return [Finding(
        id=f"{step}.training_rows", step=step, severity="medium",
        message=(f"{seen:,} of the {audited:,} audited rows are in {name}'s documented training part (split='all' "
                 "audits every row). A model scores better on rows it was trained on, so if this one was trained "
                 f"on that part, every figure of this audit may be better than on new data. Unless it never saw "
                 f"them, audit {name}'s held-out rows instead: leave split out (split='test')."),
        evidence={"dataset": name, "rows_in_training_part": seen, "rows_audited": audited,
                  "split": split.get("split")},
    )]


def performance_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``overall`` (one row per metric) and ``confusion_matrix``.

    The confusion matrix is one row of ``tp, fp, fn, tn`` for binary audits, and one row per
    true and predicted class (``true, predicted, n``) for multiclass audits.

    Examples
    --------
    >>> tables = performance_tables({"overall": {"n": 100, "accuracy": 0.75, "roc_auc": None},
    ...                              "confusion_matrix": {"tp": 40, "fp": 10, "fn": 15, "tn": 35}})
    >>> tables["overall"]
         metric   value
    0         n  100.00
    1  accuracy    0.75
    2   roc_auc     NaN
    >>> tables["confusion_matrix"]
       tp  fp  fn  tn
    0  40  10  15  35
    >>> multiclass = {"overall": {"n": 6}, "confusion_matrix": {"labels": ["a", "b"], "matrix": [[2, 1], [2, 1]]}}
    >>> performance_tables(multiclass)["confusion_matrix"]
      true predicted  n
    0    a         a  2
    1    a         b  1
    2    b         a  2
    3    b         b  1
    """
    payload = to_jsonable(payload)
    overall = payload.get("overall", {})
    tables = {"overall": as_floats(pd.DataFrame({"metric": list(overall), "value": list(overall.values())}),
                                   ["value"])}
    confusion = payload.get("confusion_matrix")
    if confusion and "matrix" in confusion:
        labels = confusion["labels"]
        tables["confusion_matrix"] = pd.DataFrame(
            [{"true": t, "predicted": p, "n": confusion["matrix"][i][j]}
             for i, t in enumerate(labels) for j, p in enumerate(labels)])
    elif confusion:
        tables["confusion_matrix"] = pd.DataFrame([confusion])
    return tables


def _regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    error = y_pred - y_true
    total = float(((y_true - y_true.mean()) ** 2).sum())
    return {
        "n": len(y_true),
        "mean_prediction": float(y_pred.mean()),
        "mean_target": float(y_true.mean()),
        "mean_error": float(error.mean()),
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt((error**2).mean())),
        "r2": 1.0 - float((error**2).sum()) / total if total > 0 else float("nan"),
    }


def _multiclass_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple) -> tuple[dict, dict]:
    k = len(labels)
    confusion = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(confusion.sum(1) > 0, np.diag(confusion) / confusion.sum(1), np.nan)
        precision = np.where(confusion.sum(0) > 0, np.diag(confusion) / confusion.sum(0), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    metrics = {
        "n": len(y_true),
        "accuracy": float(np.trace(confusion) / max(len(y_true), 1)),
        "balanced_accuracy": float(np.nanmean(recall)),
        "macro_precision": float(np.nanmean(precision)),
        "macro_recall": float(np.nanmean(recall)),
        "macro_f1": float(np.nanmean(np.where(np.isnan(recall) & np.isnan(precision), np.nan, f1))),
    }
    as_text = [str(label) for label in labels]
    return metrics, {"labels": as_text, "matrix": confusion.tolist()}


def _score_metrics(y_true: np.ndarray, y_score: np.ndarray, probabilities: bool,
                   weights: np.ndarray | None = None) -> dict[str, float]:
    """ROC AUC, and the Brier score when the scores are probabilities (NaN otherwise).

    As scikit-learn's ``roc_auc_score`` and ``brier_score_loss`` compute them (the larger label positive; tied
    scores count half a pair), without it: a predictions-only audit need not import scikit-learn (1.3 s).
    ``weights``: rows each row stands for (``AuditContext.weights``), as their ``sample_weight``.
    """
    out = {"roc_auc": float("nan"), "brier_score": float("nan")}
    classes = np.unique(y_true)
    positive = np.asarray(y_true) == classes[-1]
    scores = np.asarray(y_score, dtype=float)
    if len(classes) == 2:
        out["roc_auc"] = (overall_auc(positive, scores) if weights is None
                          else float(weighted_auc(positive, scores, np.asarray(weights, dtype=float)[None])[0]))
    if probabilities:
        out["brier_score"] = float(np.average((positive - scores) ** 2, weights=weights))  # weights None: the mean
    return out


def overall_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC of ``scores`` for the rows where ``positive`` is True against the others, tied pairs counted as one half.

    The positives' and the negatives' scores are each sorted once (no sort of every row with its
    labels), and every positive finds the negatives below and tied with it by a binary search.
    Pairs are counted as integers: up to about 10**8 rows the value is the same number, to the
    last bit, as :func:`auditkit.fairness.scores.weighted_auc` with unit weights (both divide the
    same exact count of ordered pairs by the same exact number of pairs).

    Examples
    --------
    >>> import numpy as np
    >>> overall_auc(np.array([False, False, True, True]), np.array([.1, .4, .35, .8]))
    0.75
    >>> overall_auc(np.array([False, True]), np.array([.5, .5]))  # a tie: half a pair
    0.5
    """
    positives = np.sort(scores[positive])
    negatives = np.sort(scores[~positive])
    pairs = len(positives) * len(negatives)
    if pairs == 0:
        return float("nan")
    below = int(np.searchsorted(negatives, positives, side="left").sum(dtype=np.int64))
    tied = int(np.searchsorted(negatives, positives, side="right").sum(dtype=np.int64)) - below
    return (2 * below + tied) / (2 * pairs)
