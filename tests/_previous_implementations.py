"""The row-by-row implementations that the vectorised ones replaced, kept verbatim as references.

Tests compare the new code against these on adversarial inputs: same codes, same group
order, same labels. (Copied from auditkit at commit d4ac2c6.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.data_bias.proxies import IDENTIFIER_SHARE, MAX_LEVELS, N_BINS, N_FOLDS, Encoded, contingency
from auditkit.stats.missing_group import ATTRS_KEY, group_label, missing_label


def group_codes(sensitive: pd.DataFrame, features: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    keys = sensitive[list(features)].astype(str)
    groups = keys.drop_duplicates().sort_values(list(features)).reset_index(drop=True)
    lookup = {tuple(row): i for i, row in enumerate(groups.itertuples(index=False, name=None))}
    codes = np.fromiter((lookup[tuple(r)] for r in keys.itertuples(index=False, name=None)),
                        dtype=np.int64, count=len(keys))
    return codes, groups


def sensitive_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    labels: dict[str, str] = {}
    for col in columns:
        values = frame[col]
        present = values.notna()
        as_text = values.map(group_label, na_action="ignore").astype(object)
        if not present.all():
            labels[col] = missing_label(as_text[present].unique())
            as_text = as_text.where(present, labels[col])
        out[col] = as_text
    out.attrs[ATTRS_KEY] = labels
    return out


def encode_column(values: pd.Series) -> Encoded:
    n_unique = values.nunique(dropna=True)
    if n_unique <= 1 and not values.isna().any():
        return Encoded(None, 0, "constant", "the column has a single value")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and n_unique > N_BINS:
        return _binned(values)
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
    if not numeric and n_unique > max(50, IDENTIFIER_SHARE * len(values)):
        return Encoded(None, 0, "identifier", f"{n_unique} distinct values: looks like an identifier or free text")
    top = sorted(text.value_counts().index[:MAX_LEVELS])
    level = text.map({v: i + 1 for i, v in enumerate(top)})
    level = level.where(text.notna(), 0).fillna(len(top) + 1).to_numpy(dtype=np.int64)
    uniques, codes = np.unique(level, return_inverse=True)
    if len(uniques) < 2:
        return Encoded(None, 0, "constant", "the column has a single value")
    return Encoded(codes.astype(np.int64), len(uniques), "numeric" if numeric else "categorical")


def _binned(values: pd.Series) -> Encoded:
    numbers = values.to_numpy(dtype=float)
    present = ~np.isnan(numbers)
    edges = np.unique(np.quantile(numbers[present], np.linspace(0, 1, N_BINS + 1)[1:-1]))
    codes = np.where(present, np.searchsorted(edges, np.where(present, numbers, 0), side="right") + 1, 0)
    _, codes = np.unique(codes, return_inverse=True)
    return Encoded(codes.astype(np.int64), int(codes.max()) + 1, "numeric (binned)")


def predictive_power(x: np.ndarray, s: np.ndarray, kx: int, ks: int, rng: np.random.Generator) -> float:
    folds = rng.permutation(len(x)) % N_FOLDS
    predicted = np.empty(len(x), dtype=np.int64)
    for fold in range(N_FOLDS):
        test = folds == fold
        table = contingency(x[~test], s[~test], kx, ks).astype(float)
        likelihood = (table + 1.0) / (table.sum(axis=0, keepdims=True) + kx)
        predicted[test] = likelihood.argmax(axis=1)[x[test]]
    recalls = [np.mean(predicted[s == k] == k) for k in range(ks) if np.any(s == k)]
    return float(np.mean(recalls))


def label_codes_positions(values: Any, find) -> np.ndarray:
    """The old ``label_codes`` core: factorize the values as Python objects, look each up."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object)), use_na_sentinel=False)
    return np.asarray([find(u) for u in uniques], dtype=np.int64)[codes]
