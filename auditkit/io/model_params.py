"""What ``audit.json`` records about a model's kind and settings: a short label and JSON-safe hyper-parameters.

The hyper-parameters are the final estimator's ``get_params(deep=False)``, recorded when the audit
runs so that a report can show them without the model: numbers, text, booleans and None as they are
(numpy scalars made plain), anything else (estimators, arrays, NaN) as its ``repr``, and every text
cut to :data:`MAX_PARAM_CHARS` characters, so the record stays small and always valid JSON.
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any

import numpy as np

MAX_PARAM_CHARS = 80  # a parameter's text (or repr) longer than this is cut, ending in "…"
_NO_DEFAULT = object()


def estimator_label(model_class: str, final_class: str | None) -> str:
    """A model's kind in words: ``"HistGradientBoostingClassifier in a Pipeline"``, or the class name alone.

    Parameters
    ----------
    model_class : str
        The class of the model as given (a dotted path or a bare name).
    final_class : str or None
        The class name of its final estimator (the last step of a Pipeline; the model itself otherwise).

    Examples
    --------
    >>> estimator_label("sklearn.pipeline.Pipeline", "HistGradientBoostingClassifier")
    'HistGradientBoostingClassifier in a Pipeline'
    >>> estimator_label("sklearn.linear_model._logistic.LogisticRegression", "LogisticRegression")
    'LogisticRegression'
    """
    outer = str(model_class).rsplit(".", 1)[-1]
    if not final_class or final_class == outer:
        return outer
    return f"{final_class} in a {outer}"


def hyperparameters(estimator: Any) -> dict[str, Any]:
    """The estimator's ``get_params(deep=False)``, sorted by name and JSON-safe (see the module docstring).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> params = hyperparameters(LogisticRegression(C=0.5, class_weight={0: 1, 1: 2}))
    >>> params["C"], params["class_weight"], params["solver"], params["random_state"]
    (0.5, '{0: 1, 1: 2}', 'lbfgs', None)
    """
    if not hasattr(estimator, "get_params"):
        return {}
    try:
        params = estimator.get_params(deep=False)
    except Exception:  # noqa: BLE001 - a model's own get_params may fail; the audit goes on without them
        return {}
    return {str(name): json_safe(value) for name, value in sorted(params.items(), key=lambda item: str(item[0]))}


def changed_hyperparameters(estimator: Any) -> list[str]:
    """Names of the hyper-parameters set to something other than the default of the estimator's constructor.

    A parameter the constructor does not declare (e.g. one taken by ``**kwargs``) counts as set
    when it is not None. Values are compared as :func:`hyperparameters` records them.

    Examples
    --------
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> changed_hyperparameters(HistGradientBoostingClassifier(max_iter=50, random_state=0))
    ['max_iter', 'random_state']
    """
    defaults = _constructor_defaults(type(estimator))
    changed = []
    for name, value in hyperparameters(estimator).items():
        default = defaults.get(name, _NO_DEFAULT)
        if (value is not None) if default is _NO_DEFAULT else value != json_safe(default):
            changed.append(name)
    return changed


def json_safe(value: Any) -> Any:
    """``value`` as ``audit.json`` records a setting: a plain scalar, or its (cut) ``repr``.

    Examples
    --------
    >>> import numpy as np
    >>> json_safe(np.int64(3)), json_safe(float("nan")), json_safe(True), json_safe("x" * 100)[-3:]
    (3, 'nan', True, 'xx…')
    """
    if value is None or isinstance(value, bool | np.bool_):
        return None if value is None else bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return float(value)
    return _cut(value if isinstance(value, str) else repr(value))


def _cut(text: str) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 1] + "…"


def _constructor_defaults(cls: type) -> dict[str, Any]:
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return {}
    return {name: p.default for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty}
