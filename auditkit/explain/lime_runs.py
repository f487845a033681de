"""LIME explanations on the original columns, repeated with seeds to measure their stability.

Categorical columns are coded with :class:`~auditkit.explain.codec.TabularCodec` and passed to
``LimeTabularExplainer`` with their category names, so every explanation names original
columns and values (``sex=Female``, ``age > 47.00``). The model is called on decoded
DataFrames, i.e. exactly as it is called in the audit. Repeat ``r`` of every instance uses
the seed ``seeds[r]``, so an instance's explanation does not depend on which other
instances are explained or in what order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.explain.codec import TabularCodec
from auditkit.io.labels import class_position
from auditkit.progress import progress_bar


@dataclass(frozen=True)
class LimeRuns:
    """LIME weights of some instances, repeated with several seeds.

    Attributes
    ----------
    features : list of str
        Original columns, in the order of the last axis of ``weights``.
    weights : ndarray of shape (n_instances, n_repeats, n_features)
        Local linear weights per original feature.
    local_r2 : ndarray of shape (n_instances, n_repeats)
        R² of LIME's local surrogate on its weighted neighbourhood.
    conditions : list of list of (str, float)
        For each instance, the first repeat's explanation as readable conditions
        (``"sex=Female"``, ``"age <= 28.00"``) with their weights, largest first.
    output_space : str
        What the weights explain (``"probability"`` of the positive class, or ``"prediction"``).
    imputed_numeric : int
        Numeric missing values replaced by the column median (LIME cannot sample around NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"income": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], "debt": [5.0, 1.0, 4.0, 2.0, 3.0, 0.0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    >>> runs = explain_with_lime(model, X.iloc[:2], X, seeds=[1, 2], num_samples=200)
    >>> runs.weights.shape, runs.local_r2.shape, runs.output_space
    ((2, 2, 2), (2, 2), 'probability')
    """

    features: list[str]
    weights: np.ndarray
    local_r2: np.ndarray
    conditions: list[list[tuple[str, float]]]
    output_space: str
    imputed_numeric: int


def explain_with_lime(model: Any, rows: pd.DataFrame, training: pd.DataFrame, seeds: list[int], *,
                      positive_label: Any = None, num_samples: int = 5000,
                      discretize_continuous: bool = True) -> LimeRuns:
    """Explain each row of ``rows`` once per seed.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Called on DataFrames with the original columns.
    rows : DataFrame
        The instances to explain (original columns).
    training : DataFrame
        Rows LIME takes feature distributions from (category frequencies, quartiles).
    seeds : list of int
        One seed per repeat.
    positive_label : optional
        Class whose probability is explained, matched to the model's classes as the same text or
        the same number; default the last class. A label that is none of the classes raises
        :class:`~auditkit.exceptions.InputError`.
    num_samples : int, default 5000
        Perturbed samples per explanation.
    discretize_continuous : bool, default True
        Explain numeric columns through their quartile bins (LIME's default).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"income": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], "debt": [5.0, 1.0, 4.0, 2.0, 3.0, 0.0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    >>> runs = explain_with_lime(model, X.iloc[[0]], X, seeds=[1], num_samples=500)
    >>> runs.features, [name for name, weight in runs.conditions[0]][0]
    (['income', 'debt'], 'income <= 22.50')
    """
    from lime.lime_tabular import LimeTabularExplainer
    from threadpoolctl import threadpool_limits

    codec = TabularCodec.fit(training, rows)
    train_codes, medians, _ = _impute(codec, codec.encode(training), None)
    row_codes, _, imputed = _impute(codec, codec.encode(rows), medians)
    mode, predict, label, space = _lime_output(model, codec, positive_label)
    explainer = LimeTabularExplainer(
        train_codes, mode=mode, feature_names=codec.columns,
        categorical_features=codec.categorical_positions, categorical_names=codec.category_names(),
        discretize_continuous=discretize_continuous, random_state=0,
    )
    n_features = len(codec.columns)
    weights = np.zeros((len(rows), len(seeds), n_features))
    local_r2 = np.zeros((len(rows), len(seeds)))
    conditions: list[list[tuple[str, float]]] = []
    # Many small model calls: one thread each is faster, and robust on a busy machine.
    with threadpool_limits(limits=1, user_api="openmp"), \
            progress_bar(len(row_codes) * len(seeds), "LIME", "explanation") as bar:
        for i, row in enumerate(row_codes):
            for r, seed in enumerate(seeds):
                _reseed(explainer, seed)
                exp = explainer.explain_instance(row, predict, labels=(label,), num_features=n_features,
                                                 num_samples=num_samples)
                for j, w in exp.local_exp[label]:
                    weights[i, r, j] = w
                local_r2[i, r] = exp.score
                if r == 0:
                    conditions.append([(str(c), float(w)) for c, w in exp.as_list(label=label)])
                bar.update()
    return LimeRuns(codec.columns, weights, local_r2, conditions, space, imputed)


def _reseed(explainer: Any, seed: int) -> None:
    """Give the explainer, its sampler and its discretizer one fresh generator."""
    state = np.random.RandomState(seed % 2**32)
    explainer.random_state = state
    explainer.base.random_state = state
    if explainer.discretizer is not None:
        explainer.discretizer.random_state = state


def _impute(codec: TabularCodec, codes: np.ndarray, medians: np.ndarray | None):
    """Replace NaN in numeric columns by the training median; return codes, medians, count."""
    codes = codes.copy()
    if medians is None:
        with np.errstate(all="ignore"):
            medians = np.array([np.nanmedian(codes[:, j]) if np.isfinite(codes[:, j]).any() else 0.0
                                for j in range(codes.shape[1])])
    missing = ~np.isfinite(codes)
    codes[missing] = np.broadcast_to(medians, codes.shape)[missing]
    return codes, medians, int(missing.sum())


def _lime_output(model: Any, codec: TabularCodec, positive_label: Any):
    """``(mode, predict_fn on codes, label explained, output space)`` for the model."""
    classes = list(getattr(model, "classes_", []))
    if classes and hasattr(model, "predict_proba"):
        # The positive label's class (no fallback to another class); the last class without one.
        label = len(classes) - 1 if positive_label is None else class_position(positive_label, classes)

        def predict_proba(codes: np.ndarray) -> np.ndarray:
            return np.asarray(model.predict_proba(codec.decode(codes)), dtype=float)

        return "classification", predict_proba, label, "probability"

    def predict(codes: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(codec.decode(codes)), dtype=float)

    # In regression mode LIME stores the weights under label 1.
    return "regression", predict, 1, "prediction"
