"""Safe model loading, the reference model, and prediction adapters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import ModelLoadError, ModelPredictionError


def load_model(path: str | Path, *, trust: bool = False) -> Any:
    """Load a scikit-learn model saved with skops, refusing untrusted types by default.

    Parameters
    ----------
    path : str or Path
        A ``.skops`` file. Pickle files are refused: unpickling runs arbitrary code.
    trust : bool, default False
        Load even if the file contains types skops does not trust by default.
        Only set this for files you made yourself or whose source you trust.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    if path.suffix.lower() in {".pkl", ".pickle", ".joblib"}:
        raise ModelLoadError(
            f"{path.name}: pickle/joblib models are not loaded (unpickling runs arbitrary code); "
            "save the model with skops.io.dump and pass the .skops file"
        )
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise ModelLoadError(f"{path}: not a readable skops model file ({exc})") from None
    if untrusted and not trust:
        raise ModelLoadError(
            f"{path.name} contains types that are not trusted by default: "
            f"{', '.join(untrusted)}; inspect them and pass --trust-model to load anyway"
        )
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"{path}: could not load the model ({exc})") from None


def make_reference_model(X: pd.DataFrame, seed: int, task: str = "binary") -> Any:
    """An untrained reference model: one-hot categoricals + histogram gradient boosting.

    Categorical columns are one-hot encoded (unknown categories ignored, NaN kept as its own
    category); numeric columns pass through (the booster handles NaN natively). The final
    estimator is a classifier, or a regressor when ``task`` is ``"regression"``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    prep = ColumnTransformer(
        [("categorical", encoder, categorical), ("numeric", "passthrough", numeric)],
        verbose_feature_names_out=True,
    )
    if task == "regression":
        regressor = HistGradientBoostingRegressor(random_state=seed, early_stopping=False)
        return Pipeline([("preprocess", prep), ("regressor", regressor)])
    booster = HistGradientBoostingClassifier(random_state=seed, early_stopping=False)
    return Pipeline([("preprocess", prep), ("classifier", booster)])


def prepare_features(X: pd.DataFrame) -> pd.DataFrame:
    """Make categorical columns plain ``object`` with NaN for missing (what encoders expect)."""
    out = X.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), np.nan)
    return out


def predict_binary(model: Any, X: pd.DataFrame, positive_label: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Call the model once; return ``(y_pred as 0/1, score of the positive class or None)``."""
    classes = list(getattr(model, "classes_", []))
    try:
        if hasattr(model, "predict_proba") and classes:
            proba = np.asarray(model.predict_proba(X), dtype=float)
            pos = _positive_index(classes, positive_label)
            predicted = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
            return _as_positive(predicted, positive_label), proba[:, pos]
        predicted = np.asarray(model.predict(X))
    except Exception as exc:  # noqa: BLE001 - a model that raises is bad input
        raise ModelPredictionError(
            f"the model raised while predicting: {type(exc).__name__}: {exc}"
        ) from None
    return _as_positive(predicted, positive_label), None


def predict_other(model: Any, X: pd.DataFrame, task: str) -> np.ndarray:
    """Call ``model.predict`` once: class labels (multiclass) or numbers (regression)."""
    try:
        predicted = np.asarray(model.predict(X))
    except Exception as exc:  # noqa: BLE001 - a model that raises is bad input
        raise ModelPredictionError(
            f"the model raised while predicting: {type(exc).__name__}: {exc}"
        ) from None
    if task == "regression":
        if not np.issubdtype(predicted.dtype, np.number):
            raise ModelPredictionError(f"a regression model must predict numbers; it predicted {predicted.dtype}")
        return predicted.astype(float).ravel()
    return predicted.astype(object).ravel()


def _positive_index(classes: list[Any], positive_label: Any) -> int:
    for i, cls in enumerate(classes):
        if cls == positive_label or str(cls) == str(positive_label):
            return i
    raise ModelPredictionError(
        f"the model's classes {classes} do not include the positive label {positive_label!r}"
    )


def _as_positive(predicted: np.ndarray, positive_label: Any) -> np.ndarray:
    hits = [(p == positive_label) or (str(p) == str(positive_label)) for p in predicted]
    return np.asarray(hits, dtype=np.int8)


def describe_model(model: Any) -> dict[str, Any]:
    """Name and parameters of a model, JSON-friendly and deterministic."""
    steps = getattr(model, "steps", None)
    final = steps[-1][1] if steps else model
    return {
        "class": f"{type(model).__module__}.{type(model).__name__}",
        "final_estimator": type(final).__name__,
        "params": {k: repr(v) for k, v in sorted(final.get_params(deep=False).items())}
        if hasattr(final, "get_params")
        else {},
    }
