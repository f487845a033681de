"""AuditContext: the data, labels, predictions and provenance every step reads.

Built once per audit. The model is called once; steps never reload or re-predict.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.io import validate as check
from auditkit.io._audit_parts import from_model, from_predictions, from_reference, provenance_of, without_model
from auditkit.io.audit_rows import choose_rows
from auditkit.io.data import LoadedData, read_data
from auditkit.io.model_outputs import ModelOutput
from auditkit.spec import AuditSpec
from auditkit.stats.counts import group_codes
from auditkit.stats.missing_group import MISSING_GROUP as MISSING_GROUP  # re-exported: the label of the missing group
from auditkit.stats.missing_group import sensitive_frame_and_levels
from auditkit.stats.sorted_numbers import number_summary
from auditkit.threads import compute_threads

T = TypeVar("T")


class AuditCache:
    """Work shared by the steps of one audit (e.g. the SHAP explainer the agreement step reuses).

    Each :class:`AuditContext` has its own, so nothing outlives the audit or leaks into another.

    Examples
    --------
    >>> cache = AuditCache()
    >>> cache.get_or_compute(("answer",), lambda: 42)
    42
    >>> cache.get_or_compute(("answer",), lambda: 0)  # computed once
    42
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computed with ``compute()`` the first time it is asked for."""
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` when none was computed yet."""
        return self._values.get(key, default)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class AuditContext:
    """Everything the steps of one audit read. Never mutated after construction.

    Attributes
    ----------
    spec : AuditSpec
    dataset_name : str
        ``spec.data_name``, or the data's default name (see :class:`~auditkit.spec.AuditSpec`).
    frame : DataFrame
        The audited rows, all columns.
    X : DataFrame
        Model input features (original columns) of the audited rows; empty columns for
        predictions-only audits without a model.
    y_true, y_pred : ndarray
        Binary tasks: 0/1 with 1 = ``positive_label``. Multiclass: index of the class in
        ``labels``. Regression: floats.
    y_score : ndarray or None
        Score of the positive class (binary tasks only); see ``score_kind``.
    labels : tuple
        Binary: ``(negative, positive)``; multiclass: every class (sorted as text);
        regression: empty.
    sensitive : DataFrame
        Sensitive columns as text, held as categorical columns (a narrow code a row); missing
        values became an explicit group labelled ``"(missing)"`` (``_missing_group``: never the
        same as a value in the data; the label per column is in ``sensitive.attrs["missing_groups"]``).
    model : object or None
        The fitted model (reference model, loaded or given model) or None.
    X_train : DataFrame or None
        Training features of the reference model (explainer background).
    train_frame : DataFrame or None
        The reference model's training rows, all columns (None unless ``mode`` is
        ``"reference"``): what a step that trains the model anew (mitigation) fits on.
    mode : {"reference", "model", "predictions"}
    provenance : dict
        Data and model hashes, seed, where the scores came from; completed with versions and
        timings by the audit.
    score_kind : {"probability", "decision"} or None
        What ``y_score`` holds: probabilities (every score-based metric applies) or decision
        scores (any scale: only their order is used, so ROC AUC but no Brier score or
        calibration). None without scores.
    weights : ndarray of int or None
        Rows of the data each row of ``frame`` stands for, when the data came aggregated (the Dask
        engine's cells: one row per distinct combination of the columns the steps read, with its count;
        ``LoadedData.row_weights``); None: one each. The steps that take weights (performance, fairness,
        data_bias) count every row that many times; ``n_rows`` is their sum.
    score_cells : auditkit.fairness.cell_scores.CellScores or None
        The Dask engine's statistics of a model's scores, computed on the workers, when ``y_score`` is None
        but ``score_kind`` is not (the scores of the rows the cells stand for; performance and fairness read them).
    cache : AuditCache
        Work shared between the steps of this audit (``ctx.cache.get_or_compute(key, fn)``);
        the one part of the context that changes while the audit runs. Every context starts
        with an empty one (``dataclasses.replace`` included), so no result outlives its data.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> ctx.mode, ctx.n_rows, ctx.sensitive_features, ctx.y_pred[:5].tolist()
    ('predictions', 400, ['group'], [0, 0, 1, 1, 0])
    >>> ctx.rng("demo").integers(0, 10, 3).tolist() == ctx.rng("demo").integers(0, 10, 3).tolist()  # seeded per use
    True
    """

    spec: AuditSpec
    dataset_name: str
    target: str
    positive_label: Any
    labels: tuple[Any, Any]
    frame: pd.DataFrame
    X: pd.DataFrame
    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray | None
    sensitive: pd.DataFrame
    model: Any
    X_train: pd.DataFrame | None
    mode: str
    seed: int
    provenance: dict[str, Any] = field(default_factory=dict)
    score_kind: str | None = None
    train_frame: pd.DataFrame | None = None
    weights: np.ndarray | None = None
    score_cells: Any = None
    cache: AuditCache = field(default_factory=AuditCache, init=False, compare=False, repr=False)

    @property
    def sensitive_features(self) -> list[str]:
        return list(self.sensitive.columns)

    @property
    def task(self) -> str:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        return self.spec.task

    @property
    def n_rows(self) -> int:
        return len(self.frame) if self.weights is None else int(self.weights.sum())

    def group_codes(self, features: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
        """Group code of every row and the group keys of ``features``, computed once per audit.

        See :func:`auditkit.stats.counts.group_codes`; the arrays are shared, never modify them.
        """
        features = tuple(features)
        if len(features) == 1:
            return self.cache.get_or_compute(("group_codes", features), lambda: group_codes(self.sensitive, features))

        def levels_of(feature: str) -> tuple[np.ndarray, pd.Series]:  # each feature's column hashed once per audit
            codes, keys = self.group_codes((feature,))
            return codes, keys[feature]

        return self.cache.get_or_compute(("group_codes", features),
                                         lambda: group_codes(self.sensitive, features, levels_of))

    def number_summary(self, column: Hashable) -> tuple[int, np.ndarray] | None:
        """Distinct values and deciles of a column of NumPy numbers, from one sort, once per audit; None for others.

        See :func:`auditkit.stats.sorted_numbers.number_summary` (data_overview and data_bias share it).
        """
        values = self.frame[column]
        if not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "biuf"):
            return None
        return self.cache.get_or_compute(("number_summary", column), lambda: number_summary(values.to_numpy()))

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded by the audit seed and a per-use salt (stable across runs).

        The whole salt counts (it is hashed), so ``"shap.row"`` and ``"shap.rows"`` differ.
        """
        import hashlib

        salt_int = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:8], "little")
        return np.random.default_rng([self.seed, salt_int])


def build_context(spec: AuditSpec, *, loaded: LoadedData | None = None, data_only: bool = False) -> AuditContext:
    """Load, validate and predict: turn a spec into the context steps run on.

    ``loaded`` is ``spec``'s data read already (``read_data(spec.data, encoding=spec.encoding)``, e.g.
    once for a batch of audits of that data); it is not modified. ``data_only=True`` builds the context of
    the steps that read the data only (``data_overview``, ``data_bias``): the same audited rows, target and
    groups, but no model is loaded, fitted or called (``model``, ``y_pred`` and ``y_score`` are None) and
    ``X`` holds the columns a model gets unless it names its own (``features``, else the data's features).

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> ctx = build_context(AuditSpec(data="german", sample=200, seed=1))  # trains the reference model
    >>> ctx.mode, ctx.n_rows, ctx.target, ctx.positive_label, ctx.score_kind  # 200 of german's 300 held-out rows
    ('reference', 200, 'credit_risk', 'good', 'probability')
    """
    if loaded is None:
        loaded = read_data(spec.data, encoding=spec.encoding)
    target = spec.target or loaded.target
    sensitive = spec.sensitive or loaded.sensitive_features
    frame = loaded.frame
    check.require_target(frame, target)
    if not sensitive:
        raise InputError("no sensitive feature given; pass sensitive=[COLUMN, ...]")
    check.require_columns(frame, sensitive, "sensitive")
    check.sensitive_roles(sensitive, {"target": target, "predictions": spec.predictions, "scores": spec.scores})
    for column in sensitive:
        check.sensitive_values(frame[column], column)
    for role, col in (("predictions", spec.predictions), ("scores", spec.scores)):
        if col is not None:
            check.require_columns(frame, [col], role)
    positive, labels = _target_task(spec, loaded, frame, target)
    builder = {"predictions": from_predictions, "model": from_model, "reference": from_reference}
    mode = "predictions" if spec.predictions else "model" if spec.model is not None else "reference"
    rows = choose_rows(spec, loaded, target, labels, mode)
    weights = None if loaded.row_weights is None else _weights_of(loaded.row_weights, rows.audited, rows.record)
    if data_only and mode != "predictions":
        parts = without_model(spec, loaded, frame, rows, target)
    else:
        with compute_threads(models=mode != "predictions"):  # the reference fit and the model's predictions: free cores
            parts = builder[mode](spec, loaded, frame, rows, target, labels)
    audited = parts["frame"]
    output: ModelOutput = parts["output"]
    sensitive_texts, levels = sensitive_frame_and_levels(audited, sensitive)
    ctx = AuditContext(
        spec=spec,
        dataset_name=spec.data_name or loaded.name,
        target=target,
        positive_label=positive,
        labels=labels,
        frame=audited,
        X=parts["X"],
        y_true=_encode_target(spec.task, audited[target], target, labels),
        y_pred=output.y_pred,
        y_score=output.y_score,
        sensitive=sensitive_texts,
        model=parts.get("model"),
        X_train=parts.get("X_train"),
        mode=mode,
        seed=spec.seed,
        provenance={**provenance_of(loaded, spec, parts), "split": rows.record},
        score_kind=output.score_kind,
        train_frame=parts.get("train_frame"),
        weights=weights,
    )
    for column, found in levels.items():  # each sensitive column's groups from its distinct values, hashed once
        ctx.cache.get_or_compute(("group_codes", (column,)),
                                 lambda column=column, found=found: group_codes(ctx.sensitive, (column,),
                                                                                lambda _: found))
    return ctx


def _weights_of(row_weights: np.ndarray, audited: np.ndarray, record: dict[str, Any]) -> np.ndarray:
    """The weights of the audited rows of aggregated data; the split ``record`` counts the rows they stand for."""
    if len(audited) != len(row_weights):
        raise InputError("aggregated data (rows with weights, as the Dask engine gives) is audited whole: no sample "
                         f"and no split; got {len(audited):,} of its {len(row_weights):,} rows")
    record.update(rows=int(row_weights.sum()), rows_audited=int(row_weights[audited].sum()))
    return np.asarray(row_weights, dtype=np.int64)[audited]


def _target_task(spec: AuditSpec, loaded: LoadedData, frame: pd.DataFrame,
                 target: str) -> tuple[Any, tuple[Any, ...]]:
    """Check the target fits the task: ``(positive label, the target's labels)``.

    Binary: ``(positive, (negative, positive))``; multiclass: ``(None, every class)`` of the
    whole data (so a class missing from a sample is still a class); regression: ``(None, ())``.
    """
    if spec.task == "binary":
        check.require_binary(frame[target], target)
        positive = check.resolve_positive_label(frame, target, spec.positive_label, loaded.positive_label)
        return positive, check.binary_labels(frame[target], target, positive)
    if spec.positive_label is not None:
        raise InputError(f"a positive label only applies to binary audits; this audit's task is {spec.task}")
    if spec.task == "regression":
        check.numeric_values(frame[target], target, "target")
        return None, ()
    return None, check.class_labels(frame[target])


def _encode_target(task: str, values: pd.Series, target: str, labels: tuple[Any, ...]) -> np.ndarray:
    """``y_true`` in the encoding of the task (see :class:`AuditContext`)."""
    if task == "binary":
        return (values == labels[1]).to_numpy(dtype=np.int8)
    if task == "regression":
        return values.to_numpy(dtype=float)
    return check.class_codes(values, labels, target)
