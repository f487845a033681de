"""AuditContext: the data, labels, predictions and provenance every step reads.

Built once per audit. The model is called once; steps never reload or re-predict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _validate as check
from ._data_io import LoadedData, read_data
from .exceptions import InputError
from .models import load_model, make_reference_model, predict_binary, prepare_features
from .spec import AuditSpec

MISSING_GROUP = "missing"


@dataclass(frozen=True)
class AuditContext:
    """Everything the steps of one audit read. Never mutated after construction.

    Attributes
    ----------
    spec : AuditSpec
    dataset_name : str
    frame : DataFrame
        The audited rows, all columns.
    X : DataFrame
        Model input features (original columns) of the audited rows; empty columns for
        predictions-only audits without a model.
    y_true, y_pred : ndarray
        For binary tasks, 0/1 with 1 = ``positive_label``.
    y_score : ndarray or None
        Score/probability of the positive class.
    sensitive : DataFrame
        Sensitive columns as strings; NaN became the explicit group ``"missing"``.
    model : object or None
        The fitted model (reference model, loaded model) or None.
    X_train : DataFrame or None
        Training features of the reference model (explainer background).
    mode : {"reference", "model", "predictions"}
    provenance : dict
        Data and model hashes, seed; completed with versions and timings by the audit.
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

    @property
    def sensitive_features(self) -> list[str]:
        return list(self.sensitive.columns)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded by the audit seed and a per-use salt (stable across runs)."""
        salt_int = int.from_bytes(salt.encode()[:8].ljust(8, b"\0"), "little")
        return np.random.default_rng([self.seed, salt_int])


def build_context(spec: AuditSpec) -> AuditContext:
    """Load, validate and predict: turn a spec into the context steps run on."""
    loaded = read_data(spec.data)
    target = spec.target or loaded.target
    sensitive = spec.sensitive or loaded.sensitive_features
    frame = loaded.frame
    check.require_target(frame, target)
    check.require_columns(frame, sensitive, "sensitive")
    for role, col in (("predictions", spec.predictions), ("scores", spec.scores)):
        if col is not None:
            check.require_columns(frame, [col], role)
    positive = check.resolve_positive_label(frame, target, spec.positive_label, loaded.positive_label)
    labels = check.binary_labels(frame[target], target, positive)
    if spec.sample is not None and spec.sample < len(frame):
        frame = frame.sample(n=int(spec.sample), random_state=spec.seed).sort_index()
    builder = {"predictions": _from_predictions, "model": _from_model, "reference": _from_reference}
    mode = "predictions" if spec.predictions else "model" if spec.model else "reference"
    parts = builder[mode](spec, loaded, frame, target, positive, sensitive)
    audited = parts["frame"]
    return AuditContext(
        spec=spec,
        dataset_name=loaded.name,
        target=target,
        positive_label=positive,
        labels=labels,
        frame=audited,
        X=parts["X"],
        y_true=(audited[target] == positive).to_numpy(dtype=np.int8),
        y_pred=parts["y_pred"],
        y_score=parts["y_score"],
        sensitive=sensitive_frame(audited, sensitive),
        model=parts.get("model"),
        X_train=parts.get("X_train"),
        mode=mode,
        seed=spec.seed,
        provenance=_provenance(loaded, spec, parts),
    )


def sensitive_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sensitive columns as strings, with NaN turned into the explicit group ``"missing"``."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col]
        as_text = values.map(_group_label).astype(object)
        out[col] = as_text.where(values.notna(), MISSING_GROUP)
    return out


def _group_label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _feature_columns(loaded: LoadedData, frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    if loaded.feature_names is not None:
        return [c for c in loaded.feature_names if c not in exclude]
    return [c for c in frame.columns if c not in exclude]


def _from_predictions(spec, loaded, frame, target, positive, sensitive) -> dict[str, Any]:
    y_pred = check.binary_predictions(frame[spec.predictions], spec.predictions, positive)
    y_score = None
    if spec.scores is not None:
        y_score = check.numeric_scores(frame[spec.scores], spec.scores)
    exclude = {target, spec.predictions, spec.scores}
    X = frame[_feature_columns(loaded, frame, exclude)]
    return {"frame": frame, "X": X, "y_pred": y_pred, "y_score": y_score}


def _from_model(spec, loaded, frame, target, positive, sensitive) -> dict[str, Any]:
    model = load_model(spec.model, trust=spec.trust_model)
    names = getattr(model, "feature_names_in_", None)
    columns = list(names) if names is not None else _feature_columns(loaded, frame, {target})
    check.require_columns(frame, columns, "model feature")
    X = prepare_features(frame[columns])
    y_pred, y_score = predict_binary(model, X, positive)
    return {"frame": frame, "X": X, "y_pred": y_pred, "y_score": y_score, "model": model}


def _from_reference(spec, loaded, frame, target, positive, sensitive) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split

    columns = _feature_columns(loaded, frame, {target})
    if not columns:
        raise InputError("no feature columns left to train a reference model on")
    X_all = prepare_features(frame[columns])
    y_all = (frame[target] == positive).to_numpy(dtype=np.int8)
    train_idx, test_idx = train_test_split(
        np.arange(len(frame)), test_size=spec.test_size, random_state=spec.seed, stratify=y_all
    )
    model = make_reference_model(X_all, spec.seed)
    model.fit(X_all.iloc[train_idx], frame[target].iloc[train_idx])
    X_test = X_all.iloc[test_idx]
    y_pred, y_score = predict_binary(model, X_test, positive)
    return {
        "frame": frame.iloc[test_idx],
        "X": X_test,
        "y_pred": y_pred,
        "y_score": y_score,
        "model": model,
        "X_train": X_all.iloc[train_idx],
        "reference": {"train_rows": len(train_idx), "test_rows": len(test_idx)},
    }


def _provenance(loaded: LoadedData, spec: AuditSpec, parts: dict[str, Any]) -> dict[str, Any]:
    from .models import describe_model

    model_sha = None
    if spec.model is not None:
        import hashlib
        from pathlib import Path

        model_sha = hashlib.sha256(Path(spec.model).read_bytes()).hexdigest()
    model_info = describe_model(parts["model"]) if parts.get("model") is not None else None
    if model_info is not None and "reference" in parts:
        model_info = {"kind": "reference", **parts["reference"], **model_info}
    return {
        "data_sha256": loaded.sha256,
        "data_files": loaded.files,
        "model_sha256": model_sha,
        "model": model_info,
        "seed": spec.seed,
    }
