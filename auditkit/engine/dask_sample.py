"""Rows of a Dask frame by position: the in-memory engine's seeded stratified sample, drawn from stratum counts.

The in-memory sampler (:func:`auditkit.explain.shap_sample.stratified_rows`) draws, stratum by stratum,
``rng.choice`` of a stratum's rows; that picks the same rows as choosing *ranks* among the stratum's
``size`` rows (:func:`~auditkit.explain.shap_sample.stratum_ranks`). So the client needs only each
partition's rows per stratum (a partitions x strata table of counts) to know which rank of which
stratum falls in which partition, and at which rank there; each worker then finds those rows in its
partition and returns them alone. The rows are the in-memory engine's on the same data (same seed,
same rows in the same order), and nothing the client receives grows with the number of rows but the
sample itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.engine.dask_bias_tables import keyed, sensitive_values
from auditkit.explain.shap_sample import (
    CountedRowSample,
    stratum_allocation,
    stratum_codes,
    stratum_members,
    stratum_ranks,
)

POSITION = "__auditkit_position__"  # a pulled row's position in the data (0 = the first row of the first partition)
STRATUM = "__auditkit_stratum__"  # a pulled row's stratum


@dataclass(frozen=True)
class Strata:
    """The strata of the data (intersections of the sensitive groups), known from the cells, and where their rows are.

    Attributes
    ----------
    values : dict of str to list
        Each sensitive feature's values, keyed (:func:`~auditkit.engine.dask_bias_tables.keyed`).
    combination : ndarray of int
        Sorted codes of the combinations of values (mixed radix over ``values``) present in the data.
    stratum_of : ndarray of int
        The stratum of each code in ``combination``.
    groups : DataFrame
        One row per stratum: its sensitive groups as the audit labels them (``ctx.sensitive``'s texts).
    counts : ndarray of int
        Rows per (partition, stratum).

    Examples
    --------
    >>> strata = Strata({"g": ["a", "b"]}, np.array([0, 1]), np.array([0, 1]), pd.DataFrame({"g": ["a", "b"]}),
    ...                 np.array([[2, 0], [1, 3]]))
    >>> strata.sizes.tolist(), strata.starts.tolist()
    ([3, 3], [0, 2, 6])
    """

    values: dict[str, list[Any]]
    combination: np.ndarray
    stratum_of: np.ndarray
    groups: pd.DataFrame
    counts: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        """Rows per stratum."""
        return self.counts.sum(axis=0)

    @property
    def starts(self) -> np.ndarray:
        """Position of each partition's first row, and the number of rows last."""
        return np.concatenate([[0], np.cumsum(self.counts.sum(axis=1))])


def count_strata(frame: Any, cells: pd.DataFrame, sensitive: pd.DataFrame) -> Strata:
    """The strata of ``frame``'s rows and their rows per partition (one pass over the sensitive columns).

    ``cells`` are the Dask engine's cells (one row per combination of the keys, the sensitive columns
    among them) and ``sensitive`` the audit's sensitive groups of each cell (``ctx.sensitive``): the
    strata are numbered as :func:`~auditkit.explain.shap_sample.stratum_codes` numbers them for the rows.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = pd.DataFrame({"g": ["b", "a", None, "b", "a"]})
    >>> cells = pd.DataFrame({"g": ["a", "b", None]})
    >>> with dask.config.set(scheduler="synchronous"):
    ...     strata = count_strata(dd.from_pandas(data, npartitions=2), cells, pd.DataFrame({"g": ["a", "b", "~"]}))
    >>> strata.counts.tolist(), strata.groups["g"].tolist()
    ([[1, 1, 1], [1, 1, 0]], ['a', 'b', '~'])
    """
    import dask

    features = list(sensitive.columns)
    values = sensitive_values(cells, features)
    codes = stratum_codes(sensitive)
    combination = _combination(cells, values)
    order = np.argsort(combination, kind="stable")
    unique, first = np.unique(combination[order], return_index=True)
    groups = sensitive.iloc[pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()].reset_index(drop=True)
    groups.attrs = dict(sensitive.attrs)
    strata = Strata(values, unique, codes[order][first], groups, np.zeros((0, len(groups)), dtype=np.int64))
    parts = [dask.delayed(_stratum_counts)(part, strata) for part in frame[features].to_delayed()]
    counts = np.array(dask.compute(*parts), dtype=np.int64).reshape(len(parts), len(groups))
    return Strata(values, unique, strata.stratum_of, groups, counts)


def _combination(frame: pd.DataFrame, values: dict[str, list[Any]]) -> np.ndarray:
    """Each row's combination of sensitive values as one code (mixed radix over the features' known values)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for feature, known in values.items():
        found = pd.Index(known, dtype=object).get_indexer(keyed(frame[feature]))
        code = code * len(known) + found
    return code


def strata_of_rows(part: pd.DataFrame, strata: Strata) -> np.ndarray:
    """The stratum of each row of ``part`` (a partition's sensitive columns).

    Examples
    --------
    >>> strata = Strata({"g": ["a", "b"]}, np.array([0, 1]), np.array([1, 0]), pd.DataFrame(), np.zeros((0, 2)))
    >>> strata_of_rows(pd.DataFrame({"g": ["a", "b", "a"]}), strata).tolist()
    [1, 0, 1]
    """
    return strata.stratum_of[np.searchsorted(strata.combination, _combination(part, strata.values))]


def _stratum_counts(part: pd.DataFrame, strata: Strata) -> np.ndarray:
    return np.bincount(strata_of_rows(part, strata), minlength=len(strata.groups))


@dataclass(frozen=True)
class Draw:
    """A stratified sample of a Dask frame's rows, as the client knows it before the rows are pulled.

    Attributes
    ----------
    requests : dict of int to (ndarray, ndarray)
        Per partition that holds sampled rows: the strata and, for each, the rank of the row among that
        stratum's rows in the partition.
    taken : ndarray of int
        Rows taken from each stratum (empty when every row is taken).
    by_group : dict
        Per sensitive feature: each group's explained and audited rows (``RowSample.counts``).

    Examples
    --------
    >>> Draw({0: (np.array([1]), np.array([0]))}, np.array([0, 1]), {}).requests[0][0].tolist()
    [1]
    """

    requests: dict[int, tuple[np.ndarray, np.ndarray]]
    taken: np.ndarray
    by_group: dict[str, list[dict[str, Any]]]


def draw(strata: Strata, limit: int | None, rng: np.random.Generator, floor: int) -> Draw | None:
    """The draw of :func:`~auditkit.explain.shap_sample.stratified_rows`, from the strata's counts alone.

    The same ``rng`` picks the same rows as the in-memory sampler on the same rows in the same order
    (:func:`pull_sample` fetches them). None: every row (``limit`` is None or at least the rows).

    Examples
    --------
    >>> strata = Strata({}, np.zeros(0), np.zeros(0), pd.DataFrame({"g": ["a", "b"]}), np.array([[1, 3], [1, 3]]))
    >>> sample = draw(strata, 4, np.random.default_rng(5), floor=1)
    >>> sample.taken.tolist(), sorted(sample.requests)
    ([1, 3], [0, 1])
    """
    sizes = strata.sizes
    if limit is None or limit >= int(sizes.sum()):
        return None
    taken = stratum_allocation(sizes, lambda: stratum_members(strata.groups, np.arange(len(sizes))), limit, floor)
    found: dict[int, list[tuple[int, np.ndarray]]] = {}
    for h, ranks in enumerate(stratum_ranks(sizes, taken, rng)):
        before = np.concatenate([[0], np.cumsum(strata.counts[:, h])])
        partition = np.searchsorted(before, ranks, side="right") - 1  # the stratum's ranks before[p]... are in p
        for p in np.unique(partition):
            found.setdefault(int(p), []).append((h, ranks[partition == p] - before[p]))
    requests = {p: (np.concatenate([np.full(len(r), h) for h, r in asked]), np.concatenate([r for _, r in asked]))
                for p, asked in sorted(found.items())}
    return Draw(requests, taken, _by_group(strata, taken))


def _by_group(strata: Strata, taken: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """Per sensitive feature: each group's explained and audited rows, as ``RowSample.counts`` gives them."""
    out = {}
    sizes = strata.sizes
    for feature in strata.groups.columns:
        labels = strata.groups[feature].astype(str).to_numpy()
        audited = pd.Series(sizes).groupby(labels).sum()
        explained = pd.Series(taken).groupby(labels).sum()
        out[str(feature)] = [{"group": group, "rows_explained": int(explained.get(group, 0)),
                              "rows_audited": int(audited[group])} for group in sorted(audited.index)]
    return out


def pull_sample(frame: Any, strata: Strata, sample: Draw | None, columns: list[str]) -> tuple[pd.DataFrame,
                                                                                              CountedRowSample]:
    """The sampled rows of ``frame`` (``columns``, in the data's order) and their :class:`RowSample`.

    The sample's positions are 0 to ``len(rows) - 1`` (positions in the rows returned); the rows'
    positions in the data are in column :data:`POSITION`, their strata in :data:`STRATUM`. Only the
    partitions holding sampled rows are read.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> data = pd.DataFrame({"g": ["b", "a", "b", "b", "a", "b", "b", "b"], "x": range(8)})
    >>> strata = Strata({"g": ["a", "b"]}, np.array([0, 1]), np.array([0, 1]), pd.DataFrame({"g": ["a", "b"]}),
    ...                 np.array([[1, 3], [1, 3]]))
    >>> with dask.config.set(scheduler="synchronous"):
    ...     rows, sample = pull_sample(dd.from_pandas(data, npartitions=2), strata,
    ...                                draw(strata, 4, np.random.default_rng(5), 1), ["x"])
    >>> rows[POSITION].tolist(), sample.weights.tolist()  # stratified_rows' rows and weights on the same data
    ([0, 4, 5, 6], [2.0, 2.0, 2.0, 2.0])
    """
    features = list(strata.groups.columns)
    if sample is None:
        everything = {p: np.arange(n) for p, n in enumerate(strata.counts.sum(axis=1)) if n}
        rows = pull_positions(frame, strata, everything, columns)
        return rows, CountedRowSample(np.arange(len(rows)), np.ones(len(rows)), features, {})
    rows = _pull(frame, strata, sample.requests, columns, by_stratum=True)
    stratum = rows[STRATUM].to_numpy()
    weights = strata.sizes[stratum] / sample.taken[stratum]
    return rows, CountedRowSample(np.arange(len(rows)), weights.astype(float), features, sample.by_group)


def pull_positions(frame: Any, strata: Strata, positions: dict[int, np.ndarray] | np.ndarray,
                   columns: list[str]) -> pd.DataFrame:
    """The rows of ``frame`` at ``positions`` in the data (sorted), or per partition at local positions (a dict).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> strata = Strata({"g": ["a"]}, np.array([0]), np.array([0]), pd.DataFrame({"g": ["a"]}), np.array([[3], [2]]))
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a"] * 5, "x": [10, 11, 12, 13, 14]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     pull_positions(data, strata, np.array([1, 4]), ["x"])["x"].tolist()
    [11, 14]
    """
    if not isinstance(positions, dict):
        starts = strata.starts
        partition = np.searchsorted(starts, positions, side="right") - 1
        positions = {int(p): positions[partition == p] - starts[p] for p in np.unique(partition)}
    return _pull(frame, strata, positions, columns, by_stratum=False)


def _pull(frame: Any, strata: Strata, asked: dict[int, Any], columns: list[str], by_stratum: bool) -> pd.DataFrame:
    import dask

    features = list(strata.groups.columns)
    wanted = list(dict.fromkeys([*columns, *features]))
    partitions = frame[wanted].to_delayed() if wanted != list(frame.columns) else frame.to_delayed()
    starts = strata.starts
    parts = [dask.delayed(_rows_of_partition)(partitions[p], strata, what, int(starts[p]), by_stratum, columns)
             for p, what in asked.items()]
    pulled = list(dask.compute(*parts))
    if not pulled:
        return frame[columns]._meta.assign(**{POSITION: np.zeros(0, dtype=np.int64),
                                              STRATUM: np.zeros(0, dtype=np.int64)})
    return pd.concat(pulled).sort_values(POSITION, kind="stable")


def _rows_of_partition(part: pd.DataFrame, strata: Strata, asked: Any, start: int, by_stratum: bool,
                       columns: list[str]) -> pd.DataFrame:
    """The asked rows of one partition: local positions, or (strata, ranks within each stratum in the partition)."""
    stratum = strata_of_rows(part, strata)
    if by_stratum:
        wanted_strata, ranks = asked
        local = np.concatenate([np.flatnonzero(stratum == h)[ranks[wanted_strata == h]]
                                for h in np.unique(wanted_strata)])
    else:
        local = np.asarray(asked, dtype=np.int64)
    local = np.sort(local)
    return part.iloc[local][columns].assign(**{POSITION: start + local, STRATUM: stratum[local]})
