"""The report's tables of disparities, comparisons and calibration: one table per grouping, narrow enough to read.

:mod:`auditkit.report.bias_views` gives the tidy frames (one row per record of ``audit.json``);
this module shapes them for reading: one table per grouping with its reference group named
above it, metric names with spaces, an interval as one cell, and a gap that is both the gap
between groups and the gap to the reference (always so with two groups) in one row, after
checking that the two records are the same numbers about the same two groups.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditkit.report.html_tables import interval_text
from auditkit.report.summary import esc
from auditkit.report.tables import group_label
from auditkit.report.views import table_html

SAME_GAP_FIELDS = ("value", "ci", "gap", "excluded", "n_groups_compared")
BOTH_METHODS = "between groups = to reference"
SAME_GAP_NOTE = ("When the gap between the best- and worst-off groups is also the gap to the reference group (the "
                 "same number about the same two groups, as always with two groups), one row shows both: method "
                 f"'{BOTH_METHODS}'.")


def same_gap(between: dict[str, Any], to_reference: dict[str, Any]) -> bool:
    """Whether two disparity records are the same gap: equal value, interval, pair of groups and left-out rates.

    Examples
    --------
    >>> gap = {"metric": "selection_rate", "first": {"sex": "m"}, "second": {"sex": "f"}}
    >>> a = {"value": 0.18, "ci": [0.17, 0.19], "gap": gap, "excluded": [], "n_groups_compared": 2}
    >>> same_gap(a, dict(a)), same_gap(a, {**a, "value": 0.17}), same_gap(a, {**a, "gap": {**gap, "second": {}}})
    (True, False, False)
    """
    return all(between.get(key) == to_reference.get(key) for key in SAME_GAP_FIELDS)


def merged_disparities(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``fairness.disparities`` with each between-groups record and its to-reference twin in one record
    (``method`` :data:`BOTH_METHODS`) where :func:`same_gap` holds; every other record as it is.

    Examples
    --------
    >>> base = {"grouping": "sex", "name": "demographic_parity_difference", "value": 0.18, "ci": [0.17, 0.19],
    ...         "gap": None, "excluded": [], "n_groups_compared": 2}
    >>> records = [{**base, "method": "between_groups"}, {**base, "method": "to_reference"}]
    >>> [r["method"] for r in merged_disparities(records)]
    ['between groups = to reference']
    >>> records[1]["value"] = 0.15  # a different number is never hidden
    >>> [r["method"] for r in merged_disparities(records)]
    ['between_groups', 'to_reference']
    """
    def key(record: dict[str, Any]) -> tuple:
        return record["grouping"], record.get("class"), record["name"]

    twins = {key(r): r for r in records if r["method"] == "to_reference"}
    out, shown_in_both = [], set()
    for record in records:
        twin = twins.get(key(record)) if record["method"] == "between_groups" else None
        if twin is not None and same_gap(record, twin):
            out.append({**record, "method": BOTH_METHODS})
            shown_in_both.add(id(twin))
        else:
            out.append(record)
    return [r for r in out if id(r) not in shown_in_both]


def _group(group: dict[str, Any] | None) -> str:
    return group_label(group) or ""


def _words(name: str) -> str:
    return str(name).replace("_", " ")


def _interval(ci: list | None, one_line: bool = True) -> str:
    """``"0.169 to 0.193"`` (``"none"`` without an interval)."""
    return interval_text(*ci, one_line=one_line) if ci else "none"


def _pair(record: dict[str, Any]) -> str:
    """The two groups whose signed gap the interval is about: ``"selection rate: sex=Male − sex=Female"``."""
    gap = record.get("gap")
    if not gap:
        return ""
    if gap["second"] is None:
        return f"{_words(gap['metric'])} of {_group(gap['first'])}"
    sign = " / " if record["measure"] == "ratio" else " − "
    return f"{_words(gap['metric'])}: {_group(gap['first'])}{sign}{_group(gap['second'])}"


def _level(doc: dict[str, Any]) -> str:
    return f"{doc.get('fairness', {}).get('settings', {}).get('ci_level', 0.95):.0%} CI"


def disparities_tables(doc: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The disparities to read, one table per grouping (same gaps merged, see :func:`merged_disparities`).

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit(scores=None, policy=None, steps=["fairness"]).to_dict()  # decisions by group
    >>> table = disparities_tables(doc)["group"]
    >>> table.columns.tolist()
    ['disparity', 'method', 'groups compared', 'value', '95% CI', 'interval of', 'rates left out']
    >>> sorted(set(table["method"]))
    ['between groups = to reference']
    """
    level = _level(doc)
    tables: dict[str, list[dict[str, Any]]] = {}
    for d in merged_disparities(doc.get("fairness", {}).get("disparities", [])):
        tables.setdefault(d["grouping"], []).append({
            **({"class": d["class"]} if "class" in d else {}), "disparity": _words(d["name"]),
            "method": _words(d["method"]), "groups compared": d["n_groups_compared"], "value": d["value"],
            level: _interval(d.get("ci")), "interval of": _pair(d), "rates left out": len(d.get("excluded", [])),
        })
    return {grouping: pd.DataFrame(rows) for grouping, rows in tables.items()}


def _references(doc: dict[str, Any]) -> dict[str, str]:
    return {d["grouping"]: _group(d.get("reference")) for d in doc.get("fairness", {}).get("disparities", [])}


def _left_out(doc: dict[str, Any], grouping: str) -> list[str]:
    """Every rate left out of the grouping's disparities (too few rows of its own), each once."""
    seen: dict[str, None] = {}
    for d in doc.get("fairness", {}).get("disparities", []):
        if d["grouping"] == grouping:
            for e in d.get("excluded", []):
                seen[f"{_words(e['metric'])} of {_group(e['group'])} (from {e['denominator']})"] = None
    return list(seen)


def disparities_html(doc: dict[str, Any]) -> str:
    """The disparities as HTML: per grouping its reference, its table and the rates it left out.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit(scores=None, policy=None, steps=["fairness"]).to_dict()  # decisions by group
    >>> html = disparities_html(doc)
    >>> html.count("<table"), "Reference group <b>group=" in html
    (1, True)
    """
    references, parts = _references(doc), []
    for grouping, table in disparities_tables(doc).items():
        parts.append(f"<h4>{esc(grouping)}</h4><p>Reference group <b>{esc(references.get(grouping, ''))}</b>.</p>")
        parts.append(table_html(table))
        left_out = _left_out(doc, grouping)
        if left_out:
            parts.append(f"<p><small>Rates left out for too few rows of their own (their denominator in "
                         f"brackets): {esc('; '.join(left_out))}.</small></p>")
    return "".join(parts)


def comparisons_tables(doc: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Each group against the reference group, one table per grouping (its reference named above it).

    The intervals may wrap: these tables are the widest of the report.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit(scores=None, policy=None, steps=["fairness"]).to_dict()  # decisions by group
    >>> comparisons_tables(doc)["group"].columns.tolist()[:6]
    ['metric', 'group', 'n', 'value', 'reference value', 'difference']
    """
    level, tables = _level(doc), {}
    for c in doc.get("fairness", {}).get("comparisons", []):
        tables.setdefault(c["grouping"], []).append({
            **({"class": c["class"]} if "class" in c else {}), "metric": _words(c["metric"]),
            "group": _group(c["group"]), "n": c["n"], "value": c["value"], "reference value": c["reference_value"],
            "difference": c["difference"], level: _interval(c.get("difference_ci"), one_line=False),
            "ratio": c["ratio"], "test": c["test"], "p": c["p_value"], "adjusted p": c.get("p_adjusted"),
            "significant": c.get("significant"),
        })
    return {grouping: pd.DataFrame(rows) for grouping, rows in tables.items()}


def comparisons_html(doc: dict[str, Any]) -> str:
    """The comparisons as HTML: per grouping its reference group and its table.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit(scores=None, policy=None, steps=["fairness"]).to_dict()  # decisions by group
    >>> comparisons_html(doc).count("<table")
    1
    """
    references = {c["grouping"]: _group(c["reference"]) for c in doc.get("fairness", {}).get("comparisons", [])}
    parts = []
    for grouping, table in comparisons_tables(doc).items():
        tests = table["test"].unique()
        one_test = f" ({tests[0]} test for every row)" if len(tests) == 1 else ""
        parts.append(f"<h4>{esc(grouping)}</h4><p>Reference group <b>{esc(references[grouping])}</b>"
                     f"{esc(one_test)}.</p>"
                     + table_html(table.drop(columns="test") if one_test else table))
    return "".join(parts)


def calibration_table(rows: list[dict[str, Any]], level: str = "95% CI") -> pd.DataFrame:
    """One grouping's calibration records to read: group, score bin, rows, mean score, observed rate, interval.

    Examples
    --------
    >>> table = calibration_table([{"sex": "f", "bin_lower": 0.0, "bin_upper": 0.1, "n": 40, "mean_score": 0.05,
    ...                             "observed_rate": 0.075, "observed_rate_ci_low": 0.026,
    ...                             "observed_rate_ci_high": 0.199}])
    >>> print(table.to_string().replace("\\u00a0", " "))
      sex score bin   n  mean score  observed rate         95% CI
    0   f     0–0.1  40        0.05          0.075  0.026 to 0.199
    """
    out = []
    for row in rows:
        keys = {k: v for k, v in row.items() if k not in CALIBRATION_FIELDS}
        record = {**keys, "score bin": f"{row['bin_lower']:g}–{row['bin_upper']:g}", "n": row["n"],
                  "mean score": row["mean_score"], "observed rate": row["observed_rate"]}
        if "observed_rate_ci_low" in row:
            record[level] = interval_text(row["observed_rate_ci_low"], row["observed_rate_ci_high"])
        out.append(record)
    return pd.DataFrame(out)


CALIBRATION_FIELDS = ("bin_lower", "bin_upper", "n", "mean_score", "observed_rate", "observed_rate_ci_low",
                      "observed_rate_ci_high")
