"""XGBoost and LightGBM models read from their own files, with the scikit-learn methods an audit calls.

A native file holds a booster, not a scikit-learn estimator: :class:`BoosterModel` gives it
``predict`` (and ``predict_proba`` or ``decision_function`` where the objective has them),
``classes_`` (``0 .. K-1``, as XGBoost and LightGBM number classes), the input columns it was
trained on, and the booster itself for TreeSHAP (:attr:`BoosterModel.tree_model`), whose raw
output (the margin before the link) is :meth:`BoosterModel.raw_output`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.metaestimators import available_if

from auditkit.exceptions import ModelLoadError

# What an objective's own prediction is: a probability, a decision score, a class index or a value.
_XGBOOST_OUTPUTS = {"binary:logistic": "probability", "multi:softprob": "probability",
                    "binary:logitraw": "decision", "binary:hinge": "label", "multi:softmax": "label"}
_LIGHTGBM_OUTPUTS = {"binary": "probability", "multiclass": "probability", "multiclassova": "probability"}
_UNNAMED = re.compile(r"Column_\d+")  # LightGBM's names for the columns of an array


class BoosterModel:
    """A booster read from an XGBoost (``.json``/``.ubj``) or LightGBM (``.txt``) model file.

    Parameters
    ----------
    booster : xgboost.Booster or lightgbm.Booster
    library : {"xgboost", "lightgbm"}
    objective : str
        The training objective, e.g. ``"binary:logistic"`` or ``"multiclass"``.
    n_classes : int
        Number of classes (0 for a regressor).
    output : {"probability", "decision", "label", "value"}
        What the booster's own prediction is.
    feature_names : list of str or None
        The columns it was trained on (None when it was trained on an array).
    n_features : int

    Examples
    --------
    >>> import tempfile
    >>> import lightgbm
    >>> X = pd.DataFrame({"income": [10.0, 20, 30, 40, 50, 60], "debt": [5.0, 1, 4, 2, 3, 0]})
    >>> fitted = lightgbm.LGBMClassifier(n_estimators=3, min_child_samples=1, verbose=-1).fit(X, [0, 0, 0, 1, 1, 1])
    >>> path = Path(tempfile.mkdtemp()) / "model.txt"
    >>> _ = fitted.booster_.save_model(path)
    >>> model = load_lightgbm(path)
    >>> model.classes_.tolist(), model.feature_names_in_.tolist(), model.predict(X).tolist()
    ([0, 1], ['income', 'debt'], [0, 0, 0, 1, 1, 1])
    >>> bool(np.allclose(model.predict_proba(X), fitted.predict_proba(X)))
    True
    """

    def __init__(self, booster: Any, library: str, objective: str, n_classes: int, output: str,
                 feature_names: list[str] | None, n_features: int) -> None:
        self.tree_model = booster
        self.library = library
        self.objective = objective
        self.output = output
        self.n_features_in_ = n_features
        self._n_classes = n_classes
        if feature_names is not None:
            self.feature_names_in_ = np.asarray(feature_names, dtype=object)

    @property
    def classes_(self) -> np.ndarray:
        """``0 .. K-1`` (a regressor has none: ``AttributeError``)."""
        if not self._n_classes:
            raise AttributeError(f"a {self.library} regressor ({self.objective}) has no classes_")
        return np.arange(self._n_classes)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Class labels (``0 .. K-1``) or, for a regressor, predicted values."""
        value = self._value(X)
        if not self._n_classes:
            return value
        if self.output == "probability":
            codes = value.argmax(axis=1) if value.ndim == 2 else (value > 0.5).astype(int)
        elif self.output == "decision":
            codes = (value > 0).astype(int)
        else:
            codes = np.rint(value).astype(int)
        return self.classes_[codes]

    def _has_probabilities(self) -> bool:
        return self.output == "probability"

    def _has_decision(self) -> bool:
        return self.output == "decision"

    @available_if(_has_probabilities)
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of every class, one column per class (as the scikit-learn wrappers return it)."""
        value = self._value(X)
        return value if value.ndim == 2 else np.column_stack([1.0 - value, value])

    @available_if(_has_decision)
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The margin of class 1 (``binary:logitraw``)."""
        return self._value(X)

    def raw_output(self, X: Any) -> np.ndarray:
        """The sum of the trees before the objective's link: what TreeSHAP explains."""
        if self.library == "xgboost":
            return np.asarray(self.tree_model.inplace_predict(_as_input(X, self), predict_type="margin"))
        return np.asarray(self.tree_model.predict(_as_input(X, self), raw_score=True))

    def _value(self, X: Any) -> np.ndarray:
        if self.library == "xgboost":
            return np.asarray(self.tree_model.inplace_predict(_as_input(X, self)))
        return np.asarray(self.tree_model.predict(_as_input(X, self)))

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """What the model is (shown in ``audit.json``): library, objective, trees and classes."""
        n_trees = (self.tree_model.num_boosted_rounds() if self.library == "xgboost"
                   else self.tree_model.num_trees())
        return {"library": self.library, "objective": self.objective, "n_trees": int(n_trees),
                "n_classes": self._n_classes or None}

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        if self._n_classes:
            return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                        classifier_tags=ClassifierTags())
        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags())

    def __repr__(self) -> str:
        return f"BoosterModel(library={self.library!r}, objective={self.objective!r})"


def _as_input(X: Any, model: BoosterModel) -> Any:
    """Text columns as pandas categories: what XGBoost and LightGBM read categorical columns as."""
    if not isinstance(X, pd.DataFrame):
        return X
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
            and not isinstance(X[c].dtype, pd.CategoricalDtype)]
    return X.astype({c: "category" for c in text}) if text else X


def load_xgboost(path: Path) -> BoosterModel:
    """A model saved with XGBoost's ``save_model`` (``Booster`` or ``XGBClassifier``/``XGBRegressor``).

    Examples
    --------
    >>> import tempfile
    >>> import xgboost
    >>> X = pd.DataFrame({"income": [10.0, 20, 30, 40, 50, 60], "debt": [5.0, 1, 4, 2, 3, 0]})
    >>> fitted = xgboost.XGBClassifier(n_estimators=3, n_jobs=1).fit(X, [0, 0, 0, 1, 1, 1])
    >>> path = Path(tempfile.mkdtemp()) / "model.json"
    >>> fitted.save_model(path)
    >>> model = load_xgboost(path)
    >>> model.objective, model.predict(X).tolist() == fitted.predict(X).tolist()
    ('binary:logistic', True)
    """
    import json

    xgboost = _library("xgboost", path)
    try:
        booster = xgboost.Booster(model_file=str(path))
        learner = json.loads(booster.save_config())["learner"]
    except Exception as exc:  # noqa: BLE001 - XGBoost raises its own error for a bad file
        raise ModelLoadError(f"{path.name}: not a readable XGBoost model file ({_first_line(exc)})") from None
    objective = learner["objective"]["name"]
    output = _XGBOOST_OUTPUTS.get(objective, "value")
    n_classes = 2 if objective.startswith("binary:") else int(learner["learner_model_param"]["num_class"])
    n_classes = n_classes if objective.startswith(("binary:", "multi:")) else 0
    return BoosterModel(booster, "xgboost", objective, n_classes, output, booster.feature_names,
                        booster.num_features())


def load_lightgbm(path: Path) -> BoosterModel:
    """A model saved with LightGBM's ``Booster.save_model`` (its text format).

    Examples
    --------
    >>> load_lightgbm(Path("no/such/model.txt"))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model.txt: not a readable LightGBM model file (...)
    """
    lightgbm = _library("lightgbm", path)
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except Exception as exc:  # noqa: BLE001 - LightGBM raises its own error for a bad file
        raise ModelLoadError(f"{path.name}: not a readable LightGBM model file ({_first_line(exc)})") from None
    objective = str(booster.params.get("objective", "regression"))
    output = _LIGHTGBM_OUTPUTS.get(objective, "value")
    n_classes = (2 if objective == "binary" else booster.num_model_per_iteration()) if output != "value" else 0
    names = booster.feature_name()
    named = None if all(_UNNAMED.fullmatch(name) for name in names) else names
    return BoosterModel(booster, "lightgbm", objective, n_classes, output, named, booster.num_feature())


def _library(name: str, path: Path) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise ModelLoadError(f"{path.name} is a {name} model file; reading it needs {name}: "
                             f"pip install {name}") from None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
