"""What SHAP values add up to, and the additivity check in that space.

TreeSHAP (shap's ``model_output="raw"``) and the linear explainer explain a model's *raw*
output: the sum of the trees' leaf values, or the linear predictor, before any link function.
What that is depends on the model: the log-odds of a boosted or logistic classifier, the
averaged probability of a random forest, the prediction of a squared-error regressor, and
the *log* of the prediction of a Poisson, gamma or Tweedie regressor (shap applies no link to
these). :func:`describe_output` names the space by comparing the raw output with what the model
reports (``predict`` or ``predict_proba``) on a few rows, so the name is checked, not assumed.

:func:`additivity` compares ``sum of SHAP values + base value`` with the raw output, in that
same space, within a tolerance relative to the output's scale and the model's float precision
(float32 models such as XGBoost accumulate rounding errors of about 1e-7 of the scale per tree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

# Name of the space for each link between the explained output and what the model reports.
_REGRESSION_SPACES = {"identity": "prediction", "log": "log of the prediction", "logit": "logit of the prediction"}
_INVERSE_LINKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda raw: raw,
    "log": np.exp,
    "logit": lambda raw: 1.0 / (1.0 + np.exp(-raw)),
}
ADDITIVITY_ATOL = 1e-12


@dataclass(frozen=True)
class OutputSpace:
    """The space a model's SHAP values are in.

    Attributes
    ----------
    space : str
        ``"probability"``, ``"log-odds"``, ``"prediction"``, ``"log of the prediction"``,
        ``"logit of the prediction"`` or ``"raw margin"`` (a margin whose relation to the
        model's probabilities or predictions is not a single-output link).
    link : str or None
        The explained output is ``link(model_output)``: ``"identity"``, ``"log"``, ``"logit"``,
        ``"softmax"`` (a class's margin before the softmax over all classes), or None when no
        link could be identified.
    model_output : str
        The model method the output is compared with: ``"predict_proba"``, ``"predict"`` or
        ``"decision_function"``.
    precision : str
        The coarsest float type the model or the explainer computes in (``"float32"``, ``"float64"``).

    Examples
    --------
    >>> space = OutputSpace("log-odds", "logit", "predict_proba")
    >>> space.to_dict("1")["space"], space.rtol
    ('log-odds', 1e-09)
    """

    space: str
    link: str | None
    model_output: str
    precision: str = "float64"

    @property
    def rtol(self) -> float:
        """Default additivity tolerance relative to the output scale: 1,000 units in the last place, at least 1e-9."""
        return max(1e-9, 1000 * float(np.finfo(self.precision).eps))

    def statement(self, explained_class: str | None = None) -> str:
        """One sentence for readers: what a row's SHAP values and the base value add up to.

        Examples
        --------
        >>> print(OutputSpace("log of the prediction", "log", "predict").statement())
        A row's SHAP values plus the base value add up to the log of the model's prediction (its raw output, \
with a log link). The prediction is exp of that sum, so features act multiplicatively, and a gap g between \
two groups' mean outputs is a ratio exp(g) between their geometric mean predictions.
        """
        of_class = f" of class {explained_class}" if explained_class is not None else ""
        what, then = {
            ("probability", "identity"): (f"the model's predicted probability{of_class} (predict_proba)",
                                          "Attributions and gaps are in probability points."),
            ("log-odds", "logit"): (f"the log-odds{of_class}: the logit of predict_proba",
                                    "The probability is the logistic function of that sum, so a feature's "
                                    "effect on the probability also depends on the other features."),
            ("raw margin", "softmax"): (f"the raw margin{of_class}",
                                        "The probabilities are the softmax of the margins of all classes."),
            ("raw margin", "identity"): ("the model's decision function, a raw margin",
                                         "The model gives no probabilities."),
            ("prediction", "identity"): ("the model's prediction (predict)", "Attributions and gaps are in the "
                                         "target's units."),
            ("log of the prediction", "log"): (
                "the log of the model's prediction (its raw output, with a log link)",
                "The prediction is exp of that sum, so features act multiplicatively, and a gap g between two "
                "groups' mean outputs is a ratio exp(g) between their geometric mean predictions."),
            ("logit of the prediction", "logit"): (
                "the logit of the model's prediction (its raw output, with a logistic link)",
                "The prediction is the logistic function of that sum."),
        }.get((self.space, self.link), (
            f"the model's raw output{of_class}, before a link function auditkit could not identify",
            f"It is not the value {self.model_output} returns; read attributions and gaps on that raw scale."))
        return f"A row's SHAP values plus the base value add up to {what}. {then}"

    def to_dict(self, explained_class: str | None = None) -> dict[str, Any]:
        return {**asdict(self), "statement": self.statement(explained_class)}


def coarsest_precision(*arrays: Any) -> str:
    """The least precise float type among ``arrays`` (``"float64"`` when none is a float array).

    Examples
    --------
    >>> import numpy as np
    >>> coarsest_precision(np.zeros(2), np.zeros(2, dtype=np.float32)), coarsest_precision(np.arange(3))
    ('float32', 'float64')
    """
    floats = [np.asarray(a).dtype for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating)]
    if not floats:
        return "float64"
    return str(max(floats, key=lambda d: float(np.finfo(d).eps)))


def describe_output(estimator: Any, raw: np.ndarray, inputs: Any, pos: int | None,
                    precision: str = "float64") -> OutputSpace:
    """Name the space of ``raw``, the estimator's raw output on ``inputs`` (all classes, as the model returns it).

    The raw output is compared with ``predict_proba`` (classifiers) or ``predict`` (regressors)
    on the same rows; the first link that maps one onto the other, within the precision's
    tolerance, names the space.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> describe_output(model, model.decision_function(X), X, pos=1)
    OutputSpace(space='log-odds', link='logit', model_output='predict_proba', precision='float64')
    """
    raw = np.asarray(raw, dtype=float)
    rtol = OutputSpace("", None, "", precision).rtol
    if pos is None:
        reported = np.asarray(estimator.predict(inputs), dtype=float).ravel()
        link = _identify_link(raw.ravel(), reported, rtol)
        return OutputSpace(_REGRESSION_SPACES.get(link, "raw margin"), link, "predict", precision)
    if not hasattr(estimator, "predict_proba"):
        return OutputSpace("raw margin", "identity", "decision_function", precision)
    proba = np.asarray(estimator.predict_proba(inputs), dtype=float)
    if raw.ndim == 2 and raw.shape[1] == proba.shape[1]:
        if _close(raw, proba, rtol):
            return OutputSpace("probability", "identity", "predict_proba", precision)
        if proba.shape[1] > 2 and _close(_softmax(raw), proba, rtol):
            return OutputSpace("raw margin", "softmax", "predict_proba", precision)
        raw = raw[:, pos]
    elif pos == 0 and proba.shape[1] == 2:
        raw = -raw.ravel()  # a binary margin is for classes_[1]
    link = _identify_link(raw.ravel(), proba[:, pos], rtol, ("identity", "logit"))
    space = {"identity": "probability", "logit": "log-odds"}.get(link, "raw margin")
    return OutputSpace(space, link, "predict_proba", precision)


def _identify_link(raw: np.ndarray, reported: np.ndarray, rtol: float,
                   links: tuple[str, ...] = ("identity", "log", "logit")) -> str | None:
    with np.errstate(over="ignore", invalid="ignore"):
        for link in links:
            if _close(_INVERSE_LINKS[link](raw), reported, rtol):
                return link
    return None


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    scale = float(np.max(np.abs(b), initial=0.0))
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and bool(
        np.allclose(a, b, rtol=rtol, atol=rtol * scale + ADDITIVITY_ATOL))


def _softmax(raw: np.ndarray) -> np.ndarray:
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def additivity(values: np.ndarray, base_value: float, output: np.ndarray, precision: str,
               rtol: float | None = None) -> dict[str, Any]:
    """Check ``sum of SHAP values + base value == output`` row by row, relative to the output's scale.

    The scale is the largest magnitude summed on either side: ``max(|output|)`` or
    ``|base| + sum |SHAP values|`` of a row, whichever is larger. A row passes when its error is
    at most ``atol + rtol * scale``; ``rtol`` defaults to :attr:`OutputSpace.rtol` for the
    model's precision (1.2e-4 for float32, 1e-9 for float64).

    Returns
    -------
    dict
        ``holds``, ``max_abs_error``, ``mean_abs_error``, ``max_rel_error`` (max error / scale),
        ``scale``, ``rtol``, ``atol``, ``tolerance`` (the absolute tolerance used) and ``precision``.

    Examples
    --------
    >>> import numpy as np
    >>> check = additivity(np.array([[1.0, 2.0]]), 0.5, np.array([3.5 + 1e-6]), "float32")
    >>> check["holds"], check["rtol"] > 1e-4, f"{check['max_rel_error']:.2g}"
    (True, True, '2.9e-07')
    >>> additivity(np.array([[1.0, 2.0]]), 0.5, np.array([3.5 + 1e-6]), "float64")["holds"]
    False
    """
    values = np.asarray(values, dtype=float)
    output = np.asarray(output, dtype=float)
    rtol = OutputSpace("", None, "", precision).rtol if rtol is None else float(rtol)
    errors = np.abs(values.sum(axis=1) + base_value - output)
    terms = abs(base_value) + np.abs(values).sum(axis=1)
    scale = float(max(np.max(np.abs(output), initial=0.0), np.max(terms, initial=0.0)))
    tolerance = ADDITIVITY_ATOL + rtol * scale
    max_error = float(errors.max()) if len(errors) else 0.0
    return {
        "holds": bool(np.all(errors <= tolerance)),  # NaN errors fail
        "max_abs_error": max_error,
        "mean_abs_error": float(errors.mean()) if len(errors) else 0.0,
        "max_rel_error": max_error / scale if scale > 0 else max_error,
        "scale": scale,
        "rtol": rtol,
        "atol": ADDITIVITY_ATOL,
        "tolerance": tolerance,
        "precision": precision,
    }
