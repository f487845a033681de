"""What a user may pass as ``data=`` and ``model=``, their default names, and a model's fingerprint.

``data`` is a DataFrame, a file path, a bundled dataset name or an
:class:`auditkit.datasets.Dataset`; ``model`` is a skops file path or a fitted estimator
held in memory (anything with ``predict``). This module tells them apart without loading
anything, names them for reports, and hashes an in-memory model for provenance.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.datasets import dataset_names
from auditkit.exceptions import ModelPredictionError
from auditkit.io.model_params import estimator_label
from auditkit.params import DataFrameForm

DATA_FORMS = (f"a DataFrame, a file path, a bundled dataset name ({', '.join(dataset_names())}) "
              "or an auditkit.datasets.Dataset")
MODEL_FORMS = ("a model file path (.skops, XGBoost .json/.ubj, LightGBM .txt, .onnx) or a fitted estimator "
               "(an object with a predict method)")

# How ``provenance.model_sha256`` was computed (``provenance.model_sha256_method``).
HASH_FILE = "file bytes"
HASH_SKOPS = "skops content"
HASH_PARAMS = "class and get_params"


def is_dataframe(value: Any) -> bool:
    """True for a pandas DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> is_dataframe(pd.DataFrame({"x": [1, 2]})), is_dataframe(pd.Series([1, 2])), is_dataframe("loans.csv")
    (True, False, False)
    """
    return DataFrameForm().accepts(value)


def is_dataset(value: Any) -> bool:
    """True for an :class:`auditkit.datasets.Dataset`.

    Examples
    --------
    >>> from auditkit import datasets
    >>> german = datasets.load("german")
    >>> is_dataset(german), is_dataset(german.frame), is_dataset("german")
    (True, False, False)
    """
    return DatasetForm().accepts(value)


def is_estimator(value: Any) -> bool:
    """True for a model held in memory: an object (not a class) with a callable ``predict``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> is_estimator(LogisticRegression()), is_estimator(LogisticRegression), is_estimator("model.skops")
    (True, False, False)
    """
    return EstimatorForm().accepts(value)


def looks_like_path(text: str) -> bool:
    """True when ``text`` names a file (it exists, has a suffix or a folder) rather than a bundled dataset.

    Examples
    --------
    >>> looks_like_path("loans.csv"), looks_like_path("data/loans"), looks_like_path("german")
    (True, True, False)
    """
    path = Path(text)
    try:
        exists = path.exists()
    except OSError:  # e.g. a name too long for the file system: not an existing file
        exists = False
    return exists or bool(path.suffix) or "/" in text or "\\" in text


def default_data_name(data: Any) -> str:
    """How reports name ``data`` when ``data_name`` is not given.

    A bundled dataset's name, a file's name, a Dataset's ``name``, or ``"DataFrame"``.

    Examples
    --------
    >>> default_data_name("german"), default_data_name("audits/loans.csv")
    ('german', 'loans.csv')
    """
    if is_dataset(data):
        return str(data.name)
    if is_dataframe(data):
        return "DataFrame"
    text = os.fspath(data) if isinstance(data, os.PathLike) else str(data)
    return Path(text).name if looks_like_path(text) else text


def default_model_name(model: Any) -> str:
    """How reports name ``model`` when ``model_name`` is not given: a file's stem, else its kind in words.

    The kind is the final estimator's class, "in a Pipeline" when it is the last step of one
    (:func:`~auditkit.io.model_params.estimator_label`).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> default_model_name(make_pipeline(StandardScaler(), LogisticRegression()))
    'LogisticRegression in a Pipeline'
    >>> default_model_name(LogisticRegression()), default_model_name("models/credit-v2.skops")
    ('LogisticRegression', 'credit-v2')
    """
    if isinstance(model, str | os.PathLike):
        return Path(model).stem
    return estimator_label(type(model).__name__, type(final_estimator(model)).__name__)


def final_estimator(model: Any) -> Any:
    """The last step of a Pipeline (``model.steps``), else the model itself.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> final_estimator(make_pipeline(StandardScaler(), LogisticRegression(C=0.5)))
    LogisticRegression(C=0.5)
    >>> final_estimator(LogisticRegression())
    LogisticRegression()
    """
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple) and len(steps[-1]) == 2:
        return steps[-1][1]
    return model


def class_path(model: Any) -> str:
    """``"module.ClassName"`` of ``model``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> class_path(LogisticRegression())
    'sklearn.linear_model._logistic.LogisticRegression'
    """
    return f"{type(model).__module__}.{type(model).__qualname__}"


def require_fitted(model: Any) -> None:
    """Refuse a scikit-learn-style estimator that is not fitted, before it is called.

    Only estimators that can tell (scikit-learn estimators, and objects that define
    ``__sklearn_is_fitted__`` such as LightGBM's and XGBoost's) are judged here: for other
    objects, a prediction that fails says so.

    Raises
    ------
    ModelPredictionError
        The estimator has not been fitted.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> require_fitted(LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]))
    >>> require_fitted(LogisticRegression())
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelPredictionError: model is a LogisticRegression that is not fitted; fit it before the \
audit (e.g. model.fit(X, y)) or pass a fitted estimator
    """
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not (isinstance(model, BaseEstimator) or hasattr(model, "__sklearn_is_fitted__")):
        return
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ModelPredictionError(
            f"model is a {type(model).__name__} that is not fitted; fit it before the audit "
            "(e.g. model.fit(X, y)) or pass a fitted estimator"
        ) from None
    except Exception:  # noqa: BLE001 - an estimator that cannot tell: its prediction will
        return


def model_fingerprint(model: Any) -> tuple[str, str]:
    """``(sha256, method)`` identifying an in-memory model across runs and processes.

    Where skops can serialise the model, the hash covers the content of
    ``skops.io.dumps(model)`` with what varies between runs taken out (the zip's timestamps,
    and object ids used as member names and ``__id__`` values, which are renumbered in order
    of appearance): method ``"skops content"``. Otherwise the hash covers the model's class
    and ``get_params()`` (not its fitted state): method ``"class and get_params"``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> digest, method = model_fingerprint(model)
    >>> len(digest), method
    (64, 'skops content')
    """
    try:
        import skops.io as sio

        return _skops_content_sha256(sio.dumps(model)), HASH_SKOPS
    except Exception:  # noqa: BLE001 - skops cannot serialise every object; fall back to its settings
        return _params_sha256(model), HASH_PARAMS


def _skops_content_sha256(dumped: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(dumped)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members.pop("schema.json"))
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in members.items()}
    ids: dict[Any, int] = {}

    def canonical(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ids.setdefault(value, len(ids)) if key == "__id__" else canonical(value)
                    for key, value in node.items()}
        if isinstance(node, list):
            return [canonical(value) for value in node]
        if isinstance(node, str) and node in digests:
            return f"sha256:{digests[node]}"
        return node

    text = json.dumps(canonical(schema), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _params_sha256(model: Any) -> str:
    try:
        params = model.get_params(deep=True)
    except Exception:  # noqa: BLE001 - no get_params: the class alone
        params = {}
    shown = {str(key): repr(value) for key, value in sorted(params.items(), key=lambda item: str(item[0]))}
    text = json.dumps({"class": class_path(model), "params": shown}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class DatasetForm:
    """An :class:`auditkit.datasets.Dataset` (checked by name: the datasets are not imported for this).

    Examples
    --------
    >>> from auditkit import datasets
    >>> form = DatasetForm()
    >>> form.accepts(datasets.load("german")), form.accepts("german"), form.description
    (True, False, 'an auditkit.datasets.Dataset')
    """

    description: str = "an auditkit.datasets.Dataset"

    def accepts(self, value: Any) -> bool:
        return any(cls.__name__ == "Dataset" and cls.__module__.startswith("auditkit.datasets")
                   for cls in type(value).__mro__)


@dataclass(frozen=True)
class EstimatorForm:
    """An object with a callable ``predict`` (a fitted estimator; a class is not one).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> form = EstimatorForm()
    >>> form.accepts(DecisionTreeClassifier()), form.accepts(DecisionTreeClassifier), form.accepts(42)
    (True, False, False)
    >>> form.description
    'a fitted estimator (an object with a predict method)'
    """

    description: str = "a fitted estimator (an object with a predict method)"

    def accepts(self, value: Any) -> bool:
        try:
            return not isinstance(value, type) and callable(getattr(value, "predict", None))
        except Exception:  # noqa: BLE001 - an attribute that fails to resolve means "no predict"
            return False


def shown_data(data: Any, name: str | None) -> Any:
    """``data`` as ``audit.json`` records it (``dataset.spec.data``): a path or name as given, in-memory data by name.

    Examples
    --------
    >>> import pandas as pd
    >>> shown_data(pd.DataFrame({"y": [0, 1]}), "loans 2024"), shown_data("german", None)
    ('loans 2024', 'german')
    """
    if is_dataframe(data) or is_dataset(data):
        return name or default_data_name(data)
    return os.fspath(data) if isinstance(data, os.PathLike) else data


def shown_model(model: Any, name: str | None) -> Any:
    """``model`` as ``audit.json`` records it: a path as given, a model object by name or class.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> shown_model(LogisticRegression(), None), shown_model("models/forest.skops", "forest")
    ('sklearn.linear_model._logistic.LogisticRegression', 'models/forest.skops')
    """
    if model is None or isinstance(model, str):
        return model
    return name or class_path(model)
