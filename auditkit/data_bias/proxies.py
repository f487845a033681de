"""Proxy detection: how much each column says about a sensitive feature.

Three views of the association between a column and a sensitive feature, all computed
from their contingency table (numeric columns are cut into quantile bins, rare categories
are pooled, missing values are a level of their own):

* Cramér's V with Bergsma's bias correction (0 = unrelated, 1 = the column determines the
  feature); its interval comes from multinomial resamples of the table;
* mutual information, in bits and as the share of the feature's entropy it explains;
* predictive power: the cross-validated balanced accuracy of guessing the sensitive
  value from the column alone (each level is assigned to the sensitive value it is most
  typical of, learned on the other folds), against the chance level ``1 / n_values``.

Nothing here visits a row in Python. Each column is encoded once (one hash of the column,
or a few comparisons per quantile edge) into small integer levels; each (column, sensitive
feature) pair is then one ``numpy.bincount`` of combined codes, and every measure is
computed from that table. The single-column guess is computed from a (fold x level x value)
table drawn from the (level x value) table (:func:`fold_tables`): the folds of a seeded
permutation of the rows have multivariate hypergeometric cell counts, drawn in folds x cells
work instead of a permutation of every row for every pair; the guess depends on the table
only, not on the rows' order (tested against row permutations in
``tests/data_bias/test_scale_tables.py``).

The bootstrap resamples the table, not the rows, and that is the same bootstrap: resampling
the ``n`` rows with replacement draws each row with probability ``1 / n``, so the counts of
the table's cells in a resample follow ``Multinomial(n, observed cell shares)`` -- what
:func:`~auditkit.stats.bootstrap.resample_counts` draws, in ``n_boot x cells`` work
instead of ``n_boot x rows`` (checked against a row bootstrap in
``tests/data_bias/test_tables_at_scale.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.stats.bootstrap import percentile_interval, resample_counts
from auditkit.stats.levels import distinct_values, labelled
from auditkit.stats.sorted_numbers import DECILES, quantiles

MAX_LEVELS = 30
N_BINS = 10
N_FOLDS = 5
FIRST_ROWS = 10_000  # rows that often tell a numeric column has more than N_BINS values without hashing all
BIN_QUANTILES = np.linspace(0, 1, N_BINS + 1)[1:-1]
IDENTIFIER_SHARE = 0.5  # text columns with more distinct values than this share of rows are identifiers


@dataclass(frozen=True)
class Encoded:
    """A column as integer levels, or the reason it was skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> encoded = encode_column(pd.Series(["a", "b", "a", "c"]))
    >>> encoded.codes.tolist(), encoded.n_levels, encoded.kind, encoded.skipped
    ([0, 1, 0, 2], 3, 'categorical', None)
    >>> encode_column(pd.Series([1, 1, 1])).skipped
    'the column has a single value'
    """

    codes: np.ndarray | None
    n_levels: int
    kind: str
    skipped: str | None = None


def encode_column(values: pd.Series, deciles: Callable[[], np.ndarray | None] | None = None) -> Encoded:
    """Integer levels of a column: quantile bins for numbers, top categories for text.

    Text levels are the :data:`MAX_LEVELS` most frequent values as text (ties: the value seen
    first), sorted; level 0 holds the missing values and the last level pools the rest.
    Each distinct value is converted to text once (:func:`auditkit.stats.levels.labelled`).
    ``deciles()``, when given, returns ``numpy.quantile`` of the column's numbers (NaN left out) at
    :data:`~auditkit.stats.sorted_numbers.DECILES`, e.g. computed once per audit, or None; asked
    for only when the column is binned.

    Examples
    --------
    >>> encode_column(pd.Series(["a", "b", None, "a"])).codes.tolist()
    [1, 2, 0, 1]
    """
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.iloc[:FIRST_ROWS].nunique(dropna=True) > N_BINS:  # so the whole column has more
        return _binned(values, deciles)
    found = None if numeric else distinct_values(values)  # text hashed once: its distinct values, counted
    n_unique = len(found[1]) if found is not None else values.nunique(dropna=True)
    if n_unique <= 1 and not values.isna().any():
        return Encoded(None, 0, "constant", "the column has a single value")
    if numeric and n_unique > N_BINS:
        return _binned(values, deciles)
    if not numeric and n_unique > max(50, IDENTIFIER_SHARE * len(values)):
        return Encoded(None, 0, "identifier", f"{n_unique} distinct values: looks like an identifier or free text")
    codes, texts = labelled(values, str) if found is None else (found[0], [str(u) for u in found[1].astype(object)])
    return _top_levels(codes, texts, "numeric" if numeric else "categorical")


def _top_levels(codes: np.ndarray, texts: list[str], kind: str) -> Encoded:
    """Levels of the rows' distinct values (``codes``, -1 where missing) named ``texts``: top texts, pooled rest.

    Everything is decided on the distinct values (counted once); the rows are then looked up once.
    """
    text_of_value, names = pd.factorize(np.array(texts, dtype=object))  # one level per text
    rows_of_value = np.bincount(codes + 1, minlength=len(texts) + 1)  # missing first
    counts = np.zeros(len(names), dtype=np.int64)
    np.add.at(counts, text_of_value, rows_of_value[1:])
    top = sorted(names[np.argsort(-counts, kind="stable")[:MAX_LEVELS]])  # as Series.value_counts orders ties
    # Levels by position, not by label, so that a value written "(missing)" or "(other)" in the
    # data stays apart from the missing values and from the pooled rare values.
    position = {v: i + 1 for i, v in enumerate(top)}
    level_of_value = np.array([position.get(name, len(top) + 1) for name in names], dtype=np.int64)[text_of_value]
    rows_of_level = np.bincount(level_of_value, weights=rows_of_value[1:], minlength=len(top) + 2)
    rows_of_level[0] = rows_of_value[0]
    present = np.flatnonzero(rows_of_level)
    if len(present) < 2:
        return Encoded(None, 0, "constant", "the column has a single value")
    dense = np.zeros(len(top) + 2, dtype=np.int64)
    dense[present] = np.arange(len(present))  # levels renumbered in order (stats.levels.renumber)
    lookup = np.append(dense[level_of_value], dense[0]).astype(_level_type(len(present)))
    return Encoded(lookup[codes], len(present), kind)  # code -1 (missing) picks the appended last entry


def _binned(values: pd.Series, deciles: Callable[[], np.ndarray | None] | None = None) -> Encoded:
    numbers = values.to_numpy(dtype=float)
    present = ~np.isnan(numbers)
    given = deciles() if deciles is not None and N_BINS == len(DECILES) + 1 else None
    edges = np.unique(given if given is not None else
                      quantiles(numbers if present.all() else numbers[present], BIN_QUANTILES))
    level = present.view(np.uint8).copy()  # 0 for NaN, else 1 + edges at or below the number (searchsorted's
    for edge in edges:  # side="right"): a few comparisons in one byte per row instead of a binary search per row
        level += (numbers >= edge).view(np.uint8)
    found = np.flatnonzero(np.bincount(level, minlength=len(edges) + 2))
    if found[-1] - found[0] == len(found) - 1:  # levels found are consecutive: shift them down to 0, 1, ...
        level -= level.dtype.type(found[0])
    else:
        dense = np.zeros(len(edges) + 2, dtype=np.uint8)
        dense[found] = np.arange(len(found))
        level = dense[level]
    return Encoded(level, len(found), "numeric (binned)")


def _level_type(n_levels: int) -> np.dtype:
    """The smallest unsigned integer type that holds levels ``0 .. n_levels - 1``."""
    return np.min_scalar_type(max(n_levels - 1, 0))


def contingency(x: np.ndarray, s: np.ndarray, kx: int, ks: int) -> np.ndarray:
    """Counts of ``(level of x, level of s)`` pairs, shape ``(kx, ks)``.

    Examples
    --------
    >>> import numpy as np
    >>> contingency(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1]), 3, 2).tolist()
    [[1, 0], [1, 1], [0, 1]]
    """
    return np.bincount(np.asarray(x, dtype=np.int64) * ks + s, minlength=kx * ks).reshape(kx, ks)


def cramers_v(table: np.ndarray, corrected: bool = True) -> np.ndarray:
    """Cramér's V of tables ``(..., r, c)``; with ``corrected``, Bergsma's (2013) bias correction.

    Empty rows and columns are ignored. NaN when fewer than two non-empty rows or columns.

    Examples
    --------
    >>> import numpy as np
    >>> table = np.array([[40, 10], [10, 40]])
    >>> round(float(cramers_v(table, corrected=False)), 4), round(float(cramers_v(table)), 4)
    (0.6, 0.5945)
    """
    table = np.asarray(table, dtype=float)
    n = table.sum(axis=(-1, -2))
    rows, cols = table.sum(axis=-1), table.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = rows[..., :, None] * cols[..., None, :] / n[..., None, None]
        chi2 = np.where(expected > 0, (table - expected) ** 2 / np.where(expected > 0, expected, 1), 0).sum(
            axis=(-1, -2))
        r, c = (rows > 0).sum(axis=-1).astype(float), (cols > 0).sum(axis=-1).astype(float)
        phi2 = chi2 / n
        if corrected:
            phi2 = np.maximum(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
            r, c = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
        denominator = np.minimum(r - 1, c - 1)
        return np.where(denominator > 0, np.sqrt(phi2 / np.where(denominator > 0, denominator, 1)), np.nan)


def mutual_information(table: np.ndarray) -> tuple[float, float]:
    """Mutual information in bits, and as a share of the entropy of the columns' variable.

    Examples
    --------
    >>> import numpy as np
    >>> mutual_information(np.array([[50, 0], [0, 50]]))  # the column tells the sensitive value: 1 bit
    (1.0, 1.0)
    >>> mutual_information(np.array([[25, 25], [25, 25]]))
    (0.0, 0.0)
    """
    p = np.asarray(table, dtype=float) / table.sum()
    px, ps = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = float(np.where(p > 0, p * np.log2(p / (px * ps)), 0).sum())
        entropy = float(-np.where(ps > 0, ps * np.log2(ps), 0).sum())
    return max(mi, 0.0), (max(mi, 0.0) / entropy if entropy > 0 else float("nan"))


def predictive_power(x: np.ndarray, s: np.ndarray, kx: int, ks: int, rng: np.random.Generator) -> float:
    """Cross-validated balanced accuracy of predicting ``s`` from the level ``x`` alone.

    The same as :func:`guess_accuracy` of the ``(x, s)`` table: the rows' order plays no part.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0, 1] * 50)
    >>> predictive_power(s.copy(), s, 2, 2, np.random.default_rng(0))  # a copy of s predicts s perfectly
    1.0
    """
    return guess_accuracy(contingency(x, s, kx, ks), rng)


def fold_sizes(n: int) -> np.ndarray:
    """Rows of each of the :data:`N_FOLDS` folds of ``n`` rows: ``n // N_FOLDS``, one more in the first ``n % N_FOLDS``.

    Examples
    --------
    >>> fold_sizes(12).tolist()
    [3, 3, 2, 2, 2]
    """
    return n // N_FOLDS + (np.arange(N_FOLDS) < n % N_FOLDS)


def fold_tables(table: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rows of a table of counts dealt at random into :data:`N_FOLDS` folds: shape ``(N_FOLDS, *table.shape)``.

    The folds are those of a seeded permutation of the rows taken modulo :data:`N_FOLDS`
    (sizes :func:`fold_sizes`): each fold is a uniformly random subset of the rows not yet
    dealt, so its cell counts follow the multivariate hypergeometric law of the counts left,
    drawn here from the table in folds x cells work instead of a permutation of the rows.
    NumPy draws that law for fewer than ``10**9`` rows; from ``10**9`` rows on, every row
    goes to a fold uniformly at random (multinomial cell counts; fold sizes vary by about
    ``sqrt(n)`` rows, a share of ``3e-5`` or less).

    Examples
    --------
    >>> import numpy as np
    >>> folds = fold_tables(np.array([[6, 1], [2, 3]]), np.random.default_rng(0))
    >>> folds.sum(axis=0).tolist(), folds.sum(axis=(1, 2)).tolist()
    ([[6, 1], [2, 3]], [3, 3, 2, 2, 2])
    """
    counts = np.asarray(table, dtype=np.int64).ravel()
    n = int(counts.sum())
    if n >= 10**9:
        dealt = np.stack([rng.multinomial(c, np.full(N_FOLDS, 1 / N_FOLDS)) for c in counts], axis=1)
        return dealt.reshape(N_FOLDS, *np.shape(table))
    dealt = np.empty((N_FOLDS, counts.size), dtype=np.int64)
    left = counts.copy()
    for fold, size in enumerate(fold_sizes(n)[:-1]):
        dealt[fold] = rng.multivariate_hypergeometric(left, int(size))
        left -= dealt[fold]
    dealt[-1] = left
    return dealt.reshape(N_FOLDS, *np.shape(table))


def guess_accuracy(table: np.ndarray, rng: np.random.Generator) -> float:
    """Cross-validated balanced accuracy of guessing the value (column) of a row from its level (row of ``table``).

    Each level is assigned the value it is most typical of (largest add-one smoothed
    share of the value's rows) on the other folds; the folds are :func:`fold_tables`.

    Examples
    --------
    >>> import numpy as np
    >>> guess_accuracy(np.array([[50, 0], [0, 50]]), np.random.default_rng(0))
    1.0
    """
    by_fold = fold_tables(table, rng)
    table = by_fold.sum(axis=0)
    kx, ks = table.shape
    correct = np.zeros(ks, dtype=np.int64)  # rows of each sensitive value whose value was guessed
    for fold in range(N_FOLDS):
        train = (table - by_fold[fold]).astype(float)
        likelihood = (train + 1.0) / (train.sum(axis=0, keepdims=True) + kx)
        guess = likelihood.argmax(axis=1)  # per level of x
        np.add.at(correct, guess, by_fold[fold][np.arange(kx), guess])
    n = table.sum(axis=0)
    recalls = [correct[k] / n[k] for k in range(ks) if n[k] > 0]
    return float(np.mean(recalls))


def proxy_row(encoded: Encoded, s: np.ndarray, ks: int, rng: np.random.Generator, n_boot: int,
              level: float) -> dict:
    """Every association measure of one encoded column with one sensitive feature.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> s = np.array([0, 1] * 50)
    >>> row = proxy_row(encode_column(pd.Series(np.where(s == 1, "x", "y"))), s, 2, np.random.default_rng(0), 100, 0.95)
    >>> round(row["cramers_v"], 2), [round(v, 2) for v in row["cramers_v_ci"]], row["balanced_accuracy"], row["kind"]
    (1.0, [1.0, 1.0], 1.0, 'categorical')
    """
    return table_row(contingency(encoded.codes, s, encoded.n_levels, ks), encoded, rng, n_boot, level)


def table_row(table: np.ndarray, encoded: Encoded, rng: np.random.Generator, n_boot: int, level: float) -> dict:
    """:func:`proxy_row` from the (level of the column x sensitive value) ``table`` of the encoded column.

    Examples
    --------
    >>> import numpy as np
    >>> row = table_row(np.array([[40, 10], [10, 40]]), Encoded(None, 2, "categorical"), np.random.default_rng(0),
    ...                 0, 0.95)
    >>> round(row["cramers_v"], 4), row["cramers_v_ci"], row["balanced_accuracy"]
    (0.5945, [None, None], 0.8)
    """
    value = float(cramers_v(table))
    ci = [None, None]
    if n_boot:
        lower, upper = percentile_interval(cramers_v(resample_counts(table, n_boot, rng))[:, None], level)
        ci = [float(lower[0]), float(upper[0])]
    mi, share = mutual_information(table)
    present = int((table.sum(axis=0) > 0).sum())
    return {
        "cramers_v": value if np.isfinite(value) else None,
        "cramers_v_ci": ci,
        "mutual_information_bits": mi,
        "entropy_share": share,
        "balanced_accuracy": guess_accuracy(table, rng),
        "chance_balanced_accuracy": 1.0 / max(present, 1),
        "n_levels": encoded.n_levels,
        "kind": encoded.kind,
    }
