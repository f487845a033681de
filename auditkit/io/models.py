"""Safe model loading, the reference model, and what a model is (its predictions: :mod:`auditkit.io.model_outputs`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.io.inputs import final_estimator
from auditkit.io.model_params import changed_hyperparameters, hyperparameters


def load_model(path: str | Path, *, trust: bool = False, trust_types: Sequence[str] = ()) -> Any:
    """Load a model file safely: skops, XGBoost, LightGBM or ONNX; pickle/joblib only with ``trust``.

    Parameters
    ----------
    path : str or Path
        A model file; its format is told by its suffix (:data:`auditkit.io.model_formats.FORMATS`).
    trust : bool, default False
        skops: load even types skops does not trust by default. Pickle/joblib: load the file at
        all (unpickling runs arbitrary code). Only for files whose source you trust.
    trust_types : sequence of str
        skops: types trusted by name, e.g. ``["sklearn.tree._tree.Tree"]`` (see
        :mod:`auditkit.io.skops_files`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import skops.io as sio
    >>> from sklearn.linear_model import LogisticRegression
    >>> path = Path(tempfile.mkdtemp()) / "model.skops"
    >>> sio.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), path)
    >>> type(load_model(path)).__name__
    'LogisticRegression'
    >>> load_model(path.with_name("missing.skops"))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model file not found: .../missing.skops
    """
    from auditkit.io.model_formats import load_model_file

    return load_model_file(path, trust=trust, trust_types=trust_types)


def model_origin(model: Any, *, source: str | None = None, licence: str | None = None,
                 version: str | None = None) -> dict[str, Any]:
    """Where the audited model comes from, as ``provenance.model`` records it: format, source, licence, version.

    ``format`` is the file's format (:func:`auditkit.io.model_formats.model_format`), ``"in memory"``
    for a model object, or ``"reference"`` for the model the audit trains; the others are as given.

    Examples
    --------
    >>> model_origin("models/forest.skops", source="https://example.org/forest", licence="MIT")
    {'format': 'skops', 'source': 'https://example.org/forest', 'licence': 'MIT', 'version': None}
    >>> model_origin(None)["format"]
    'reference'
    """
    from auditkit.io.model_formats import model_format

    kind = "reference" if model is None else model_format(model) if isinstance(model, str | Path) else "in memory"
    return {"format": kind, "source": source, "licence": licence, "version": version}


def make_reference_model(X: pd.DataFrame, seed: int, task: str = "binary") -> Any:
    """An untrained reference model: ordinal-coded categoricals + histogram gradient boosting.

    Each categorical column becomes one column of category codes (missing values and categories
    unseen in training stay missing, which the booster routes natively); numeric columns pass
    through. One column per original column keeps the fit fast (Adult: 12 columns instead of 100
    one-hot dummies; held-out ROC AUC 0.927, one-hot 0.928) and TreeSHAP exact: the codes are
    split on as numbers, not as scikit-learn's native categorical splits, which shap's TreeExplainer
    does not read. The final estimator is a classifier, or a regressor when ``task`` is ``"regression"``.

    Examples
    --------
    >>> import pandas as pd
    >>> model = make_reference_model(pd.DataFrame({"age": [30, 40], "sex": ["f", "m"]}), seed=0)
    >>> [name for name, _ in model.steps]
    ['preprocess', 'classifier']
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
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
    """Make categorical columns plain ``object`` with NaN for missing (what the reference model's encoder expects).

    Only for the reference model: a user's model gets the columns as they are in the data
    (a model trained on pandas ``category`` columns needs them as ``category``).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"sex": pd.Categorical(["f", None]), "age": [30, 40]})
    >>> prepare_features(frame)["sex"].tolist(), str(prepare_features(frame)["sex"].dtype)
    (['f', nan], 'object')
    """
    out = X.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), np.nan)
    return out


def describe_model(model: Any) -> dict[str, Any]:
    """Class, final estimator and hyper-parameters of a model, JSON-safe and deterministic.

    ``params``: the final estimator's ``get_params(deep=False)`` as
    :func:`~auditkit.io.model_params.hyperparameters` records them; ``params_changed``: the names of
    those set to other than their default.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> described = describe_model(LogisticRegression(C=0.5))
    >>> described["final_estimator"], described["params"]["C"], described["params_changed"]
    ('LogisticRegression', 0.5, ['C'])
    """
    final = final_estimator(model)
    return {
        "class": f"{type(model).__module__}.{type(model).__name__}",
        "final_estimator": type(final).__name__,
        "params": hyperparameters(final),
        "params_changed": changed_hyperparameters(final),
    }
