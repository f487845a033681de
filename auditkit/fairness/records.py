"""The records of one grouping's results, in the shapes ``audit.json`` holds (groups named, not indexed).

Examples
--------
>>> from auditkit import AuditSpec, build_context, datasets
>>> from auditkit.fairness.analysis import FairnessSettings
>>> from auditkit.fairness.tasks import run_fairness
>>> frame = datasets.make_biased(400, seed=0).frame.assign(decision=1)
>>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
>>> [result] = run_fairness(ctx, FairnessSettings(n_boot=0), [("group",)], {}, 0).results
>>> [row["group"] for row in by_group_rows(result)]
[{'group': 'A'}, {'group': 'B'}]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.fairness.analysis import GroupingResult
from auditkit.stats.bootstrap import interval_pairs


def by_group_rows(result: GroupingResult, extra: dict[str, pd.DataFrame] | None = None) -> list[dict]:
    """The ``fairness.by_group`` rows of one grouping (``extra``: more columns per row, e.g. counts).

    Besides ``group``, ``n``, ``metrics`` and ``ci``, each row has ``denominators`` (rows
    each metric is estimated from), ``too_few`` (metrics whose denominator is below
    ``min_denominator``: left out of every disparity, test and policy check they are part
    of), ``ci_degenerate`` (metrics whose bootstrap interval is a single point),
    ``ci_method`` (metrics whose ``ci`` is not the percentile bootstrap, and the interval
    shown instead), ``missing_group`` (the group is one of missing values), ``small_group``
    and ``reference``.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> row = by_group_rows(result)[0]
    >>> row["group"], row["n"], row["metrics"]["selection_rate"], [round(x, 3) for x in row["ci"]["selection_rate"]]
    ({'group': 'A'}, 200, 0.385, [0.326, 0.461])
    """
    cis = {m: interval_pairs(*bounds) for m, bounds in result.ci.items()}
    rows = []
    for i, record in enumerate(result.table.to_dict("records")):
        row: dict[str, Any] = {"group": result.group_key(i), "n": int(record["n"])}
        if result.klass is not None:
            row["class"] = result.klass
        for name, frame in (extra or {}).items():
            row[name] = frame.iloc[i].to_dict()
        row["metrics"] = {m: record[m] for m in result.metrics}
        row["ci"] = {m: cis[m][i] for m in result.metrics if m in cis}
        row["denominators"] = {m: int(result.denominators[m][i]) for m in result.metrics if m in result.denominators}
        row["too_few"] = result.too_few(i)
        row["ci_degenerate"] = [m for m in result.metrics if m in result.ci_degenerate and result.ci_degenerate[m][i]]
        row["ci_method"] = {m: "wilson score" for m, where in result.ci_wilson.items() if where[i]}
        row["missing_group"] = result.is_missing_group(i)
        row["small_group"] = bool(record["small_group"])
        row["reference"] = bool(record["reference"])
        rows.append(row)
    return rows


def labelled_disparities(result: GroupingResult) -> list[dict]:
    """Disparity records with the grouping, reference group, class and group keys they are about.

    ``gap`` names the two groups whose gap is the estimate and whose signed gap the ``ci``
    is about; ``excluded`` lists the groups (large enough) whose value of a metric of the
    criterion was left out for too small a denominator.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> record = labelled_disparities(result)[0]
    >>> record["grouping"], record["name"], record["method"], round(record["value"], 3)
    ('group', 'demographic_parity_difference', 'between_groups', 0.275)
    """
    head = {"grouping": result.name, "features": list(result.features),
            "reference": result.group_key(result.reference)}
    if result.klass is not None:
        head["class"] = result.klass
    out = []
    for record in result.disparities:
        record = {**head, **record}
        if record["gap"] is not None:
            gap = record["gap"]
            record["gap"] = {"metric": gap["metric"], "first": result.group_key(gap["first"]),
                             "second": None if gap["second"] is None else result.group_key(gap["second"])}
        record["excluded"] = _excluded(result, record["metrics"])
        out.append(record)
    return out


def _excluded(result: GroupingResult, metrics: list[str]) -> list[dict]:
    return [{"group": result.group_key(i), "metric": m, "denominator": int(result.denominators[m][i])}
            for m in metrics if m in result.rate_eligible
            for i in np.flatnonzero(result.eligible & ~result.rate_eligible[m])]


def labelled_comparisons(result: GroupingResult) -> list[dict]:
    """Comparison records with group and reference keys in place of indices.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> record = labelled_comparisons(result)[0]
    >>> record["group"], record["reference"], record["metric"], record["test"]
    ({'group': 'B'}, {'group': 'A'}, 'selection_rate', 'chi-square')
    """
    out = []
    for record in result.comparisons:
        record = dict(record)
        index = record.pop("group_index")
        labelled = {"grouping": result.name, "group": result.group_key(index),
                    "reference": result.group_key(result.reference),
                    "n": int(result.table.iloc[index]["n"]),
                    "reference_n": int(result.table.iloc[result.reference]["n"])}
        if result.klass is not None:
            labelled["class"] = result.klass
        out.append({**labelled, **record})
    return out
