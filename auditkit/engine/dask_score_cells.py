"""Scores (a model's or a scores column's) reduced on the workers to the score metrics' statistics.

With ``model=`` or ``scores=COLUMN``, the cells (:mod:`auditkit.engine.dask_audit`) are keyed by the
sensitive values, the label and the decision only; the scores reach the client (which holds no score) as
:class:`~auditkit.fairness.cell_scores.CellScores`, built in up to two more passes over the partitions:

1. With the cells (the same read): each partition's sorted scores give a
   :class:`~auditkit.engine.dask_order_stats.RunSketch` and their distinct values, kept up to
   :data:`VALUES_KEPT` (a tree of tasks merges them, each holding at most that many).
2. If the distinct scores are more than the bins allowed (``bins_for`` the finest groups and rows,
   as in memory): the order statistics that place the bins (:mod:`auditkit.engine.score_bins`) and the
   distinct count, found by one task per range of score values (the sketches cut the ranges).
3. Each partition sums its rows per (cell, score bin, calibration bin) (rows, sums, smallest and
   largest score and squared error); the sums are merged by a tree. For binned scores each partition
   also hands its rows (finest group, label, score, bin) to one task per range of bins, which counts
   the ordered pairs within each (group, bin) of every grouping over all partitions' rows: a bin's
   pairs are all in one task, so they are counted as in memory; a task holds about
   :data:`ROWS_PER_RANGE` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.engine.dask_order_stats import RunSketch, range_cuts, union_sorted
from auditkit.engine.dask_tables import distinct_buckets, merge_tree
from auditkit.engine.score_bins import BinEdges, RangeEdges, merge_edges, range_edges
from auditkit.fairness.cell_scores import OVERALL, CellScores, CountedBins, calibration_bins
from auditkit.fairness.score_cells import MAX_SCORE_BINS, SCORE_CELL_BUDGET, bins_for
from auditkit.fairness.scores import CALIBRATION_BINS
from auditkit.stats.levels import wide

VALUES_KEPT = max(SCORE_CELL_BUDGET, MAX_SCORE_BINS) + 1  # distinct scores the first pass keeps: one more than bins
ROWS_PER_RANGE = 2**20  # rows of the bins one pair-counting task holds (16 bytes a row, sorted per grouping)
CELL = "__auditkit_cell__"
STATISTICS = ["rows", "score", "error", "score_low", "error_low", "score_high", "error_high"]


@dataclass(frozen=True)
class FirstPass:
    """The scores after the first pass: every partition's sketch and the distinct values (up to :data:`VALUES_KEPT`).

    Examples
    --------
    >>> first = FirstPass.of([first_pass_part(pd.Series([0.2, 0.1, 0.2])), first_pass_part(pd.Series([0.3]))])
    >>> first.n, first.values.tolist()
    (4, [0.1, 0.2, 0.3])
    """

    sketches: list[RunSketch]
    values: np.ndarray

    @classmethod
    def of(cls, parts: list[tuple[RunSketch, np.ndarray]]) -> FirstPass:
        return cls([s for s, _ in parts], merge_values([v for _, v in parts]))

    @property
    def n(self) -> int:
        return sum(s.n for s in self.sketches)


def first_pass_part(scores: pd.Series) -> tuple[RunSketch, np.ndarray]:
    """One partition's sketch of its sorted scores and its distinct scores (the smallest :data:`VALUES_KEPT`).

    Examples
    --------
    >>> sketch, values = first_pass_part(pd.Series([0.3, 0.1, 0.3]))
    >>> sketch.n, values.tolist()
    (3, [0.1, 0.3])
    """
    ordered = np.sort(scores.to_numpy(dtype=float))
    return RunSketch.of(ordered), merge_values([ordered])


def merge_values(parts: list[np.ndarray]) -> np.ndarray:
    """The distinct values of ``parts`` (each sorted), the smallest :data:`VALUES_KEPT` of them.

    Examples
    --------
    >>> merge_values([np.array([1.0, 2.0]), np.array([2.0, 3.0])]).tolist()
    [1.0, 2.0, 3.0]
    """
    return union_sorted(parts)[:VALUES_KEPT] if parts else np.zeros(0)


def first_pass_graph(score: str) -> Any:
    """``also`` of :func:`~auditkit.engine.dask_tables.aggregate`: the delayed :class:`FirstPass` of ``score``.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit.engine.dask_tables import aggregate
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b"] * 3, "s": [.1, .2, .3, .1, .2, .4]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     first = aggregate(data, ["g"], also=first_pass_graph("s")).also
    >>> first.n, first.values.tolist()
    (6, [0.1, 0.2, 0.3, 0.4])
    """
    import dask

    def build(partitions: list[Any], missing: Any) -> Any:
        leaves = [dask.delayed(first_pass_part)(part[score]) for part in partitions]
        sketches = merge_tree(_join, [dask.delayed(lambda leaf: [leaf[0]])(leaf) for leaf in leaves])
        values = merge_tree(merge_values, [dask.delayed(lambda leaf: leaf[1])(leaf) for leaf in leaves])
        return dask.delayed(FirstPass)(sketches, values)

    return build


def _join(parts: list[list[Any]]) -> list[Any]:
    return [item for part in parts for item in part]


def bin_edges(frame: Any, score: str, first: FirstPass, max_bins: int) -> tuple[BinEdges, int]:
    """The bins of the scores (``ScoreBins.of(scores, max_bins)``'s) and the number of distinct scores.

    Exact (one bin per score) when the first pass found at most ``max_bins`` distinct scores. Else a
    second pass over ``frame[score]``: each partition cuts its sorted scores into ranges of values
    (:func:`~auditkit.engine.dask_order_stats.range_cuts` of the sketches: about :data:`ROWS_PER_RANGE`
    rows a range) and hands each range's distinct values with their rows to the range's task, which
    finds the bins' edges inside it (:func:`~auditkit.engine.score_bins.range_edges`), knowing the rows
    below the range from every partition's counts.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> scores = pd.Series(np.r_[np.linspace(0, 1, 90), np.full(10, 0.5)], name="s")
    >>> frame = dd.from_pandas(scores.to_frame(), npartitions=3)
    >>> first = FirstPass.of([first_pass_part(scores[i::3]) for i in range(3)])
    >>> with dask.config.set(scheduler="synchronous"):
    ...     edges, n_values = bin_edges(frame, "s", first, max_bins=8)
    >>> from auditkit.fairness.score_cells import ScoreBins
    >>> expected = ScoreBins.of(scores.to_numpy(), 8)
    >>> edges.n_bins == expected.n_bins, edges.of(scores.to_numpy()).tolist() == expected.of_row.tolist(), n_values
    (True, True, 91)
    """
    if len(first.values) <= max_bins:
        return BinEdges.exact_values(first.values), len(first.values)
    import dask

    n = first.n
    cuts = range_cuts(first.sketches, max(distinct_buckets(len(first.sketches)), -(-n // ROWS_PER_RANGE)))
    parts = [dask.delayed(split_scores, nout=len(cuts) + 2)(part, cuts) for part in frame[score].to_delayed()]
    below = dask.delayed(rows_below_ranges)([part[0] for part in parts])
    ranges = [dask.delayed(_range_edges)([part[1 + r] for part in parts], below, r, n, max_bins)
              for r in range(len(cuts) + 1)]
    largest = max(float(s.values[-1]) for s in first.sketches if s.n)
    return merge_edges(list(dask.compute(*ranges)), largest)


def split_scores(scores: pd.Series, cuts: np.ndarray) -> list[Any]:
    """A partition's rows per range of values (``[cut_i, cut_i+1)``), then each range's distinct values and rows.

    Examples
    --------
    >>> rows, *ranges = split_scores(pd.Series([0.5, 0.1, 0.5, 0.9]), np.array([0.5]))
    >>> rows.tolist(), [(v.tolist(), c.tolist()) for v, c in ranges]
    ([1, 3], [([0.1], [1]), ([0.5, 0.9], [2, 1])])
    """
    values, counts = np.unique(scores.to_numpy(dtype=float), return_counts=True)
    ends = np.searchsorted(values, cuts, side="left")
    pieces = [(values[a:b], counts[a:b]) for a, b in zip(np.r_[0, ends], np.r_[ends, len(values)], strict=True)]
    return [np.array([c.sum() for _, c in pieces], dtype=np.int64), *pieces]


def rows_below_ranges(rows: list[np.ndarray]) -> np.ndarray:
    """The rows below each range of values, from every partition's rows per range.

    Examples
    --------
    >>> rows_below_ranges([np.array([1, 3]), np.array([2, 0])]).tolist()
    [0, 3]
    """
    total = np.sum(rows, axis=0)
    return np.cumsum(total) - total


def _range_edges(pieces: list[tuple[np.ndarray, np.ndarray]], below: np.ndarray, r: int, n: int,
                 max_bins: int) -> RangeEdges:
    values, which = np.unique(np.concatenate([v for v, _ in pieces]), return_inverse=True)
    counts = np.bincount(which, weights=np.concatenate([c for _, c in pieces]), minlength=len(values))
    return range_edges(values, counts.round().astype(np.int64), int(below[r]), n, max_bins)


@dataclass(frozen=True)
class CellLayout:
    """What a partition needs to reduce its rows: the cells' keys, each cell's label and finest group.

    Attributes
    ----------
    keys : DataFrame
        The key columns of the cells, one row per context row.
    label, fine : ndarray of int
        Per cell: the 0/1 label and the finest group.
    members : dict of tuple to ndarray
        Per grouping of the pairs (every set of sensitive features, and ``()``), the group of each finest group.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> cells = pd.DataFrame({"g": ["a", "a", "b"], "y": [0, 1, 1], "d": [0, 1, 0]})
    >>> ctx = build_context(AuditSpec(data=cells, target="y", sensitive=["g"], predictions="d"))
    >>> layout = CellLayout.of(ctx, cells)
    >>> layout.label.tolist(), layout.fine.tolist(), sorted(layout.members), layout.n_fine
    ([0, 1, 1], [0, 0, 1], [(), ('g',)], 2)
    """

    keys: pd.DataFrame
    label: np.ndarray
    fine: np.ndarray
    members: dict[tuple[str, ...], np.ndarray]

    @classmethod
    def of(cls, ctx: Any, keys: pd.DataFrame) -> CellLayout:
        """The layout of the context ``ctx`` of the cells whose key columns are ``keys`` (a context row per cell)."""
        from auditkit.stats.counts import groupings, partition

        features = list(ctx.sensitive_features)
        every = groupings(features, intersections=True)
        parts = partition(ctx.sensitive, every)
        members = {tuple(g): m for g, m in zip(every, parts.members, strict=True)}
        members[OVERALL] = np.zeros(parts.n_fine, dtype=np.int64)
        return cls(keys.reset_index(drop=True), np.asarray(ctx.y_true).astype(np.int8),
                   np.asarray(parts.fine_codes), members)

    @property
    def n_fine(self) -> int:
        return len(next(iter(self.members.values())))


def cell_scores(frame: Any, score: str, layout: CellLayout, first: FirstPass) -> CellScores:
    """The :class:`CellScores` of ``frame``'s rows (passes 2 and 3 of the module).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit import AuditSpec, build_context
    >>> cells = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [0, 1, 0, 1]})
    >>> rows = pd.DataFrame({"g": ["a", "a", "b", "b"] * 2, "y": [0, 1] * 4, "s": [.1, .8, .3, .6, .2, .9, .4, .5]})
    >>> ctx = build_context(AuditSpec(data=cells.assign(d=cells["y"]), target="y", sensitive=["g"], predictions="d"))
    >>> frame = dd.from_pandas(rows, npartitions=2)
    >>> first = FirstPass.of([first_pass_part(p["s"]) for p in (rows[:4], rows[4:])])
    >>> with dask.config.set(scheduler="synchronous"):
    ...     scores = cell_scores(frame, "s", CellLayout.of(ctx, cells), first)
    >>> scores.bins.exact, scores.overall(ctx.y_true, probabilities=True)["roc_auc"]
    (True, 1.0)
    """
    import dask

    max_bins = bins_for(layout.n_fine, first.n)
    edges, n_values = bin_edges(frame, score, first, max_bins)
    starts = range_starts(edges, first.n)
    n_out = 1 + (0 if edges.exact else len(starts))
    keys = list(layout.keys.columns)
    parts = [dask.delayed(_reduce_partition, nout=n_out)(part, layout, score, edges, starts)
             for part in frame[[*keys, score]].to_delayed()]
    sums = merge_tree(_merge_sums, [part[0] for part in parts])
    pairs = [] if edges.exact else [
        dask.delayed(_range_pairs)([part[1 + r] for part in parts], layout.members, int(lo), int(hi))
        for r, (lo, hi) in enumerate(zip(starts, np.r_[starts[1:], edges.n_bins], strict=True))]
    sums, pairs = dask.compute(sums, pairs)
    return _cell_scores(sums, pairs, layout, edges, n_values)


def range_starts(edges: BinEdges, n: int) -> np.ndarray:
    """The first bin of each range of bins one pair-counting task takes (about :data:`ROWS_PER_RANGE` rows).

    Examples
    --------
    >>> range_starts(BinEdges(np.zeros(0), np.arange(9.0), 10, False), n=3 * ROWS_PER_RANGE).tolist()
    [0, 3, 6]
    """
    ranges = min(edges.n_bins, max(1, -(-n // ROWS_PER_RANGE)))
    return np.unique(np.arange(ranges) * edges.n_bins // ranges)


def _reduce_partition(part: pd.DataFrame, layout: CellLayout, score: str, edges: BinEdges,
                      starts: np.ndarray) -> list[Any]:
    """One partition's sums per (cell, bin, calibration bin), then (binned) its rows per range of bins."""
    cell = cells_of(part.drop(columns=[score]), layout.keys)
    scores = part[score].to_numpy(dtype=float)
    bin_ = edges.of(scores)
    label = layout.label[cell]
    error = (scores - label) ** 2
    key = (wide(cell) * edges.n_bins + bin_) * CALIBRATION_BINS + calibration_bins(scores)
    rows = pd.DataFrame({"key": key, "rows": np.ones(len(key), dtype=np.int64), "score": scores, "error": error})
    grouped = rows.groupby("key", sort=True)
    sums = grouped[["rows", "score", "error"]].sum()
    sums[["score_low", "error_low"]] = grouped[["score", "error"]].min().to_numpy()
    sums[["score_high", "error_high"]] = grouped[["score", "error"]].max().to_numpy()
    if edges.exact:
        return [sums]
    order = np.argsort(bin_, kind="stable")
    cut = np.searchsorted(bin_[order], starts[1:], side="left")
    chunks = [pd.DataFrame({"fine": layout.fine[cell[rows_]], "label": label[rows_], "score": scores[rows_],
                            "bin": bin_[rows_]}) for rows_ in np.split(order, cut)]
    return [sums, *chunks]


def cells_of(keys: pd.DataFrame, cells: pd.DataFrame) -> np.ndarray:
    """The cell (row of ``cells``) of each row of ``keys``: equal key values, missing ones equal to each other.

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["a", None, "b"], "y": [1, 0, 0]})
    >>> cells_of(pd.DataFrame({"g": ["b", None, "a"], "y": [0, 0, 1]}), cells).tolist()
    [2, 1, 0]
    """
    numbered = cells.assign(**{CELL: np.arange(len(cells))})
    found = keys.reset_index(drop=True).merge(numbered, on=list(cells.columns), how="left", sort=False)[CELL]
    if found.isna().any():
        raise AssertionError("a row outside every cell")  # the cells were counted from these rows
    return found.to_numpy(dtype=np.int64)


def _merge_sums(parts: list[pd.DataFrame]) -> pd.DataFrame:
    joined_ = pd.concat(parts)
    grouped = joined_.groupby(level=0, sort=True)
    out = grouped[["rows", "score", "error"]].sum()
    out[["score_low", "error_low"]] = grouped[["score_low", "error_low"]].min().to_numpy()
    out[["score_high", "error_high"]] = grouped[["score_high", "error_high"]].max().to_numpy()
    return out


def _range_pairs(chunks: list[pd.DataFrame], members: dict[tuple[str, ...], np.ndarray], lo: int,
                 hi: int) -> dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]]:
    """Per grouping: the ordered pairs and whether a group has several scores, per (group, bin) of bins lo..hi."""
    rows = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    order = np.argsort(rows["score"].to_numpy(), kind="stable") if len(rows) else np.zeros(0, dtype=np.int64)
    fine = rows["fine"].to_numpy()[order] if len(rows) else order
    label = rows["label"].to_numpy()[order] if len(rows) else order
    score = rows["score"].to_numpy()[order] if len(rows) else order.astype(float)
    local = (rows["bin"].to_numpy()[order] - lo) if len(rows) else order
    return {features: ordered_pairs(member[fine], int(member.max()) + 1, local, score, label, hi - lo)
            for features, member in members.items()}


def ordered_pairs(group: np.ndarray, n_groups: int, bin_: np.ndarray, score: np.ndarray, label: np.ndarray,
                  n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per (group, bin), shape ``(n_groups, n_bins)``: the positive-negative pairs whose positive scores higher
    (ties a half), and whether the group has more than one score in the bin. Rows in order of score.

    Examples
    --------
    >>> ordered, several = ordered_pairs(np.zeros(5, dtype=int), 1, np.array([0, 0, 0, 0, 1]),
    ...                                  np.array([0.1, 0.2, 0.2, 0.3, 0.9]), np.array([0, 1, 0, 1, 1]), 2)
    >>> ordered.tolist(), several.tolist()  # in bin 0: (0.2 > 0.1), (0.2 = 0.2), (0.3 > 0.1), (0.3 > 0.2)
    ([[3.5, 0.0]], [[True, False]])
    """
    size = n_groups * n_bins
    if len(group) == 0:
        return np.zeros((n_groups, n_bins)), np.zeros((n_groups, n_bins), dtype=bool)
    order = np.argsort(group, kind="stable")  # by group, then (rows in order) by score
    g, b, s, y = wide(group[order]), bin_[order], score[order], label[order].astype(float)
    starts = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (b[1:] != b[:-1]) | (s[1:] != s[:-1])])
    positives = np.add.reduceat(y, starts)
    negatives = np.diff(np.r_[starts, len(g)]) - positives
    segment = g[starts] * n_bins + b[starts]
    first = np.r_[True, segment[1:] != segment[:-1]]
    before = np.cumsum(negatives) - negatives
    below = before - before[first][np.cumsum(first) - 1]  # negatives of the (group, bin) scoring less
    ordered = np.bincount(segment, weights=positives * (below + 0.5 * negatives), minlength=size)
    several = np.bincount(segment, minlength=size) > 1
    return ordered.reshape(n_groups, n_bins), several.reshape(n_groups, n_bins)


def _cell_scores(sums: pd.DataFrame, pairs: list[dict], layout: CellLayout, edges: BinEdges,
                 n_values: int) -> CellScores:
    key = sums.index.to_numpy(dtype=np.int64)
    cell, rest = np.divmod(key, edges.n_bins * CALIBRATION_BINS)
    joined_pairs = {f: (np.concatenate([p[f][0] for p in pairs], axis=1), np.concatenate([p[f][1] for p in pairs],
                                                                                         axis=1))
                    for f in layout.members} if pairs else {}
    return CellScores(cell, rest // CALIBRATION_BINS, rest % CALIBRATION_BINS, sums["rows"].to_numpy(np.int64),
                      sums[["score", "error"]].to_numpy(float), sums[["score_low", "error_low"]].to_numpy(float),
                      sums[["score_high", "error_high"]].to_numpy(float),
                      CountedBins.counted(edges.n_bins, edges.exact, n_values), layout.fine, joined_pairs,
                      dict(layout.members) if pairs else {})

