"""``engine="dask"``: an audit of partitioned data through the tables Dask aggregates.

Dask reduces the data to rows per (sensitive values, true label, decision) cell and a
per-column summary; the audit then runs on those tables with the in-memory engine's own steps,
bootstrap and findings. The client holds the cells, not the rows: the context's rows are the cells
and their counts its ``weights`` (``LoadedData.row_weights``, ``AuditContext.weights``), which the
counts-based steps sum (performance, fairness through :mod:`auditkit.fairness.weighted_cells`,
data_bias's representation and base rates, the overview's group sizes). The confusion counts of
every group, and so every number of the performance and fairness steps (their multinomial bootstrap
included), are functions of the cells alone, which is why the numbers equal the in-memory engine's
on the same rows. Scores, a model's or a ``scores=COLUMN``'s, are not a key of the cells: the workers
reduce them to the score metrics' own statistics (ROC AUC, Brier score, calibration by group, exact
or binned as the in-memory engine chooses: :mod:`auditkit.engine.dask_score_cells`), whose size is
that of the score bins, however many rows and distinct scores. A scores column's kind (probabilities
when every score is within [0, 1], else decision scores) and its errors (not numeric, missing or
infinite values) are the in-memory engine's, from exact per-partition summaries
(:mod:`auditkit.engine.dask_score_column`).

No step expands a table into rows on the client: data_bias's proxies and missingness are measured on
the (sensitive feature, column) tables (:mod:`auditkit.engine.dask_bias`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from auditkit.cluster import dask_client
from auditkit.context import build_context
from auditkit.engine import DASK_MODEL_STEPS, DASK_STEPS
from auditkit.engine.dask_bias import BiasTables, data_bias_result
from auditkit.engine.dask_bias_tables import encodings_graph, pair_tables, sensitive_values
from auditkit.engine.dask_categories import known_categories
from auditkit.engine.dask_distinct import distinct_counts, unbounded_columns
from auditkit.engine.dask_explain import DaskRowsStep, RowSource
from auditkit.engine.dask_lime import agreement_result, lime_result
from auditkit.engine.dask_model import SCORE, ModelRun, decisions_spec, load_model, model_context, model_run
from auditkit.engine.dask_numbers import finish_encodings
from auditkit.engine.dask_score_cells import CellLayout, cell_scores, first_pass_graph
from auditkit.engine.dask_score_column import require_numeric, summary_graph
from auditkit.engine.dask_tables import COUNT, DaskSource, DaskTables, aggregate, combined_sha256, open_source
from auditkit.exceptions import InputError
from auditkit.fairness.cell_scores import CellScores
from auditkit.io import validate as check
from auditkit.io.data import LoadedData
from auditkit.params import show
from auditkit.result import StepResult
from auditkit.spec import AuditSpec
from auditkit.steps.agreement import AgreementStep
from auditkit.steps.data_bias import DataBiasStep
from auditkit.steps.data_overview import DataOverviewStep
from auditkit.steps.lime_step import LimeStep
from auditkit.steps.shap_step import ShapStep

LOCAL_WORKERS = 2  # processes of the LocalCluster started when no scheduler is given, one thread each
SUPPORTED = (f"engine='dask' audits the binary decisions of a column (predictions=COLUMN, optionally "
             f"scores=COLUMN) or of a model (model=...), with no sample, with the steps {', '.join(DASK_STEPS)} "
             f"(and {', '.join(DASK_MODEL_STEPS)} with a model)")
SYNCHRONOUS = "synchronous"  # scheduler= value that runs every task in this process (tests, debugging)
EXPLAINED = {ShapStep: None, LimeStep: lime_result, AgreementStep: agreement_result}  # how each is run on pulled rows


@dataclass(frozen=True)
class DaskShared:
    """The data of a Dask-engine audit as the runner reads it (the ``shared`` of :func:`auditkit.audit`).

    ``loaded`` holds the cells (key columns only) and their counts (``row_weights``); ``result_for``
    gives the data overview computed by Dask over every column and the data_bias step from the tables
    Dask aggregated for it (``bias``, None when the audit has no data_bias step); every other step runs
    on the context (whose rows are the cells, weighted). With a model (``run``), the cells hold its
    decisions and scores, and :meth:`audit_context` turns the context of the cells into a model audit's
    (whose spec is ``spec``, the user's).

    Examples
    --------
    >>> from auditkit.engine.dask_tables import DaskTables
    >>> tables = DaskTables(pd.DataFrame(), pd.DataFrame(), 0)
    >>> DaskShared(LoadedData(pd.DataFrame(), "x", "0"), tables, 0).loaded.name
    'x'
    """

    loaded: LoadedData
    tables: DaskTables
    n_features: int
    bias: BiasTables | None = None
    run: ModelRun | None = None
    spec: AuditSpec | None = None
    rows: RowSource | None = None
    scores: CellScores | None = None
    score_kind: str | None = None

    def audit_context(self, ctx: Any) -> Any:
        """The context the steps run on: ``ctx`` (of the cells), as a model audit's when a model was audited, with
        a scores column's kind and provenance when one was given (the scores' statistics in ``score_cells``)."""
        if self.run is None and self.score_kind is None:
            return ctx
        if self.run is None:
            scores = {"kind": self.score_kind, "source": f"column '{self.spec.scores}'"}
            return replace(ctx, spec=self.spec, score_kind=self.score_kind, score_cells=self.scores,
                           provenance={**ctx.provenance, "scores": scores})
        return replace(model_context(ctx, self.spec, self.run, self.loaded), score_cells=self.scores)

    def engine_step(self, step: Any) -> Any:
        """The step the runner runs: an explanation step on rows pulled from the data; any other as it is."""
        if self.rows is None or type(step) not in EXPLAINED:
            return step
        return DaskRowsStep(step, self.rows, EXPLAINED[type(step)])

    def result_for(self, step: Any, ctx: Any) -> StepResult | None:
        """The data overview and data_bias from the Dask tables; None for any other step (run on the context)."""
        if type(step) is DataBiasStep and self.bias is not None:
            return data_bias_result(step, ctx, self.tables.cells, self.bias)
        if type(step) is not DataOverviewStep:
            return None
        return step.from_summary(self.tables.columns, self.tables.n_rows, len(self.tables.columns),
                                 self.n_features, ctx.sensitive, step.group_counts(ctx))


def prepare_dask_audit(spec: AuditSpec | None, settings: dict[str, Any], scheduler: str | None = None,
                       session: ExitStack | None = None) -> tuple[AuditSpec, DaskShared]:
    """The spec and shared data of an ``engine="dask"`` audit (``spec`` or keyword ``settings``, as :func:`audit`).

    ``data`` is a path pattern of Parquet/CSV files (``"part-*.parquet"``) or a
    ``dask.dataframe.DataFrame``. The audit checks the decisions of a binary task: a column's (``predictions``,
    and ``scores`` if given) or a model's (``model``, computed on the workers: :mod:`auditkit.engine.dask_model`),
    with the steps in :data:`auditkit.engine.DASK_STEPS` (and ``shap``, ``lime``, ``agreement`` with a model).
    It runs on a new ``LocalCluster`` (2 processes, 1 thread each) closed afterwards, or on the cluster at
    ``scheduler`` (``"tcp://host:8786"``; ``"synchronous"``: in this process, no cluster).
    An audit of a model with steps that explain rows (:data:`~auditkit.engine.DASK_MODEL_STEPS`) pulls
    them from the data while the steps run: the cluster then stays open until ``session`` (the runner's)
    closes, or is opened again for the pull without one.

    Raises
    ------
    InputError
        A setting the Dask engine does not support yet (a sample, the reference model, other steps), or
        data it cannot read; a model is refused as the in-memory engine refuses it.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> frame = pd.DataFrame({"g": ["a", "b"] * 10, "y": [0, 1, 1, 0] * 5, "d": [0, 1] * 10})
    >>> spec, shared = prepare_dask_audit(None, {"data": dd.from_pandas(frame, npartitions=2), "target": "y",
    ...                                          "sensitive": ["g"], "predictions": "d"}, scheduler="synchronous")
    >>> spec.step_names, len(spec.data), shared.loaded.row_weights.tolist(), shared.loaded.read["partitions"]
    (['data_overview', 'data_bias', 'performance', 'fairness'], 4, [5, 5, 5, 5], 2)
    """
    given = dict(settings) if spec is None else {**_spec_settings(spec)}
    data = given.pop("data", None)
    if given.get("steps") is None:
        given["steps"] = list(DASK_STEPS)
    probe = AuditSpec(data=pd.DataFrame(), **given)  # every setting checked as for any audit
    _check_supported(probe)
    source = open_source(data, probe.encoding)
    _key_columns(probe, source.frame)  # before any computation
    model = None if probe.model is None else load_model(probe)  # before the cluster starts
    bias_columns = _bias_columns(probe, source) if "data_bias" in probe.step_names else None
    explains = probe.model is not None and any(name in DASK_MODEL_STEPS for name in probe.step_names)
    held = explains and session is not None
    if held:
        session.enter_context(dask_scheduler(scheduler))
    with nullcontext() if held else dask_scheduler(scheduler):  # the data is read twice: the tables, the pairs
        source = replace(source, frame=known_categories(source.frame))  # every partition with one dtype
        run = None if model is None else model_run(probe, model, source.frame)
        column = probe.scores if run is None else None  # a scores column, checked as in memory
        numeric = column is not None and _is_numeric(source.frame, column)  # else refused after the cells' checks
        score = SCORE if run is not None and run.score_kind is not None else column if numeric else None
        reduced = score is not None and _reads_scores(probe)  # the scores reduced on the workers
        cells_settings = given if run is None else decisions_spec(given, run)
        if run is not None or column is not None:  # the scores are no key of the cells (about one cell a row)
            cells_settings = {**cells_settings, "scores": None}
        frame = source.frame if run is None else run.with_decisions(source.frame)
        added = [] if run is None else run.added_columns
        keys = _key_columns(AuditSpec(data=pd.DataFrame(), **cells_settings), frame)
        also = _first_pass(None if bias_columns is None else encodings_graph(source.frame, bias_columns),
                           first_pass_graph(score) if reduced else None, summary_graph(column) if numeric else None)
        later = unbounded_columns(source.frame, [*(bias_columns or ()), *keys])  # counted a few columns a read
        tables = aggregate(frame, keys, also, counted=[*(bias_columns or ()), *added, *later])
        _, first, summary = tables.also
        tables = replace(tables, columns=tables.columns[~tables.columns["column"].isin(added)].reset_index(drop=True),
                         also=tables.also[0])
        bias = None if bias_columns is None else _bias_tables(probe, source, bias_columns, tables)
        tables = tables.with_unique(distinct_counts(source.frame, later, tables.n_rows))
        if bias is not None:  # the encodings counted these columns' distinct values
            tables = tables.with_unique({c: e.n_distinct for c, e in bias.encodings.items()})
        sha256 = combined_sha256(source)
        loaded = LoadedData(frame=tables.cells.drop(columns=COUNT), name=source.name, sha256=sha256,
                            files=source.files, read=source.read,
                            row_weights=tables.cells[COUNT].to_numpy(dtype=np.int64))
        name = probe.data_name or source.name
        audit_spec = AuditSpec(data=loaded.frame, **{**cells_settings, "data_name": name})
        cells_ctx = cells_context(audit_spec, loaded)  # its checks (target, predictions) come before the scores'
        kind = None
        if column is not None:  # after the cells' checks (target, predictions), as in memory
            require_numeric(source.frame, column)
            kind = summary.kind(column)
        scores = cell_scores(frame, score, CellLayout.of(cells_ctx, loaded.frame[keys]), first) if reduced else None
    user_spec = None if run is None and column is None else AuditSpec(data=loaded.frame,
                                                                      **{**given, "data_name": name})
    n_features = len(run.columns) if run is not None else len(
        [c for c in source.frame.columns if c not in {probe.target, probe.predictions, probe.scores}])
    pull_in = nullcontext if held else partial(dask_scheduler, scheduler)
    rows = RowSource(source.frame, pull_in, renumber=bool(source.files), decided=frame, run=run) if explains else None
    return audit_spec, DaskShared(loaded, tables, n_features, bias, run, user_spec, rows, scores, kind)


SCORE_STEPS = ("performance", "fairness", "lime", "agreement")  # what reads the scores (lime: its threshold)


def _reads_scores(spec: AuditSpec) -> bool:
    """Whether a step of ``spec`` reads the model's scores (else they are not reduced: two reads saved)."""
    return any(name in SCORE_STEPS for name in spec.step_names)


def _first_pass(*graphs: Any) -> Any:
    """``also`` of :func:`aggregate`: one value per graph (the data_bias encodings, the scores' first pass, the
    scores column's summary), None for a graph that is None (not wanted)."""
    def build(partitions: list[Any], missing: Any) -> tuple[Any, ...]:
        return tuple(None if graph is None else graph(partitions, missing) for graph in graphs)

    return build


def _is_numeric(frame: Any, column: str) -> bool:
    return column in frame.columns and pd.api.types.is_numeric_dtype(frame._meta[column])


def cells_context(spec: AuditSpec, loaded: LoadedData) -> Any:
    """The context of the cells (``loaded``), or the in-memory engine's error for the rows: a cell with a missing
    target or decision stands for ``row_weights`` rows, and the error counts the rows, as in memory.

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["a", "b", "b"], "y": [0, 1, 1], "d": [0, 1, None]})
    >>> loaded = LoadedData(cells, "cells", "0", row_weights=np.array([4, 5, 6]))
    >>> cells_context(AuditSpec(data=cells, target="y", sensitive=["g"], predictions="d"), loaded)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: predictions column 'd' has 6 missing values
    """
    try:
        return build_context(spec, loaded=loaded)
    except InputError as error:
        for column in (spec.target, spec.predictions):
            missing = loaded.frame[column].isna().to_numpy() if column in loaded.frame.columns else None
            if missing is None or not missing.any():
                continue
            said = f"column '{column}' has {int(missing.sum())} missing values"
            if said in str(error):
                rows = f"column '{column}' has {int(loaded.row_weights[missing].sum())} missing values"
                raise InputError(str(error).replace(said, rows)) from None
        raise


def _bias_columns(spec: AuditSpec, source: DaskSource) -> list[str]:
    """The columns data_bias may check: all but the target, predictions, scores and sensitive columns."""
    excluded = {spec.target, spec.predictions, spec.scores, *spec.sensitive}
    return [c for c in source.frame.columns if c not in excluded]


def _bias_tables(spec: AuditSpec, source: DaskSource, columns: list[str], tables: DaskTables) -> BiasTables:
    """The data_bias tables: the columns' encodings (computed with the cells) and their pair tables."""
    by_column = finish_encodings(source.frame, dict(zip(columns, tables.also, strict=True)))  # numbers: 2nd pass
    values = sensitive_values(tables.cells, list(dict.fromkeys(spec.sensitive)))
    return BiasTables(columns, by_column, pair_tables(source.frame, values, by_column), list(source.frame.columns))


def _spec_settings(spec: AuditSpec) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}


def _check_supported(spec: AuditSpec) -> None:
    """Refuse what the Dask engine does not compute yet, naming what it does."""
    supported = SUPPORTED
    if spec.sample is not None:
        raise InputError(f"{supported}; got sample={show(spec.sample)}")
    if spec.task != "binary":
        raise InputError(f"{supported}; got task={show(spec.task)}")
    if not spec.predictions and spec.model is None:
        raise InputError(f"{supported}; got neither (the reference model is trained in memory only)")
    allowed = DASK_STEPS if spec.model is None else (*DASK_STEPS, *DASK_MODEL_STEPS)
    others = [name for name in spec.step_names if name not in allowed]
    if others:
        raise InputError(f"{supported}; got steps {', '.join(others)}")
    extra = (spec.step_options.get("fairness") or {}).get("extra_metrics")
    if extra:  # a user metric is called on rows, which the client does not hold (it audits the cells)
        raise InputError(f"{supported}, and no fairness extra_metrics (they need the rows); got extra_metrics "
                         f"{', '.join(map(str, extra))}")


def _key_columns(spec: AuditSpec, frame: Any) -> list[str]:
    if not spec.target or not spec.sensitive:
        raise InputError("engine='dask' needs target=COLUMN and sensitive=[COLUMN, ...]; the data has no metadata "
                         "to take them from")
    keys = [*spec.sensitive, spec.target, *[c for c in (spec.predictions, spec.scores) if c]]
    missing = [k for k in dict.fromkeys(keys) if k not in frame.columns]
    if missing:
        raise InputError(f"the data has no column {', '.join(map(show, missing))}; its columns are "
                         f"{', '.join(map(str, frame.columns))}")
    check.sensitive_roles(spec.sensitive, {"target": spec.target, "predictions": spec.predictions,
                                           "scores": spec.scores})  # the scores are no key: checked here
    return keys


@contextmanager
def dask_scheduler(scheduler: str | None) -> Iterator[None]:
    """Run the Dask computations inside on ``scheduler``: a new LocalCluster (None), an address, or in-process.

    A cluster started here is closed on the way out; a cluster given by address is left running.

    Examples
    --------
    >>> import dask
    >>> with dask_scheduler("synchronous"):
    ...     dask.compute(dask.delayed(sum)([1, 2]))
    (3,)
    """
    import dask

    if scheduler == SYNCHRONOUS:
        with dask.config.set(scheduler="synchronous"):
            yield
        return
    # a warning per distinct-value count from the shuffle is noise here
    with dask_client(scheduler, workers=LOCAL_WORKERS, quiet_loggers=("distributed.shuffle",)):
        yield
