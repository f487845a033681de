"""Fairness: metrics by sensitive group and by intersections of groups."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .._metrics import RATE_METRICS, by_group_table, grouping_name, groupings
from ..result import Finding, StepResult
from ._base import Step


@dataclass
class FairnessStep(Step):
    """Every rate metric for every sensitive group and intersection of groups.

    Parameters
    ----------
    min_group_size : int, optional
        Groups smaller than this are flagged; default the spec's ``min_group_size``.
    intersections : bool, default True
        Also report intersections of the sensitive features.
    """

    min_group_size: int | None = None
    intersections: bool = True

    name = "fairness"
    section = "fairness"

    def run(self, ctx) -> StepResult:
        min_size = self.min_group_size or ctx.spec.min_group_size
        tables: dict[str, pd.DataFrame] = {}
        rows: list[dict] = []
        findings: list[Finding] = []
        for features in groupings(ctx.sensitive_features, self.intersections):
            table, _ = by_group_table(ctx.sensitive, ctx.y_true, ctx.y_pred, features)
            table["small_group"] = table["n"] < min_size
            tables[grouping_name(features)] = table
            rows.extend(_json_rows(table, features))
            findings.extend(self._small_group_findings(table, features, min_size))
        return StepResult(
            name=self.name,
            section=self.section,
            payload={"by_group": rows, "min_group_size": min_size},
            tables=tables,
            findings=findings,
        )

    def _small_group_findings(self, table, features, min_size) -> list[Finding]:
        small = table[table["small_group"]]
        if small.empty:
            return []
        names = "; ".join(
            f"{', '.join(f'{f}={r[f]}' for f in features)} (n={r['n']})" for _, r in small.iterrows()
        )
        return [
            Finding(
                id=f"{self.name}.small_groups.{grouping_name(features)}",
                step=self.name,
                severity="medium",
                message=(
                    f"{len(small)} group(s) by {grouping_name(features)} have fewer than {min_size} rows: "
                    f"{names}. Their rates are too uncertain to compare and are left out of headline disparities."
                ),
                evidence={"min_group_size": min_size, "groups": small[list(features) + ["n"]].to_dict("records")},
            )
        ]


def _json_rows(table: pd.DataFrame, features: tuple[str, ...]) -> list[dict]:
    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "group": {f: r[f] for f in features},
                "n": int(r["n"]),
                "counts": {k: int(r[k]) for k in ("tp", "fp", "fn", "tn")},
                "metrics": {m: r[m] for m in RATE_METRICS},
                "small_group": bool(r["small_group"]),
            }
        )
    return rows
