"""The Hugging Face metadata of a model card (``model-index``), and the pieces of ``audit.json`` a card shows.

Everything here reads an ``audit.json`` document (:meth:`AuditResult.to_dict`) and copies its numbers.
"""

from __future__ import annotations

import re
from typing import Any

from auditkit.io.model_params import estimator_label

__all__ = ["BY_GROUP_METRICS", "MISSING", "disparities_shown", "front_matter", "gap_pair", "group_label",
           "grouping_name", "is_number", "model_kind", "model_name", "rates_shown"]

# Rates reported by group in the front matter and the per-group tables (when the audit has them).
BY_GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")
MISSING = "(missing)"
_TASK_TYPES = {"binary": ("tabular-classification", "Binary classification"),
               "multiclass": ("tabular-classification", "Multiclass classification"),
               "regression": ("tabular-regression", "Regression")}


def front_matter(doc: dict[str, Any]) -> dict[str, Any]:
    """The Hugging Face model-card metadata of an ``audit.json`` document (a dict for ``yaml.safe_dump``).

    ``model-index`` holds one result with the overall performance metrics, one per grouping with
    :data:`BY_GROUP_METRICS` of every group (``args`` names the group, its size and the interval),
    and one with the disparities that could be estimated.

    Examples
    --------
    >>> doc = {"provenance": {"model": {"name": "credit-v2"}}, "dataset": {"name": "loans"},
    ...        "performance": {"overall": {"n": 90, "accuracy": 0.75}}}
    >>> meta = front_matter(doc)
    >>> meta["datasets"], meta["model-index"][0]["results"][0]["metrics"]
    (['loans'], [{'type': 'accuracy', 'name': 'accuracy (overall)', 'value': 0.75, 'args': {'n': 90}}])
    """
    dataset = doc["dataset"]
    results = [r for r in (_overall_result(doc), *_by_group_results(doc), _disparity_result(doc)) if r["metrics"]]
    return {
        "license": _licence_id((doc["provenance"].get("model") or {}).get("licence")),
        "tags": ["auditkit", "fairness", "model-card", "tabular", *_step_tags(doc)],
        "datasets": [str(dataset.get("name"))],
        "metrics": sorted({m["type"] for r in results for m in r["metrics"]}),
        "model-index": [{"name": model_name(doc), "results": results}],
    }


def _licence_id(licence: Any) -> str:
    """The front matter's ``license``: an id as the Hub writes them (``MIT`` -> ``mit``), ``other`` or ``unknown``."""
    if not licence:
        return "unknown"
    text = str(licence).strip()
    return text.lower() if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", text) else "other"


def model_name(doc: dict[str, Any]) -> str:
    """What the report and the card call the audited model; the one place that names it.

    The user's ``model_name``; else the model's recorded name when it is not merely its class (a
    model file's stem); else its kind, ``"HistGradientBoostingClassifier in a Pipeline"`` for the
    last step of a Pipeline, else the class name; for an audit of existing decisions, their column.

    Examples
    --------
    >>> model_name({"provenance": {"model": None}, "dataset": {"spec": {"predictions": "decision"}}})
    'decisions in column decision'
    >>> pipeline = {"class": "sklearn.pipeline.Pipeline", "final_estimator": "LogisticRegression",
    ...             "name": "LogisticRegression"}
    >>> model_name({"provenance": {"model": pipeline}, "dataset": {"spec": {}}})
    'LogisticRegression in a Pipeline'
    >>> model_name({"provenance": {"model": pipeline}, "dataset": {"spec": {"model_name": "credit v2"}}})
    'credit v2'
    """
    model = doc.get("provenance", {}).get("model") or {}
    spec = doc.get("dataset", {}).get("spec") or {}
    if spec.get("model_name"):
        return str(spec["model_name"])
    if model:
        name, final = model.get("name"), model.get("final_estimator")
        if name and name != final:
            return str(name)
        if model.get("class") or final:
            return estimator_label(str(model.get("class") or final), final)
    if spec.get("predictions") is not None:
        return f"decisions in column {spec['predictions']}"
    return "the audited model"


def model_kind(doc: dict[str, Any]) -> str | None:
    """The audited model's kind in words (``"LogisticRegression in a Pipeline"``); None without a model.

    Examples
    --------
    >>> model_kind({"provenance": {"model": {"class": "sklearn.svm._classes.SVC", "final_estimator": "SVC"}}})
    'SVC'
    """
    model = doc.get("provenance", {}).get("model") or {}
    if not (model.get("class") or model.get("final_estimator")):
        return None
    return estimator_label(str(model.get("class") or model["final_estimator"]), model.get("final_estimator"))


def _task(doc: dict[str, Any]) -> dict[str, str]:
    kind, name = _TASK_TYPES.get(doc["dataset"].get("spec", {}).get("task", "binary"), _TASK_TYPES["binary"])
    return {"type": kind, "name": name}


def _dataset_entry(doc: dict[str, Any], split: str) -> dict[str, Any]:
    dataset = doc["dataset"]
    return {"type": str(dataset.get("name")), "name": str(dataset.get("name")), "split": split}


def _split_name(doc: dict[str, Any]) -> str:
    split = doc.get("provenance", {}).get("split") or {}
    if doc["dataset"].get("mode") == "reference":
        return "test (held out from the reference model's training)"
    return "test (the dataset's documented held-out split)" if split.get("split") == "test" else "audited rows"


def _step_tags(doc: dict[str, Any]) -> list[str]:
    ran = {s["name"] for s in doc.get("steps", [])}
    return [tag for steps, tag in (({"shap", "lime"}, "explainability"), ({"data_bias"}, "data-bias"))
            if ran & steps]


def is_number(value: Any) -> bool:
    """Whether ``value`` is a number of ``audit.json`` (not a bool, not ``null``).

    Examples
    --------
    >>> is_number(0.5), is_number(None), is_number(True)
    (True, False, False)
    """
    return isinstance(value, int | float) and not isinstance(value, bool)


def _overall_result(doc: dict[str, Any]) -> dict[str, Any]:
    overall = doc.get("performance", {}).get("overall", {})
    metrics = [{"type": key, "name": f"{key} (overall)", "value": value, "args": {"n": overall.get("n")}}
               for key, value in overall.items() if key != "n" and is_number(value)]
    return {"task": _task(doc), "dataset": _dataset_entry(doc, _split_name(doc)), "metrics": metrics}


def _by_group_results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    fairness = doc.get("fairness", {})
    level = fairness.get("settings", {}).get("ci_level")
    results: dict[str, dict[str, Any]] = {}
    for row in fairness.get("by_group", []):
        grouping = grouping_name(row["group"])
        entry = results.setdefault(grouping, {"task": _task(doc), "dataset": _dataset_entry(doc, _split_name(doc)),
                                              "metrics": []})
        for metric in rates_shown(row):
            low, high = (row.get("ci", {}).get(metric) or [None, None])
            args = {"grouping": grouping, "group": {str(k): v for k, v in row["group"].items()}, "n": row["n"],
                    "ci_low": low, "ci_high": high, "ci_level": level}
            entry["metrics"].append({"type": metric, "name": f"{metric} ({group_label(row['group'])})",
                                     "value": row["metrics"][metric], "args": args})
    return list(results.values())


def rates_shown(row: dict[str, Any]) -> list[str]:
    """The rates of a by-group row shown in the card: :data:`BY_GROUP_METRICS` it has, else all its numbers.

    Examples
    --------
    >>> rates_shown({"metrics": {"base_rate": 0.5, "accuracy": 0.75, "precision": None}})
    ['accuracy']
    >>> rates_shown({"metrics": {"mean_absolute_error": 1.5}})
    ['mean_absolute_error']
    """
    numbers = [m for m, v in row.get("metrics", {}).items() if is_number(v)]
    preferred = [m for m in BY_GROUP_METRICS if m in numbers]
    return preferred or numbers


def _disparity_result(doc: dict[str, Any]) -> dict[str, Any]:
    level = doc.get("fairness", {}).get("settings", {}).get("ci_level")
    metrics = [{"type": d["name"], "name": f"{d['name']} ({d['grouping']}, {d['method']})", "value": d["value"],
                "args": {"grouping": d["grouping"], "method": d["method"], "groups": gap_pair(d),
                         "reference": {str(k): v for k, v in (d.get("reference") or {}).items()},
                         "ci_low": d["ci"][0], "ci_high": d["ci"][1], "ci_level": level}}
               for d in disparities_shown(doc)]
    return {"task": _task(doc), "dataset": _dataset_entry(doc, _split_name(doc)), "metrics": metrics}


def disparities_shown(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The disparities with a value; a ``to_reference`` row identical to its ``between_groups`` row is left out.

    With two groups, the gap between groups is the gap to the reference: shown once.

    Examples
    --------
    >>> row = {"grouping": "sex", "name": "demographic_parity_difference", "value": 0.1, "ci": [0.0, 0.2],
    ...        "gap": {"first": {"sex": "m"}, "second": {"sex": "f"}}}
    >>> [d["method"] for d in disparities_shown({"fairness": {"disparities": [
    ...     {**row, "method": "between_groups"}, {**row, "method": "to_reference"},
    ...     {**row, "method": "to_reference", "value": None}]}})]
    ['between_groups']
    """
    shown, seen = [], set()
    for row in doc.get("fairness", {}).get("disparities", []):
        if not is_number(row.get("value")):
            continue
        key = (row["grouping"], row["name"], row["value"], tuple(row.get("ci") or ()), gap_pair(row))
        if key in seen:
            continue
        seen.add(key)
        shown.append(row)
    return shown


def gap_pair(disparity: dict[str, Any]) -> str:
    """The groups (and rate) a disparity compares (``"a=x vs a=y (rate)"``), from its ``gap``; else its reference.

    Examples
    --------
    >>> gap_pair({"gap": {"metric": "selection_rate", "first": {"sex": "m"}, "second": {"sex": "f"}}})
    'sex=m vs sex=f (selection_rate)'
    """
    gap = disparity.get("gap") or {}
    if gap.get("first") is not None and gap.get("second") is not None:
        on = f" ({gap['metric']})" if gap.get("metric") else ""
        return f"{group_label(gap['first'])} vs {group_label(gap['second'])}{on}"
    return f"reference {group_label(disparity.get('reference') or {})}"


def grouping_name(group: dict[str, Any]) -> str:
    """The grouping a group belongs to, as ``audit.json`` names it.

    Examples
    --------
    >>> grouping_name({"sex": "female", "age_group": "under_25"})
    'sex × age_group'
    """
    return " × ".join(str(k) for k in group)


def group_label(group: dict[str, Any]) -> str:
    """One group as text; a missing value is named :data:`MISSING`.

    Examples
    --------
    >>> group_label({"sex": "female", "age_group": None})
    'sex=female, age_group=(missing)'
    """
    return ", ".join(f"{k}={MISSING if v is None else v}" for k, v in group.items())
