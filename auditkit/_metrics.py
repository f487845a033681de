"""Group metrics computed from confusion-matrix counts.

Every rate is a function of the four counts ``(tp, fp, fn, tn)``, vectorised over any
leading axes, so point estimates and bootstrap resamples share one implementation.
Undefined rates (zero denominator) are NaN, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

TP, FP, FN, TN = 0, 1, 2, 3

def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def rates_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """All rate metrics from counts of shape ``(..., 4)`` ordered ``tp, fp, fn, tn``."""
    counts = np.asarray(counts, dtype=float)
    tp, fp, fn, tn = (counts[..., i] for i in (TP, FP, FN, TN))
    n = tp + fp + fn + tn
    tpr = _ratio(tp, tp + fn)
    tnr = _ratio(tn, tn + fp)
    return {
        "selection_rate": _ratio(tp + fp, n),
        "true_positive_rate": tpr,
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, tp + fn),
        "true_negative_rate": tnr,
        "precision": _ratio(tp, tp + fp),
        "negative_predictive_value": _ratio(tn, tn + fn),
        "accuracy": _ratio(tp + tn, n),
        "balanced_accuracy": (tpr + tnr) / 2.0,
        "base_rate": _ratio(tp + fn, n),
    }


def confusion_cells(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Cell index per row: 0 tp, 1 fp, 2 fn, 3 tn."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return 2 * (1 - y_pred) + (1 - y_true)


def group_codes(sensitive: pd.DataFrame, features: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row and the table of group keys, sorted by key."""
    keys = sensitive[list(features)].astype(str)
    groups = keys.drop_duplicates().sort_values(list(features)).reset_index(drop=True)
    lookup = {tuple(row): i for i, row in enumerate(groups.itertuples(index=False, name=None))}
    codes = np.fromiter((lookup[tuple(r)] for r in keys.itertuples(index=False, name=None)),
                        dtype=np.int64, count=len(keys))
    return codes, groups


def group_counts(codes: np.ndarray, cells: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts array of shape ``(n_groups, 4)``."""
    flat = np.bincount(codes * 4 + cells, minlength=n_groups * 4)
    return flat.reshape(n_groups, 4)


def groupings(features: list[str], intersections: bool = True) -> list[tuple[str, ...]]:
    """Each sensitive feature alone, then (optionally) every intersection of two or more."""
    out: list[tuple[str, ...]] = [(f,) for f in features]
    if intersections:
        for size in range(2, len(features) + 1):
            out.extend(combinations(features, size))
    return out


def grouping_name(features: tuple[str, ...]) -> str:
    return " × ".join(features)


@dataclass(frozen=True)
class Partition:
    """Groups of every grouping, derived from the finest partition (all features intersected).

    Attributes
    ----------
    groupings : list of tuple of str
    fine_codes : ndarray of int
        Finest-group code of every row.
    n_fine : int
    keys : list of DataFrame
        Per grouping, one row per group (sorted by key).
    members : list of ndarray of int
        Per grouping, the grouping's group of each finest group.
    """

    groupings: list[tuple[str, ...]]
    fine_codes: np.ndarray
    n_fine: int
    keys: list[pd.DataFrame]
    members: list[np.ndarray]

    def row_codes(self, index: int) -> np.ndarray:
        """Group code of every row in grouping ``index``."""
        return self.members[index][self.fine_codes]

    def aggregate(self, fine: np.ndarray, index: int, axis: int) -> np.ndarray:
        """Sum an array over finest groups (on ``axis``) into the groups of grouping ``index``."""
        n_groups = len(self.keys[index])
        onehot = np.zeros((self.n_fine, n_groups), dtype=np.asarray(fine).dtype)
        onehot[np.arange(self.n_fine), self.members[index]] = 1
        summed = np.tensordot(fine, onehot, axes=([axis], [0]))
        return np.moveaxis(summed, -1, axis)


def partition(sensitive: pd.DataFrame, groupings_: list[tuple[str, ...]]) -> Partition:
    """The :class:`Partition` of the rows of ``sensitive`` for ``groupings_``."""
    features = tuple(dict.fromkeys(f for g in groupings_ for f in g))
    fine_codes, fine_keys = group_codes(sensitive, features)
    members, keys = [], []
    for grouping in groupings_:
        member, grouping_keys = group_codes(fine_keys, grouping)
        members.append(member)
        keys.append(grouping_keys)
    return Partition(list(groupings_), fine_codes, len(fine_keys), keys, members)
