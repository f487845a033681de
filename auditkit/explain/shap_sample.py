"""Which rows SHAP explains: a row budget, and a seeded sample stratified by sensitive group.

The budget is :data:`DEFAULT_SHAP_ROWS` rows, fewer for a tree model whose path-dependent
TreeSHAP would take long: its cost per row is about the sum over leaves of (leaf depth + 1)²
(:func:`treeshap_cost`), which runs at about :data:`TREESHAP_STEPS_PER_SECOND` on one core
(measured for scikit-learn forests and histogram gradient boosting, XGBoost and LightGBM: 3.2e8
to 4.2e8 a second). A budget is the same on every machine: it depends on the model, not on
a clock.

The sample is stratified by the sensitive groups (their intersections): every stratum gets
at least ``min(its size, floor)`` rows, where ``floor`` is at most the smallest group size the
audit reports on, and the strata above that floor share the rest in proportion to their sizes.
Each row carries the design weight ``stratum size / rows taken from it``, so means over the
sample (global importance, mean SHAP per group) estimate the means over the audited rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_SHAP_ROWS = 1000
"""Most rows the SHAP step explains when neither ``shap_rows`` nor the step's ``max_rows`` is set."""
SECONDS_BUDGET = 30.0
"""The estimated TreeSHAP time the automatic budget allows (unless that leaves fewer than :data:`MIN_AUTO_ROWS`)."""
MIN_AUTO_ROWS = 20
TREESHAP_STEPS_PER_SECOND = 3.0e8
"""Steps (see :func:`treeshap_cost`) path-dependent TreeSHAP takes per second on one core (the slowest measured)."""


def treeshap_cost(trees: Any) -> float | None:
    """Steps of path-dependent TreeSHAP per explained row: the sum over leaves of (leaf depth + 1)².

    Parameters
    ----------
    trees : shap's TreeEnsemble (``shap.TreeExplainer(model).model``)
        Read for ``children_left``, ``children_right`` (one row per tree) and ``max_depth``;
        None when it has none of them.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> stump = SimpleNamespace(children_left=np.array([[1, -1, -1]]), children_right=np.array([[2, -1, -1]]),
    ...                         max_depth=1)
    >>> treeshap_cost(stump)  # two leaves at depth 1
    8.0
    """
    if not all(hasattr(trees, name) for name in ("children_left", "children_right", "max_depth")):
        return None  # a model shap reads another way: no estimate
    left, right = np.atleast_2d(trees.children_left), np.atleast_2d(trees.children_right)
    depth = np.full(left.shape, -1)
    depth[:, 0] = 0
    for level in range(int(trees.max_depth) + 1):
        tree, node = np.nonzero((depth == level) & (left >= 0))
        depth[tree, left[tree, node]] = level + 1
        depth[tree, right[tree, node]] = level + 1
    leaves = (left < 0) & (depth >= 0)
    return float(((depth[leaves] + 1.0) ** 2).sum())


def automatic_rows(cost_per_row: float | None) -> int:
    """The default budget: :data:`DEFAULT_SHAP_ROWS`, or fewer rows when TreeSHAP would exceed :data:`SECONDS_BUDGET`.

    Examples
    --------
    >>> automatic_rows(None), automatic_rows(2.7e5), automatic_rows(4.8e8)  # linear; boosting; a deep forest
    (1000, 1000, 20)
    """
    if not cost_per_row:
        return DEFAULT_SHAP_ROWS
    fits = int(SECONDS_BUDGET * TREESHAP_STEPS_PER_SECOND // cost_per_row)
    return max(MIN_AUTO_ROWS, min(DEFAULT_SHAP_ROWS, fits))


@dataclass(frozen=True)
class RowSample:
    """The rows SHAP explains, by position in the audited rows, with their design weights.

    Attributes
    ----------
    positions : ndarray of int
        Sorted positions in the audited rows.
    weights : ndarray of float
        Rows of the audited rows each explained row stands for (all 1 when every row is explained).
    stratified_by : list of str
        The sensitive features whose groups (and their intersections) were sampled separately.

    Examples
    --------
    >>> groups = pd.DataFrame({"sex": ["f"] * 10 + ["m"] * 90})
    >>> sample = stratified_rows(groups, 20, np.random.default_rng(0), floor=5)
    >>> sample.counts(groups)["sex"]
    [{'group': 'f', 'rows_explained': 5, 'rows_audited': 10}, {'group': 'm', 'rows_explained': 15, 'rows_audited': 90}]
    >>> sorted(set(sample.weights.tolist()))  # each f row stands for 2 rows, each m row for 6
    [2.0, 6.0]
    """

    positions: np.ndarray
    weights: np.ndarray
    stratified_by: list[str]

    def counts(self, groups: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
        """Per sensitive feature: each group's explained and audited rows."""
        out = {}
        for feature in groups.columns:
            labels = groups[feature].astype(str)
            audited = labels.value_counts()
            explained = labels.iloc[self.positions].value_counts()
            out[str(feature)] = [{"group": group, "rows_explained": int(explained.get(group, 0)),
                                  "rows_audited": int(audited[group])} for group in sorted(audited.index)]
        return out


@dataclass(frozen=True)
class CountedRowSample(RowSample):
    """A :class:`RowSample` whose rows by group were counted where the rows are (e.g. by Dask), not from ``groups``.

    Examples
    --------
    >>> by_group = {"sex": [{"group": "f", "rows_explained": 1, "rows_audited": 4}]}
    >>> CountedRowSample(np.arange(1), np.ones(1), ["sex"], by_group).counts(pd.DataFrame())["sex"][0]["rows_audited"]
    4
    """

    by_group: dict[str, list[dict[str, Any]]]

    def counts(self, groups: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
        """The rows by group as counted (``groups`` is not read)."""
        return self.by_group


def stratified_rows(groups: pd.DataFrame, limit: int | None, rng: np.random.Generator, floor: int) -> RowSample:
    """A seeded sample of at most ``limit`` rows, stratified by the intersections of the columns of ``groups``.

    Parameters
    ----------
    groups : DataFrame
        One column per sensitive feature, one row per audited row.
    limit : int or None
        Most rows; None (or at least the number of rows): every row, weight 1.
    rng : numpy Generator
        Seeded by the audit (the same seed gives the same rows).
    floor : int
        Rows each stratum gets first (all of a smaller one), lowered so the floors take at
        most the whole budget. When there are more strata than rows, every group of every
        feature still gets one row, as far as the budget goes.

    Examples
    --------
    >>> groups = pd.DataFrame({"sex": ["f", "m"] * 50, "race": ["a"] * 96 + ["b"] * 4})
    >>> sample = stratified_rows(groups, 10, np.random.default_rng(0), floor=30)
    >>> len(sample.positions), sorted(groups["race"].iloc[sample.positions].unique())
    (10, ['a', 'b'])
    """
    n = len(groups)
    if limit is None or limit >= n:
        return RowSample(np.arange(n), np.ones(n), [str(c) for c in groups.columns])
    codes = stratum_codes(groups)
    sizes = np.bincount(codes)
    taken = stratum_allocation(sizes, lambda: stratum_members(groups, codes), limit, floor)
    ranks = stratum_ranks(sizes, taken, rng)
    chosen = [np.flatnonzero(codes == h)[r] for h, r in enumerate(ranks) if len(r)]
    positions = np.sort(np.concatenate(chosen))
    weights = sizes[codes[positions]] / taken[codes[positions]]
    return RowSample(positions, weights.astype(float), [str(c) for c in groups.columns])


def stratum_allocation(sizes: np.ndarray, members: Callable[[], list[set[tuple[str, str]]]], limit: int,
                       floor: int) -> np.ndarray:
    """Rows taken from each stratum (sizes ``sizes``) by :func:`stratified_rows`, for ``limit`` rows with ``floor``.

    ``members()`` gives each stratum's (feature, group) pairs (:func:`stratum_members`); it is called only
    when there are more strata than the budget gives rows, so that each group still gets one.

    Examples
    --------
    >>> stratum_allocation(np.array([10, 90]), lambda: [], 20, floor=5).tolist()
    [5, 15]
    """
    per_stratum = min(floor, limit // len(sizes))
    taken = np.minimum(sizes, per_stratum) if per_stratum else _one_row_per_group(members(), sizes, limit)
    return _spread(taken, sizes, limit)


def stratum_ranks(sizes: np.ndarray, taken: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Per stratum: which of its rows (ranks in row order, 0 = its first row) the sample takes, as drawn.

    The draw of :func:`stratified_rows`: ``rng.choice`` of ``taken[h]`` of a stratum's ``sizes[h]`` rows, stratum
    by stratum. NumPy's ``Generator.choice`` of an array picks positions in it, so
    ``rng.choice(rows_of_h, k, replace=False)`` is ``rows_of_h[rng.choice(len(rows_of_h), k, replace=False)]``:
    the ranks and each stratum's size determine the rows, wherever the rows are (e.g. the partitions of
    a Dask frame).

    Examples
    --------
    >>> [r.tolist() for r in stratum_ranks(np.array([3, 5]), np.array([3, 0]), np.random.default_rng(0))]
    [[2, 0, 1], []]
    """
    return [rng.choice(int(n), size=int(k), replace=False) if k else np.zeros(0, dtype=np.int64)
            for n, k in zip(sizes, taken, strict=True)]


def stratum_codes(groups: pd.DataFrame) -> np.ndarray:
    """Each row's stratum (intersection of its groups), numbered in the order of the groups' labels as text.

    Vectorised: each column is factorised on its labels as text (sorted), and the codes of the
    columns combined in that order, so stratum 0 is the first group of the first column with the
    first group of the second, and so on.

    Examples
    --------
    >>> stratum_codes(pd.DataFrame({"sex": ["m", "f", "m", "f"], "race": ["b", "b", "a", "b"]})).tolist()
    [2, 0, 1, 0]
    >>> stratum_codes(pd.DataFrame(index=range(3))).tolist()
    [0, 0, 0]
    """
    combined = np.zeros(len(groups), dtype=np.int64)
    for column in groups.columns:
        codes, labels = pd.factorize(groups[column].astype(str), sort=True)
        combined = combined * max(len(labels), 1) + codes
    return pd.factorize(combined, sort=True)[0]


def stratum_members(groups: pd.DataFrame, codes: np.ndarray) -> list[set[tuple[str, str]]]:
    """Each stratum's (feature, group label) pairs, from its first row (every row of a stratum has the same).

    Examples
    --------
    >>> stratum_members(pd.DataFrame({"sex": ["m", "f"]}), np.array([1, 0]))
    [{('sex', 'f')}, {('sex', 'm')}]
    """
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    return [{(c, str(groups[c].iloc[i])) for c in groups.columns} for i in first]


def _one_row_per_group(members: list[set[tuple[str, str]]], sizes: np.ndarray, limit: int) -> np.ndarray:
    """One row from as few strata as cover every group of every feature (greedy), within ``limit``."""
    taken = np.zeros(len(members), dtype=int)
    uncovered = set().union(*members)
    while uncovered and taken.sum() < limit:
        gain = [len(m & uncovered) if not taken[h] else -1 for h, m in enumerate(members)]
        best = max(range(len(members)), key=lambda h: (gain[h], sizes[h], -h))
        taken[best] = 1
        uncovered -= members[best]
    return taken


def _spread(taken: np.ndarray, sizes: np.ndarray, limit: int) -> np.ndarray:
    """``max(taken, share of the size)`` per stratum, capped at its size, the share chosen so ``limit`` rows are taken.

    The strata above their floor get rows in proportion to their sizes (the fewer rows a stratum
    gets above its share, the less the weights vary); what rounding leaves goes by largest remainder.
    """
    def total(share: float) -> int:
        return int(np.minimum(sizes, np.maximum(taken, np.floor(share * sizes))).sum())

    low, high = 0.0, 1.0
    for _ in range(60):  # bisection: total() is monotone in the share
        low, high = ((low + high) / 2, high) if total((low + high) / 2) <= limit else (low, (low + high) / 2)
    alloc = np.minimum(sizes, np.maximum(taken, np.floor(low * sizes))).astype(int)
    remainder = low * sizes - np.floor(low * sizes)
    while alloc.sum() < limit:
        room = np.flatnonzero(alloc < sizes)
        for h in room[np.argsort(-remainder[room], kind="stable")][: limit - int(alloc.sum())]:
            alloc[h] += 1
    return alloc
