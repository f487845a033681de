"""LIME: local explanations of chosen rows, each repeated with several seeds to measure stability."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from auditkit.explain.agreement import top_k
from auditkit.explain.lime_runs import LimeRuns, explain_with_lime
from auditkit.params import Boolean, Interval, ListOf, Scalar
from auditkit.report.tables import records_frame
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.steps._base import COUNT, SHARE, Step
from auditkit.steps._explain_common import SECTION, row_ids


@dataclass(frozen=True)
class LimeOutcome:
    """The explained instances and their LIME runs.

    Attributes
    ----------
    instances : DataFrame
        ``position`` (in the audited rows), ``row_id`` and ``reason`` (why it was chosen).
    runs : LimeRuns
    seeds : list of int
        The seed of each repeat.
    missing_ids : list
        Requested row ids that are not among the audited rows.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", sample=200, seed=1))  # with the reference model
    >>> outcome = LimeStep(n_instances=2, repeats=2, num_samples=300).explain(ctx)
    >>> outcome.instances.columns.tolist(), outcome.mean_weights.shape, len(outcome.seeds)
    (['position', 'row_id', 'reason'], (2, 20), 2)
    """

    instances: pd.DataFrame
    runs: LimeRuns | None
    seeds: list[int]
    missing_ids: list[Any]

    @property
    def mean_weights(self) -> np.ndarray:
        """LIME weights averaged over the repeats, shape ``(n_instances, n_features)``."""
        return self.runs.weights.mean(axis=1)


@dataclass
class LimeStep(Step):
    """LIME explanations of chosen instances, repeated with ``repeats`` seeds.

    Parameters
    ----------
    n_instances : int, default 20
        Instances explained when ``row_ids`` is not given: the most confident errors of each
        sensitive group (``errors_per_group`` each; confidence is the score's distance beyond the
        decision threshold, see :func:`decision_confidence`) and a seeded random sample for the rest.
    row_ids : list, optional
        Explain exactly these rows (labels of the audited data's index).
    errors_per_group : int, default 1
    repeats : int, default 5
        Each explanation is computed this many times, repeat ``r`` with a seed derived from
        the audit seed and ``r``; the spread across repeats measures stability.
    num_samples : int, default 5000
        Perturbed samples LIME draws per explanation.
    top_k : int, default 5
        Size of the top-feature sets compared across repeats (Jaccard index).
    min_jaccard : float, default 0.6
        Instances whose mean top-k Jaccard across repeats is below this are unstable.
    discretize_continuous : bool, default True
        Explain numeric columns through quartile bins (LIME's default).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", sample=200, seed=1))  # with the reference model
    >>> step = LimeStep(n_instances=2, repeats=2, num_samples=300).run(ctx)
    >>> step.tables["instances"][["row_id", "reason"]].values.tolist()
    [[647, 'most confident error, sex=female'], [589, 'most confident error, sex=male']]
    >>> LimeStep(repeats=0)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: lime step: repeats must be an integer, at least 1; got 0 (int)
    """

    n_instances: int = 20
    row_ids: list[Any] | None = None
    errors_per_group: int = 1
    repeats: int = 5
    num_samples: int = 5000
    top_k: int = 5
    min_jaccard: float = 0.6
    discretize_continuous: bool = True

    name = "lime"
    section = SECTION
    needs_model = True
    constraints = {
        "n_instances": [COUNT],
        "row_ids": [None, ListOf(Scalar(), "a list of row labels")],
        "errors_per_group": [Interval(int, 0)],
        "repeats": [COUNT],
        "num_samples": [COUNT],
        "top_k": [COUNT],
        "min_jaccard": [SHARE],
        "discretize_continuous": [Boolean()],
    }

    def explain(self, ctx) -> LimeOutcome:
        """Choose the instances and explain them (computed once per audit and settings)."""
        return ctx.cache.get_or_compute(self._outcome_key(), lambda: self._explain(ctx))

    def _outcome_key(self) -> tuple:
        return ("lime.outcome", self.n_instances, tuple(self.row_ids or ()), self.errors_per_group, self.repeats,
                self.num_samples, self.discretize_continuous)

    def _explain(self, ctx) -> LimeOutcome:
        instances, missing = self.select_instances(ctx)
        seeds = lime_seeds(ctx, self.repeats)
        runs = None
        if len(instances):
            training = ctx.X_train if ctx.X_train is not None else ctx.X
            runs = explain_with_lime(
                ctx.model, ctx.X.iloc[instances["position"].to_numpy()], training, seeds,
                positive_label=ctx.positive_label, num_samples=self.num_samples,
                discretize_continuous=self.discretize_continuous,
            )
        return LimeOutcome(instances, runs, seeds, missing)

    def select_instances(self, ctx) -> tuple[pd.DataFrame, list[Any]]:
        """``(instances, requested ids not found)``: requested rows, or errors + a seeded sample."""
        if self.row_ids is not None:
            return _requested(ctx, self.row_ids)
        picked = _confident_errors(ctx, self.errors_per_group)[: self.n_instances]
        taken = {p for p, _ in picked}
        rest = np.array([p for p in range(ctx.n_rows) if p not in taken])
        n_random = min(self.n_instances - len(picked), len(rest))
        if n_random > 0:
            chosen = np.sort(ctx.rng("lime.instances").choice(rest, size=n_random, replace=False))
            picked += [(int(p), "random sample") for p in chosen]
        frame = pd.DataFrame(picked, columns=["position", "reason"])
        frame.insert(1, "row_id", row_ids(ctx.X.index[frame["position"].to_numpy()]))
        return frame, []

    def run(self, ctx) -> StepResult:
        outcome = self.explain(ctx)
        table = self._instance_table(ctx, outcome)
        payload = {"lime": self._payload(ctx, outcome, table)}
        return StepResult(name=self.name, section=self.section, payload=payload,
                          tables=lime_tables(payload), findings=self._findings(outcome, table))

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return lime_tables(payload)

    def _instance_table(self, ctx, outcome: LimeOutcome) -> pd.DataFrame:
        table = outcome.instances.copy()
        if outcome.runs is None:
            return table
        positions = table["position"].to_numpy()
        weights = outcome.runs.weights
        table["y_true"] = ctx.y_true[positions]
        table["y_pred"] = ctx.y_pred[positions]
        table["score"] = ctx.y_score[positions] if ctx.y_score is not None else np.nan
        table["top_k_jaccard"] = [mean_pairwise_jaccard(w, self.top_k) for w in weights]
        table["mean_weight_variance"] = weights.var(axis=1).mean(axis=1)
        table["max_weight_std"] = weights.std(axis=1).max(axis=1)
        table["local_r2"] = outcome.runs.local_r2.mean(axis=1)
        return table

    def _payload(self, ctx, outcome: LimeOutcome, table: pd.DataFrame) -> dict[str, Any]:
        runs = outcome.runs
        out: dict[str, Any] = {
            "num_samples": self.num_samples, "repeats": self.repeats, "seeds": outcome.seeds,
            "top_k": self.top_k, "min_jaccard": self.min_jaccard,
            "discretize_continuous": self.discretize_continuous,
            "training_rows": len(ctx.X_train) if ctx.X_train is not None else ctx.n_rows,
            "output_space": runs.output_space if runs else None,
            "imputed_numeric_values": runs.imputed_numeric if runs else 0,
            "missing_row_ids": outcome.missing_ids,
            "instances": [],
        }
        if runs is None:
            return out
        for i, row in enumerate(table.to_dict("records")):
            out["instances"].append({
                **{k: row[k] for k in ("row_id", "reason", "y_true", "y_pred", "score", "top_k_jaccard",
                                       "mean_weight_variance", "max_weight_std", "local_r2")},
                "weights": dict(zip(runs.features, outcome.mean_weights[i].tolist(), strict=True)),
                "weight_std": dict(zip(runs.features, runs.weights[i].std(axis=0).tolist(), strict=True)),
                "conditions": [{"condition": c, "weight": w} for c, w in runs.conditions[i][: self.top_k]],
            })
        jac = table["top_k_jaccard"]
        out["stability"] = {
            "mean_top_k_jaccard": float(jac.mean()),
            "min_top_k_jaccard": float(jac.min()),
            "mean_weight_variance": float(table["mean_weight_variance"].mean()),
            "unstable_instances": int((jac < self.min_jaccard).sum()),
        }
        return out

    def _findings(self, outcome: LimeOutcome, table: pd.DataFrame) -> list[Finding]:
        findings = []
        if outcome.missing_ids:
            shown = ", ".join(map(str, outcome.missing_ids[:10]))
            findings.append(Finding(
                id=f"{self.name}.missing_rows", step=self.name, severity="medium",
                message=(f"{len(outcome.missing_ids)} requested row id(s) are not among the audited rows "
                         f"and were not explained: {shown}."),
                evidence={"missing_row_ids": outcome.missing_ids},
            ))
        if outcome.runs is None or self.repeats < 2:
            return findings
        unstable = table[table["top_k_jaccard"] < self.min_jaccard]
        if len(unstable):
            findings.append(Finding(
                id=f"{self.name}.unstable", step=self.name, severity="medium",
                message=(
                    f"LIME explanations of {len(unstable)} of {len(table)} instances change with the random "
                    f"seed: across {self.repeats} repeats their top-{self.top_k} features overlap by less than "
                    f"{self.min_jaccard:.0%} (mean Jaccard index). Do not act on a single LIME explanation "
                    f"of these rows; raise num_samples (now {self.num_samples}) or rely on SHAP."
                ),
                evidence={"row_ids": unstable["row_id"].tolist(),
                          "top_k_jaccard": unstable["top_k_jaccard"].tolist()},
            ))
        return findings


INSTANCE_COLUMNS = ("row_id", "reason", "y_true", "y_pred", "score", "top_k_jaccard", "mean_weight_variance",
                    "max_weight_std", "local_r2")


def lime_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``instances`` (one row per explained row: why it was chosen, its stability) and ``weights``.

    ``weights`` has one row per instance and feature: the LIME weight averaged over the
    repeats and its standard deviation across them.

    Examples
    --------
    >>> payload = {"lime": {"instances": [
    ...     {"row_id": 7, "reason": "most confident error", "y_true": 0, "y_pred": 1, "score": 0.97,
    ...      "top_k_jaccard": 0.5, "mean_weight_variance": 0.001, "max_weight_std": 0.05, "local_r2": 0.3,
    ...      "weights": {"age": 0.2, "income": -0.1}, "weight_std": {"age": 0.02, "income": 0.05}}]}}
    >>> tables = lime_tables(payload)
    >>> tables["instances"][["row_id", "reason", "score", "top_k_jaccard"]]
       row_id                reason  score  top_k_jaccard
    0       7  most confident error   0.97            0.5
    >>> tables["weights"]
       row_id feature  weight  weight_std
    0       7     age     0.2        0.02
    1       7  income    -0.1        0.05
    """
    instances = to_jsonable(payload).get("lime", {}).get("instances", [])
    columns = [{k: row.get(k) for k in INSTANCE_COLUMNS} for row in instances]
    weights = [{"row_id": row["row_id"], "feature": feature, "weight": weight,
                "weight_std": row.get("weight_std", {}).get(feature)}
               for row in instances for feature, weight in row.get("weights", {}).items()]
    return {"instances": records_frame(columns, INSTANCE_COLUMNS, floats=INSTANCE_COLUMNS[4:]),
            "weights": records_frame(weights, ("row_id", "feature", "weight", "weight_std"),
                                     floats=["weight", "weight_std"])}


def lime_seeds(ctx, repeats: int) -> list[int]:
    """Seed of each repeat, derived from the audit seed (the first seeds do not depend on ``repeats``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> ctx = SimpleNamespace(rng=lambda salt: np.random.default_rng(0))
    >>> lime_seeds(ctx, 3)[:2] == lime_seeds(ctx, 2)  # the first seeds do not depend on the number of repeats
    True
    """
    return [int(s) for s in ctx.rng("lime.seeds").integers(0, 2**31 - 1, size=repeats)]


def mean_pairwise_jaccard(weights: np.ndarray, k: int) -> float:
    """Mean Jaccard index of the top-k feature sets over all pairs of repeats (1.0 for one repeat).

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.array([[0.5, 0.3, 0.1, 0.0], [0.5, 0.0, 0.3, 0.1]])  # two repeats, four features
    >>> round(mean_pairwise_jaccard(weights, k=2), 3)  # top-2 sets {0, 1} and {0, 2}
    0.333
    """
    sets = [set(top_k(w, k).tolist()) for w in weights]
    pairs = list(combinations(sets, 2))
    if not pairs:
        return 1.0
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs]))


def _requested(ctx, ids: list[Any]) -> tuple[pd.DataFrame, list[Any]]:
    lookup = {str(label): i for i, label in enumerate(ctx.X.index)}
    ids = list(dict.fromkeys(ids))
    found = [(lookup[str(r)], "requested") for r in ids if str(r) in lookup]
    missing = [r for r in ids if str(r) not in lookup]
    frame = pd.DataFrame(found, columns=["position", "reason"])
    frame.insert(1, "row_id", row_ids(ctx.X.index[frame["position"].to_numpy()]))
    return frame, missing


def _confident_errors(ctx, per_group: int) -> list[tuple[int, str]]:
    """The most confident wrong decisions of every sensitive group (largest margin first)."""
    if ctx.y_score is None or per_group == 0 or getattr(ctx.spec, "task", "binary") != "binary":
        return []
    wrong = ctx.y_pred != ctx.y_true
    confidence = decision_confidence(ctx.y_pred, ctx.y_score, ctx.score_kind)

    def most_confident(feature: str) -> Iterator[tuple[str, Any, np.ndarray]]:
        labels = ctx.sensitive[feature].to_numpy()
        for group in sorted(set(labels.tolist()), key=str):
            candidates = np.flatnonzero(wrong & (labels == group))
            yield feature, group, candidates[np.argsort(-confidence[candidates], kind="stable")][:per_group]

    return error_picks(pick for feature in ctx.sensitive_features for pick in most_confident(feature))


def error_picks(tops: Iterable[tuple[str, Any, Iterable[int]]]) -> list[tuple[int, str]]:
    """``(position, reason)`` of each group's most confident errors, in order, a row picked once (for its first group).

    Parameters
    ----------
    tops : iterable of (feature, group, positions)
        Per sensitive feature and group, in the order to pick, the positions of its most confident errors.

    Examples
    --------
    >>> error_picks([("sex", "f", [4, 2]), ("sex", "m", [7]), ("race", "b", [2, 9])])
    [(4, 'most confident error, sex=f'), (2, 'most confident error, sex=f'), (7, 'most confident error, sex=m'), \
(9, 'most confident error, race=b')]
    """
    picked: list[tuple[int, str]] = []
    for feature, group, positions in tops:
        for p in positions:
            if int(p) not in {q for q, _ in picked}:
                picked.append((int(p), f"most confident error, {feature}={group}"))
    return picked


def decision_confidence(y_pred: np.ndarray, y_score: np.ndarray, score_kind: str | None,
                        threshold: float | None = None) -> np.ndarray:
    """How far each score lies beyond the decision threshold, on the side of its decision.

    A positive decision is the more confident the further its score lies above the threshold,
    a negative one the further below; a score on the other side of the threshold gives a
    negative confidence. The threshold is ``threshold`` if given (the Dask engine's, found from all
    rows while each partition's rows are scored), else :func:`decision_threshold`. For probabilities this
    ranks as ``p`` for positive and ``1 - p`` for negative decisions; for decision scores (any
    scale, centred on 0 by scikit-learn's ``decision_function``) as ``s`` and ``-s``.

    Examples
    --------
    >>> decision_confidence(np.array([1, 0, 1, 0]), np.array([3.0, -2.0, 0.5, 1.0]), "decision").tolist()
    [3.0, 2.0, 0.5, -1.0]
    """
    if threshold is None:
        threshold = decision_threshold(y_pred, y_score, score_kind)
    margin = y_score - threshold
    return np.where(y_pred == 1, margin, -margin)


def decision_threshold(y_pred: np.ndarray, y_score: np.ndarray, score_kind: str | None) -> float:
    """The score the decisions were made at: 0.5 for probabilities, 0 for decision scores.

    When the decisions contradict that default but a threshold separates them (a scores column
    thresholded by the user, e.g. risk deciles 1-10 with "high risk" from 5 on), the midpoint of
    the gap between the highest score decided negative and the lowest decided positive.

    Examples
    --------
    >>> decision_threshold(np.array([0, 0, 1]), np.array([2.0, 4.0, 5.0]), "decision")
    4.5
    >>> decision_threshold(np.array([0, 1]), np.array([-0.3, 0.2]), "decision")
    0.0
    """
    default = 0.5 if score_kind == "probability" else 0.0
    positive, negative = y_score[y_pred == 1], y_score[y_pred != 1]
    if len(positive) == 0 or len(negative) == 0:
        return default
    highest_negative, lowest_positive = float(negative.max()), float(positive.min())
    if highest_negative <= default <= lowest_positive or highest_negative >= lowest_positive:
        return default
    return (highest_negative + lowest_positive) / 2
