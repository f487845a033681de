"""SHAP: global importance, additivity check and attributions by sensitive group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.explain.group_attributions import gap_decomposition, group_means, reference_group
from auditkit.explain.shap_sample import TREESHAP_STEPS_PER_SECOND, RowSample, automatic_rows, stratified_rows
from auditkit.explain.shap_values import EXPLAINERS, Attribution, ShapEngine, build_shap_engine
from auditkit.params import Interval, Options
from auditkit.report.tables import records_frame
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.steps._base import COUNT, SHARE, Step
from auditkit.steps._explain_common import SECTION, row_ids, shap_row_seeds, top_names
from auditkit.steps._shap_findings import (
    additivity_finding,
    budget_finding,
    output_space_finding,
    states_another_scale,
    worth_stating,
)


@dataclass
class ShapStep(Step):
    """SHAP values of the audited rows, reported on the original feature columns.

    The explainer is chosen for the model (TreeSHAP for tree ensembles, the linear explainer
    for linear models, the permutation explainer otherwise); Pipelines are explained on the
    final estimator's inputs and the attributions of one-hot dummies summed back to their
    column. The output the values add up to is named (probability, log-odds, the prediction or
    the log of the prediction for log-link regressors, ...), and every audit checks additivity
    (SHAP values + base value = model output) in that space, as it does the group gaps.

    Parameters
    ----------
    explainer : {"auto", "tree", "linear", "permutation"}, default "auto"
    max_rows : int, optional
        Most rows explained: a seeded sample stratified by sensitive group when fewer than the
        audited rows (:func:`~auditkit.explain.shap_sample.stratified_rows`; every group gets
        rows, and means are weighted back to the audited rows). Default: the spec's ``shap_rows``;
        without it, ``agnostic_max_rows`` for the permutation explainer and for the others
        :func:`~auditkit.explain.shap_sample.automatic_rows` (1,000 rows, fewer for a model whose
        TreeSHAP would take over about 30 s).
    agnostic_max_rows : int, default 200
    background_size : int, default 100
        Seeded sample of training rows (audited rows for user models) the linear and
        permutation explainers integrate over. Path-dependent TreeSHAP needs none.
    n_permutations : int, default 10
        Permutation explainer: forward and backward passes per row.
    additivity_rtol : float, optional
        Largest acceptable ``|sum + base - output|`` relative to the output's scale (the
        largest ``|output|`` or ``|base| + sum |SHAP|`` of a row). Default: 1,000 units in the
        last place of the precision the model computes in (1.2e-4 for float32 models such as
        XGBoost, whose rounding errors grow with the number of trees; 1e-9 for float64).
    top_features : int, default 5
        Features shown in dependence plots and named in findings.
    min_group_size : int, optional
        Groups smaller than this get no gap decomposition; default the spec's.
    direct_use_share : float, default 0.1
        Flag a sensitive feature that is a model input and accounts for at least this share
        of the largest gap in mean output between its groups.

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, steps=["shap"])
    >>> result.step("shap").payload["shap"]["explainer"]
    'tree'
    """

    explainer: str = "auto"
    max_rows: int | None = None
    agnostic_max_rows: int = 200
    background_size: int = 100
    n_permutations: int = 10
    additivity_rtol: float | None = None
    top_features: int = 5
    min_group_size: int | None = None
    direct_use_share: float = 0.1

    name = "shap"
    section = SECTION
    needs_model = True
    constraints = {
        "explainer": [Options(EXPLAINERS)],
        "max_rows": [None, COUNT],
        "agnostic_max_rows": [COUNT],
        "background_size": [COUNT],
        "n_permutations": [COUNT],
        "additivity_rtol": [None, Interval(float, 0, 1, closed="neither")],
        "top_features": [COUNT],
        "min_group_size": [None, COUNT],
        "direct_use_share": [SHARE],
    }

    def engine(self, ctx) -> ShapEngine:
        """The prepared explainer for the audit's model (built once per audit)."""
        key = ("shap.engine", self.explainer, self.background_size, self.n_permutations)
        return ctx.cache.get_or_compute(key, lambda: build_shap_engine(
            ctx.model, background_rows(ctx, self.background_size), ctx.positive_label,
            explainer=self.explainer, n_permutations=self.n_permutations, rows=ctx.X,
        ))

    def explained(self, ctx) -> tuple[ShapEngine, RowSample, Attribution]:
        """The engine, the rows this step explains (with their weights) and their SHAP values (once per audit)."""
        engine = self.engine(ctx)

        def explain() -> tuple[RowSample, Attribution]:
            sample = self.rows_to_explain(ctx, engine)
            positions = sample.positions
            return sample, engine.explain(ctx.X.iloc[positions], shap_row_seeds(ctx)[positions])

        sample, attribution = ctx.cache.get_or_compute(self._values_key(), explain)
        return engine, sample, attribution

    def values_at(self, ctx, positions: np.ndarray) -> np.ndarray:
        """SHAP values of the audited rows at ``positions``, reused from this step's run when it explained them.

        Each row's values depend only on the row (and its seed), so reused and new values are the same.
        """
        engine = self.engine(ctx)
        done = ctx.cache.get(self._values_key())
        if done is not None and np.isin(positions, done[0].positions).all():
            sample, attribution = done
            return attribution.values[np.searchsorted(sample.positions, positions)]
        return engine.explain(ctx.X.iloc[positions], shap_row_seeds(ctx)[positions]).values

    def _values_key(self) -> tuple:
        return ("shap.values", self.explainer, self.background_size, self.n_permutations, self.max_rows,
                self.agnostic_max_rows, self.min_group_size)

    def run(self, ctx) -> StepResult:
        engine, sample, attribution = self.explained(ctx)
        positions = sample.positions
        importance = attribution_importance(attribution, engine.features, sample.weights)
        groups = self._group_view(ctx, attribution, engine, sample)
        payload = {
            "global_importance": importance.to_dict("records"),
            "shap": self._summary(ctx, engine, attribution, sample, importance),
            "group_attributions": groups,
        }
        return StepResult(
            name=self.name, section=self.section, payload=payload,
            tables=shap_tables(payload),
            findings=self._findings(engine, payload),
            artifacts=_artifacts(ctx, attribution, engine, positions),
        )

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return shap_tables(payload)

    def row_limit(self, ctx, engine: ShapEngine) -> tuple[int, str]:
        """Most rows to explain, and which setting says so: ``max_rows``, ``shap_rows``, ``agnostic_max_rows`` or
        ``automatic``."""
        if self.max_rows is not None:
            return int(self.max_rows), "max_rows"
        if getattr(ctx.spec, "shap_rows", None) is not None:
            return int(ctx.spec.shap_rows), "shap_rows"
        if engine.explainer == "permutation":
            return int(self.agnostic_max_rows), "agnostic_max_rows"
        return automatic_rows(engine.cost_per_row), "automatic"

    def rows_to_explain(self, ctx, engine: ShapEngine) -> RowSample:
        """The explained rows: all, or a seeded sample of at most ``row_limit`` rows stratified by sensitive group."""
        floor = self.min_group_size or ctx.spec.min_group_size
        return stratified_rows(ctx.sensitive, self.row_limit(ctx, engine)[0], ctx.rng("shap.rows"), floor)

    def _summary(self, ctx, engine, attribution, sample: RowSample, importance) -> dict[str, Any]:
        limit, source = self.row_limit(ctx, engine)
        sampled = len(sample.positions) < ctx.n_rows
        budget = {
            "rows_explained": len(sample.positions),
            "rows_audited": ctx.n_rows,
            "max_rows": limit,
            "max_rows_from": source,
            "seconds_per_row": None if engine.cost_per_row is None else engine.cost_per_row / TREESHAP_STEPS_PER_SECOND,
            "rows_sampled": sampled,
            "stratified_by": sample.stratified_by if sampled else [],
            "rows_by_group": sample.counts(ctx.sensitive) if sampled else {},
            "background_rows": engine.background_rows,
            "background_source": background_source(ctx) if engine.background_rows else None,
        }
        if engine.explainer == "permutation":
            budget["n_permutations"] = self.n_permutations
        return {
            "explainer": engine.explainer,
            "output_space": engine.output_space,
            "output": engine.output.to_dict(engine.explained_class),
            "explained_class": engine.explained_class,
            "fallback_reason": engine.fallback_reason,
            "model": _final_estimator_name(ctx.model),
            "encoded_columns": engine.feature_map.encoded_counts(),
            "budget": budget,
            "base_value": attribution.base_value,
            "mean_output": float(np.average(attribution.output, weights=sample.weights)),
            "additivity": attribution.additivity(engine.output.precision, self.additivity_rtol),
            "top_features": importance["feature"].head(self.top_features).tolist(),
        }

    def _group_view(self, ctx, attribution: Attribution, engine: ShapEngine, sample: RowSample) -> list[dict]:
        """Per sensitive feature: mean SHAP by group (weighted back to the audited rows) and the gap decomposition."""
        min_size = self.min_group_size or ctx.spec.min_group_size
        out = []
        for feature in ctx.sensitive_features:
            labels = ctx.sensitive[feature].to_numpy()[sample.positions]
            means = group_means(attribution.values, attribution.output, labels, engine.features, sample.weights)
            reference = reference_group(means, ctx.spec.reference_groups.get(feature))
            big = [g for g, n in zip(means.groups, means.n, strict=True) if n >= min_size]
            gaps = [gap_decomposition(means, g, reference) for g in big if g != reference] if reference in big else []
            out.append({"sensitive_feature": feature, "output_space": engine.output_space, "reference": reference,
                        "min_group_size": min_size, "groups": _groups_json(means), "gaps": gaps})
        return out

    def _findings(self, engine: ShapEngine, payload: dict) -> list[Finding]:
        summary = payload["shap"]
        findings = [budget_finding(self.name, summary)] if worth_stating(summary) else []
        if states_another_scale(summary["output"]):
            findings.append(output_space_finding(self.name, summary))
        if not summary["additivity"]["holds"]:
            findings.append(additivity_finding(self.name, summary))
        for view in payload["group_attributions"]:
            findings.extend(self._gap_findings(view, engine))
        return findings

    def _gap_findings(self, view: dict, engine: ShapEngine) -> list[Finding]:
        if not view["gaps"]:
            return []
        feature = view["sensitive_feature"]
        widest = max(view["gaps"], key=lambda g: (abs(g["gap"]), g["group"]))
        space = engine.output_space
        parts = ", ".join(f"{c['feature']} {c['contribution']:+.3g}" for c in widest["contributions"][:3])
        direction = "higher" if widest["gap"] > 0 else "lower"
        evidence = {"sensitive_feature": feature, "output_space": space, **widest}
        ratio = ""
        if engine.output.link == "log":
            evidence["geometric_mean_ratio"] = times = float(np.exp(widest["gap"]))
            ratio = f" (their geometric mean prediction is {times:.3g} times the reference's)"
        out = [Finding(
            id=f"{self.name}.group_gap.{feature}", step=self.name, severity="info",
            message=(
                f"Mean model output ({space}) is {abs(widest['gap']):.3g} {direction} for "
                f"{feature}={widest['group']} than for {feature}={widest['reference']} (reference){ratio}. "
                f"By SHAP additivity this gap splits exactly over the features; the largest parts: {parts}."
            ),
            evidence=evidence,
        )]
        direct = next((c["contribution"] for c in widest["contributions"] if c["feature"] == feature), None)
        share = abs(direct) / abs(widest["gap"]) if direct is not None and widest["gap"] != 0 else 0.0
        if share >= self.direct_use_share:
            out.append(Finding(
                id=f"{self.name}.direct_use.{feature}", step=self.name, severity="medium",
                message=(
                    f"The model uses the sensitive feature {feature} directly: it accounts for "
                    f"{direct:+.3g} of the {widest['gap']:+.3g} {space} gap between {feature}={widest['group']} "
                    f"and {feature}={widest['reference']} ({share:.0%}). The rest comes through other "
                    "features, so dropping the column alone would not close the gap."
                ),
                evidence={**evidence, "direct_contribution": direct, "share": share},
            ))
        return out


def _groups_json(means) -> list[dict]:
    return [
        {"group": g, "n": int(n), "mean_output": float(o),
         "mean_shap": dict(zip(means.features, row.tolist(), strict=True))}
        for g, n, o, row in zip(means.groups, means.n, means.mean_output, means.mean_shap, strict=True)
    ]


def background_source(ctx) -> str:
    """Where the background rows come from: ``"training rows"`` of the reference model, else ``"audited rows"``.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", sample=200, seed=1))  # with the reference model
    >>> background_source(ctx)
    'training rows'
    """
    return "training rows" if ctx.X_train is not None else "audited rows"


def background_rows(ctx, size: int) -> pd.DataFrame:
    """A seeded sample of ``size`` rows of the training data (or of the audited rows).

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", sample=200, seed=1))  # with the reference model
    >>> len(background_rows(ctx, 50)), background_source(ctx)
    (50, 'training rows')
    """
    source = ctx.X_train if ctx.X_train is not None else ctx.X
    if len(source) <= size:
        return source
    picked = np.sort(ctx.rng("shap.background").choice(len(source), size=int(size), replace=False))
    return source.iloc[picked]


def attribution_importance(attribution: Attribution, features: list[str],
                           weights: np.ndarray | None = None) -> pd.DataFrame:
    """Mean absolute SHAP value per feature (weighted by ``weights`` when given), largest first (ties: column order).

    Examples
    --------
    >>> import numpy as np
    >>> from auditkit.explain.shap_values import Attribution
    >>> attribution = Attribution(np.array([[0.1, -0.4], [0.3, 0.2]]), base_value=0.0, output=np.array([-0.3, 0.5]))
    >>> attribution_importance(attribution, ["age", "income"])
      feature  mean_abs_shap
    0  income            0.3
    1     age            0.2
    """
    values = np.abs(attribution.values)
    scores = np.average(values, axis=0, weights=weights) if len(values) else np.zeros(len(features))
    order = top_names(features, scores, len(features))
    lookup = dict(zip(features, scores.tolist(), strict=True))
    return pd.DataFrame({"feature": order, "mean_abs_shap": [lookup[f] for f in order]})


def _final_estimator_name(model: Any) -> str:
    steps = getattr(model, "steps", None)
    return type(steps[-1][1] if steps else model).__name__


def shap_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``global_importance``; per sensitive feature ``group_mean_shap.<feature>`` and ``gap_decomposition.<feature>``.

    ``global_importance`` has no interval columns: the step computes no interval for it.

    Examples
    --------
    >>> view = {"sensitive_feature": "sex", "groups": [{"group": "f", "mean_shap": {"age": -0.2}},
    ...                                                  {"group": "m", "mean_shap": {"age": 0.1}}],
    ...         "gaps": [{"group": "f", "reference": "m", "contributions": [{"feature": "age", "contribution": -0.3}]}]}
    >>> tables = shap_tables({"global_importance": [{"feature": "age", "mean_abs_shap": 0.4}],
    ...                       "group_attributions": [view]})
    >>> list(tables), tables["gap_decomposition.sex"].values.tolist()
    (['global_importance', 'group_mean_shap.sex', 'gap_decomposition.sex'], [['f', 'm', 'age', -0.3]])
    """
    payload = to_jsonable(payload)
    tables = {"global_importance": records_frame(payload.get("global_importance", []), ("feature", "mean_abs_shap"),
                                                 floats=["mean_abs_shap"])}
    for view in payload.get("group_attributions", []):
        feature = view["sensitive_feature"]
        rows = [{"group": g["group"], "feature": f, "mean_shap": v}
                for g in view["groups"] for f, v in g["mean_shap"].items()]
        tables[f"group_mean_shap.{feature}"] = records_frame(rows, ("group", "feature", "mean_shap"),
                                                             floats=["mean_shap"])
        parts = [{"group": gap["group"], "reference": gap["reference"], "feature": c["feature"],
                  "contribution": c["contribution"]} for gap in view["gaps"] for c in gap["contributions"]]
        tables[f"gap_decomposition.{feature}"] = records_frame(parts, ("group", "reference", "feature",
                                                                       "contribution"), floats=["contribution"])
    return tables


def _artifacts(ctx, attribution: Attribution, engine: ShapEngine, positions) -> dict[str, pd.DataFrame]:
    """Per-row SHAP values, the rows' feature values and ids (for beeswarm and dependence plots)."""
    values = pd.DataFrame(attribution.values, columns=engine.features)
    data = ctx.X.iloc[positions].reset_index(drop=True)
    for col in data.columns:
        if not pd.api.types.is_numeric_dtype(data[col]):
            data[col] = data[col].map(lambda v: None if pd.isna(v) else str(v)).astype(object)
    rows = pd.DataFrame({"row_id": [str(r) for r in row_ids(ctx.X.index[positions])],
                         "output": attribution.output})
    return {"values": values, "features": data[engine.features], "rows": rows}
