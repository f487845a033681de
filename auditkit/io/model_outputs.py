"""What a model predicts for an audit: its decisions and scores, checked against the task and the target's labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import ModelPredictionError
from auditkit.io.inputs import final_estimator
from auditkit.io.labels import find_label, label_codes, show_all


@dataclass(frozen=True)
class ModelOutput:
    """The model's outputs on the audited rows, in the encoding of the audit's task.

    Attributes
    ----------
    y_pred : ndarray
        Binary: 0/1 with 1 = the positive label; multiclass: position in the target's labels;
        regression: floats.
    y_score : ndarray or None
        Binary only: probability (``predict_proba``) or decision score (``decision_function``)
        of the positive class.
    score_kind : {"probability", "decision"} or None
    score_source : str or None
        Where the scores came from: the model's method, or ``"column 'NAME'"``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> output = predict_for_audit(model, X, "binary", ("no", "yes"), "approved")
    >>> output.y_pred.tolist(), output.y_score.round(2).tolist(), output.score_kind, output.score_source
    ([0, 0, 1, 1], [0.19, 0.38, 0.62, 0.81], 'probability', 'predict_proba')
    """

    y_pred: np.ndarray
    y_score: np.ndarray | None = None
    score_kind: str | None = None
    score_source: str | None = None


def predict_for_audit(model: Any, X: pd.DataFrame, task: str, labels: tuple[Any, ...], target: str) -> ModelOutput:
    """Check that the model fits the task and the target's labels, then predict on ``X``.

    The model's classes (or, without ``classes_``, the kind of model) are checked before it is
    called; its outputs are checked for shape, missing values and labels after.

    Parameters
    ----------
    model : fitted estimator
    X : DataFrame
        The audited rows, as the model expects them.
    task : {"binary", "multiclass", "regression"}
    labels : tuple
        The target's labels: ``(negative, positive)`` for binary tasks, every class for
        multiclass, empty for regression.
    target : str
        Name of the target column (for messages).

    Raises
    ------
    ModelPredictionError
        The model raised, or returns what the audit cannot read (a regressor in a
        classification audit, classes that are not the target's labels, NaN, wrong shapes).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> predict_for_audit(model, X, "binary", ("no", "yes"), "approved").y_pred.tolist()
    [0, 0, 1, 1]
    >>> predict_for_audit(model, X, "binary", ("bad", "good"), "credit")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelPredictionError: the model (LogisticRegression) has classes 'no', 'yes', but target
    'credit' has labels 'bad', 'good' ('no', 'yes' are not among them); ...
    """
    classes = model_classes(model)
    require_task_fit(model, classes, task, labels, target)
    model, X = _transformed_once(model, X)
    predicted = _one_per_row(_call(model, "predict", X), len(X), "predict")
    if task == "regression":
        numbers = _numbers(predicted, "predict")
        return ModelOutput(numbers)
    codes = _label_codes(predicted, labels, task, target)
    if task == "multiclass":
        return ModelOutput(codes)
    return ModelOutput(codes.astype(np.int8), *_binary_scores(model, classes, X, labels))


def _transformed_once(model: Any, X: pd.DataFrame) -> tuple[Any, Any]:
    """A scikit-learn ``Pipeline``'s final estimator and ``X`` through its other steps; anything else as it is.

    ``Pipeline.predict`` and ``predict_proba`` each run ``X`` through every step before the last; the audit
    asks for both, so it runs the steps once and calls the final estimator (the same outputs: that is
    what the pipeline's methods do). Only the ``Pipeline`` class itself: subclasses may predict otherwise.
    """
    if type(model).__name__ != "Pipeline" or type(model).__module__ != "sklearn.pipeline" or len(model.steps) < 2:
        return model, X
    for _, step in model.steps[:-1]:
        if step is not None and not (isinstance(step, str) and step == "passthrough"):
            X = _call(step, "transform", X)
    return model.steps[-1][1], X


def _label_codes(predicted: np.ndarray, labels: tuple[Any, ...], task: str, target: str) -> np.ndarray:
    """Positions of the model's predictions in the target's labels; refuses NaN and continuous numbers."""
    missing = pd.isna(predicted)
    if missing.any():
        raise ModelPredictionError(
            f"the model's predict returned {int(missing.sum())} missing values (NaN) for {len(predicted)} rows; "
            f"expected one label of target '{target}' ({show_all(labels)}) per row"
        )
    distinct = pd.unique(pd.Series(predicted, dtype=object))
    if np.issubdtype(predicted.dtype, np.floating) and len(distinct) > len(labels):
        raise ModelPredictionError(
            f"the model returns continuous numbers ({len(distinct)} distinct values, e.g. "
            f"{show_all(distinct[:3])}), but a {task} audit expects the labels of target '{target}' "
            f"({show_all(labels)})"
        )
    return label_codes(predicted, labels, "the model's output", target)


def model_classes(model: Any) -> list[Any] | None:
    """The model's ``classes_`` (None for a regressor or a model without them).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> model_classes(LogisticRegression().fit([[0.0], [1.0]], ["no", "yes"])), model_classes(LinearRegression())
    (['no', 'yes'], None)
    """
    try:
        classes = getattr(model, "classes_", None)
    except Exception:  # noqa: BLE001 - a property that fails means "no classes"
        return None
    return None if classes is None else list(np.asarray(classes, dtype=object).ravel())


def require_task_fit(model: Any, classes: list[Any] | None, task: str, labels: tuple[Any, ...],
                     target: str) -> None:
    """Refuse a model whose kind or classes do not fit the audit's task and target labels.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> require_task_fit(LinearRegression(), None, "binary", ("no", "yes"), "approved")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelPredictionError: the model (LinearRegression) is a regressor and returns continuous
    numbers, but a binary audit expects a classifier whose classes are the labels of target 'approved' ('no', 'yes');
    ...
    """
    name = type(final_estimator(model)).__name__
    if task == "regression":
        if classes is not None:
            suggested = "binary" if len(classes) == 2 else "multiclass"
            raise ModelPredictionError(
                f"the model ({name}) is a classifier with classes {show_all(classes)}, but a regression audit "
                f"expects a model that predicts numbers; audit a classifier with task='{suggested}'"
            )
        return
    if classes is None:
        if _is_regressor(model):
            raise ModelPredictionError(
                f"the model ({name}) is a regressor and returns continuous numbers, but a {task} audit expects "
                f"a classifier whose classes are the labels of target '{target}' ({show_all(labels)}); "
                "audit a regressor with task='regression'"
            )
        return
    unknown = [c for c in classes if find_label(c, labels) is None]
    if unknown:
        raise ModelPredictionError(
            f"the model ({name}) has classes {show_all(classes)}, but target '{target}' has labels "
            f"{show_all(labels)} ({show_all(unknown)} {'is' if len(unknown) == 1 else 'are'} not among them); "
            "audit the model on a target coded like its classes"
        )
    if task == "binary" and {find_label(c, labels) for c in classes} != {0, 1}:
        raise ModelPredictionError(
            f"the model ({name}) has classes {show_all(classes)}, but a binary audit expects exactly the two "
            f"labels of target '{target}' ({show_all(labels)})"
        )


def _binary_scores(model: Any, classes: list[Any] | None, X: pd.DataFrame,
                   labels: tuple[Any, ...]) -> tuple[np.ndarray | None, str | None, str | None]:
    """``(score of the positive class, kind, source)``: probabilities if the model has them, else decision scores."""
    if classes is None:
        return None, None, None
    positive = next(i for i, c in enumerate(classes) if find_label(c, labels) == 1)
    if hasattr(model, "predict_proba"):
        proba = np.asarray(_call(model, "predict_proba", X))
        if proba.ndim != 2 or proba.shape != (len(X), len(classes)):
            raise ModelPredictionError(
                f"the model's predict_proba returned an array of shape {proba.shape}; expected "
                f"({len(X)}, {len(classes)}): one row per audited row, one column per class"
            )
        proba = _numbers(proba, "predict_proba")
        if not bool(np.all((proba >= 0) & (proba <= 1))):
            raise ModelPredictionError(
                f"the model's predict_proba returned values outside [0, 1] (from {proba.min():.6g} to "
                f"{proba.max():.6g}); expected probabilities"
            )
        return proba[:, positive], "probability", "predict_proba"
    if hasattr(model, "decision_function"):
        decision = _numbers(_one_per_row(_call(model, "decision_function", X), len(X), "decision_function"),
                            "decision_function")
        # scikit-learn's convention: positive values favour classes_[1].
        return (decision if positive == 1 else -decision), "decision", "decision_function"
    return None, None, None


def _call(model: Any, method: str, X: pd.DataFrame) -> Any:
    """``model.<method>(X)``; an exception becomes a :class:`ModelPredictionError` that says it raised."""
    try:
        return getattr(model, method)(X)
    except Exception as exc:  # noqa: BLE001 - a model that raises is bad input
        detail = " ".join(str(exc).split())
        raise ModelPredictionError(
            f"the model raised while predicting: {type(exc).__name__}: {detail} (in {method})"
        ) from None


def _one_per_row(output: Any, n_rows: int, method: str) -> np.ndarray:
    """The output as a 1-D array of ``n_rows`` values (a single column is accepted)."""
    values = np.asarray(output)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n_rows,):
        raise ModelPredictionError(
            f"the model's {method} returned an array of shape {values.shape}; expected ({n_rows},): "
            "one value per audited row"
        )
    return values


def _numbers(values: np.ndarray, method: str) -> np.ndarray:
    """Finite floats, or a :class:`ModelPredictionError` naming what the model returned."""
    if values.dtype == object or not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
        shown = show_all(pd.unique(pd.Series(values, dtype=object))[:5])
        raise ModelPredictionError(
            f"the model's {method} returned values that are not numbers ({shown}); expected a number per row"
        )
    numbers = values.astype(float)
    if not np.isfinite(numbers).all():
        counts = {"NaN": int(np.isnan(numbers).sum()), "inf": int(np.isposinf(numbers).sum()),
                  "-inf": int(np.isneginf(numbers).sum())}
        shown = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        raise ModelPredictionError(
            f"the model's {method} returned values that are not finite numbers ({shown} among {numbers.size} "
            "values); expected finite numbers"
        )
    return numbers


def _is_regressor(model: Any) -> bool:
    from sklearn.base import is_regressor

    try:
        return bool(is_regressor(model))
    except Exception:  # noqa: BLE001 - not a scikit-learn-style estimator: judge by its outputs
        return False
