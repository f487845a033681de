"""The mitigation step's tables, built from its ``audit.json`` payload.

* ``options``: one row per option (the unmitigated model first): accuracy, balanced accuracy and
  the demographic parity and equalized odds differences, each with its interval, the change in
  each from the option's point of comparison (accuracy's with a paired interval), and for an
  option that was not evaluated, why;
* ``by_group``: one row per option and group: selection rate, true and false positive rates and
  accuracy, each with its interval.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditkit.io.audit_json import to_jsonable
from auditkit.mitigation.evaluate import BY_GROUP, DISPARITIES, OVERALL
from auditkit.report.tables import interval_columns

MEASURES = (*OVERALL, *DISPARITIES)
HEAD = ("option", "label", "kind", "criterion", "status", "baseline")


def mitigation_tables(payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The ``options`` and ``by_group`` tables of a mitigation payload.

    Examples
    --------
    >>> payload = {"settings": {"sensitive_feature": "sex"},
    ...            "options": [{"option": "unmitigated", "label": "Unmitigated", "kind": "none", "criterion": None,
    ...                         "status": "evaluated", "baseline": None, "metrics": {"accuracy": 0.85},
    ...                         "ci": {"accuracy": [0.84, 0.86]}}],
    ...            "by_group": [{"option": "unmitigated", "group": {"sex": "f"}, "n": 40,
    ...                          "metrics": {"selection_rate": 0.2}, "ci": {"selection_rate": [0.1, 0.3]}}]}
    >>> tables = mitigation_tables(payload)
    >>> tables["options"][["option", "accuracy", "accuracy_ci_low", "equalized_odds_difference"]]
            option  accuracy  accuracy_ci_low  equalized_odds_difference
    0  unmitigated      0.85             0.84                        NaN
    >>> tables["by_group"][["option", "sex", "n", "selection_rate", "selection_rate_ci_high"]]
            option sex   n  selection_rate  selection_rate_ci_high
    0  unmitigated   f  40             0.2                     0.3
    """
    payload = to_jsonable(payload)
    return {"options": _options_frame(payload.get("options", [])),
            "by_group": _by_group_frame(payload.get("by_group", []))}


def _options_frame(options: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for option in options:
        row = {k: option.get(k) for k in HEAD}
        for measure in MEASURES:
            row[measure] = option.get("metrics", {}).get(measure)
            row.update(interval_columns(measure, option.get("ci", {}).get(measure)))
        for measure in MEASURES:
            row[f"{measure}_change"] = option.get("change", {}).get(measure)
            if measure in OVERALL:
                row.update(interval_columns(f"{measure}_change", option.get("change_ci", {}).get(measure)))
        row["pareto_optimal"] = ", ".join(option.get("pareto_optimal", []))
        row["reason"] = option.get("reason")
        rows.append(row)
    columns = [*HEAD, *(c for m in MEASURES for c in (m, f"{m}_ci_low", f"{m}_ci_high"))]
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=columns)
    numeric = [c for c in frame.columns if c not in (*HEAD, "pareto_optimal", "reason")]
    return frame.astype({c: "float64" for c in numeric})


def _by_group_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for row in rows:
        record: dict[str, Any] = {"option": row["option"], **row["group"], "n": row["n"], **row.get("counts", {})}
        for metric in BY_GROUP:
            if metric in row["metrics"]:
                record[metric] = row["metrics"][metric]
                record.update(interval_columns(metric, row.get("ci", {}).get(metric)))
        record.update({flag: bool(row.get(flag, False)) for flag in ("small_group", "reference")})
        records.append(record)
    if not records:
        return pd.DataFrame(columns=["option", "n"])
    frame = pd.DataFrame.from_records(records)
    floats = [c for m in BY_GROUP for c in (m, f"{m}_ci_low", f"{m}_ci_high") if c in frame.columns]
    return frame.astype({c: "float64" for c in floats})
