"""Bias already in the data, before any model: who is in it, their labels, their gaps, proxies.

Tables, in the shape written to ``audit.json`` under ``data.bias``; every share and rate
has a percentile bootstrap interval (multinomial resamples of its counts), and every
comparison across groups has a p-value. Groups smaller than ``min_group_size`` are
reported but left out of the tests.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import Encoded, contingency, encode_column, table_row
from auditkit.exceptions import InputError
from auditkit.stats.bootstrap import interval_pairs, percentile_interval, resample_counts, row_multiplicities
from auditkit.stats.counts import group_codes, grouping_name
from auditkit.stats.levels import wide
from auditkit.stats.missing_group import is_missing, missing_groups
from auditkit.stats.regression import regression_metrics
from auditkit.stats.significance import adjust_pvalues

# features -> (group code of every row, group keys): ``AuditContext.group_codes``, computed once per audit.
GroupCodes = Callable[[tuple[str, ...]], tuple[np.ndarray, pd.DataFrame]]


def _codes_of(sensitive: pd.DataFrame, codes_of: GroupCodes | None) -> GroupCodes:
    return codes_of if codes_of is not None else (lambda features: group_codes(sensitive, features))


def _keys(keys: pd.DataFrame, i: int, features: tuple[str, ...]) -> dict[str, str]:
    return {f: str(keys.iloc[i][f]) for f in features}


def _share_intervals(counts: np.ndarray, n_boot: int, rng: np.random.Generator, level: float) -> list:
    """Intervals of ``counts[..., 0] / counts.sum(-1)`` (or of each cell's share of a 1-D table)."""
    if n_boot == 0:
        return [[None, None]] * (counts.shape[0] if counts.ndim > 1 else len(counts))
    boot = resample_counts(counts, n_boot, rng).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = boot / boot.sum(axis=-1, keepdims=True)
    first = shares[..., 0] if counts.ndim > 1 else shares
    return interval_pairs(*percentile_interval(first, level))


def chi2_independence(table: np.ndarray) -> float | None:
    """p-value of Pearson's chi-square test of independence (None if the table is degenerate).

    Examples
    --------
    >>> round(chi2_independence([[30, 70], [50, 50]]), 4)
    0.0039
    >>> chi2_independence([[30, 70], [0, 0]]) is None  # one non-empty row: nothing to test
    True
    """
    from scipy import stats

    table = np.asarray(table)[np.asarray(table).sum(axis=1) > 0]
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def representation(sensitive: pd.DataFrame, groupings: list[tuple[str, ...]], reference: dict[str, dict],
                   n_boot: int, rng: np.random.Generator, level: float,
                   codes_of: GroupCodes | None = None,
                   weights: np.ndarray | None = None) -> tuple[list[dict], list[dict]]:
    """Rows and share of rows of every group; against ``reference`` shares where given.

    ``weights``: rows of the data each row of ``sensitive`` stands for (``AuditContext.weights``).

    ``missing_group`` marks the groups of rows whose sensitive value is missing (labelled
    as ``sensitive.attrs["missing_groups"]`` says, see ``_missing_group``). ``codes_of``
    gives the group codes of a grouping (default: computed from ``sensitive``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> sensitive = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 80})
    >>> rows, tests = representation(sensitive, [("sex",)], {"sex": {"f": 0.5, "m": 0.5}}, 0,
    ...                              np.random.default_rng(0), 0.95)
    >>> [(r["group"], r["n"], float(r["share"]), float(r["ratio_to_reference"])) for r in rows]
    [({'sex': 'f'}, 20, 0.2, 0.4), ({'sex': 'm'}, 80, 0.8, 1.6)]
    >>> tests[0]["test"], tests[0]["p_value"] < 0.001
    ('chi-square goodness of fit', True)
    """
    rows, tests = [], []
    missing = missing_groups(sensitive)
    codes_of = _codes_of(sensitive, codes_of)
    for features in groupings:
        codes, keys = codes_of(features)
        counts = np.bincount(codes, weights=weights, minlength=len(keys)).astype(np.int64)
        cis = _share_intervals(counts, n_boot, rng, level)
        absent = is_missing(keys, features, missing).to_numpy()
        expected = (_reference_shares(reference.get(features[0]), keys, features, absent)
                    if len(features) == 1 else None)
        for i in range(len(keys)):
            row = {"grouping": grouping_name(features), "group": _keys(keys, i, features), "n": int(counts[i]),
                   "share": counts[i] / counts.sum(), "share_ci": cis[i], "missing_group": bool(absent[i])}
            if expected is not None:
                row["reference_share"] = expected[i]
                row["ratio_to_reference"] = row["share"] / expected[i] if expected[i] else None
            rows.append(row)
        if expected is not None:
            tests.append(_goodness_of_fit(features[0], keys, counts, expected))
            rows.extend(_absent_groups(features[0], keys, reference[features[0]]))
    return rows, tests


def _reference_shares(given: dict | None, keys: pd.DataFrame, features: tuple[str, ...],
                      missing: np.ndarray) -> list | None:
    if given is None:
        return None
    shares = {str(k): float(v) for k, v in given.items()}
    if any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
        raise InputError(f"reference_distribution for '{features[0]}' must hold non-negative shares")
    observed = [str(v) for v, gone in zip(keys[features[0]], missing, strict=True) if not gone]
    unknown = sorted(set(observed) - set(shares))
    if unknown:
        raise InputError(f"reference_distribution for '{features[0]}' has no share for group(s) "
                         f"{', '.join(unknown)}; give a share for every group in the data")
    total = sum(shares.values())
    return [None if gone else shares.get(str(v), 0.0) / total
            for v, gone in zip(keys[features[0]], missing, strict=True)]


def _absent_groups(feature: str, keys: pd.DataFrame, given: dict) -> list[dict]:
    present = {str(v) for v in keys[feature]}
    total = sum(float(v) for v in given.values())
    return [{"grouping": feature, "group": {feature: str(k)}, "n": 0, "share": 0.0, "share_ci": [0.0, 0.0],
             "missing_group": False, "reference_share": float(v) / total, "ratio_to_reference": 0.0}
            for k, v in given.items() if str(k) not in present]


def _goodness_of_fit(feature: str, keys: pd.DataFrame, counts: np.ndarray, expected: list) -> dict:
    from scipy import stats

    keep = [i for i, e in enumerate(expected) if e is not None]
    observed = counts[keep].astype(float)
    shares = np.array([expected[i] for i in keep])
    positive = shares > 0
    statistic, p_value = stats.chisquare(observed[positive], shares[positive] / shares[positive].sum()
                                         * observed[positive].sum())
    return {"feature": feature, "test": "chi-square goodness of fit", "statistic": float(statistic),
            "p_value": float(p_value), "n": int(observed.sum())}


def base_rates(ctx, groupings: list[tuple[str, ...]], min_size: int, n_boot: int, rng: np.random.Generator,
               level: float) -> tuple[list[dict], list[dict]]:
    """The recorded outcome by group: positive share (binary), class shares (multiclass), mean (regression).

    Examples
    --------
    >>> import numpy as np
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(400, base_rate_gap=0.3, seed=0).frame.assign(decision=1)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> rows, tests = base_rates(ctx, [("group",)], 30, 100, np.random.default_rng(0), 0.95)
    >>> [(r["group"], r["n"], round(float(r["base_rate"]), 3)) for r in rows]
    [({'group': 'A'}, 200, 0.705), ({'group': 'B'}, 200, 0.365)]
    >>> tests[0]["test"], tests[0]["p_value"] < 0.001
    ('chi-square', True)
    """
    rows, tests = [], []
    for features in groupings:
        codes, keys = ctx.group_codes(features)
        n = np.bincount(codes, weights=ctx.weights, minlength=len(keys))
        eligible = n >= min_size
        if ctx.spec.task == "regression":
            new_rows, p_value = _mean_targets(ctx.y_true, codes, keys, features, eligible, n_boot, rng, level)
        else:
            new_rows, p_value = _class_shares(ctx, codes, keys, features, eligible, n_boot, rng, level)
        rows.extend(new_rows)
        tests.append({"grouping": grouping_name(features), "p_value": p_value,
                      "test": "one-way ANOVA" if ctx.spec.task == "regression" else "chi-square",
                      "n_groups_compared": int(eligible.sum())})
    return rows, tests


def _class_shares(ctx, codes, keys, features, eligible, n_boot, rng, level) -> tuple[list[dict], float | None]:
    k = 2 if ctx.spec.task == "binary" else len(ctx.labels)
    y = ctx.y_true.astype(np.int64)
    table = np.bincount(wide(codes) * k + y, weights=ctx.weights, minlength=len(keys) * k).astype(np.int64)
    table = table.reshape(len(keys), k)
    classes = [1] if ctx.spec.task == "binary" else list(range(k))
    rows = []
    for c in classes:
        ordered = np.concatenate([table[:, [c]], np.delete(table, c, axis=1)], axis=1)
        cis = _share_intervals(ordered, n_boot, rng, level)
        for i in range(len(keys)):
            total = table[i].sum()
            row = {"grouping": grouping_name(features), "group": _keys(keys, i, features), "n": int(total),
                   "base_rate": table[i, c] / total if total else None, "ci": cis[i],
                   "small_group": bool(not eligible[i])}
            if ctx.spec.task == "multiclass":
                row["class"] = ctx.labels[c]
            rows.append(row)
    return rows, chi2_independence(table[eligible])


def _mean_targets(y, codes, keys, features, eligible, n_boot, rng, level) -> tuple[list[dict], float | None]:
    from scipy import stats

    point = regression_metrics(codes, len(keys), y, y)["mean_target"]
    cis = [[None, None]] * len(keys)
    if n_boot:
        boot = np.concatenate([regression_metrics(codes, len(keys), y, y, w)["mean_target"]
                               for w in row_multiplicities(len(y), n_boot, rng)])
        cis = interval_pairs(*percentile_interval(boot, level))
    n = np.bincount(codes, minlength=len(keys))
    rows = [{"grouping": grouping_name(features), "group": _keys(keys, i, features),
             "n": int(n[i]), "mean_target": point[i], "ci": cis[i],
             "small_group": bool(not eligible[i])} for i in range(len(keys))]
    by_group = np.split(y[np.argsort(codes, kind="stable")], np.cumsum(n)[:-1])  # rows in order, per group
    samples = [by_group[i] for i in np.flatnonzero(eligible)]
    p_value = float(stats.f_oneway(*samples).pvalue) if len(samples) >= 2 else None
    return rows, p_value


def missingness(frame: pd.DataFrame, sensitive: pd.DataFrame, columns: list[str], min_size: int, n_boot: int,
                rng: np.random.Generator, level: float,
                codes_of: GroupCodes | None = None) -> tuple[list[dict], list[dict]]:
    """Share of missing values of every column with any, by group of each sensitive feature.

    ``codes_of`` gives the group codes of a grouping (default: computed from ``sensitive``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"income": [1.0, None, None, 4.0, 5.0, 6.0], "sex": ["f", "f", "f", "m", "m", "m"]})
    >>> rows, tests = missingness(frame, frame[["sex"]], ["income"], 1, 0, np.random.default_rng(0), 0.95)
    >>> [(r["column"], r["group"], r["n_missing"], round(float(r["missing_rate"]), 3)) for r in rows]
    [('income', 'f', 2, 0.667), ('income', 'm', 0, 0.0)]
    >>> tests[0]["test"], round(tests[0]["difference"], 3)
    ('chi-square', 0.667)
    """
    rows, tests = [], []
    absent = [(c, frame[c].isna().to_numpy()) for c in columns]
    absent = [(c, rows_absent) for c, rows_absent in absent if rows_absent.any()]
    codes_of = _codes_of(sensitive, codes_of)
    for feature in sensitive.columns:
        codes, keys = codes_of((feature,))
        n = np.bincount(codes, minlength=len(keys))
        for column, rows_absent in absent:
            gone = np.bincount(codes[rows_absent], minlength=len(keys))
            got_rows, test = missing_by_group(feature, column, keys, gone, n, min_size, n_boot, rng, level)
            rows += got_rows
            tests.append(test)
    adjusted = adjust_pvalues([t["p_value"] for t in tests], "holm")
    for test, p_adj in zip(tests, adjusted, strict=True):
        test["p_adjusted"] = p_adj
    return rows, tests


def missing_by_group(feature: str, column: str, keys: pd.DataFrame, gone: np.ndarray, n: np.ndarray, min_size: int,
                     n_boot: int, rng: np.random.Generator, level: float) -> tuple[list[dict], dict]:
    """:func:`missingness`' rows and test (before Holm's adjustment) of one column by the groups of one feature.

    ``gone``: missing values of ``column`` per group (in the order of ``keys``), ``n``: rows per group. The
    in-memory engine counts them from the rows, the Dask engine from its tables.

    Examples
    --------
    >>> keys = pd.DataFrame({"sex": ["f", "m"]})
    >>> rows, test = missing_by_group("sex", "income", keys, np.array([2, 0]), np.array([3, 3]), 1, 0,
    ...                               np.random.default_rng(0), 0.95)
    >>> [(r["group"], r["n_missing"]) for r in rows], test["test"]
    ([('f', 2), ('m', 0)], 'chi-square')
    """
    eligible = n >= min_size
    table = np.column_stack([gone, n - gone])
    cis = _share_intervals(table, n_boot, rng, level)
    rates = np.where(n > 0, gone / np.maximum(n, 1), np.nan)
    rows = [{"feature": feature, "group": str(keys.iloc[i][feature]), "column": column, "n": int(n[i]),
             "n_missing": int(gone[i]), "missing_rate": rates[i], "ci": cis[i], "small_group": bool(not eligible[i])}
            for i in range(len(keys))]
    return rows, _missing_test(feature, column, keys, rates, eligible, table)


def _missing_test(feature, column, keys, rates, eligible, table) -> dict:
    kept = np.flatnonzero(eligible)
    high = int(kept[np.argmax(rates[kept])]) if kept.size else None
    low = int(kept[np.argmin(rates[kept])]) if kept.size else None
    return {"feature": feature, "column": column, "test": "chi-square", "p_value": chi2_independence(table[eligible]),
            "difference": float(rates[high] - rates[low]) if kept.size >= 2 else None,
            "highest": None if high is None else {"group": str(keys.iloc[high][feature]), "missing_rate": rates[high]},
            "lowest": None if low is None else {"group": str(keys.iloc[low][feature]), "missing_rate": rates[low]}}


def proxies(frame: pd.DataFrame, sensitive: pd.DataFrame, columns: list[str], n_boot: int,
            rng: np.random.Generator, level: float, codes_of: GroupCodes | None = None,
            deciles_of: Callable[[str], np.ndarray | None] | None = None) -> tuple[list[dict], list[dict]]:
    """Association of every column with every sensitive feature, strongest first; and skipped columns.

    Each column is encoded once (numbers binned) and each (column, sensitive feature) pair
    is then one contingency table: every measure and its bootstrap are computed from it (see
    :mod:`auditkit.data_bias.proxies`). ``codes_of`` gives the group codes of a grouping
    (default: computed from ``sensitive``); ``deciles_of`` the deciles of a column of numbers
    (:meth:`auditkit.context.AuditContext.number_summary`; None, or by default: computed here).

    Examples
    --------
    >>> import numpy as np
    >>> from auditkit import datasets
    >>> frame = datasets.make_biased(400, proxy_strength=0.9, seed=0).frame
    >>> rows, skipped = proxies(frame, frame[["group"]], ["proxy", "noise0"], 0, np.random.default_rng(0), 0.95)
    >>> [(r["feature"], round(r["cramers_v"], 2), r["kind"]) for r in rows]
    [('proxy', 0.94, 'numeric (binned)'), ('noise0', 0.0, 'numeric (binned)')]
    """
    rows, skipped = [], []
    encoded = {c: encode_column(frame[c], None if deciles_of is None else lambda c=c: deciles_of(c)) for c in columns}
    for column, enc in encoded.items():
        if enc.codes is None:
            skipped.append({"column": column, "reason": enc.skipped})
    tables = pair_tables({c: enc for c, enc in encoded.items() if enc.codes is not None}, list(sensitive.columns),
                         _codes_of(sensitive, codes_of))
    for feature in sensitive.columns:
        for column, enc in encoded.items():
            if enc.codes is not None:
                measures = table_row(tables[feature, column], enc, rng, n_boot, level)
                rows.append({"sensitive_feature": feature, "feature": column, **measures})
    rows.sort(key=lambda r: (-(r["cramers_v"] or 0.0), r["sensitive_feature"], r["feature"]))
    return rows, skipped


def pair_tables(encoded: dict[str, Encoded], features: list[str], codes_of: GroupCodes) -> dict:
    """The (level x sensitive value) table of every (sensitive feature, encoded column) pair, one pass per column.

    With two or more sensitive features each column is counted once against the groups of
    every feature intersected (``codes_of(features)``); each feature's table is then a sum of
    that table's columns. Equal to :func:`~auditkit.data_bias.proxies.contingency` of each pair.

    Examples
    --------
    >>> import pandas as pd
    >>> from auditkit.data_bias.proxies import encode_column
    >>> sensitive = pd.DataFrame({"sex": ["f", "m", "m", "f"], "race": ["a", "a", "b", "b"]})
    >>> codes_of = lambda features: group_codes(sensitive, features)
    >>> tables = pair_tables({"x": encode_column(pd.Series(["u", "u", "v", "v"]))}, ["sex", "race"], codes_of)
    >>> tables["sex", "x"].tolist(), tables["race", "x"].tolist()
    ([[1, 1], [1, 1]], [[2, 0], [0, 2]])
    """
    singles = {f: codes_of((f,)) for f in features}
    fine, fine_keys = codes_of(tuple(features)) if len(features) > 1 and encoded else (None, ())
    value_of_group = {}  # per feature: each intersected group's value of the feature
    for feature, (codes, _) in singles.items() if fine is not None else ():
        value_of_group[feature] = np.zeros(len(fine_keys), dtype=np.int64)
        value_of_group[feature][fine] = codes
    tables = {}
    for column, enc in encoded.items():
        if fine is None or enc.n_levels * len(fine_keys) > max(len(fine), 1 << 16):
            tables.update({(f, column): contingency(enc.codes, codes, enc.n_levels, len(keys))
                           for f, (codes, keys) in singles.items()})
            continue
        joint = contingency(enc.codes, fine, enc.n_levels, len(fine_keys))  # (level, group of every feature)
        for feature, (_, keys) in singles.items():
            table = np.zeros((len(keys), enc.n_levels), dtype=joint.dtype)
            np.add.at(table, value_of_group[feature], joint.T)
            tables[feature, column] = np.ascontiguousarray(table.T)
    return tables
