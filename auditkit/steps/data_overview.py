"""Data overview: shape, column types, missingness and group sizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.report.tables import records_frame
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.steps._base import Step


@dataclass
class DataOverviewStep(Step):
    """Describe the audited rows: columns, types, missing values, sensitive group sizes.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> step = DataOverviewStep().run(ctx)
    >>> step.payload["overview"]["n_rows"], sorted(step.tables)
    (400, ['columns', 'group_sizes'])
    """

    name = "data_overview"
    section = "data"

    def run(self, ctx) -> StepResult:
        frame = ctx.frame
        distinct = (lambda column: (ctx.number_summary(column) or (None,))[0]) if frame.columns.is_unique else None
        return self.from_summary(column_summary(frame, distinct), len(frame), frame.shape[1], ctx.X.shape[1],
                                 ctx.sensitive, self.group_counts(ctx))

    @staticmethod
    def group_counts(ctx) -> dict[str, pd.Series]:
        """Rows per group of each sensitive feature, by group in sorted order, from the audit's group codes.

        Each row counts ``ctx.weights`` times where the rows carry weights (the Dask engine's cells).
        """
        counts = {}
        for feature in ctx.sensitive_features:  # the audit's group codes: no second hash of the rows
            codes, keys = ctx.group_codes((feature,))
            sizes = np.bincount(codes, weights=ctx.weights, minlength=len(keys)).astype(np.int64)
            counts[feature] = pd.Series(sizes, index=keys[feature].to_numpy())
        return counts

    def from_summary(self, columns: pd.DataFrame, n_rows: int, n_columns: int, n_features: int,
                     sensitive: pd.DataFrame, group_counts: dict[str, pd.Series] | None = None) -> StepResult:
        """The step's result from a :func:`column_summary` of the audited rows (e.g. aggregated by Dask).

        ``group_counts``: rows per group of each sensitive feature, indexed by group in sorted order
        (:meth:`group_counts`; default: counted from ``sensitive``, ``value_counts().sort_index()``).
        """
        columns = columns.copy()
        columns["missing_fraction"] = columns["n_missing"] / max(n_rows, 1)
        if group_counts is None:
            group_counts = {col: sensitive[col].value_counts().sort_index() for col in sensitive.columns}
        sizes = [pd.DataFrame({"feature": col, "group": counts.index, "n": counts.to_numpy()})
                 for col, counts in group_counts.items()]
        group_sizes = pd.concat(sizes, ignore_index=True) if sizes else pd.DataFrame()
        group_sizes["fraction"] = group_sizes["n"] / max(n_rows, 1)
        payload = {
            "overview": {
                "n_rows": n_rows,
                "n_columns": n_columns,
                "n_features": n_features,
                "columns": columns.to_dict(orient="records"),
                "group_sizes": group_sizes.to_dict(orient="records"),
            }
        }
        return StepResult(
            name=self.name,
            section=self.section,
            payload=payload,
            tables=overview_tables(payload),
            findings=self._missing_findings(columns),
        )

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return overview_tables(payload)

    def _missing_findings(self, columns: pd.DataFrame) -> list[Finding]:
        missing = columns[columns["n_missing"] > 0]
        if missing.empty:
            return []
        listing = ", ".join(f"{r.column} ({r.missing_fraction:.1%})" for r in missing.itertuples())
        return [
            Finding(
                id=f"{self.name}.missing_values",
                step=self.name,
                severity="info",
                message=f"{len(missing)} column(s) have missing values: {listing}.",
                evidence={"columns": missing[["column", "n_missing", "missing_fraction"]].to_dict("records")},
            )
        ]


def overview_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``columns`` (type, missing values and distinct values of every column) and ``group_sizes``.

    Examples
    --------
    >>> payload = {"overview": {
    ...     "columns": [{"column": "age", "dtype": "int64", "n_missing": 0, "n_unique": 40, "missing_fraction": 0.0},
    ...                 {"column": "income", "dtype": "float64", "n_missing": 5, "n_unique": 90,
    ...                  "missing_fraction": 0.05}],
    ...     "group_sizes": [{"feature": "sex", "group": "female", "n": 30, "fraction": 0.3},
    ...                     {"feature": "sex", "group": "male", "n": 70, "fraction": 0.7}]}}
    >>> tables = overview_tables(payload)
    >>> tables["columns"]
       column    dtype  n_missing  n_unique  missing_fraction
    0     age    int64          0        40              0.00
    1  income  float64          5        90              0.05
    >>> tables["group_sizes"]
      feature   group   n  fraction
    0     sex  female  30       0.3
    1     sex    male  70       0.7
    """
    overview = to_jsonable(payload).get("overview", {})
    return {
        "columns": records_frame(overview.get("columns", []), ("column", "dtype", "n_missing", "n_unique",
                                                                "missing_fraction"), floats=["missing_fraction"]),
        "group_sizes": records_frame(overview.get("group_sizes", []), ("feature", "group", "n", "fraction"),
                                     floats=["fraction"]),
    }


def column_summary(frame: pd.DataFrame, distinct: Callable[[Any], int | None] | None = None) -> pd.DataFrame:
    """One row per column of ``frame``: its name, dtype, missing values and distinct values.

    ``distinct(column)``, when given, returns the distinct values of a column (None: count them
    with :func:`n_unique`), e.g. the audit's :meth:`~auditkit.context.AuditContext.number_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> column_summary(pd.DataFrame({"a": [1.0, None, 1.0]})).to_dict(orient="records")
    [{'column': 'a', 'dtype': 'float64', 'n_missing': 1, 'n_unique': 1}]
    """
    return pd.DataFrame(
        {
            "column": [str(c) for c in frame.columns],
            "dtype": [str(t) for t in frame.dtypes],
            "n_missing": frame.isna().sum().to_numpy(),
            "n_unique": np.array([_distinct(frame, i, distinct) for i in range(frame.shape[1])], dtype=np.int64),
        }
    )


def _distinct(frame: pd.DataFrame, i: int, distinct: Callable[[Any], int | None] | None) -> int:
    counted = None if distinct is None else distinct(frame.columns[i])
    return n_unique(frame.iloc[:, i]) if counted is None else counted


def n_unique(values: pd.Series) -> int:
    """Distinct values of a column, missing values left out (``Series.nunique()``).

    A column of NumPy numbers or booleans is sorted (a copy, in place), and the distinct values counted
    where neighbours differ: several times faster than hashing a million distinct floats, and than
    ``numpy.unique``, which builds the array of distinct values; NaN (any payload) counts as missing
    and ``-0.0`` equals ``0.0``, as in pandas.

    Examples
    --------
    >>> import pandas as pd
    >>> n_unique(pd.Series([0.0, -0.0, float("nan"), 2.5, 2.5])), n_unique(pd.Series(["a", None, "b"]))
    (2, 2)
    """
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "biuf"):
        return int(values.nunique(dropna=True))
    numbers = values.to_numpy(copy=True)
    numbers.sort()
    if values.dtype.kind == "f":
        numbers = numbers[:np.searchsorted(numbers, np.nan)]  # NaNs (any payload) sort last: left out
    return int(len(numbers) > 0) + int(np.count_nonzero(numbers[1:] != numbers[:-1]))
