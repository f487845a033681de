"""LIME and agreement under the Dask engine: the in-memory steps, on instances and statistics taken from the Dask frame.

LIME explains chosen rows (:meth:`~auditkit.steps.lime_step.LimeStep.select_instances`): requested row
ids, the most confident wrong decisions of each sensitive group, then a seeded sample of the rest. Under
the Dask engine the same rows are chosen without the rows on the client:

* requested ids are looked up in each partition's index (the last row with a label wins, as in memory);
* the decision threshold is the cells' (:func:`~auditkit.steps.lime_step.decision_threshold` of the highest
  score decided negative and the lowest decided positive, which the cells hold); each partition hands
  over, per stratum, its ``errors_per_group`` most confident errors (ties: the first row), and the
  client merges them per sensitive group in the in-memory order;
* the seeded sample draws ranks among the rows not yet chosen (``rng.choice(n)`` picks what
  ``rng.choice(rest)`` picks), mapped to positions past the chosen ones.

The chosen rows are pulled by position (with the model's decisions and scores, computed on their
partitions); LIME's explainer learns the training rows' statistics from the partitions
(:mod:`auditkit.engine.dask_lime_stats`). The step itself then runs on a context whose rows are the
instances (:class:`~auditkit.engine.dask_explain.SampleContext`). Agreement compares SHAP on those
instances: the SHAP engine of :func:`~auditkit.engine.dask_explain.shap_result` (background pulled the
same way) explains them with the in-memory per-row seeds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.engine.dask_explain import RowSource, row_seeds, rows_of, sample_context, shap_engine
from auditkit.engine.dask_lime_stats import lime_training, stats_explainer
from auditkit.engine.dask_model import DECISION, SCORE
from auditkit.engine.dask_sample import POSITION, Strata, pull_positions, strata_of_rows
from auditkit.explain.lime_runs import explain_rows, lime_output, lime_settings
from auditkit.explain.shap_sample import CountedRowSample
from auditkit.result import StepResult
from auditkit.steps._explain_common import row_ids
from auditkit.steps.lime_step import (
    LimeOutcome,
    LimeStep,
    decision_confidence,
    decision_threshold,
    error_picks,
    lime_seeds,
)

ROW = "__auditkit_row__"  # a wanted row's label, as the client looks it up


@dataclass(frozen=True)
class PulledLime:
    """The LIME step's outcome on the instances pulled from the Dask frame.

    Attributes
    ----------
    outcome : LimeOutcome
        Its instances' ``position`` is their position among ``rows`` (0, 1, ...).
    rows : DataFrame
        The instances in the outcome's order: the model's inputs, the target, decisions, scores,
        :data:`~auditkit.engine.dask_sample.POSITION` (in the data) and
        :data:`~auditkit.engine.dask_sample.STRATUM`; indexed by row label.

    Examples
    --------
    >>> PulledLime(LimeOutcome(pd.DataFrame(), None, [], []), pd.DataFrame()).outcome.seeds
    []
    """

    outcome: LimeOutcome
    rows: pd.DataFrame


def lime_result(step: LimeStep, ctx: Any, source: RowSource) -> StepResult:
    """The LIME step's result on the instances the in-memory engine would explain, pulled from the Dask frame.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import auditkit
    >>> from sklearn.linear_model import LogisticRegression
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 50, "g": ["a", "b"] * 100, "y": [0, 1, 1, 0] * 50})
    >>> model = LogisticRegression().fit(data[["x"]], data["y"])
    >>> audit = auditkit.audit(data=dd.from_pandas(data, npartitions=3), engine="dask", scheduler="synchronous",
    ...                        target="y", sensitive=["g"], model=model, steps=["lime"], progress=False,
    ...                        step_options={"lime": {"n_instances": 3, "repeats": 2, "num_samples": 200}})
    >>> [row["reason"] for row in audit.step("lime").payload["lime"]["instances"]]
    ['most confident error, g=a', 'most confident error, g=b', 'random sample']
    """
    pulled = _pulled(step, ctx, source)
    return step.run(_instance_context(step, ctx, pulled, source))


def agreement_result(step: Any, ctx: Any, source: RowSource) -> StepResult:
    """The agreement step's result: SHAP (as the spec sets it) on the LIME step's instances, pulled from the frame.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import auditkit
    >>> from sklearn.linear_model import LogisticRegression
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 50, "z": [1.0, 0.0] * 100, "g": ["a", "b"] * 100,
    ...                      "y": [0, 1, 1, 0] * 50})
    >>> model = LogisticRegression().fit(data[["x", "z"]], data["y"])
    >>> audit = auditkit.audit(data=dd.from_pandas(data, npartitions=3), engine="dask", scheduler="synchronous",
    ...                        target="y", sensitive=["g"], model=model, steps=["agreement"], progress=False,
    ...                        step_options={"lime": {"n_instances": 2, "repeats": 2, "num_samples": 200}})
    >>> len(audit.step("agreement").payload["agreement"]["instances"])
    2
    """
    lime = ctx.spec.step("lime")
    pulled = _pulled(lime, ctx, source)
    local = _instance_context(lime, ctx, pulled, source)
    shap = ctx.spec.step("shap")
    columns = list(ctx.X.columns)
    X = pulled.rows[columns]
    engine = shap_engine(shap, ctx, source, X)
    local.cache.get_or_compute(("shap.engine", shap.explainer, shap.background_size, shap.n_permutations),
                               lambda: engine)
    if len(X):
        seeds = row_seeds(ctx, pulled.rows[POSITION].to_numpy()) if engine.explainer == "permutation" else None
        explained = CountedRowSample(np.arange(len(X)), np.ones(len(X)), list(ctx.sensitive.columns), {})
        local.cache.get_or_compute(shap._values_key(), lambda: (explained, engine.explain(X, seeds)))
    return step.run(local)


def _pulled(step: LimeStep, ctx: Any, source: RowSource) -> PulledLime:
    """The LIME step's instances pulled from the frame and explained (once per audit and settings)."""
    return ctx.cache.get_or_compute(("dask", *step._outcome_key()), lambda: _explained(step, ctx, source))


def _explained(step: LimeStep, ctx: Any, source: RowSource) -> PulledLime:
    strata = source.strata(ctx)
    picked, missing = select_instances(step, ctx, source, strata)
    run = source.run
    columns = list(ctx.X.columns)
    wanted = list(dict.fromkeys([*columns, run.target, *run.added_columns]))
    positions = np.array([p for p, _ in picked], dtype=np.int64)
    pulled = pull_positions(source.decided, strata, np.unique(positions), wanted)
    rows = rows_of(pulled, list(pulled.columns), source.renumber)
    rows = rows.iloc[np.searchsorted(rows[POSITION].to_numpy(), positions)]
    instances = pd.DataFrame({"position": np.arange(len(rows), dtype=np.int64), "row_id": row_ids(rows.index),
                              "reason": [reason for _, reason in picked]})
    seeds = lime_seeds(ctx, step.repeats)
    runs = None
    if len(rows):
        training = lime_training(source.frame, columns)
        output = lime_output(ctx.model, training.codec, ctx.positive_label)
        explainer = stats_explainer(training, lime_settings(training.codec, output[0], step.discretize_continuous))
        runs = explain_rows(explainer, training.codec, training.medians, output, rows[columns], seeds,
                            step.num_samples)
    return PulledLime(LimeOutcome(instances, runs, seeds, missing), rows)


def _instance_context(step: LimeStep, ctx: Any, pulled: PulledLime, source: RowSource) -> Any:
    """A context whose rows are the pulled instances (with their labels, decisions and scores), knowing the outcome."""
    run, rows = source.run, pulled.rows
    X = rows[list(ctx.X.columns)]
    local = sample_context(ctx, rows, X, source.strata(ctx))
    positive = run.labels[1]
    local = dataclasses.replace(
        local, y_true=(rows[run.target] == positive).to_numpy(dtype=np.int8),
        y_pred=(rows[DECISION] == positive).to_numpy(dtype=np.int64),
        y_score=rows[SCORE].to_numpy(dtype=float) if SCORE in rows else None)
    local.cache.get_or_compute(step._outcome_key(), lambda: pulled.outcome)
    return local


def select_instances(step: LimeStep, ctx: Any, source: RowSource, strata: Strata) -> tuple[list[tuple[int, str]],
                                                                                          list[Any]]:
    """``([(position in the data, reason), ...], requested ids not found)``: the in-memory step's choice.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from contextlib import nullcontext
    >>> data = pd.DataFrame({"g": ["a", "b"] * 3}, index=[5, 6, 7, 8, 9, 5])
    >>> source = RowSource(dd.from_pandas(data, npartitions=2, sort=False), nullcontext, False)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     select_instances(LimeStep(row_ids=[5, "9", 4]), None, source, None)
    ([(5, 'requested'), (4, 'requested')], [4])
    """
    if step.row_ids is not None:
        return requested(source, step.row_ids, None if ctx is None else ctx.n_rows)
    picked = _confident_errors(ctx, source, strata, step.errors_per_group)[: step.n_instances]
    taken = np.unique([p for p, _ in picked]).astype(np.int64)
    n_rest = ctx.n_rows - len(taken)
    n_random = min(step.n_instances - len(picked), n_rest)
    if n_random > 0:  # rng.choice(rest) is rest[rng.choice(len(rest))]: the same draws
        ranks = ctx.rng("lime.instances").choice(n_rest, size=n_random, replace=False)
        chosen = np.sort(rest_positions(ranks, taken))
        picked = picked + [(int(p), "random sample") for p in chosen]
    return picked, []


def rest_positions(ranks: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The positions of the ``ranks``-th rows not among the (sorted, distinct) positions ``taken``.

    Examples
    --------
    >>> rest_positions(np.array([0, 1, 2, 3]), np.array([0, 2])).tolist()  # the rest: 1, 3, 4, 5
    [1, 3, 4, 5]
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    before = taken - np.arange(len(taken))  # rows of the rest before each taken position
    return ranks + np.searchsorted(before, ranks, side="right")


def requested(source: RowSource, ids: list[Any], n_rows: int | None) -> tuple[list[tuple[int, str]], list[Any]]:
    """The rows whose labels are ``ids`` (as text; the last row of a label), and the ids no row has.

    Each partition's index is searched; with ``renumber`` the labels are the positions (of ``n_rows``).

    Examples
    --------
    >>> from contextlib import nullcontext
    >>> requested(RowSource(None, nullcontext, True), [3, "07", "12", 2], 10)
    ([(3, 'requested'), (2, 'requested')], ['07', '12'])
    """
    import dask

    ids = list(dict.fromkeys(ids))
    if source.renumber:
        lookup = {str(r): int(r) for r in map(str, ids) if r.isdecimal() and str(int(r)) == r and int(r) < n_rows}
    else:
        wanted = {str(r) for r in ids}
        found = dask.compute(*[dask.delayed(_labelled)(part, wanted) for part in source.frame.index.to_delayed()])
        lookup, start = {}, 0
        for size, labelled in found:  # in row order: the last row of a label wins
            lookup.update({text: start + i for text, i in labelled})
            start += size
    return [(lookup[str(r)], "requested") for r in ids if str(r) in lookup], [r for r in ids if str(r) not in lookup]


def _labelled(index: pd.Index, wanted: set[str]) -> tuple[int, list[tuple[str, int]]]:
    """The partition's rows, and the ``(label, row in the partition)`` of those labelled as ``wanted``."""
    return len(index), [(text, i) for i, text in enumerate(map(str, index)) if text in wanted]


def _confident_errors(ctx: Any, source: RowSource, strata: Strata, per_group: int) -> list[tuple[int, str]]:
    """The most confident wrong decisions of every sensitive group, as the in-memory step picks them.

    The threshold comes from the cells (``ctx``: their decisions and scores); each partition hands over
    its ``per_group`` most confident errors per stratum.
    """
    import dask

    run = source.run
    if run.score_kind is None or per_group == 0:
        return []
    decided, scores = ((ctx.y_pred, ctx.y_score) if ctx.y_score is not None
                       else ctx.score_cells.extremes(ctx.y_pred))  # each decision's extreme scores suffice
    threshold = decision_threshold(decided, scores, run.score_kind)
    parts = source.decided[list(dict.fromkeys([run.target, DECISION, SCORE, *strata.groups.columns]))].to_delayed()
    starts = strata.starts
    tops = dask.compute(*[dask.delayed(_partition_errors)(part, strata, run.labels[1], run.target, threshold,
                                                          int(starts[p]), per_group)
                          for p, part in enumerate(parts)])
    found = pd.concat(tops, ignore_index=True) if tops else pd.DataFrame({"stratum": [], "confidence": [],
                                                                          "position": []})

    def most_confident(feature: str) -> Iterator[tuple[str, Any, list[int]]]:
        labels = strata.groups[feature].to_numpy()
        for group in sorted(set(labels[strata.sizes > 0].tolist()), key=str):
            candidates = found[np.isin(found["stratum"].to_numpy(), np.flatnonzero(labels == group))]
            yield feature, group, _most_confident(candidates, per_group)

    return error_picks(pick for feature in strata.groups.columns for pick in most_confident(feature))


def _partition_errors(part: pd.DataFrame, strata: Strata, positive: Any, target: str, threshold: float, start: int,
                      per_group: int) -> pd.DataFrame:
    """Per stratum, the partition's ``per_group`` most confident wrong decisions: stratum, confidence, position."""
    y_pred = (part[DECISION] == positive).to_numpy()
    wrong = np.flatnonzero(y_pred != (part[target] == positive).to_numpy())
    confidence = decision_confidence(y_pred[wrong], part[SCORE].to_numpy(dtype=float)[wrong], None, threshold)
    rows = pd.DataFrame({"stratum": strata_of_rows(part.iloc[wrong], strata), "confidence": confidence,
                         "position": start + wrong})
    return pd.concat([_top(rows[rows["stratum"] == h], per_group) for h in np.unique(rows["stratum"])] or [rows])


def _most_confident(candidates: pd.DataFrame, k: int) -> list[int]:
    return [int(p) for p in _top(candidates, k)["position"]]


def _top(rows: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` rows of largest confidence (NaN last; ties: the first position), as ``argsort(-c, stable)``."""
    order = np.lexsort((rows["position"].to_numpy(), -rows["confidence"].to_numpy(dtype=float)))
    return rows.iloc[order[:k]]
