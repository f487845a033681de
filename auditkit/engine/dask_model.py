"""A model's decisions and scores under the Dask engine: computed per partition on the workers.

The model is loaded on the client as the in-memory engine loads it (a fitted estimator as given, a
skops file, pickle only with ``trust_model=True``: the same function, the same errors), checked
against the target's labels there, and shipped to the workers once (one task of the graph, which each
worker fetches once). Each partition gets two more columns, the decision as the target's own label
(:data:`DECISION`) and the positive class's score (:data:`SCORE`), computed by
:func:`auditkit.io.model_outputs.predict_for_audit`, the in-memory engine's own function (same threshold,
same positive class), on one BLAS/OpenMP thread. The counts-based steps then read them as they read a
``predictions=``/``scores=`` column; the audit's context says what a model audit's says (mode
``"model"``, the model, its input columns, where the scores came from).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.io import validate as check
from auditkit.io._audit_parts import audited_model, provenance_of
from auditkit.io.data import LoadedData
from auditkit.io.model_inputs import model_columns
from auditkit.io.model_outputs import ModelOutput, model_classes, predict_for_audit, require_task_fit
from auditkit.spec import AuditSpec

DECISION = "__auditkit_decision__"  # the column of the model's decisions, as the target's labels
SCORE = "__auditkit_score__"  # the column of the model's scores of the positive class


@dataclass(frozen=True)
class ModelRun:
    """A model the Dask engine audits: the model, its input columns, the target's labels, its kind of score.

    Attributes
    ----------
    model : object
        The fitted model (loaded on the client).
    columns : list of str
        The data columns the model is given, in its order.
    labels : tuple
        ``(negative, positive)``: the target's labels.
    target : str
        The target column (named in the model's errors).
    score_kind, score_source : str or None
        ``"probability"`` from ``predict_proba`` or ``"decision"`` from ``decision_function``; None for a
        model with neither.
    inputs : DataFrame
        No rows: the model's input columns with the data's dtypes.

    Examples
    --------
    >>> run = ModelRun(None, ["x"], (0, 1), "y", "probability", "predict_proba", pd.DataFrame())
    >>> run.added_columns
    ['__auditkit_decision__', '__auditkit_score__']
    """

    model: Any
    columns: list[str]
    labels: tuple[Any, Any]
    target: str
    score_kind: str | None
    score_source: str | None
    inputs: pd.DataFrame

    @property
    def added_columns(self) -> list[str]:
        """The columns :meth:`with_decisions` adds to the data."""
        return [DECISION] if self.score_kind is None else [DECISION, SCORE]

    def with_decisions(self, frame: Any) -> Any:
        """``frame`` (a Dask frame) with the model's decisions and scores appended, computed per partition.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> from sklearn.linear_model import LogisticRegression
        >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": ["no", "no", "yes", "yes"]})
        >>> run = ModelRun(LogisticRegression().fit(data[["x"]], data["y"]), ["x"], ("no", "yes"), "y",
        ...                "probability", "predict_proba", data[["x"]].iloc[:0])
        >>> run.with_decisions(dd.from_pandas(data, npartitions=2)).compute(scheduler="synchronous")[DECISION].tolist()
        ['no', 'no', 'yes', 'yes']
        """
        import dask

        model = dask.delayed(self.model, name=f"auditkit-model-{uuid.uuid4().hex}")  # one task: shipped once
        meta = frame._meta.assign(**{DECISION: pd.Series([], dtype=object)})
        if self.score_kind is not None:
            meta = meta.assign(**{SCORE: pd.Series([], dtype=np.float64)})
        return frame.map_partitions(_decide, model, self.columns, self.labels, self.target,
                                    self.score_kind is not None, meta=meta)


def model_run(spec: AuditSpec, model: Any, frame: Any) -> ModelRun:
    """Check ``model`` (:func:`load_model` of ``spec``) against ``frame``'s columns and target, as in memory.

    The target's distinct values are computed with Dask (the current scheduler), so that the labels
    (and the positive class) are the whole data's.

    Raises
    ------
    InputError, ModelLoadError, ModelPredictionError
        As the in-memory engine raises them: a file that is not a model or not trusted, columns the model
        does not take, classes that are not the target's labels.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> from sklearn.linear_model import LogisticRegression
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "g": ["a", "b"] * 2, "y": [0, 0, 1, 1]})
    >>> model = LogisticRegression().fit(data[["x"]], data["y"])
    >>> spec = AuditSpec(data=pd.DataFrame(), target="y", sensitive=["g"], model=model)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     run = model_run(spec, load_model(spec), dd.from_pandas(data, npartitions=2))
    >>> run.columns, run.labels == (0, 1), run.score_kind
    (['x'], True, 'probability')
    """
    import dask

    target = spec.target
    meta = frame._meta
    columns = model_columns(model, meta, target, [c for c in meta.columns if c != target], spec.features)
    distinct = dask.compute(frame[target].drop_duplicates())[0]
    values = pd.Series(np.asarray(distinct), name=target, dtype=meta[target].dtype)
    check.require_binary(values, target)
    positive = check.resolve_positive_label(values.to_frame(), target, spec.positive_label, None)
    labels = check.binary_labels(values, target, positive)
    classes = model_classes(model)
    require_task_fit(model, classes, "binary", labels, target)
    kind, source = _score_method(model, classes)
    return ModelRun(model, list(columns), labels, target, kind, source, meta[list(columns)].iloc[:0])


def load_model(spec: AuditSpec) -> Any:
    """``spec.model``, loaded as the in-memory engine loads it (skops by default, pickle only when trusted).

    Done before any Dask work: a model file that is refused costs no cluster.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> model = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> load_model(AuditSpec(data=pd.DataFrame(), target="y", sensitive=["g"], model=model)) is model
    True
    """
    return audited_model(spec)


def _score_method(model: Any, classes: list[Any] | None) -> tuple[str | None, str | None]:
    """What :func:`~auditkit.io.model_outputs.predict_for_audit` scores a binary model with: ``(kind, method)``."""
    if classes is None:
        return None, None
    if hasattr(model, "predict_proba"):
        return "probability", "predict_proba"
    if hasattr(model, "decision_function"):
        return "decision", "decision_function"
    return None, None


def _decide(part: pd.DataFrame, model: Any, columns: list[str], labels: tuple[Any, Any], target: str,
            scored: bool) -> pd.DataFrame:
    """One partition with the model's decisions (as the target's labels) and scores appended."""
    from threadpoolctl import threadpool_limits

    if len(part) == 0:  # a model may refuse no rows
        decided, scores = np.zeros(0, dtype=object), np.zeros(0)
    else:
        with threadpool_limits(limits=1):  # one BLAS/OpenMP thread per worker thread
            output = predict_for_audit(model, part[columns], "binary", labels, target)
        decided, scores = np.asarray(labels, dtype=object)[output.y_pred], output.y_score
    added = {DECISION: pd.Series(decided, index=part.index, dtype=object)}
    if scored:
        added[SCORE] = pd.Series(scores, index=part.index, dtype=np.float64)
    return part.assign(**added)


def decisions_spec(given: dict[str, Any], run: ModelRun) -> dict[str, Any]:
    """The settings of the audit of the cells: the model's decisions and scores read as columns.

    The settings about the model (its inputs, name, licence...) are left out: they are the user's spec's, and an
    audit of ``predictions=`` refuses them.

    Examples
    --------
    >>> run = ModelRun(None, ["x"], (0, 1), "y", None, None, pd.DataFrame())
    >>> decisions_spec({"model": "m.skops", "trust_model": False, "features": ["x"]}, run)
    {'model': None, 'trust_model': False, 'predictions': '__auditkit_decision__', 'scores': None}
    """
    kept = {k: v for k, v in given.items() if k not in MODEL_SETTINGS}
    return {**kept, "model": None, "predictions": DECISION, "scores": SCORE if run.score_kind else None}


# What an audit of predictions= refuses: settings about the model (auditkit.spec_checks.check_model_settings)
MODEL_SETTINGS = ("model_name", "features", "exclude", "model_source", "model_licence", "model_version",
                  "model_openness", "trust_types")


def model_context(ctx: Any, spec: AuditSpec, run: ModelRun, loaded: LoadedData) -> Any:
    """The context of the cells (``ctx``, decisions read as columns) as the context of a model audit.

    Its ``spec`` is the user's (with the model), its mode ``"model"``, its ``X`` the model's input columns
    (no rows: the client holds none), its provenance the in-memory engine's for the model.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import auditkit
    >>> from sklearn.linear_model import LogisticRegression
    >>> data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "g": ["a", "b"] * 10, "y": [0, 0, 1, 1] * 5})
    >>> model = LogisticRegression().fit(data[["x"]], data["y"])
    >>> audit = auditkit.audit(data=dd.from_pandas(data, npartitions=2), engine="dask", scheduler="synchronous",
    ...                        target="y", sensitive=["g"], model=model, steps=["performance"], progress=False)
    >>> audit.dataset["mode"], audit.provenance["scores"], audit.provenance["model"]["features"]
    ('model', {'kind': 'probability', 'source': 'predict_proba'}, ['x'])
    """
    output = ModelOutput(None, None, run.score_kind, run.score_source)
    X = run.inputs
    parts = {"output": output, "model": run.model, "X": X}
    provenance = {**provenance_of(loaded, spec, parts), "split": ctx.provenance.get("split")}
    return dataclasses.replace(ctx, spec=spec, mode="model", model=run.model, X=X, provenance=provenance,
                               score_kind=run.score_kind)
