"""A ``scores=COLUMN`` of partitioned data checked as the in-memory engine checks it, from workers' summaries.

The in-memory engine (:func:`auditkit.io.validate.numeric_scores`) refuses a scores column that is not
numeric, has missing values or values that are not finite, and reads it as probabilities when every
score is within [0, 1], else as decision scores. The Dask engine decides the same from the column's
dtype and a :class:`ScoreSummary` per partition (counts of missing and infinite values, smallest and
largest finite score), merged exactly: the same errors, the same kind, and no row on the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.engine.dask_tables import merge_tree
from auditkit.exceptions import InputError
from auditkit.io import validate as check


@dataclass(frozen=True)
class ScoreSummary:
    """What decides a scores column's errors and kind: missing and infinite counts, smallest and largest score.

    Examples
    --------
    >>> summary = ScoreSummary.merge([ScoreSummary.of(pd.Series([0.2, np.inf])), ScoreSummary.of(pd.Series([0.7]))])
    >>> summary.n_missing, summary.n_inf, summary.low, summary.high
    (0, 1, 0.2, 0.7)
    """

    n_missing: int = 0
    n_inf: int = 0
    n_minus_inf: int = 0
    low: float = np.inf
    high: float = -np.inf

    @classmethod
    def of(cls, values: pd.Series) -> ScoreSummary:
        """The summary of one partition's scores (a numeric column)."""
        missing = values.isna()
        scores = values[~missing].to_numpy(dtype=float)
        finite = scores[np.isfinite(scores)]
        return cls(int(missing.sum()), int(np.isposinf(scores).sum()), int(np.isneginf(scores).sum()),
                   float(finite.min()) if len(finite) else np.inf, float(finite.max()) if len(finite) else -np.inf)

    @classmethod
    def merge(cls, parts: list[ScoreSummary]) -> ScoreSummary:
        """The summary of the rows of ``parts`` (exact: counts add, extremes are extremes)."""
        return cls(sum(p.n_missing for p in parts), sum(p.n_inf for p in parts), sum(p.n_minus_inf for p in parts),
                   min((p.low for p in parts), default=np.inf), max((p.high for p in parts), default=-np.inf))

    def kind(self, column: str) -> str:
        """``"probability"`` or ``"decision"``, as in memory; or its :class:`InputError` for missing or infinite values.

        Examples
        --------
        >>> ScoreSummary(low=0.0, high=1.0).kind("s"), ScoreSummary(low=-2.0, high=0.5).kind("s")
        ('probability', 'decision')
        >>> ScoreSummary(n_missing=3).kind("s")
        Traceback (most recent call last):
        ...
        auditkit.exceptions.InputError: scores column 's' has 3 missing values
        """
        if self.n_missing:
            raise InputError(f"scores column '{column}' has {self.n_missing} missing values")
        check.refuse_not_finite({"inf": self.n_inf, "-inf": self.n_minus_inf, "NaN": 0}, f"scores column '{column}'")
        return "probability" if self.low >= 0 and self.high <= 1 else "decision"  # no rows: all([]), probability


def require_numeric(frame: Any, column: str) -> None:
    """The in-memory engine's error for a scores column that is not numeric, naming the Dask frame's dtype.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> require_numeric(dd.from_pandas(pd.DataFrame({"s": ["high", "low"]}), npartitions=1), "s")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: scores column 's' must be numeric; it has dtype ...
    """
    check.numeric_scores(frame._meta[column].iloc[:0], column)


def summary_graph(column: str) -> Any:
    """``also`` of :func:`~auditkit.engine.dask_tables.aggregate`: the delayed :class:`ScoreSummary` of ``column``.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from auditkit.engine.dask_tables import aggregate
    >>> data = dd.from_pandas(pd.DataFrame({"g": ["a", "b"] * 2, "s": [0.5, -1.0, 3.0, 0.0]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     summary = aggregate(data, ["g"], also=summary_graph("s")).also
    >>> summary.low, summary.high, summary.kind("s")
    (-1.0, 3.0, 'decision')
    """
    import dask

    def build(partitions: list[Any], missing: Any) -> Any:
        return merge_tree(ScoreSummary.merge, [dask.delayed(ScoreSummary.of)(part[column]) for part in partitions])

    return build
