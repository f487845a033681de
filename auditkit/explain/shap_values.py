"""SHAP attributions on the original features, with the explainer chosen for the model.

:func:`choose_explainer` picks TreeSHAP for tree ensembles, the linear explainer for
linear models and the permutation explainer for anything else. :func:`build_shap_engine`
prepares the explainer once; :meth:`ShapEngine.explain` returns attributions per
*original* column (one-hot dummies summed through the fitted preprocessor, see
:mod:`auditkit.explain.feature_map`) together with the model's own output in the explainer's
output space, so additivity can be checked on every audit.

The model-agnostic path explains the whole model (Pipeline included) on the original
columns, coded by :class:`~auditkit.explain.codec.TabularCodec`, against a seeded background
sample; each row's permutations are seeded from its own seed, so a row gets the same
attributions whichever batch it is explained in.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.explain.codec import TabularCodec
from auditkit.explain.feature_map import FeatureMap, FeatureMapError, build_feature_map, identity_map, split_model
from auditkit.explain.shap_models import (
    choose_explainer,
    class_index,
    class_name,
    linear_raw_output,
    select_class,
    select_output,
    tree_raw_output,
)
from auditkit.explain.shap_output import OutputSpace, additivity, coarsest_precision, describe_output
from auditkit.explain.shap_sample import treeshap_cost
from auditkit.progress import progress_bar, tqdm_class

EXPLAINERS = ("auto", "tree", "linear", "permutation")
FAST_CHUNK_ROWS = 1000  # rows per call of the tree and linear explainers
PERMUTATION_CHUNK_ROWS = 10  # rows per call of the permutation explainer (about 1 s on the reference model)


@dataclass(frozen=True)
class Attribution:
    """SHAP values of some rows on the original features.

    Attributes
    ----------
    values : ndarray of shape (n_rows, n_features)
    base_value : float
        The explainer's expected output (same for every row).
    output : ndarray of shape (n_rows,)
        The model's own output for the rows, in the explainer's output space.

    Examples
    --------
    >>> import numpy as np
    >>> attribution = Attribution(values=np.array([[0.5, -0.25]]), base_value=1.0, output=np.array([1.25]))
    >>> attribution.additivity_error.tolist(), attribution.additivity()["holds"]
    ([0.0], True)
    """

    values: np.ndarray
    base_value: float
    output: np.ndarray

    @property
    def additivity_error(self) -> np.ndarray:
        """``|sum of SHAP values + base value - model output|`` per row."""
        return np.abs(self.values.sum(axis=1) + self.base_value - self.output)

    def additivity(self, precision: str = "float64", rtol: float | None = None) -> dict[str, Any]:
        """The additivity check relative to the output's scale (see :func:`auditkit.explain.shap_output.additivity`)."""
        return additivity(self.values, self.base_value, self.output, precision, rtol)


@dataclass
class ShapEngine:
    """A prepared SHAP explainer for one model.

    Attributes
    ----------
    explainer : {"tree", "linear", "permutation"}
    output : OutputSpace
        What the attributions add up to (e.g. log-odds, probability, log of the prediction),
        its link to the model's reported output, and the precision the model computes in.
    feature_map : FeatureMap
        Encoded columns → original columns (identity for the permutation explainer).
    background_rows : int or None
        Rows in the background sample (None: path-dependent TreeSHAP needs none).
    fallback_reason : str or None
        Why a faster explainer could not be used, when it could not.
    explained_class : str or None
        The class whose output is explained (classifiers).
    cost_per_row : float or None
        TreeSHAP's steps per explained row (:func:`~auditkit.explain.shap_sample.treeshap_cost`);
        None for the other explainers.

    Examples
    --------
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model(4)  # 4 applicants by income and debt, a logistic regression
    >>> engine = build_shap_engine(model, X)
    >>> engine.explainer, engine.output_space, engine.features, engine.explained_class
    ('linear', 'log-odds', ['income', 'debt'], '1')
    """

    explainer: str
    output: OutputSpace
    feature_map: FeatureMap
    background_rows: int | None
    fallback_reason: str | None
    # (rows, seeds) -> (SHAP values on the estimator's inputs, base value, model output)
    _compute: Callable[[pd.DataFrame, np.ndarray], tuple[np.ndarray, float, np.ndarray]] = field(repr=False)
    explained_class: str | None = None
    cost_per_row: float | None = None

    @property
    def features(self) -> list[str]:
        return self.feature_map.features

    @property
    def output_space(self) -> str:
        """Name of the space the attributions add up in, e.g. ``"log-odds"``."""
        return self.output.space

    def explain(self, X: pd.DataFrame, seeds: np.ndarray | None = None) -> Attribution:
        """SHAP values of the rows ``X`` (original columns) on the original features.

        ``seeds`` gives one seed per row for the permutation explainer (ignored otherwise).
        Rows are explained in chunks of :attr:`chunk_rows` (a progress bar counts them); a row's
        values do not depend on the chunk it is in.
        """
        seeds = np.zeros(len(X), dtype=np.int64) if seeds is None else np.asarray(seeds)
        parts, base = [], 0.0
        with progress_bar(len(X), "SHAP", "row") as bar:
            for start in range(0, max(len(X), 1), self.chunk_rows):
                chunk = slice(start, start + self.chunk_rows)
                encoded, base, output = self._compute(X.iloc[chunk], seeds[chunk])
                parts.append((np.asarray(encoded, dtype=float), np.asarray(output, dtype=float)))
                bar.update(len(parts[-1][1]))
        encoded = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        output = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        values = self.feature_map.to_original(encoded)
        return Attribution(values=values, base_value=float(base), output=output)

    @property
    def chunk_rows(self) -> int:
        """Rows explained per call: one bar step (:data:`PERMUTATION_CHUNK_ROWS` or :data:`FAST_CHUNK_ROWS`)."""
        return PERMUTATION_CHUNK_ROWS if self.explainer == "permutation" else FAST_CHUNK_ROWS


def build_shap_engine(model: Any, background: pd.DataFrame, positive_label: Any = None, *,
                      explainer: str = "auto", n_permutations: int = 10,
                      rows: pd.DataFrame | None = None) -> ShapEngine:
    """Prepare the SHAP explainer for ``model``.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Called on DataFrames with the original columns.
    background : DataFrame
        Original-column rows the linear and permutation explainers integrate over
        (already sampled: every row is used). Unused by path-dependent TreeSHAP.
    positive_label : optional
        Class whose output is explained (classifiers), matched to the model's classes as the
        same text or the same number; default the last class. A label that is none of the
        classes raises :class:`~auditkit.exceptions.InputError`.
    explainer : {"auto", "tree", "linear", "permutation"}
    n_permutations : int, default 10
        Permutation explainer: forward+backward passes per row.
    rows : DataFrame, optional
        The rows that will be explained: the permutation explainer codes their categories
        too (a category absent from the background must still be coded, not lost).

    Examples
    --------
    >>> from auditkit.examples import loans_model
    >>> X, model = loans_model(4)  # 4 applicants by income and debt, a logistic regression
    >>> engine = build_shap_engine(model, X)
    >>> attribution = engine.explain(X)
    >>> attribution.values.shape, bool(attribution.additivity_error.max() < 1e-9)
    ((4, 2), True)
    """
    if explainer not in EXPLAINERS:
        raise ValueError(f"explainer must be one of {', '.join(EXPLAINERS)}; got {explainer!r}")
    preprocessor, estimator = split_model(model)
    chosen = choose_explainer(estimator) if explainer == "auto" else explainer
    reason = None
    if chosen != "permutation":
        try:
            fmap = build_feature_map(preprocessor, [str(c) for c in background.columns])
            return _fast_engine(chosen, preprocessor, estimator, fmap, background, positive_label)
        except InputError:
            raise  # bad input (a positive label that is none of the classes): no other explainer helps
        except Exception as exc:  # noqa: BLE001 - shap raises assorted types for models it cannot parse
            reason = f"the {chosen} explainer could not be used: {exc}"
    codec = TabularCodec.fit(background, *([] if rows is None else [rows]))
    return _permutation_engine(model, background, codec, positive_label, n_permutations, reason)


def _fast_engine(kind, preprocessor, estimator, fmap, background, positive_label) -> ShapEngine:
    shap = import_shap()

    def model_input(X: pd.DataFrame) -> Any:
        """What the final estimator receives (its fitted column names kept)."""
        return X if preprocessor is None else preprocessor.transform(X)

    def dense(inputs: Any) -> np.ndarray:
        return np.asarray(inputs.toarray() if hasattr(inputs, "toarray") else inputs, dtype=float)

    pos = class_index(estimator, positive_label)
    if kind == "tree":
        tree_model = getattr(estimator, "tree_model", None)
        explainer = shap.TreeExplainer(estimator if tree_model is None else tree_model,
                                       feature_perturbation="tree_path_dependent")
        background_rows = None
        raw_output = tree_raw_output(estimator)
        cost = treeshap_cost(explainer.model)
    else:
        data = dense(model_input(background))
        explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(data, max_samples=len(data)))
        background_rows, cost = len(data), None
        raw_output = linear_raw_output(estimator)
    n_classes = len(getattr(estimator, "classes_", [])) or 1

    def compute(X: pd.DataFrame, seeds: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        inputs = model_input(X)
        kwargs = {"check_additivity": False} if kind == "tree" else {}
        raw = np.asarray(explainer.shap_values(dense(inputs), **kwargs))
        values, base = select_class(raw, np.asarray(explainer.expected_value, dtype=float), pos, n_classes)
        return values, base, select_output(raw_output(inputs), pos, n_classes)

    probe_rows = background.iloc[:200]
    probe, _, probe_output = compute(probe_rows.iloc[:2], np.zeros(2))  # fail here, not mid-audit
    if probe.shape[-1] != len(fmap.sources):
        raise FeatureMapError("the feature map does not match the transformed columns")
    inputs = model_input(probe_rows)
    space = describe_output(estimator, raw_output(inputs), inputs, pos, coarsest_precision(probe, probe_output))
    return ShapEngine(kind, space, fmap, background_rows, None, compute, class_name(estimator, pos), cost)


def _permutation_engine(model, background, codec, positive_label, n_permutations, reason) -> ShapEngine:
    shap = import_shap()

    data = codec.encode(background)
    pos = class_index(model, positive_label)
    if hasattr(model, "predict_proba") and pos is not None:
        method = "predict_proba"

        def output(X: pd.DataFrame) -> np.ndarray:
            return np.asarray(model.predict_proba(X))[:, pos]
    else:
        method, output = "predict", lambda X: np.asarray(model.predict(X)).ravel()
    space = OutputSpace("probability" if method == "predict_proba" else "prediction", "identity", method,
                        coarsest_precision(output(background.iloc[:2])))
    masker = shap.maskers.Independent(data, max_samples=len(data))
    with numpy_global_seed(0):  # the explainer reseeds numpy's global generator
        explainer = shap.PermutationExplainer(lambda codes: output(codec.decode(codes)), masker)
    max_evals = n_permutations * (2 * len(codec.columns) + 1)

    def compute(X: pd.DataFrame, seeds: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        from threadpoolctl import threadpool_limits

        codes = codec.encode(X)
        rows, base = [], 0.0
        # Many small model calls: one thread each is faster, and robust on a busy machine.
        with threadpool_limits(limits=1, user_api="openmp"):
            for i in range(len(codes)):
                with numpy_global_seed(int(seeds[i])):
                    result = explainer(codes[i : i + 1], max_evals=max_evals, silent=True)
                rows.append(result.values[0])
                base = float(np.ravel(result.base_values)[0])
        return np.asarray(rows, dtype=float).reshape(len(codes), -1), base, output(X)

    fmap = identity_map(codec.columns)
    return ShapEngine("permutation", space, fmap, len(data), reason, compute, class_name(model, pos))


def import_shap() -> Any:
    """The ``shap`` module, imported without the warnings of its own import.

    Importing shap warns about matplotlib colormap methods it calls (``PendingDeprecationWarning``)
    and, in a Jupyter kernel without ipywidgets, through ``tqdm.auto`` (``TqdmWarning``): noise a
    user of auditkit did not cause and cannot act on.

    Examples
    --------
    >>> import_shap().__name__
    'shap'
    """
    tqdm_class()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module=r"shap\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"shap\.")
        import shap
    return shap


@contextlib.contextmanager
def numpy_global_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (used inside shap) and restore its state afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> with numpy_global_seed(0):
    ...     first = np.random.rand()
    >>> with numpy_global_seed(0):
    ...     second = np.random.rand()
    >>> first == second
    True
    """
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)

