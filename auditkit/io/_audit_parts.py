"""What an audit's context holds, by where its outputs come from: the audited rows, the model's input columns, the
outputs (a column of predictions, a given model, the reference model, or none), and the provenance record.

Used by :func:`auditkit.context.build_context` only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditkit.io import validate as check
from auditkit.io.audit_rows import take_rows
from auditkit.io.data import LoadedData
from auditkit.io.inputs import HASH_FILE, default_model_name, is_estimator, model_fingerprint, require_fitted
from auditkit.io.model_inputs import model_columns, reference_columns
from auditkit.io.model_outputs import ModelOutput, predict_for_audit
from auditkit.io.models import describe_model, load_model, make_reference_model, model_origin, prepare_features
from auditkit.spec import AuditSpec


def feature_columns(loaded: LoadedData, frame: pd.DataFrame, exclude: set[str | None]) -> list[str]:
    if loaded.feature_names is not None:
        return [c for c in loaded.feature_names if c not in exclude]
    return [c for c in frame.columns if c not in exclude]


def existing_predictions(spec: AuditSpec, values: pd.Series, labels: tuple[Any, ...], target: str) -> np.ndarray:
    if spec.task == "binary":
        return check.binary_predictions(values, spec.predictions, labels, target)
    if spec.task == "regression":
        return check.numeric_values(values, spec.predictions, "predictions")
    return check.class_predictions(values, spec.predictions, labels, target)


def from_predictions(spec, loaded, frame, rows, target, labels) -> dict[str, Any]:
    frame = take_rows(frame, rows.audited)
    y_pred = existing_predictions(spec, frame[spec.predictions], labels, target)
    output = ModelOutput(y_pred)
    if spec.scores is not None:
        scores, kind = check.numeric_scores(frame[spec.scores], spec.scores)
        output = ModelOutput(y_pred, scores, kind, f"column '{spec.scores}'")
    exclude = {target, spec.predictions, spec.scores}
    X = frame[feature_columns(loaded, frame, exclude)]
    return {"frame": frame, "X": X, "output": output}


def from_model(spec, loaded, frame, rows, target, labels) -> dict[str, Any]:
    frame = take_rows(frame, rows.audited)
    model = audited_model(spec)
    columns = model_columns(model, frame, target, feature_columns(loaded, frame, {target}), spec.features)
    X = frame[columns]  # as in the data: a model trained on ``category`` columns needs them as such
    output = predict_for_audit(model, X, spec.task, labels, target)
    return {"frame": frame, "X": X, "output": output, "model": model}


def audited_model(spec: AuditSpec) -> Any:
    """The spec's model: a fitted estimator as given, or loaded from its file (skops unless pickle is trusted)."""
    if is_estimator(spec.model):
        require_fitted(spec.model)
        return spec.model
    return load_model(spec.model, trust=spec.trust_model, trust_types=spec.trust_types)


def from_reference(spec, loaded, frame, rows, target, labels) -> dict[str, Any]:
    """Train the reference model on ``rows.train`` and predict ``rows.audited`` (never one of its training rows)."""
    columns = reference_columns(frame, target, feature_columns(loaded, frame, {target}), spec.features,
                                spec.exclude)
    X_all = prepare_features(frame[columns])
    model = make_reference_model(X_all, spec.seed, spec.task)
    y_fit = frame[target].iloc[rows.train]
    model.fit(X_all.iloc[rows.train], y_fit.astype(float) if spec.task == "regression" else y_fit)
    X_test = X_all.iloc[rows.audited]
    return {
        "frame": frame.iloc[rows.audited],
        "X": X_test,
        "output": predict_for_audit(model, X_test, spec.task, labels, target),
        "model": model,
        "X_train": X_all.iloc[rows.train],
        "train_frame": frame.iloc[rows.train],
        "reference": {"train_rows": len(rows.train), "test_rows": len(rows.audited)},
    }


def without_model(spec, loaded, frame, rows, target) -> dict[str, Any]:
    """The audited rows and the columns a model or the reference model gets by default; nothing predicted."""
    defaults = feature_columns(loaded, frame, {target})
    if spec.model is None:
        columns = reference_columns(frame, target, defaults, spec.features, spec.exclude)
    else:
        columns = list(spec.features) if spec.features is not None else defaults
    audited = take_rows(frame, rows.audited)
    return {"frame": audited, "X": audited[columns], "output": ModelOutput(None), "data_only": True}


def provenance_of(loaded: LoadedData, spec: AuditSpec, parts: dict[str, Any]) -> dict[str, Any]:
    model_sha, method = (None, None) if parts.get("data_only") else model_sha256(spec.model)
    output: ModelOutput = parts["output"]
    return {
        "data_sha256": loaded.sha256,
        "data_files": loaded.files,
        "data_format": loaded.read,
        "model_sha256": model_sha,
        "model_sha256_method": method,
        "model": model_info(spec, parts),
        "scores": None if output.score_kind is None else {"kind": output.score_kind, "source": output.score_source},
        "seed": spec.seed,
    }


def model_sha256(model: Any) -> tuple[str | None, str | None]:
    """``(sha256, how it was computed)`` of the given model: its file's bytes, or the in-memory model's fingerprint."""
    if model is None:
        return None, None
    if is_estimator(model):
        return model_fingerprint(model)
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(model).read_bytes()).hexdigest(), HASH_FILE


def model_info(spec: AuditSpec, parts: dict[str, Any]) -> dict[str, Any] | None:
    """Name, kind, class, parameters and input columns of the audited model (None without one)."""
    model = parts.get("model")
    if model is None:
        return None
    name = spec.model_name or default_model_name(spec.model if spec.model is not None else model)
    origin = model_origin(spec.model, source=spec.model_source, licence=spec.model_licence,
                          version=spec.model_version)
    info = {"name": name, **origin, "openness": spec.model_openness, **describe_model(model),
            "features": [str(c) for c in parts["X"].columns]}
    if "reference" in parts:
        info = {"kind": "reference", **parts["reference"], **info}
        if spec.exclude:
            info["excluded"] = list(spec.exclude)
    return info
