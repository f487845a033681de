"""Agreement: do SHAP and LIME tell the same story about the same instances?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.explain.agreement import METRICS, agreement
from auditkit.report.tables import records_frame
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.steps._base import COUNT, SHARE, Step
from auditkit.steps._explain_common import SECTION, top_names


@dataclass
class AgreementStep(Step):
    """SHAP vs LIME on the instances the LIME step explains (Krishna et al. 2022 metrics).

    SHAP and LIME use the settings the spec gives the ``shap`` and ``lime`` steps (as
    instances in ``steps`` or in ``step_options``), so the instances and attributions are those of the report; the step
    also runs on its own. LIME weights are averaged over the LIME repeats.

    Parameters
    ----------
    k : int, default 5
        Number of top features compared.
    min_agreement : float, default 0.5
        A finding is raised when the mean top-k feature agreement or sign agreement over
        the instances is below this.

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["agreement"],
    ...                         step_options={"lime": {"n_instances": 2, "repeats": 2, "num_samples": 300}})
    >>> agreement = result.step("agreement").payload["agreement"]
    >>> agreement["k"], agreement["shap_explainer"], len(agreement["instances"])
    (5, 'tree', 2)
    """

    k: int = 5
    min_agreement: float = 0.5

    name = "agreement"
    section = SECTION
    needs_model = True
    constraints = {"k": [COUNT], "min_agreement": [SHARE]}

    def run(self, ctx) -> StepResult:
        # The shap and lime steps as the spec sets them (instances or step_options): their work is
        # shared through ctx.cache, so what they computed in this audit is reused, not redone.
        lime = ctx.spec.step("lime").explain(ctx)
        shap = ctx.spec.step("shap")
        engine = shap.engine(ctx)
        if lime.runs is None:
            empty = {"agreement": {"k": self.k, "instances": []}}
            return StepResult(name=self.name, section=self.section, payload=empty, tables=agreement_tables(empty))
        positions = lime.instances["position"].to_numpy()
        shap_values = shap.values_at(ctx, positions)
        if list(lime.runs.features) != list(engine.features):
            raise RuntimeError("SHAP and LIME explain different feature lists")
        table = self.compare(shap_values, lime.mean_weights, lime.instances)
        summary = self._summary(table, shap_values, lime.mean_weights, engine.features)
        payload = {"agreement": {
            "k": min(self.k, len(engine.features)), "min_agreement": self.min_agreement,
            "shap_explainer": engine.explainer, "shap_output_space": engine.output_space,
            "lime_output_space": lime.runs.output_space, "lime_repeats_averaged": len(lime.seeds),
            "summary": summary,
            "instances": table.drop(columns=["position"]).to_dict("records"),
        }}
        return StepResult(name=self.name, section=self.section, payload=payload, tables=agreement_tables(payload),
                          findings=[self._finding(payload["agreement"], table)])

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return agreement_tables(payload)

    def compare(self, shap_values: np.ndarray, lime_weights: np.ndarray, instances: pd.DataFrame) -> pd.DataFrame:
        """One row per instance with every agreement metric."""
        rows = [agreement(s, w, self.k) for s, w in zip(shap_values, lime_weights, strict=True)]
        table = instances[["position", "row_id", "reason"]].reset_index(drop=True)
        return pd.concat([table, pd.DataFrame(rows, columns=list(METRICS))], axis=1)

    def _summary(self, table: pd.DataFrame, shap_values, lime_weights, features) -> dict[str, Any]:
        k = min(self.k, len(features))
        shap_top = top_names(features, np.abs(shap_values).mean(axis=0), k)
        lime_top = top_names(features, np.abs(lime_weights).mean(axis=0), k)
        return {
            "mean": {m: _mean(table[m]) for m in METRICS},
            "min": {m: _min(table[m]) for m in METRICS},
            "instances_below": int((table["feature_agreement"] < self.min_agreement).sum()),
            "shap_top_features": shap_top,
            "lime_top_features": lime_top,
            "top_features_in_both": [f for f in shap_top if f in lime_top],
        }

    def _finding(self, doc: dict, table: pd.DataFrame) -> Finding:
        mean, summary = doc["summary"]["mean"], doc["summary"]
        k, n = doc["k"], len(table)
        both = ", ".join(summary["top_features_in_both"]) or "none"
        spaces = (f" (SHAP explains {doc['shap_output_space']}, LIME {doc['lime_output_space']}: "
                  "part of the difference may come from that)"
                  if doc["shap_output_space"] != doc["lime_output_space"] else "")
        evidence = {"summary": summary, "k": k}
        low = mean["feature_agreement"] < self.min_agreement or mean["sign_agreement"] < self.min_agreement
        if not low:
            return Finding(
                id=f"{self.name}.agree", step=self.name, severity="info",
                message=(f"SHAP and LIME agree above the {self.min_agreement:.0%} threshold on {n} instances: "
                         f"on average they share {mean['feature_agreement']:.0%} of their top-{k} features and "
                         f"{mean['sign_agreement']:.0%} also agree in sign{spaces}; "
                         f"{summary['instances_below']} instance(s) fall below the threshold."),
                evidence=evidence)
        return Finding(
            id=f"{self.name}.disagree", step=self.name, severity="medium",
            message=(
                f"SHAP and LIME disagree on {n} explained instances: on average they share only "
                f"{mean['feature_agreement']:.0%} of their top-{k} features and {mean['sign_agreement']:.0%} "
                f"agree in sign as well (threshold {self.min_agreement:.0%}); "
                f"{summary['instances_below']} instances fall below the threshold{spaces}. "
                f"Do not rely on either single explanation: the features both rank among the top {k} "
                f"overall ({both}) are the safer reading; check the others with the SHAP dependence plots."
            ),
            evidence=evidence)


def agreement_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``instances``: one row per instance explained by both, with every agreement metric.

    Examples
    --------
    >>> payload = {"agreement": {"k": 5, "instances": [
    ...     {"row_id": 7, "reason": "most confident error", "feature_agreement": 0.6, "rank_agreement": 0.2,
    ...      "sign_agreement": 0.6, "signed_rank_agreement": 0.2, "rank_correlation": 0.5,
    ...      "pairwise_rank_agreement": None}]}}
    >>> agreement_tables(payload)["instances"][["row_id", "feature_agreement", "pairwise_rank_agreement"]]
       row_id  feature_agreement  pairwise_rank_agreement
    0       7                0.6                      NaN
    """
    instances = to_jsonable(payload).get("agreement", {}).get("instances", [])
    return {"instances": records_frame(instances, ("row_id", "reason", *METRICS), floats=METRICS)}


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _min(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.min()) if len(values) else None
