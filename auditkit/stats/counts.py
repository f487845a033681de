"""Group metrics computed from confusion-matrix counts.

Every rate is a function of the four counts ``(tp, fp, fn, tn)``, vectorised over any
leading axes, so point estimates and bootstrap resamples share one implementation.
Undefined rates (zero denominator) are NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from auditkit.stats.levels import renumber, text_levels
from auditkit.stats.missing_group import missing_groups

TP, FP, FN, TN = 0, 1, 2, 3
ALL_CELLS = (TP, FP, FN, TN)

# Numerator and denominator cells of every count-based rate. A rate is estimated from its
# denominator's rows only (a true positive rate from the actual positives), so that is the
# number of people it rests on, whatever the size of the group.
RATE_CELLS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "selection_rate": ((TP, FP), ALL_CELLS),
    "true_positive_rate": ((TP,), (TP, FN)),
    "false_positive_rate": ((FP,), (FP, TN)),
    "false_negative_rate": ((FN,), (TP, FN)),
    "true_negative_rate": ((TN,), (FP, TN)),
    "precision": ((TP,), (TP, FP)),
    "negative_predictive_value": ((TN,), (TN, FN)),
    "accuracy": ((TP, TN), ALL_CELLS),
    "base_rate": ((TP, FN), ALL_CELLS),
}
# Metrics that need both actual positives and actual negatives rest on the smaller of the two.
BOTH_CLASSES = ("balanced_accuracy", "roc_auc")
# What the denominator of a metric counts, in words (metrics not named here: all rows of the group).
DENOMINATOR_WORDS: dict[tuple[int, ...], str] = {
    (TP, FN): "actual positives",
    (FP, TN): "actual negatives",
    (TP, FP): "positive decisions",
    (TN, FN): "negative decisions",
}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _cells(counts: np.ndarray, cells: tuple[int, ...]) -> np.ndarray:
    return np.asarray(counts)[..., list(cells)].sum(axis=-1)


def rates_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """All rate metrics from counts of shape ``(..., 4)`` ordered ``tp, fp, fn, tn``.

    Examples
    --------
    >>> import numpy as np
    >>> rates = rates_from_counts(np.array([[8, 2, 2, 8], [0, 0, 0, 5]]))  # tp, fp, fn, tn of two groups
    >>> rates["selection_rate"].tolist(), rates["true_positive_rate"].tolist()
    ([0.5, 0.0], [0.8, nan])
    """
    counts = np.asarray(counts, dtype=float)
    rates = {m: _ratio(_cells(counts, num), _cells(counts, den)) for m, (num, den) in RATE_CELLS.items()}
    balanced = (rates["true_positive_rate"] + rates["true_negative_rate"]) / 2.0
    order = [*list(RATE_CELLS)[:8], "balanced_accuracy", "base_rate"]
    return {m: balanced if m == "balanced_accuracy" else rates[m] for m in order}


def rate_numerators(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The numerator (a count of rows) of every count-based rate in :data:`RATE_CELLS`.

    Examples
    --------
    >>> import numpy as np
    >>> numerators = rate_numerators(np.array([[8, 2, 2, 8]]))
    >>> int(numerators["selection_rate"][0]), int(numerators["true_positive_rate"][0])
    (10, 8)
    """
    return {m: _cells(counts, num) for m, (num, _) in RATE_CELLS.items()}


def denominators(metrics: list[str], n: np.ndarray, counts: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The number of rows each metric of each group is estimated from.

    Parameters
    ----------
    metrics : list of str
    n : ndarray of int, shape ``(n_groups,)``
        Rows per group: the denominator of every metric that is not a count-based rate.
    counts : ndarray of int, shape ``(n_groups, 4)``, optional
        Confusion counts ``tp, fp, fn, tn`` by group (binary and one-vs-rest tasks).

    Returns
    -------
    dict of str to ndarray of int
        Actual positives for the true positive and false negative rates, actual negatives
        for the false positive and true negative rates, positive decisions for precision,
        negative decisions for the negative predictive value, the smaller of actual
        positives and negatives for balanced accuracy and ROC AUC, all rows otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.array([[1, 4, 0, 50]])  # 55 rows, 1 actual positive
    >>> {m: int(v[0]) for m, v in denominators(["selection_rate", "true_positive_rate"], np.array([55]),
    ...                                          counts).items()}
    {'selection_rate': 55, 'true_positive_rate': 1}
    """
    n = np.asarray(n, dtype=np.int64)
    out = {}
    for metric in metrics:
        if counts is not None and metric in RATE_CELLS:
            out[metric] = _cells(counts, RATE_CELLS[metric][1]).astype(np.int64)
        elif counts is not None and metric in BOTH_CLASSES:
            out[metric] = np.minimum(_cells(counts, (TP, FN)), _cells(counts, (FP, TN))).astype(np.int64)
        else:
            out[metric] = n
    return out


def denominator_words(metric: str) -> str:
    """What the denominator of ``metric`` counts, e.g. ``"actual positives"``.

    Examples
    --------
    >>> denominator_words("true_positive_rate"), denominator_words("precision"), denominator_words("selection_rate")
    ('actual positives', 'positive decisions', 'rows')
    """
    if metric in BOTH_CLASSES:
        return "actual positives or negatives (whichever are fewer)"
    cells = RATE_CELLS.get(metric, ((), ALL_CELLS))[1]
    return DENOMINATOR_WORDS.get(tuple(cells), "rows")


def confusion_cells(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Cell index per row: 0 tp, 1 fp, 2 fn, 3 tn (one byte a row).

    Examples
    --------
    >>> confusion_cells([1, 0, 1, 0], [1, 1, 0, 0]).tolist()  # tp, fp, fn, tn
    [0, 1, 2, 3]
    """
    cells = (np.asarray(y_pred) == 0).astype(np.int8)  # one byte a row: 2 * (1 - y_pred) + (1 - y_true)
    cells *= 2
    cells += np.asarray(y_true) == 0
    return cells


def group_codes(sensitive: pd.DataFrame, features: tuple[str, ...],
                levels_of: Callable[[str], tuple[np.ndarray, pd.Series]] | None = None,
                ) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row and the table of group keys, sorted by key.

    Groups are the distinct combinations of the features' values as text (``astype(str)``;
    missing values stay missing and sort last), ordered by the first feature, then the
    second... Each column is hashed once (:func:`auditkit.stats.levels.text_levels`); no row
    is visited in Python. ``levels_of(feature)``, when given, returns what ``text_levels``
    gives for that column (e.g. the group codes and keys of the feature alone, computed before).
    The codes are held in the narrowest integer type for the number of groups
    (:func:`auditkit.stats.levels.code_dtype`): widen them (``levels.wide``) before arithmetic.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, keys = group_codes(pd.DataFrame({"sex": ["m", "f", "m"]}), ("sex",))
    >>> codes.tolist(), keys["sex"].tolist()
    ([1, 0, 1], ['f', 'm'])
    """
    codes = np.zeros(len(sensitive), dtype=np.int8)
    combos = np.zeros((1, 0), dtype=np.int64)  # per group so far: the level of each feature
    names = []
    levels_of = levels_of or (lambda feature: text_levels(sensitive[feature]))
    for feature in features:
        levels, level_names = levels_of(feature)
        size = len(level_names)
        combined = np.multiply(codes, size, dtype=np.int64)  # widened: narrow codes * size would wrap around
        combined += levels
        codes, present = renumber(combined, len(combos) * size)
        del combined
        combos = np.column_stack([combos[present // size], present % size])
        names.append(level_names)
    keys = pd.DataFrame({f: level_names.take(combos[:, j]).reset_index(drop=True)
                         for j, (f, level_names) in enumerate(zip(features, names, strict=True))})
    return codes, keys


def group_counts(codes: np.ndarray, cells: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts array of shape ``(n_groups, 4)``.

    Examples
    --------
    >>> import numpy as np
    >>> group_counts(np.array([0, 0, 1, 1]), confusion_cells([1, 0, 1, 0], [1, 1, 0, 0]), 2).tolist()
    [[1, 1, 0, 0], [0, 0, 1, 1]]
    """
    keys = np.multiply(codes, 4, dtype=np.int64)  # widened: narrow codes * 4 would wrap around
    keys += cells
    flat = np.bincount(keys, minlength=n_groups * 4)
    return flat.reshape(n_groups, 4)


def groupings(features: list[str], intersections: bool = True) -> list[tuple[str, ...]]:
    """Each sensitive feature alone, then (optionally) every intersection of two or more.

    Examples
    --------
    >>> groupings(["sex", "race", "age"])
    [('sex',), ('race',), ('age',), ('sex', 'race'), ('sex', 'age'), ('race', 'age'), ('sex', 'race', 'age')]
    >>> groupings(["sex", "race"], intersections=False)
    [('sex',), ('race',)]
    """
    out: list[tuple[str, ...]] = [(f,) for f in features]
    if intersections:
        for size in range(2, len(features) + 1):
            out.extend(combinations(features, size))
    return out


def grouping_name(features: tuple[str, ...]) -> str:
    """Display name of a grouping: its features joined by ``×``.

    Examples
    --------
    >>> grouping_name(("sex", "race"))
    'sex × race'
    """
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
    missing : dict of str to str
        Sensitive feature to the label of its missing-value group (features with missing values).

    Examples
    --------
    >>> import pandas as pd
    >>> sensitive = pd.DataFrame({"sex": ["f", "m", "f", "m"], "race": ["a", "a", "b", "b"]})
    >>> part = partition(sensitive, [("sex",), ("sex", "race")])
    >>> part.n_fine, part.row_codes(0).tolist(), part.row_codes(1).tolist()
    (4, [0, 1, 0, 1], [0, 2, 1, 3])
    """

    groupings: list[tuple[str, ...]]
    fine_codes: np.ndarray
    n_fine: int
    keys: list[pd.DataFrame]
    members: list[np.ndarray]
    missing: dict[str, str]

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


def partition(sensitive: pd.DataFrame, groupings_: list[tuple[str, ...]],
              codes_of: Callable[[tuple[str, ...]], tuple[np.ndarray, pd.DataFrame]] | None = None) -> Partition:
    """The :class:`Partition` of the rows of ``sensitive`` for ``groupings_``.

    ``codes_of(features)``, when given, returns :func:`group_codes` of ``sensitive`` for ``features``
    (e.g. ``AuditContext.group_codes``, which keeps them for the audit's other steps).

    Examples
    --------
    >>> import pandas as pd
    >>> part = partition(pd.DataFrame({"sex": ["f", "m", "f"], "race": ["a", "a", "b"]}), [("sex",), ("race",)])
    >>> [keys.columns.tolist() for keys in part.keys], part.row_codes(1).tolist()
    ([['sex'], ['race']], [0, 0, 1])
    """
    features = tuple(dict.fromkeys(f for g in groupings_ for f in g))
    fine_codes, fine_keys = codes_of(features) if codes_of is not None else group_codes(sensitive, features)
    members, keys = [], []
    for grouping in groupings_:
        member, grouping_keys = group_codes(fine_keys, grouping)
        members.append(member)
        keys.append(grouping_keys)
    return Partition(list(groupings_), fine_codes, len(fine_keys), keys, members, missing_groups(sensitive))
