"""The batch's summary: one row per audit (``summary.csv``), built from each audit's ``audit.json``.

Columns, in this order: ``name``, ``model``, ``dataset``, ``status`` (``ok``, ``partial`` when a step
failed, ``failed``), ``error``, ``seconds``, ``resumed``, ``report`` (the audit's ``report.html``, or its
``audit.json`` without a report, relative to the batch's folder), the model's ``source``, ``licence``,
``version`` and ``trust_types`` from the plan, its openness checklist (``openness``,
``openness_released``, ``openness_not_released``, ``openness_licences``: :func:`openness_cells`),
``n_rows``, ``model_sha256``, ``data_sha256``, key performance figures (those of :data:`KEY_PERFORMANCE`
the audits have), for each fairness criterion the worst difference between groups over every grouping
(``<name>``, ``<name>_ci_low``, ``<name>_ci_high``, ``<name>_grouping``, ``<name>_rank`` among the models
on the same dataset, ties where intervals overlap), ``policy`` (``passed``, ``failed``, ``undefined`` or
empty without a policy), ``policy_failed`` and ``top_features`` (the three largest mean absolute SHAP values).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.io.openness import openness_count

if TYPE_CHECKING:
    from auditkit.batch.plan import BatchPlan

HEAD_COLUMNS = ("name", "model", "dataset", "status", "error", "seconds", "resumed", "report", "source", "licence",
                "version", "trust_types", "openness", "openness_released", "openness_not_released",
                "openness_licences", "n_rows", "model_sha256", "data_sha256")
KEY_PERFORMANCE = ("accuracy", "balanced_accuracy", "roc_auc", "f1", "selection_rate", "brier_score",
                   "macro_f1", "r2", "mean_absolute_error", "root_mean_squared_error")
TOP_FEATURES = 3


def summary_frame(plan: BatchPlan, records: dict[str, dict[str, Any]], out: Path) -> pd.DataFrame:
    """One row per planned audit, in the plan's order (see the module's notes for the columns).

    Examples
    --------
    >>> from auditkit.batch.plan import BatchPlan
    >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": {"path": "m.skops",
    ...                             "licence": "MIT"}}}, check_files=False)
    >>> summary_frame(plan, {}, Path("nowhere"))[["name", "status", "licence"]].values.tolist()
    [['m-g', 'not run', 'MIT']]
    """
    rows = []
    for audit in plan.audits:
        record = records.get(audit.name, {"status": "not run", "error": "the batch stopped before this audit ran"})
        row = {"name": audit.name, "model": audit.model, "dataset": audit.dataset, "status": record.get("status"),
               "error": record.get("error") or "", "seconds": record.get("seconds"),
               "resumed": bool(record.get("resumed", False)), **_provenance_cells(audit.model_info)}
        if row["status"] in ("ok", "partial"):
            row.update(audit_figures(_read_json(out / audit.name / "audit.json")))
            rendered = (out / audit.name / "report.html").is_file()
            row["report"] = f"{audit.name}/{'report.html' if rendered else 'audit.json'}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("n_rows", "policy_failed"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    frame = frame.reindex(columns=[*HEAD_COLUMNS, *[c for c in frame.columns if c not in HEAD_COLUMNS]])
    return add_ranks(frame)


def _provenance_cells(info: dict[str, Any]) -> dict[str, Any]:
    cells = {key: info.get(key) for key in ("source", "licence", "version")}
    types = info.get("trust_types")
    cells["trust_types"] = "; ".join(map(str, types)) if isinstance(types, list) else types
    return {**cells, **openness_cells(info.get("openness"))}


def openness_cells(checklist: dict[str, dict[str, Any]] | None) -> dict[str, str]:
    """The summary's openness columns of a model's checklist (:func:`~auditkit.io.openness.checked_openness`).

    ``openness`` counts the Model Openness Framework's components stated released (``"2 of 17"``);
    ``openness_released`` and ``openness_not_released`` name them, ``openness_licences`` gives the
    licences stated (``component: licence``); components not stated are unknown and named nowhere.

    Examples
    --------
    >>> from auditkit.io.openness import checked_openness
    >>> checklist = checked_openness({"model_card": "https://example.org/card", "weights_licence": "MIT",
    ...                               "datasets": False})
    >>> openness_cells(checklist)
    {'openness': '2 of 17', 'openness_released': 'model_parameters; model_card', \
'openness_not_released': 'datasets', 'openness_licences': 'model_parameters: MIT'}
    """
    entries = checklist or {}
    return {"openness": openness_count(entries),
            "openness_released": "; ".join(k for k, entry in entries.items() if entry["released"]),
            "openness_not_released": "; ".join(k for k, entry in entries.items() if not entry["released"]),
            "openness_licences": "; ".join(f"{k}: {entry['licence']}" for k, entry in entries.items()
                                           if entry.get("licence"))}


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def audit_figures(document: dict[str, Any]) -> dict[str, Any]:
    """The summary's figures of one audit, from its ``audit.json`` document.

    Examples
    --------
    >>> document = {"dataset": {"n_rows": 90}, "performance": {"overall": {"accuracy": 0.75, "n": 90}},
    ...     "fairness": {"disparities": [
    ...         {"name": "demographic_parity_difference", "measure": "difference", "method": "between_groups",
    ...          "grouping": "sex", "value": 0.1, "ci": [0.0, 0.2]},
    ...         {"name": "demographic_parity_difference", "measure": "difference", "method": "between_groups",
    ...          "grouping": "age", "value": 0.3, "ci": [0.1, 0.5]}]},
    ...     "explanations": {"global_importance": [{"feature": "age", "mean_abs_shap": 0.5}]}}
    >>> figures = audit_figures(document)
    >>> figures["accuracy"], figures["demographic_parity_difference"], figures["demographic_parity_difference_grouping"]
    (0.75, 0.3, 'age')
    >>> figures["top_features"], figures["policy"]
    ('age', '')
    """
    provenance = document.get("provenance", {})
    figures: dict[str, Any] = {"n_rows": document.get("dataset", {}).get("n_rows"),
                               "model_sha256": provenance.get("model_sha256"),
                               "data_sha256": provenance.get("data_sha256")}
    overall = document.get("performance", {}).get("overall", {})
    figures.update({name: overall[name] for name in KEY_PERFORMANCE if name in overall})
    for name, worst in worst_disparities(document.get("fairness", {}).get("disparities", [])).items():
        low, high = (list(worst.get("ci") or []) + [None, None])[:2]
        figures.update({name: worst["value"], f"{name}_ci_low": low, f"{name}_ci_high": high,
                        f"{name}_grouping": worst.get("grouping")})
    figures.update(_policy_cells(document.get("checks", {}).get("results")))
    importance = document.get("explanations", {}).get("global_importance") or []
    ranked = sorted(importance, key=lambda row: -abs(float(row.get("mean_abs_shap") or 0)))
    figures["top_features"] = "; ".join(str(row["feature"]) for row in ranked[:TOP_FEATURES])
    return figures


def worst_disparities(disparities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each criterion, the largest defined difference between groups over every grouping (and class).

    Examples
    --------
    >>> rows = [{"name": "equal_opportunity_difference", "measure": "difference", "method": "between_groups",
    ...          "grouping": "sex", "value": None},
    ...         {"name": "equal_opportunity_ratio", "measure": "ratio", "method": "between_groups", "value": 0.8}]
    >>> worst_disparities(rows)
    {}
    """
    worst: dict[str, dict[str, Any]] = {}
    for row in disparities:
        if row.get("measure") != "difference" or row.get("method") != "between_groups" or not _finite(row.get("value")):
            continue
        name = row["name"]
        if name not in worst or float(row["value"]) > float(worst[name]["value"]):
            worst[name] = row
    return worst


def _policy_cells(results: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not results:
        return {"policy": "", "policy_failed": 0}
    statuses = [r.get("status") for r in results]
    failed = sum(status == "failed" for status in statuses)
    overall = "failed" if failed else "passed" if all(s == "passed" for s in statuses) else "undefined"
    return {"policy": overall, "policy_failed": failed}


def disparity_names(summary: pd.DataFrame) -> list[str]:
    """The criteria (``*_difference`` columns with intervals) the summary has, in column order.

    Examples
    --------
    >>> frame = pd.DataFrame(columns=["name", "equalized_odds_difference", "equalized_odds_difference_ci_low"])
    >>> disparity_names(frame)
    ['equalized_odds_difference']
    """
    return [c for c in summary.columns if f"{c}_ci_low" in summary.columns]


def add_ranks(summary: pd.DataFrame) -> pd.DataFrame:
    """Add ``<criterion>_rank``: 1 + the audits of the same dataset clearly better (interval entirely below).

    Two audits whose intervals overlap are not told apart; the rank is that of the best audit they may
    equal, so ties share a rank. Audits without a value have no rank.

    Examples
    --------
    >>> frame = pd.DataFrame({"dataset": ["d"] * 3, "gap": [0.05, 0.10, 0.40],
    ...                       "gap_ci_low": [0.0, 0.04, 0.30], "gap_ci_high": [0.09, 0.2, 0.5]})
    >>> add_ranks(frame)["gap_rank"].tolist()
    [1, 1, 3]
    """
    out = summary.copy()
    for name in disparity_names(summary):
        ranks = pd.Series(pd.NA, index=summary.index, dtype="Int64")
        for _, rows in summary.groupby("dataset", sort=False):
            defined = rows[rows[name].map(_finite)]
            for index, row in defined.iterrows():
                low = _bound(row[f"{name}_ci_low"], row[name])
                ranks[index] = 1 + sum(_bound(other[f"{name}_ci_high"], other[name]) < low
                                       for _, other in defined.iterrows())
        out[f"{name}_rank"] = ranks
    return out


def _bound(value: Any, estimate: Any) -> float:
    """An interval's bound, or the estimate itself when the interval is missing."""
    return float(value) if _finite(value) else float(estimate)


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
