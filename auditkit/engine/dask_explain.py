"""The explanation steps under the Dask engine: the in-memory steps, run on rows pulled from the Dask frame.

SHAP explains a seeded sample of rows stratified by sensitive group, with a stated budget
(:mod:`auditkit.explain.shap_sample`). Under the Dask engine the same rows are drawn from the strata's
counts per partition (:mod:`auditkit.engine.dask_sample`), pulled from their partitions, and explained
on the client by the in-memory step itself, on a context whose rows are the pulled rows
(:class:`SampleContext`: it still reports the rows audited). The background rows of the linear and
permutation explainers (a seeded sample of the audited rows) and the permutation explainer's per-row
seeds are drawn as in memory and pulled the same way, so every SHAP number equals the in-memory
engine's on the same data. Only the explained rows and the background reach the client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.context import AuditContext
from auditkit.engine.dask_sample import POSITION, STRATUM, Strata, count_strata, draw, pull_positions, pull_sample
from auditkit.explain.shap_values import build_shap_engine
from auditkit.result import StepResult
from auditkit.steps.shap_step import ShapStep

SEED_CHUNK = 1 << 20  # row seeds drawn per call (the same stream as one call for every row)


@dataclass(frozen=True)
class SampleContext(AuditContext):
    """An audit's context whose rows are rows sampled from the audited rows, of which there are ``rows_audited``.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", predictions="credit_risk", sample=100, seed=1))
    >>> SampleContext(**{f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.init},
    ...               rows_audited=5000).n_rows
    5000
    """

    rows_audited: int = 0

    @property
    def n_rows(self) -> int:
        """The rows audited (of which the context's rows are a sample)."""
        return self.rows_audited


@dataclass
class RowSource:
    """Where a Dask-engine audit's explanation steps pull rows from: the Dask frame, on the audit's scheduler.

    Attributes
    ----------
    frame : dask.dataframe.DataFrame
        The data as read (no decisions added).
    session : callable
        ``session()`` is the context to pull rows in: the audit's scheduler, open for the whole audit
        (a null context) or opened for the pull.
    renumber : bool
        Index the pulled rows by their position in the data (data read from files, whose partitions
        each count their rows from 0), as the in-memory engine indexes the rows it reads.
    decided : dask.dataframe.DataFrame, optional
        The data with the model's decisions and scores (:meth:`~auditkit.engine.dask_model.ModelRun.with_decisions`).
    run : ModelRun, optional
        The audited model.

    Examples
    --------
    >>> from contextlib import nullcontext
    >>> RowSource(None, nullcontext, True).renumber
    True
    """

    frame: Any
    session: Callable[[], AbstractContextManager]
    renumber: bool
    counted: Strata | None = None
    decided: Any = None
    run: Any = None

    def strata(self, ctx: Any) -> Strata:
        """The strata of the audit's rows (``ctx``: the context of the cells) and their rows per partition, once."""
        if self.counted is None:
            self.counted = count_strata(self.frame, ctx.frame[list(ctx.sensitive.columns)], ctx.sensitive)
        return self.counted


@dataclass
class DaskRowsStep:
    """An explanation step of a Dask-engine audit: ``step`` run on rows pulled from ``rows``.

    Has the step's ``name``, ``section`` and ``needs_model``, so the runner runs it as it runs ``step``
    (errors recorded or raised by the same policy).

    Examples
    --------
    >>> DaskRowsStep(ShapStep(), None).name
    'shap'
    """

    step: Any
    rows: RowSource
    result: Callable[[Any, Any, RowSource], StepResult] | None = None

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def section(self) -> str:
        return self.step.section

    @property
    def needs_model(self) -> bool:
        return self.step.needs_model

    def run(self, ctx: Any) -> StepResult:
        """The step's result, from the rows it needs pulled from the Dask frame."""
        with self.rows.session():
            if self.result is not None:
                return self.result(self.step, ctx, self.rows)
            return shap_result(self.step, ctx, self.rows.frame, self.rows.strata(ctx), self.rows.renumber)


def shap_result(step: ShapStep, ctx: Any, frame: Any, strata: Strata, renumber: bool) -> StepResult:
    """The SHAP step's result on the rows the in-memory engine would explain, pulled from ``frame``.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import auditkit
    >>> from sklearn.linear_model import LogisticRegression
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 50, "g": ["a", "b"] * 100, "y": [0, 0, 1, 1] * 50})
    >>> model = LogisticRegression().fit(data[["x"]], data["y"])
    >>> audit = auditkit.audit(data=dd.from_pandas(data, npartitions=3), engine="dask", scheduler="synchronous",
    ...                        target="y", sensitive=["g"], model=model, steps=["shap"], shap_rows=20,
    ...                        progress=False)
    >>> budget = audit.step("shap").payload["shap"]["budget"]
    >>> budget["rows_explained"], budget["rows_audited"], budget["rows_by_group"]["g"][0]
    (20, 200, {'group': 'a', 'rows_explained': 10, 'rows_audited': 100})
    """
    columns = list(ctx.X.columns)
    background = _background(step, ctx, frame, strata, renumber)
    engine = _engine(step, ctx, background, background)
    limit = step.row_limit(ctx, engine)[0]
    floor = step.min_group_size or ctx.spec.min_group_size
    pulled, sample = pull_sample(frame, strata, draw(strata, limit, ctx.rng("shap.rows"), floor), columns)
    X = rows_of(pulled, columns, renumber)
    if engine.explainer == "permutation":  # it codes the categories of the rows it explains too
        engine = _engine(step, ctx, background, pd.concat([background, X]))
    positions = pulled[POSITION].to_numpy()
    seeds = row_seeds(ctx, positions) if engine.explainer == "permutation" else None
    sample_ctx = sample_context(ctx, pulled, X, strata)
    sample_ctx.cache.get_or_compute(("shap.engine", step.explainer, step.background_size, step.n_permutations),
                                    lambda: engine)
    sample_ctx.cache.get_or_compute(step._values_key(), lambda: (sample, engine.explain(X, seeds)))
    return step.run(sample_ctx)


def shap_engine(step: ShapStep, ctx: Any, source: RowSource, X: pd.DataFrame) -> Any:
    """The SHAP step's engine as :func:`shap_result` builds it, for explaining the rows ``X`` (pulled from ``source``).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from contextlib import nullcontext
    >>> from types import SimpleNamespace
    >>> from sklearn.linear_model import LogisticRegression
    >>> from auditkit.engine.dask_sample import count_strata
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "g": ["a", "b"] * 10, "y": [0, 0, 1, 1] * 5})
    >>> ctx = SimpleNamespace(X=data[["x"]].iloc[:0], n_rows=20, model=LogisticRegression().fit(data[["x"]], data["y"]),
    ...                       positive_label=1, rng=lambda salt: np.random.default_rng(0))
    >>> import dask
    >>> with dask.config.set(scheduler="synchronous"):
    ...     frame = dd.from_pandas(data, npartitions=2)
    ...     strata = count_strata(frame, data[["g"]].drop_duplicates(), data[["g"]].drop_duplicates())
    ...     shap_engine(ShapStep(), ctx, RowSource(frame, nullcontext, True, strata), data[["x"]].iloc[:2]).explainer
    'linear'
    """
    background = _background(step, ctx, source.frame, source.strata(ctx), source.renumber)
    engine = _engine(step, ctx, background, background)
    if engine.explainer == "permutation":
        engine = _engine(step, ctx, background, pd.concat([background, X]))
    return engine


def _background(step: ShapStep, ctx: Any, frame: Any, strata: Strata, renumber: bool) -> pd.DataFrame:
    """The background rows of ``shap_step.background_rows``, pulled from ``frame``."""
    columns = list(ctx.X.columns)
    n_rows = ctx.n_rows
    size = int(step.background_size)
    chosen = np.arange(n_rows) if n_rows <= size else np.sort(
        ctx.rng("shap.background").choice(n_rows, size=size, replace=False))  # as shap_step.background_rows
    return rows_of(pull_positions(frame, strata, chosen, columns), columns, renumber)


def _engine(step: ShapStep, ctx: Any, background: pd.DataFrame, rows: pd.DataFrame) -> Any:
    return build_shap_engine(ctx.model, background, ctx.positive_label, explainer=step.explainer,
                             n_permutations=step.n_permutations, rows=rows)


def rows_of(pulled: pd.DataFrame, columns: list[str], renumber: bool) -> pd.DataFrame:
    """The ``columns`` of pulled rows; indexed by position in the data when ``renumber``.

    Examples
    --------
    >>> rows_of(pd.DataFrame({"x": [1.0, 2.0], POSITION: [7, 9]}), ["x"], True).index.tolist()
    [7, 9]
    """
    rows = pulled[columns]
    if renumber:
        rows = rows.set_axis(pd.RangeIndex(0, 0) if not len(rows) else pd.Index(pulled[POSITION].to_numpy()))
    return rows


def row_seeds(ctx: Any, positions: np.ndarray) -> np.ndarray:
    """``shap_row_seeds(ctx)[positions]`` without an array of every row's seed: drawn in chunks, kept where asked.

    A generator's integers drawn in several calls are those of one call (the same stream), so the
    seeds are the in-memory engine's.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from auditkit.steps._explain_common import shap_row_seeds
    >>> ctx = SimpleNamespace(n_rows=10, rng=lambda salt: np.random.default_rng([1, len(salt)]))
    >>> (row_seeds(ctx, np.array([2, 9])) == shap_row_seeds(ctx)[[2, 9]]).all()
    np.True_
    """
    rng = ctx.rng("shap.row")
    out = np.zeros(len(positions), dtype=np.int64)
    for start in range(0, ctx.n_rows, SEED_CHUNK):
        seeds = rng.integers(0, 2**31 - 1, size=min(SEED_CHUNK, ctx.n_rows - start))
        inside = (positions >= start) & (positions < start + len(seeds))
        out[inside] = seeds[positions[inside] - start]
    return out


def sample_context(ctx: Any, pulled: pd.DataFrame, X: pd.DataFrame, strata: Strata) -> SampleContext:
    """A context whose rows are the ``pulled`` rows (inputs ``X``), stating ``ctx``'s rows audited.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> ctx = build_context(AuditSpec(data="german", predictions="credit_risk", sample=100, seed=1))
    >>> strata = Strata({}, np.zeros(0), np.zeros(0), ctx.sensitive.iloc[:1], np.zeros((0, 1)))
    >>> pulled = pd.DataFrame({POSITION: [7], STRATUM: [0]})
    >>> sample = sample_context(ctx, pulled, ctx.X.iloc[[7]], strata)
    >>> len(sample.X), sample.n_rows, sample.sensitive.index.tolist() == ctx.X.index[[7]].tolist()
    (1, 100, True)
    """
    sensitive = strata.groups.iloc[pulled[STRATUM].to_numpy()].set_axis(X.index)
    sensitive.attrs = dict(ctx.sensitive.attrs)
    fields = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.init}
    nothing = np.zeros(0)
    fields.update(frame=X, X=X, sensitive=sensitive, weights=None, y_true=nothing, y_pred=nothing, y_score=None)
    return SampleContext(**fields, rows_audited=ctx.n_rows)
