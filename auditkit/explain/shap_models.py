"""What SHAP explains for each kind of model: the explainer suited to it, the class explained, its raw output.

TreeSHAP and the linear explainer explain the model's *raw* output (a forest's probabilities, a
boosted model's margin, a GLM's linear predictor before its link); these functions compute that
output with the model itself, so additivity can be checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from auditkit.io.labels import class_position

_TREE_MODULES = (
    "sklearn.ensemble._forest", "sklearn.ensemble._gb", "sklearn.ensemble._hist_gradient_boosting",
    "sklearn.tree", "xgboost", "lightgbm", "catboost",
)
_LINEAR_MODULES = ("sklearn.linear_model", "sklearn.svm._classes")
_LINEAR_SVM = {"LinearSVC", "LinearSVR"}


def choose_explainer(estimator: Any) -> str:
    """Name of the SHAP explainer suited to a fitted final estimator.

    Returns ``"tree"`` for tree ensembles (scikit-learn forests, gradient boosting and
    histogram gradient boosting without native categorical splits, XGBoost, LightGBM,
    CatBoost, and XGBoost or LightGBM boosters read from their own files, whose ``tree_model``
    is what TreeSHAP explains), ``"linear"`` for linear models with ``coef_``, and ``"permutation"``
    (model-agnostic) otherwise.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> choose_explainer(LogisticRegression()), choose_explainer(KNeighborsClassifier())
    ('linear', 'permutation')
    """
    if getattr(estimator, "tree_model", None) is not None:  # a booster read from its own file
        return "tree"
    kind = type(estimator)
    module, name = kind.__module__, kind.__name__
    if module.startswith(_TREE_MODULES) and not name.startswith("RandomTrees"):
        native_categorical = getattr(estimator, "is_categorical_", None)
        if native_categorical is not None and np.any(native_categorical):
            return "permutation"
        return "tree"
    if module.startswith(_LINEAR_MODULES) and (module.startswith("sklearn.linear_model") or name in _LINEAR_SVM):
        return "linear"
    return "permutation"


def class_index(estimator: Any, positive_label: Any) -> int | None:
    """Position of the explained class in the model's classes (None for a model without classes).

    The positive label's class (matched by :func:`auditkit.io.labels.class_position`: ``"1"`` is the
    class ``1.0``; a label that is none of the classes is an error), or the last class when no
    positive label is given (multiclass audits).

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> model = DummyClassifier().fit([[0], [1], [2]], ["bad", "good", "good"])
    >>> class_index(model, "bad"), class_index(model, None), class_name(model, 0)
    (0, 1, 'bad')
    """
    classes = list(getattr(estimator, "classes_", []))
    if not classes:
        return None
    if positive_label is None:
        return len(classes) - 1
    return class_position(positive_label, classes)


def class_name(estimator: Any, pos: int | None) -> str | None:
    """The explained class as text (None for a regressor).

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> class_name(DummyClassifier().fit([[0], [1]], [0, 1]), 1)
    '1'
    """
    return None if pos is None else str(estimator.classes_[pos])


def select_class(raw: np.ndarray, expected: np.ndarray, pos: int | None,
                 n_classes: int) -> tuple[np.ndarray, float]:
    """SHAP values and base value of the explained class, whatever shape shap returned.

    Examples
    --------
    >>> import numpy as np
    >>> values, base = select_class(np.array([[0.5, -0.5]]), np.array([0.25]), pos=0, n_classes=2)
    >>> values.tolist(), base  # one margin for classes_[1]: class 0's is its negative
    ([[-0.5, 0.5]], -0.25)
    """
    expected = np.ravel(expected)
    if raw.ndim == 3:
        return raw[:, :, pos], float(expected[pos])
    if pos is not None and n_classes == 2 and pos == 0:
        # A single margin for classes_[1]; the other class's margin is its negative.
        return -raw, -float(expected[0])
    return raw, float(expected[0])


def select_output(raw: Any, pos: int | None, n_classes: int) -> np.ndarray:
    """The explained class's column of a raw output (its dtype kept: it tells the model's precision).

    Examples
    --------
    >>> import numpy as np
    >>> select_output(np.array([[0.2, 0.8], [0.6, 0.4]]), pos=1, n_classes=2).tolist()
    [0.8, 0.4]
    >>> select_output(np.array([1.5, -0.5]), pos=0, n_classes=2).tolist()
    [-1.5, 0.5]
    """
    raw = np.asarray(raw)
    if raw.ndim == 2 and raw.shape[1] > 1:
        return raw[:, pos]
    raw = raw.ravel()
    return -raw if (pos == 0 and n_classes == 2) else raw


_PROBABILITY_TREES = ("sklearn.ensemble._forest", "sklearn.tree")


def tree_raw_output(estimator: Any) -> Callable[[Any], np.ndarray]:
    """The output TreeSHAP explains (``model_output="raw"``), computed by the model itself.

    Forests and single trees average leaf values: class probabilities or predictions. Boosted
    trees sum raw margins: log-odds for classifiers, and for regressors the prediction *before*
    the link function (the log of the prediction for Poisson, gamma and Tweedie losses).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingClassifier
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]
    >>> model = GradientBoostingClassifier(n_estimators=5).fit(X, y)
    >>> bool(np.allclose(tree_raw_output(model)(X), model.decision_function(X)))
    True
    """
    if hasattr(estimator, "raw_output"):  # a booster read from its own file: its margin
        return estimator.raw_output
    module = type(estimator).__module__
    if module.startswith(_PROBABILITY_TREES):
        return estimator.predict_proba if hasattr(estimator, "predict_proba") else estimator.predict
    if module.startswith("xgboost"):
        return lambda Xt: estimator.predict(Xt, output_margin=True)
    if module.startswith("lightgbm"):
        return lambda Xt: estimator.predict(Xt, raw_score=True)
    if module.startswith("catboost"):
        return lambda Xt: estimator.predict(Xt, prediction_type="RawFormulaVal")
    if hasattr(estimator, "decision_function"):  # scikit-learn boosted classifiers
        return estimator.decision_function
    if module.startswith("sklearn.ensemble._hist_gradient_boosting"):
        # The sum of the trees before the loss's link (log for Poisson and gamma); shap reads the
        # same private trees and baseline. Without it, predict: a wrong space then fails additivity.
        return lambda Xt: estimator._raw_predict(Xt) if hasattr(estimator, "_raw_predict") else estimator.predict(Xt)
    return estimator.predict  # gradient boosting regressors: identity link for every loss


def linear_raw_output(estimator: Any) -> Callable[[Any], np.ndarray]:
    """The linear predictor the linear explainer explains: before a GLM's link (Poisson, gamma, Tweedie).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = PoissonRegressor().fit(X, [1, 2, 4])
    >>> bool(np.allclose(np.exp(linear_raw_output(model)(X)), model.predict(X)))  # the log of the prediction
    True
    """
    if hasattr(estimator, "decision_function"):
        return estimator.decision_function
    return getattr(estimator, "_linear_predictor", estimator.predict)
