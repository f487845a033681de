"""LIME explanations on the original columns, repeated with seeds to measure their stability.

Categorical columns are coded with :class:`~auditkit.explain.codec.TabularCodec` and passed to
``LimeTabularExplainer`` with their category names, so every explanation names original
columns and values (``sex=Female``, ``age > 47.00``). The model is called on decoded
DataFrames, i.e. exactly as it is called in the audit. Repeat ``r`` of every instance uses
the seed ``seeds[r]``, so an instance's explanation does not depend on which other
instances are explained or in what order.

The model is called once for many explanations, not once per explanation: LIME is first run
up to the point where it calls the model, to collect its perturbed samples (its draws depend only
on the seed); the samples of up to :data:`BATCH_ROWS` rows are predicted in one call; then each
explanation is run again and given its samples' predictions (checked to be for the very same
samples). The second run does not draw again: it is handed the samples drawn by the first, and the
seeded generator in the state the drawing left it (:class:`_Draws`), which is what drawing again
would give, without its cost (sampling and undoing the discretization: a third of LIME's time on
Adult). The weights are those of one call per explanation; a model's fixed cost per call (a Pipeline
checks and converts every column) is paid a few times, not a hundred.

Each explanation's local surrogate is LIME's own, a ridge regression (``alpha=1``) on all the features
weighted by LIME's kernel, fitted by :class:`LocalRidge` (closed form, NumPy) instead of scikit-learn's
``Ridge``, whose input checks cost more than the fit on a thousand samples (about 60% of LIME's time
outside the model on Adult); the same weights and R² to rounding, tested against ``Ridge``. LIME's
feature selection is ``"none"``: every explanation keeps all the features, which is what its default
selects when asked for as many features as there are (its selection fit is skipped, not its result).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.explain.codec import TabularCodec
from auditkit.io.labels import class_position
from auditkit.progress import progress_bar
from auditkit.threads import compute_threads, one_blas_thread


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
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model()  # 6 applicants by income and debt, a logistic regression
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
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model()  # 6 applicants by income and debt, a logistic regression
    >>> runs = explain_with_lime(model, X.iloc[[0]], X, seeds=[1], num_samples=500)
    >>> runs.features, [name for name, weight in runs.conditions[0]][0]
    (['income', 'debt'], 'income <= 22.50')
    """
    from lime.lime_tabular import LimeTabularExplainer

    codec = TabularCodec.fit(training, rows)
    train_codes, medians, _ = _impute(codec, codec.encode(training), None)
    output = lime_output(model, codec, positive_label)
    explainer = LimeTabularExplainer(train_codes, **lime_settings(codec, output[0], discretize_continuous))
    return explain_rows(explainer, codec, medians, output, rows, seeds, num_samples)


def lime_settings(codec: TabularCodec, mode: str, discretize_continuous: bool) -> dict[str, Any]:
    """The settings of the ``LimeTabularExplainer`` of rows coded by ``codec`` (all but the training data).

    Examples
    --------
    >>> codec = TabularCodec.fit(pd.DataFrame({"sex": ["F", "M"], "age": [30, 40]}))
    >>> settings = lime_settings(codec, "classification", True)
    >>> settings["categorical_features"], settings["feature_selection"]
    ([0], 'none')
    """
    return {"mode": mode, "feature_names": codec.columns, "categorical_features": codec.categorical_positions,
            "categorical_names": codec.category_names(), "discretize_continuous": discretize_continuous,
            "random_state": 0, "feature_selection": "none"}


def explain_rows(explainer: Any, codec: TabularCodec, medians: np.ndarray, output: tuple, rows: pd.DataFrame,
                 seeds: list[int], num_samples: int) -> LimeRuns:
    """Explain each row of ``rows`` once per seed with a prepared ``explainer`` (see :func:`explain_with_lime`).

    ``medians`` replace the rows' missing numbers (the training data's, per column), ``output`` is
    :func:`lime_output`'s for the model.

    Examples
    --------
    >>> from lime.lime_tabular import LimeTabularExplainer
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model()
    >>> codec = TabularCodec.fit(X)
    >>> output = lime_output(model, codec, None)
    >>> explainer = LimeTabularExplainer(codec.encode(X), **lime_settings(codec, output[0], True))
    >>> runs = explain_rows(explainer, codec, np.zeros(2), output, X.iloc[[0]], [1], 500)
    >>> np.allclose(runs.weights, explain_with_lime(model, X.iloc[[0]], X, [1], num_samples=500).weights)
    True
    """
    row_codes, _, imputed = _impute(codec, codec.encode(rows), medians)
    _, predict, label, space = output
    n_features = len(codec.columns)
    weights = np.zeros((len(rows), len(seeds), n_features))
    local_r2 = np.zeros((len(rows), len(seeds)))
    conditions: list[list[tuple[str, float]]] = []
    runs = [(i, r) for i in range(len(row_codes)) for r in range(len(seeds))]
    per_batch = max(1, BATCH_ROWS // num_samples)

    draws = _Draws(explainer)

    def explain(i: int, r: int, predict_fn) -> Any:
        _reseed(explainer, seeds[r])
        return explainer.explain_instance(row_codes[i], predict_fn, labels=(label,), num_features=n_features,
                                          num_samples=num_samples, model_regressor=LocalRidge())

    with compute_threads(), one_blas_thread(), progress_bar(len(runs), "LIME", "explanation") as bar:
        for start in range(0, len(runs), per_batch):
            batch = runs[start:start + per_batch]
            with draws.recording():
                samples = [_drawn_samples(lambda fn, i=i, r=r: explain(i, r, fn)) for i, r in batch]
            outputs = _split(predict(np.concatenate(samples)), [len(codes) for codes in samples])
            for (i, r), codes, output_ in zip(batch, samples, outputs, strict=True):
                with draws.replaying():
                    exp = explain(i, r, _replay(codes, output_, predict))
                for j, w in exp.local_exp[label]:
                    weights[i, r, j] = w
                local_r2[i, r] = exp.score
                if r == 0:
                    conditions.append([(str(c), float(w)) for c, w in exp.as_list(label=label)])
                bar.update()
    return LimeRuns(codec.columns, weights, local_r2, conditions, space, imputed)


class LocalRidge:
    """LIME's local surrogate: ridge regression with an intercept, weighted samples, in closed form.

    What LIME does with scikit-learn's ``Ridge(alpha=1)`` (``fit`` with ``sample_weight``, ``score``,
    ``predict``, ``coef_``, ``intercept_``), solved directly: the weighted means are taken out, then
    ``(Xc' W Xc + alpha I) coef = Xc' W yc``. :func:`explain_with_lime` fits it on one BLAS thread
    (:func:`~auditkit.threads.one_blas_thread`), so that the weights do not depend on the thread count.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0]])
    >>> y = np.array([1.0, 2.0, 3.5, 4.0])
    >>> ridge = LocalRidge(alpha=0.0).fit(X, y, sample_weight=np.ones(4))  # as Ridge(alpha=0.0)
    >>> np.round(ridge.coef_, 6).tolist(), round(ridge.intercept_, 6), round(ridge.score(X, y, np.ones(4)), 4)
    ([1.141304, -0.130435], 1.076087, 0.9761)
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> LocalRidge:
        weights = np.asarray(sample_weight, dtype=float)
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        x_mean = weights @ X / weights.sum()
        y_mean = float(weights @ y / weights.sum())
        centred = X - x_mean
        weighted = centred * weights[:, None]
        gram = weighted.T @ centred + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, weighted.T @ (y - y_mean))
        self.intercept_ = y_mean - float(x_mean @ self.coef_)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_

    def score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
        """Weighted R² of the fit (scikit-learn's ``r2_score`` with ``sample_weight``)."""
        weights, y = np.asarray(sample_weight, dtype=float), np.asarray(y, dtype=float)
        residual = weights @ (y - self.predict(X)) ** 2
        total = weights @ (y - weights @ y / weights.sum()) ** 2
        if total == 0:
            return 1.0 if residual == 0 else 0.0
        return float(1.0 - residual / total)


BATCH_ROWS = 200_000
"""Most perturbed rows predicted in one call of the model (their codes and decoded frame are held at once)."""


class _Draws:
    """LIME's perturbed samples of each explanation, recorded when drawn and handed back on its second run.

    LIME draws inside its private ``__data_inverse`` (``_LimeTabularExplainer__data_inverse``): while
    :meth:`recording`, each draw's ``(data, inverse)`` is kept with the generator's state after it, and
    the explanation stops there with :class:`_Drawn` carrying ``inverse`` (the samples LIME asks the
    model about), before it scales them and measures their distances (its second run does that);
    while :meth:`replaying`, the explainer's next draws are the kept ones, in the order recorded, and
    the generator is set to the state the draw left it in. Outside both, the explainer draws as usual.
    """

    _METHOD = "_LimeTabularExplainer__data_inverse"

    def __init__(self, explainer: Any) -> None:
        self.explainer = explainer
        self.kept: list[tuple[np.ndarray, np.ndarray, Any]] = []

    @contextmanager
    def recording(self) -> Iterator[None]:
        draw = getattr(self.explainer, self._METHOD)
        self.kept.clear()

        def recorded(*args: Any, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
            data, inverse = draw(*args, **kwargs)
            self.kept.append((data.copy(), inverse.copy(), self.explainer.random_state.get_state()))
            raise _Drawn(inverse.copy())  # what LIME asks the model about: its first run ends here

        with self._patched(recorded):
            yield

    @contextmanager
    def replaying(self) -> Iterator[None]:
        def replayed(*args: Any, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
            data, inverse, state = self.kept.pop(0)
            self.explainer.random_state.set_state(state)
            return data, inverse

        with self._patched(replayed):
            yield

    @contextmanager
    def _patched(self, method: Any) -> Iterator[None]:
        setattr(self.explainer, self._METHOD, method)
        try:
            yield
        finally:
            delattr(self.explainer, self._METHOD)


class _Drawn(Exception):  # noqa: N818 - not an error: carries LIME's samples out of its explain_instance
    def __init__(self, codes: np.ndarray) -> None:
        super().__init__("samples drawn")
        self.codes = codes


def _drawn_samples(run) -> np.ndarray:
    """The perturbed samples LIME asks the model about in ``run(predict_fn)``, stopped once drawn (recording)."""
    def stop(codes: np.ndarray) -> np.ndarray:
        raise _Drawn(np.array(codes, copy=True))

    try:
        run(stop)
    except _Drawn as drawn:
        return drawn.codes
    raise RuntimeError("LIME did not call the model")


def _split(output: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(np.asarray(output), np.cumsum(sizes)[:-1])


def _replay(codes: np.ndarray, output: np.ndarray, predict):
    """A model function giving ``output`` for exactly ``codes`` (the same seed draws them again), else calling it."""
    def replayed(asked: np.ndarray) -> np.ndarray:
        if asked.shape == codes.shape and np.array_equal(asked, codes, equal_nan=True):
            return output
        return predict(asked)  # not expected: LIME's draws depend only on the seed

    return replayed


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


def lime_output(model: Any, codec: TabularCodec, positive_label: Any) -> tuple[str, Any, int, str]:
    """``(mode, predict_fn on codes, label explained, output space)`` for the model.

    Examples
    --------
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model()
    >>> mode, predict, label, space = lime_output(model, TabularCodec.fit(X), None)
    >>> mode, label, space, predict(TabularCodec.fit(X).encode(X)).shape
    ('classification', 1, 'probability', (6, 2))
    """
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
