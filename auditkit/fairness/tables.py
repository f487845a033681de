"""The fairness step's tables (and the policy checks'), built from their ``audit.json`` payloads.

* one table per grouping, named by its features (``sex``, ``sex*race``): one row per group
  (and class, for multiclass audits) with ``n``, the confusion counts, every metric followed
  by ``<metric>_ci_low`` and ``<metric>_ci_high`` when it has an interval, and the flags;
* ``disparities`` and ``comparisons``: one row per record, intervals split into columns;
* ``calibration.<grouping>``: observed positive rate against mean score by score bin.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditkit.io.audit_json import to_jsonable
from auditkit.report.tables import as_floats, group_label, grouping_table_name, interval_columns, records_frame

FLAGS = ("small_group", "reference", "missing_group")
DISPARITY_COLUMNS = ("grouping", "name", "criterion", "measure", "method", "metrics", "value", "value_ci_low",
                     "value_ci_high", "ci_degenerate", "gap_metric", "gap_first", "gap_second", "reference",
                     "n_groups_compared", "excluded")
COMPARISON_COLUMNS = ("grouping", "group", "reference", "n", "reference_n", "metric", "value", "reference_value",
                      "difference", "difference_ci_low", "difference_ci_high", "ci_degenerate", "ratio",
                      "ratio_ci_low", "ratio_ci_high", "test", "p_value", "p_adjusted", "significant")
CHECK_COLUMNS = ("name", "metric", "grouping", "method", "basis", "threshold_max", "threshold_min", "observed",
                 "observed_ci_low", "observed_ci_high", "compared_value", "passed", "status", "severity")


def fairness_tables(payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of the fairness step, from its payload.

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", seed=1, steps=["fairness"])
    >>> tables = fairness_tables(result.step("fairness").payload)
    >>> list(tables)[:4]
    ['sex', 'age_group', 'sex*age_group', 'disparities']
    >>> tables["sex"].columns[tables["sex"].columns.str.startswith("selection_rate")].tolist()
    ['selection_rate', 'selection_rate_ci_low', 'selection_rate_ci_high']
    """
    payload = to_jsonable(payload)
    tables = by_group_tables(payload.get("by_group", []))
    tables["disparities"] = records_frame(payload.get("disparities", []), DISPARITY_COLUMNS, floats=["value"],
                                          nested={"gap": ("metric", "first", "second")},
                                          texts={"excluded": excluded_text})
    tables["disparities"] = tables["disparities"].drop(columns="features", errors="ignore")
    tables["comparisons"] = records_frame(payload.get("comparisons", []), COMPARISON_COLUMNS,
                                          floats=["value", "reference_value", "difference", "ratio", "p_value",
                                                  "p_adjusted"])
    for name, rows in payload.get("calibration", {}).items():
        tables[f"calibration.{grouping_table_name(name.split(' × '))}"] = records_frame(rows)
    return tables


def by_group_tables(rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """One frame per grouping from the ``by_group`` records, in the order the groupings first appear.

    Examples
    --------
    >>> rows = [{"group": {"sex": "female"}, "n": 40, "counts": {"tp": 12, "fp": 4, "fn": 6, "tn": 18},
    ...          "metrics": {"selection_rate": 0.4}, "ci": {"selection_rate": [0.25, 0.55]}},
    ...         {"group": {"sex": "male"}, "n": 60, "counts": {"tp": 25, "fp": 5, "fn": 10, "tn": 20},
    ...          "metrics": {"selection_rate": 0.5}, "ci": {"selection_rate": [0.375, 0.625]}, "reference": True}]
    >>> tables = by_group_tables(rows)
    >>> list(tables)
    ['sex']
    >>> tables["sex"][["sex", "n", "tp", "selection_rate", "selection_rate_ci_low", "reference"]]
          sex   n  tp  selection_rate  selection_rate_ci_low  reference
    0  female  40  12             0.4                  0.250      False
    1    male  60  25             0.5                  0.375       True
    """
    records: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        records.setdefault(tuple(row["group"]), []).append(_by_group_row(row))
    tables = {}
    for features, table_rows in records.items():
        frame = pd.DataFrame.from_records(table_rows)
        metrics = [m for row in rows if tuple(row["group"]) == features for m in row["metrics"]]
        tables[grouping_table_name(features)] = as_floats(
            frame, [c for m in dict.fromkeys(metrics) for c in (m, f"{m}_ci_low", f"{m}_ci_high")])
    return tables


def _by_group_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(row["group"])
    if "class" in row:
        out["class"] = row["class"]
    out["n"] = row["n"]
    out.update(row.get("counts", {}))
    for metric, value in row["metrics"].items():
        out[metric] = value
        if metric in row.get("ci", {}):
            out.update(interval_columns(metric, row["ci"][metric]))
    out.update({flag: bool(row.get(flag, False)) for flag in FLAGS})
    out["too_few"] = ", ".join(row.get("too_few", []))
    return out


def excluded_text(excluded: list[dict[str, Any]] | None) -> str:
    """Rates left out of a disparity for too small a denominator, as one string.

    Examples
    --------
    >>> excluded_text([{"group": {"sex": "f"}, "metric": "precision", "denominator": 12}])
    'precision of sex=f (denominator 12)'
    """
    return "; ".join(f"{e['metric']} of {group_label(e['group'])} (denominator {e['denominator']})"
                     for e in excluded or [])


def policy_tables(payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The policy checks as one table, ``checks``: one row per rule and grouping (and class).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", seed=1, steps=["fairness"],
    ...                         policy={"demographic_parity_ratio": {"min": 0.85}})
    >>> policy_tables(result.step("policy").payload)["checks"][["grouping", "status"]].head(2)
        grouping  status
    0        sex  passed
    1  age_group  passed
    """
    payload = to_jsonable(payload)
    checks = records_frame(payload.get("results", []), CHECK_COLUMNS, intervals={"ci": "observed"},
                           nested={"threshold": ("max", "min")}, texts={"excluded": excluded_text},
                           floats=["threshold_max", "threshold_min", "observed", "compared_value"])
    return {"checks": checks}
