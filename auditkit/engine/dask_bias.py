"""The data_bias step of a Dask-engine audit, from the tables Dask aggregated (:mod:`auditkit.engine.dask_bias_tables`).

Representation and base rates come from the context, whose rows are the cells with their counts as
weights (as for every Dask-engine step). Proxies and missingness come from the (sensitive feature, column)
tables alone: ``table_row`` (Cramér's V and its bootstrap interval, mutual information, and the single-column
guess, whose folds are drawn from the table) and ``missing_by_group`` (missing values and rows per group),
the in-memory engine's own functions, so no row is rebuilt on the client. The same random generators are
drawn in the same order, so every number equals the in-memory engine's, whatever the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias import analysis as bias
from auditkit.data_bias.proxies import Encoded, table_row
from auditkit.engine.dask_bias_tables import ColumnEncoding, keyed
from auditkit.exceptions import InputError
from auditkit.result import StepResult
from auditkit.stats.counts import groupings
from auditkit.stats.significance import adjust_pvalues


@dataclass(frozen=True)
class BiasTables:
    """What the data_bias step needs of the columns that are not keys of the cells.

    Attributes
    ----------
    columns : list of str
        The data's columns other than the target, predictions, scores and sensitive columns, in order.
    encodings : dict of str to ColumnEncoding
    pairs : dict of (str, str) to Series
        Per (sensitive feature, column): rows by (level, missing, sensitive value as :func:`keyed` gives).
    data_columns : list of str
        Every column of the data.

    Examples
    --------
    >>> BiasTables(["x"], {}, {}, ["x", "y"]).columns
    ['x']
    """

    columns: list[str]
    encodings: dict[str, ColumnEncoding]
    pairs: dict[tuple[str, str], pd.Series]
    data_columns: list[str]


def data_bias_result(step: Any, ctx: Any, cells: pd.DataFrame, tables: BiasTables) -> StepResult:
    """The result of the data_bias ``step`` (a ``DataBiasStep``) from the cells and ``tables``.

    The payload, tables and findings have the in-memory step's shape; see the module docstring for
    what equals the in-memory engine's numbers.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import auditkit
    >>> frame = pd.DataFrame({"g": ["a", "b"] * 30, "x": [1.0, 2.0, 3.0] * 20, "y": [0, 1, 1] * 20, "d": [1, 0] * 30})
    >>> audit = auditkit.audit(data=dd.from_pandas(frame, npartitions=2), engine="dask", scheduler="synchronous",
    ...                        target="y", sensitive=["g"], predictions="d", steps=["data_bias"], progress=False)
    >>> [(row["feature"], row["cramers_v"]) for row in audit.step("data_bias").payload["bias"]["proxies"]]
    [('x', 0.0)]
    """
    min_size = int(step.min_group_size or ctx.spec.min_group_size)
    step.check_sensitive(ctx.sensitive_features)
    columns = _columns(step, tables)
    n_boot, level = int(step.n_boot), float(step.ci_level)
    represented, fit_tests = bias.representation(ctx.sensitive, groupings(ctx.sensitive_features, step.intersections),
                                                 step.reference_distribution, n_boot,
                                                 ctx.rng("data_bias.representation"), level, ctx.group_codes,
                                                 weights=ctx.weights)
    rates, rate_tests = bias.base_rates(ctx, groupings(ctx.sensitive_features, step.intersections), min_size, n_boot,
                                        ctx.rng("data_bias.base_rates"), level)
    codes = {f: _code_of_value(ctx, cells, f) for f in ctx.sensitive_features}
    missing, missing_tests = _missingness(ctx, codes, tables, _features(step, ctx, columns), min_size, n_boot, level)
    proxies, skipped = _proxies(ctx, codes, tables, columns, n_boot, level)
    return step.result_from(ctx, min_size, represented=represented, fit_tests=fit_tests, rates=rates,
                            rate_tests=rate_tests, missing=missing, missing_tests=missing_tests, proxies=proxies,
                            skipped=skipped)


def _columns(step: Any, tables: BiasTables) -> list[str]:
    """The step's ``columns`` (checked against the data) that the tables hold, or every column they hold."""
    if step.columns is None:
        return list(tables.columns)
    unknown = [c for c in step.columns if c not in tables.data_columns]
    if unknown:
        raise InputError(f"data_bias columns not in the data: {', '.join(map(str, unknown))}")
    return [c for c in step.columns if c in tables.encodings]  # not the target, predictions, scores, sensitive


def _features(step: Any, ctx: Any, columns: list[str]) -> list[str]:
    """The columns whose missingness the step checks: the model's inputs among ``columns``, in its order."""
    if step.columns is not None or ctx.mode != "model":
        return columns
    checked = set(columns)
    return [c for c in ctx.X.columns if c in checked]


def _code_of_value(ctx: Any, cells: pd.DataFrame, feature: str) -> tuple[dict[Any, int], int]:
    """Group code of each sensitive value (as :func:`keyed` gives it) of ``feature``, and the number of groups."""
    codes, keys = ctx.group_codes((feature,))  # the context's rows are the cells, in order
    return dict(zip(keyed(cells[feature]), codes.tolist(), strict=True)), len(keys)


def _codes(table: pd.Series, code_of: dict[Any, int]) -> np.ndarray:
    return np.array([code_of[value] for value in table.index.get_level_values(2)], dtype=np.int64)


def _missingness(ctx: Any, codes: dict[str, tuple[dict, int]], tables: BiasTables, columns: list[str],
                 min_size: int, n_boot: int, level: float) -> tuple[list[dict], list[dict]]:
    """``missingness`` of the in-memory engine from the (feature, column) tables' counts, same generator, same order."""
    rng = ctx.rng("data_bias.missingness")
    rows, tests = [], []
    for feature in ctx.sensitive_features:
        code_of, n_groups = codes[feature]
        keys = ctx.group_codes((feature,))[1]
        for column in columns:
            table = tables.pairs[(feature, column)]
            group = _codes(table, code_of)
            missing = table.index.get_level_values(1).to_numpy(dtype=bool)
            n = np.bincount(group, weights=table.to_numpy(), minlength=n_groups).astype(np.int64)
            gone = np.bincount(group[missing], weights=table.to_numpy()[missing], minlength=n_groups).astype(np.int64)
            if gone.sum() == 0:
                continue
            got_rows, test = bias.missing_by_group(feature, column, keys, gone, n, min_size, n_boot, rng, level)
            rows += got_rows
            tests.append(test)
    for test, p_adjusted in zip(tests, adjust_pvalues([t["p_value"] for t in tests], "holm"), strict=True):
        test["p_adjusted"] = p_adjusted
    return rows, tests


def _proxies(ctx: Any, codes: dict[str, tuple[dict, int]], tables: BiasTables, columns: list[str], n_boot: int,
             level: float) -> tuple[list[dict], list[dict]]:
    """``proxies`` of the in-memory engine from the tables, same generator, same order."""
    rng = ctx.rng("data_bias.proxies")
    skipped = [{"column": c, "reason": tables.encodings[c].skipped} for c in columns
               if tables.encodings[c].skipped is not None]
    rows = []
    for feature in ctx.sensitive_features:
        code_of, n_groups = codes[feature]
        for column in columns:
            encoding = tables.encodings[column]
            if encoding.skipped is not None:
                continue
            pairs = tables.pairs[(feature, column)]
            levels = pairs.index.get_level_values(0).to_numpy(dtype=np.int64)
            flat = levels * n_groups + _codes(pairs, code_of)  # the (level x group) table, no rows rebuilt
            table = np.bincount(flat, weights=pairs.to_numpy(), minlength=encoding.n_levels * n_groups)
            table = table.astype(np.int64).reshape(encoding.n_levels, n_groups)
            encoded = Encoded(None, encoding.n_levels, encoding.kind)
            rows.append({"sensitive_feature": feature, "feature": column,
                         **table_row(table, encoded, rng, n_boot, level)})
    rows.sort(key=lambda r: (-(r["cramers_v"] or 0.0), r["sensitive_feature"], r["feature"]))
    return rows, skipped
