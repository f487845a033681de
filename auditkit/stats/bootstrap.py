"""Seeded bootstrap resampling without calling metric functions.

Resampling the rows of a dataset with replacement (as ``fairlearn.metrics.MetricFrame``
does with ``n_boot``) changes only how often each row occurs. For metrics that are
functions of cell counts (confusion matrices by group) the counts of one resample are
exactly ``Multinomial(N, observed cell proportions)``, so every resample of every group
is drawn at once with one call and no metric function is ever called per resample.
For metrics that need the rows (regression errors, user metrics) each resample is a vector
of row multiplicities, drawn in chunks to bound memory. Score metrics (ROC AUC, Brier score)
need only counts over (group, score value or bin, label) cells: :func:`multinomial_resamples`
draws those counts, with the same distribution as resampling the rows, at a cost that grows
with the number of cells instead of the number of rows.

Confidence intervals are percentile intervals computed with ``numpy.nanquantile`` at
``(1 - level) / 2`` and ``(1 + level) / 2`` -- the definition ``MetricFrame`` uses for its
``ci_quantiles`` -- so the two are directly comparable.

A percentile interval collapses to a point when every resample gives the same value: a
rate of 0 or 1 (all 40 actual positives got a positive decision) stays 0 or 1 in every
resample, although the true rate may well be 0.92. :func:`is_degenerate` finds such
intervals; for a rate, :func:`wilson_interval` gives the Wilson score interval instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import numpy as np

from auditkit.progress import progress_bar

DEFAULT_N_BOOT = 1000
DEFAULT_LEVEL = 0.95
POISSON_TABLE_MAX = 1024  # larger means are drawn by numpy's Poisson sampler
ROW_CHUNK_CELLS = 4_000_000  # row multiplicities held in memory at once (n_boot x n_rows)
DEGENERATE_WIDTH = 1e-12  # an interval narrower than this (relative to its size) is a single point


def resample_counts(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap resamples of a table of counts.

    Parameters
    ----------
    counts : ndarray of int
        Counts of any shape (e.g. ``(n_groups, 4)`` confusion cells by group); all the
        cells together are one sample of ``counts.sum()`` rows.
    n_boot : int
        Number of resamples.
    rng : numpy.random.Generator
        Seeded generator (``AuditContext.rng``).

    Returns
    -------
    ndarray of int, shape ``(n_boot, *counts.shape)``
        Counts of each resample; each resample has the same total as ``counts``.

    Examples
    --------
    >>> import numpy as np
    >>> draws = resample_counts(np.array([[3, 1], [0, 6]]), 5, np.random.default_rng(0))
    >>> draws.shape, bool((draws.sum(axis=(1, 2)) == 10).all())
    ((5, 2, 2), True)
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros((n_boot, *counts.shape), dtype=np.int64)
    flat = counts.reshape(-1).astype(float) / total
    draws = rng.multinomial(total, flat, size=n_boot)
    return draws.reshape((n_boot, *counts.shape))


def row_multiplicities(n_rows: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Resamples of ``n_rows`` rows as multiplicities, in chunks of resamples.

    Yields
    ------
    ndarray of int, shape ``(chunk, n_rows)``
        How often each row occurs in each resample; every row of the array sums to
        ``n_rows``. The chunks together hold ``n_boot`` resamples. A progress bar counts the
        resamples the caller has used.

    Examples
    --------
    >>> import numpy as np
    >>> chunks = list(row_multiplicities(4, 3, np.random.default_rng(0)))
    >>> [chunk.shape for chunk in chunks], [chunk.sum(axis=1).tolist() for chunk in chunks]
    ([(3, 4)], [[4, 4, 4]])
    """
    if n_rows == 0:
        yield np.zeros((n_boot, 0), dtype=np.int64)
        return
    chunk = max(1, min(n_boot, ROW_CHUNK_CELLS // n_rows))
    done = 0
    with progress_bar(n_boot, "bootstrap", "resample") as bar:
        while done < n_boot:
            size = min(chunk, n_boot - done)
            picks = rng.integers(0, n_rows, size=(size, n_rows))
            offsets = (np.arange(size) * n_rows)[:, None]
            yield np.bincount((picks + offsets).ravel(), minlength=size * n_rows).reshape(size, n_rows)
            done += size
            bar.update(size)  # once the caller is done with the chunk


def multinomial_resamples(counts: np.ndarray, n_boot: int, rng: np.random.Generator,
                          chunk_cells: int = ROW_CHUNK_CELLS) -> Iterator[np.ndarray]:
    """Counts of cells in resamples of the rows, in chunks: ``Multinomial(N, counts / N)`` draws, made fast.

    Resampling the ``N = counts.sum()`` rows with replacement gives cell counts that follow exactly
    ``Multinomial(N, counts / N)``; the total stays ``N`` (this is not a Poisson bootstrap). Drawn as
    independent ``Poisson(counts)`` counts (:class:`PoissonTables`), then corrected to the total ``N``:
    given its total ``t``, a Poisson draw is ``Multinomial(t, counts / N)`` -- ``t`` rows drawn independently --
    so adding ``N - t`` more rows, each a uniformly drawn row of the data, or removing ``t - N`` of the ``t`` rows
    chosen uniformly without replacement, makes it ``Multinomial(N, counts / N)`` exactly. The cost is
    about ``n_boot * (cells + sqrt(N))`` random numbers instead of ``n_boot * N`` (rows) or
    ``n_boot * cells`` binomial draws (``numpy``'s multinomial). When there are more cells than a
    quarter of the rows, every row of each resample is drawn directly.

    Parameters
    ----------
    counts : ndarray of int, shape ``(n_cells,)``
        Rows in each cell; cells of no rows stay empty in every resample.
    n_boot : int
    rng : numpy.random.Generator
    chunk_cells : int
        Cells of resamples held at once (``chunk * n_cells``).

    Yields
    ------
    ndarray of int, shape ``(chunk, n_cells)``
        Counts of each resample (each sums to ``N``); the chunks together hold ``n_boot`` resamples.
        A progress bar counts the resamples the caller has used.

    Examples
    --------
    >>> import numpy as np
    >>> chunks = list(multinomial_resamples(np.array([5_000, 0, 15_000]), 4, np.random.default_rng(0)))
    >>> [chunk.shape for chunk in chunks], chunks[0].sum(axis=1).tolist(), chunks[0][:, 1].tolist()
    ([(4, 3)], [20000, 20000, 20000, 20000], [0, 0, 0, 0])
    """
    counts = np.asarray(counts, dtype=np.int64).ravel()
    total, n_cells = int(counts.sum()), len(counts)
    if total == 0:
        yield np.zeros((n_boot, n_cells), dtype=np.int64)
        return
    poisson = PoissonTables(counts) if 4 * n_cells <= total else None
    cell_of = _cell_of_row(counts, direct=poisson is None)
    chunk = max(1, min(n_boot, chunk_cells // max(n_cells, 1)))
    done = 0
    with progress_bar(n_boot, "bootstrap", "resample") as bar:
        while done < n_boot:
            size = min(chunk, n_boot - done)
            draws = poisson.draw(size, rng) if poisson else np.zeros((size, n_cells), np.int64)
            missing = total - draws.sum(axis=1)
            for r in np.flatnonzero(missing < 0):
                drawn = np.cumsum(draws[r])
                removed = rng.choice(int(drawn[-1]), size=int(-missing[r]), replace=False)
                draws[r] -= np.bincount(np.searchsorted(drawn, removed, side="right"), minlength=n_cells)
            missing = np.maximum(missing, 0)
            cells = cell_of(rng.integers(0, total, size=int(missing.sum())))
            owner = np.repeat(np.arange(size) * n_cells, missing)
            draws += np.bincount(owner + cells, minlength=size * n_cells).reshape(size, n_cells)
            yield draws
            done += size
            bar.update(size)


class PoissonTables:
    """Independent ``Poisson(mean)`` counts for cells of integer means, drawn by inversion with guide tables.

    For each distinct mean up to :data:`POISSON_TABLE_MAX` the cumulative probabilities ``F`` of
    ``0, 1, ..., mean + 12 sqrt(mean) + 24`` (the rest of the tail, below 1e-30, is given to the last
    value) and a guide table (Chen & Asau 1974) of twice as many entries, pointing for each slice
    ``[i / m, (i + 1) / m)`` of ``[0, 1)`` at the least count it can give; a uniform ``u`` then gives
    ``min {k : F(k) > u}`` after about one comparison. Exact inversion up to floating point (the
    probabilities carry a relative error of about 1e-12), about four times as fast as numpy's Poisson
    sampler (transformed rejection, one draw at a time). Larger means use numpy's sampler; a mean of
    0 gives 0.

    Examples
    --------
    >>> import numpy as np
    >>> draws = PoissonTables(np.array([0, 3, 40, 5000])).draw(20_000, np.random.default_rng(0))
    >>> draws.shape, draws[:, 0].max(), np.round(draws.mean(axis=0) / [1, 3, 40, 5000], 1).tolist()[1:]
    ((20000, 4), np.int64(0), [1.0, 1.0, 1.0])
    """

    def __init__(self, means: np.ndarray) -> None:
        from scipy.special import gammaln

        means = np.asarray(means, dtype=np.int64)
        self.n_cells = len(means)
        self.tabled = np.flatnonzero((means > 0) & (means <= POISSON_TABLE_MAX))
        self.large = np.flatnonzero(means > POISSON_TABLE_MAX)
        self.large_means = means[self.large]
        values, table_of_cell = np.unique(means[self.tabled], return_inverse=True)
        lengths = values + np.ceil(12 * np.sqrt(values)).astype(np.int64) + 24
        cdfs, guides, cdf_starts, guide_starts, start, guide_start = [], [], [], [], 0, 0
        for mean, length in zip(values, lengths, strict=True):
            k = np.arange(length)
            cdf = np.minimum(np.cumsum(np.exp(k * np.log(mean) - mean - gammaln(k + 1.0))), 1.0)
            cdf[-1] = 1.0
            guide = np.searchsorted(cdf, np.arange(2 * length) / (2 * length), side="right")
            cdfs.append(cdf)
            guides.append(guide + start)
            cdf_starts.append(start)
            guide_starts.append(guide_start)
            start, guide_start = start + length, guide_start + 2 * length
        self.cdf = np.concatenate(cdfs) if cdfs else np.ones(0)
        self.guide = np.concatenate(guides) if guides else np.zeros(0, dtype=np.int64)
        self.cdf_start = np.asarray(cdf_starts, dtype=np.int64)[table_of_cell]
        self.guide_start = np.asarray(guide_starts, dtype=np.int64)[table_of_cell]
        self.guide_size = (2 * lengths[table_of_cell]).astype(float)

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Counts ``(size, n_cells)``: each row one draw of every cell."""
        out = np.zeros((size, self.n_cells), dtype=np.int64)
        if len(self.tabled):
            u = rng.random((size, len(self.tabled)))
            k = u * self.guide_size
            k = k.astype(np.int64)
            k += self.guide_start
            k = self.guide[k]
            further = self.cdf[k] <= u  # F(k) <= u: one count further (F of the last value is 1 > u)
            k += further
            flat_k, flat_u, moving = k.ravel(), u.ravel(), np.flatnonzero(further)
            while len(moving):
                moving = moving[self.cdf[flat_k[moving]] <= flat_u[moving]]
                flat_k[moving] += 1
            k -= self.cdf_start
            if len(self.tabled) == self.n_cells:
                out = k
            else:
                out[:, self.tabled] = k
        if len(self.large):
            out[:, self.large] = rng.poisson(self.large_means, size=(size, len(self.large)))
        return out


def percentile_interval(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval along axis 0, ignoring undefined (NaN) resamples.

    Parameters
    ----------
    samples : ndarray, shape ``(n_boot, ...)``
    level : float, default 0.95

    Returns
    -------
    lower, upper : ndarray
        Shape ``samples.shape[1:]``; NaN where every resample is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> samples = np.column_stack([np.arange(1, 101) / 100, np.full(100, np.nan)])  # two metrics, 100 resamples
    >>> lower, upper = percentile_interval(samples, 0.9)
    >>> lower.round(4).tolist(), upper.round(4).tolist()
    ([0.0595, nan], [0.9505, nan])
    """
    samples = np.asarray(samples, dtype=float)
    quantiles = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as intended
        lower, upper = np.nanquantile(samples, quantiles, axis=0)
    return lower, upper


def is_degenerate(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Where an interval is defined but has (numerically) no width: every resample gave one value.

    Examples
    --------
    >>> import numpy as np
    >>> is_degenerate(np.array([0.0, 0.2, np.nan]), np.array([0.0, 0.4, np.nan])).tolist()
    [True, False, False]
    """
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    finite = np.isfinite(lower) & np.isfinite(upper)
    scale = np.maximum(1.0, np.abs(np.where(finite, upper, 0.0)))
    return finite & (np.abs(np.where(finite, upper - lower, np.inf)) <= DEGENERATE_WIDTH * scale)


def wilson_interval(successes: np.ndarray, trials: np.ndarray,
                    level: float = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the proportions ``successes / trials`` (NaN where ``trials == 0``).

    Unlike a percentile bootstrap, it has width even when the observed proportion is 0 or 1
    (Wilson 1927; recommended by Newcombe 1998 and Brown, Cai & DasGupta 2001).

    Examples
    --------
    >>> lower, upper = wilson_interval(np.array([0, 81]), np.array([20, 263]))
    >>> [round(float(x), 4) for x in (*lower, *upper)]
    [0.0, 0.2553, 0.1611, 0.3662]
    """
    from scipy.special import ndtri

    successes = np.asarray(successes, dtype=np.int64)
    trials = np.asarray(trials, dtype=np.int64)
    defined = trials > 0
    k, n = successes[defined], trials[defined]
    # scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson"), operation for operation, for every cell at once
    z = ndtri(0.5 + 0.5 * level)
    p = k / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * np.sqrt(4 * n * p * (1 - p) + z**2)
    lower, upper = np.full(successes.shape, np.nan), np.full(successes.shape, np.nan)
    lower[defined] = np.where(k == 0, 0.0, center - delta)
    upper[defined] = np.where(k == n, 1.0, center + delta)
    return lower, upper


def interval_pairs(lower: np.ndarray, upper: np.ndarray) -> list[list[float | None]]:
    """``[[lo, hi], ...]`` with None for undefined bounds (the ``ci`` shape of ``audit.json``).

    Examples
    --------
    >>> import numpy as np
    >>> interval_pairs(np.array([0.1, np.nan]), np.array([0.3, np.nan]))
    [[0.1, 0.3], [None, None]]
    """
    return [[_finite(lo), _finite(hi)] for lo, hi in zip(np.ravel(lower), np.ravel(upper), strict=True)]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _cell_of_row(counts: np.ndarray, direct: bool) -> Callable[[np.ndarray], np.ndarray]:
    """The cell of each drawn row (rows numbered in cell order), by lookup table or by search.

    Drawing every row directly (``direct``: more cells than a quarter of the rows) draws ``N`` rows a
    resample, so a table of ``N`` cells costs less than one chunk of draws and a lookup is several
    times faster than a search; the Poisson path draws about ``sqrt(N)`` rows a resample, where
    searching the cumulative counts saves the row-long table. Both give the same cells.
    """
    if direct:
        table = np.repeat(np.arange(len(counts), dtype=np.int32 if len(counts) < 2**31 else np.int64), counts)
        return table.__getitem__
    rows_through = np.cumsum(counts)  # row r (in cell order) is in the first cell whose rows_through exceeds r
    return lambda rows: np.searchsorted(rows_through, rows, side="right")
