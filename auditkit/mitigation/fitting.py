"""Fitting fairlearn's mitigations: ThresholdOptimizer on the audited model, ExponentiatedGradient on a refit.

Both give randomized decisions; each call here gets its own ``random_state`` (from the audit
seed), so the same audit gives the same decisions. A mitigation that cannot be fitted says why
with :class:`NotFitted` (its message is the reason the report shows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from auditkit.io.inputs import final_estimator
from auditkit.io.labels import class_position, label_codes
from auditkit.io.model_outputs import model_classes

SCORE_METHODS = ("predict_proba", "decision_function", "predict")


class NotFitted(Exception):  # noqa: N818 - a reason to skip an option, not an error of the audit
    """A mitigation could not be fitted; the message says why, in a sentence for the report.

    Examples
    --------
    >>> str(NotFitted("the model cannot be copied to train anew"))
    'the model cannot be copied to train anew'
    """


class PositiveClassModel(ClassifierMixin, BaseEstimator):
    """A fitted binary model as fairlearn reads it: column 1 (or the sign) is the audit's positive class.

    fairlearn takes the second column of ``predict_proba`` and the raw ``decision_function`` as
    the score of the positive outcome, and ``predict`` as 0/1. The audited model's classes may
    be text, or list the positive label first; this view turns them into the audit's encoding,
    so post-processing ranks rows by the positive class's score (the same score the audit's
    other steps use). It is already fitted and cannot be refitted.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, ["yes", "yes", "no", "no"])  # classes_: no, yes
    >>> view = PositiveClassModel(model, ("no", "yes"))  # positive: "yes", the first column
    >>> view.predict(X).tolist(), view.predict_proba(X)[:, 1].round(2).tolist()
    ([1, 1, 0, 0], [0.81, 0.62, 0.38, 0.19])
    """

    _estimator_type = "classifier"

    def __init__(self, model: Any, labels: tuple[Any, Any]) -> None:
        self.model = model
        self.labels = labels
        classes = model_classes(model)
        self.positive_column = None if classes is None else class_position(labels[1], classes)
        self.classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Any, y: Any, **kwargs: Any) -> PositiveClassModel:
        raise TypeError("the audited model is fitted already; post-processing does not refit it")

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return label_codes(np.asarray(self.model.predict(X)), self.labels, "the model's output", "target")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        positive = np.asarray(self.model.predict_proba(X), dtype=float)[:, self.positive_column]
        return np.column_stack([1.0 - positive, positive])

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        decision = np.asarray(self.model.decision_function(X), dtype=float).ravel()
        return decision if self.positive_column == 1 else -decision  # scikit-learn: positive favours classes_[1]


def score_method(model: Any) -> str:
    """The method post-processing ranks rows by: probabilities, else decision scores, else decisions.

    Examples
    --------
    >>> from sklearn.svm import LinearSVC
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    >>> score_method(LogisticRegression().fit(X, y)), score_method(LinearSVC().fit(X, y))
    ('predict_proba', 'decision_function')
    """
    if model_classes(model) is None:
        return "predict"  # scores cannot be tied to the positive class without classes_
    return next(m for m in SCORE_METHODS if hasattr(model, m))


def threshold_decisions(model: Any, labels: tuple[Any, Any], criterion: str, fit: tuple, evaluate: tuple,
                        random_state: int) -> tuple[np.ndarray, str]:
    """Fit ``ThresholdOptimizer`` on the fitting rows; its decisions on the evaluation rows and the score method.

    Parameters
    ----------
    model : fitted estimator
        The audited model (``prefit=True``: it is not refitted).
    labels : tuple
        ``(negative, positive)`` labels of the audit's target.
    criterion : {"demographic_parity", "equalized_odds"}
    fit : tuple
        ``(X, y, sensitive)`` of the fitting rows: features as the model takes them, 0/1
        outcomes, group labels.
    evaluate : tuple
        ``(X, sensitive)`` of the evaluation rows.
    random_state : int
        For the randomized decisions of ``predict``.

    Raises
    ------
    NotFitted
        fairlearn refused the data (e.g. a group without positive outcomes for equalized odds).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from auditkit.examples import two_groups
    >>> X, y, groups = two_groups()  # 200 rows, one feature x, groups a and b
    >>> model = LogisticRegression().fit(X, y)
    >>> decisions, method = threshold_decisions(model, (0, 1), "demographic_parity", (X[:100], y[:100], groups[:100]),
    ...                                         (X[100:], groups[100:]), random_state=0)
    >>> decisions.shape, method
    ((100,), 'predict_proba')
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    method = score_method(model)
    optimizer = ThresholdOptimizer(estimator=PositiveClassModel(model, labels), constraints=criterion, prefit=True,
                                   predict_method=method)
    X_fit, y_fit, s_fit = fit
    X_eval, s_eval = evaluate
    try:
        optimizer.fit(X_fit, y_fit, sensitive_features=s_fit)
        decisions = optimizer.predict(X_eval, sensitive_features=s_eval, random_state=random_state)
    except ValueError as exc:  # fairlearn's checks of the data
        raise NotFitted(f"fairlearn could not fit it: {' '.join(str(exc).split())}") from exc
    return np.asarray(decisions, dtype=np.int8), method


def refittable(model: Any) -> tuple[Any, str]:
    """An unfitted copy of ``model``'s estimator and the name its ``fit`` takes sample weights by.

    Raises
    ------
    NotFitted
        The model cannot be cloned, or its final estimator takes no sample weights (the
        reductions reweight the rows at every round).

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> refittable(make_pipeline(StandardScaler(), LogisticRegression()))[1]
    'logisticregression__sample_weight'
    >>> refittable(KNeighborsClassifier())
    Traceback (most recent call last):
    ...
    auditkit.mitigation.fitting.NotFitted: its estimator (KNeighborsClassifier) cannot be trained with sample \
weights, which ExponentiatedGradient needs
    """
    from sklearn.base import clone
    from sklearn.utils.validation import has_fit_parameter

    final = final_estimator(model)
    try:
        estimator = clone(model)
    except Exception as exc:  # noqa: BLE001 - any model scikit-learn cannot copy
        raise NotFitted(f"the model cannot be copied to train anew ({type(exc).__name__}: {exc})") from exc
    if not has_fit_parameter(final, "sample_weight"):
        raise NotFitted(f"its estimator ({type(final).__name__}) cannot be trained with sample weights, which "
                        "ExponentiatedGradient needs")
    steps = getattr(model, "steps", None)
    name = "sample_weight" if final is model or not steps else f"{steps[-1][0]}__sample_weight"
    return estimator, name


def reduction_decisions(model: Any, criterion: str, train: tuple, X_eval: pd.DataFrame, random_state: int,
                        max_iter: int) -> tuple[np.ndarray, int]:
    """Train ``ExponentiatedGradient`` on a copy of ``model``'s estimator; decisions on ``X_eval``.

    Parameters
    ----------
    model : estimator
        The model whose estimator is trained anew (the reference model, or a user's model).
    criterion : {"demographic_parity", "equalized_odds"}
    train : tuple
        ``(X, y, sensitive)`` of the training rows (0/1 outcomes).
    X_eval : DataFrame
        The evaluation rows (the sensitive feature is not needed to decide).
    random_state : int
        For the randomized decisions of ``predict``.
    max_iter : int
        Rounds of the exponentiated gradient (each trains the estimator once).

    Returns
    -------
    decisions : ndarray of int8
    oracle_calls : int
        How many times the estimator was trained.

    Raises
    ------
    NotFitted
        See :func:`refittable`; or training raised (its error is the reason).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from auditkit.examples import two_groups
    >>> X, y, groups = two_groups()  # 200 rows, one feature x, groups a and b
    >>> decisions, calls = reduction_decisions(LogisticRegression(), "demographic_parity", (X, y, groups), X,
    ...                                        random_state=0, max_iter=5)
    >>> decisions.shape, calls > 0  # the estimator was trained that many times
    ((200,), True)
    """
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient

    estimator, weight_name = refittable(model)
    constraint = {"demographic_parity": DemographicParity, "equalized_odds": EqualizedOdds}[criterion]()
    reduction = ExponentiatedGradient(estimator, constraint, max_iter=max_iter, sample_weight_name=weight_name)
    X_train, y_train, s_train = train
    try:
        reduction.fit(X_train, y_train, sensitive_features=s_train)
    except Exception as exc:  # noqa: BLE001 - a user's estimator that fails on reweighted rows is a reason, not a crash
        raise NotFitted(f"training failed: {type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    decisions = np.asarray(reduction.predict(X_eval, random_state=random_state), dtype=np.int8)
    return decisions, int(reduction.n_oracle_calls_)


def refit_decisions(model: Any, train: tuple, X_eval: pd.DataFrame) -> np.ndarray:
    """The estimator of ``model`` trained on ``train`` without a constraint: its decisions on ``X_eval``.

    The point of comparison of the reductions for a user's model (trained on the same rows).

    Raises
    ------
    NotFitted
        See :func:`refittable`, or training raised.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> refit_decisions(LogisticRegression(), (X, np.array([0, 0, 1, 1]), None), X).tolist()
    [0, 0, 1, 1]
    """
    estimator, _ = refittable(model)
    X_train, y_train, _ = train
    try:
        estimator.fit(X_train, y_train)
    except Exception as exc:  # noqa: BLE001 - as for the reductions
        raise NotFitted(f"training failed: {type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    return np.asarray(estimator.predict(X_eval)).astype(np.int8)
