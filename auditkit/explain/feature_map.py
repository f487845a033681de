"""Map a fitted preprocessor's output columns back to the original feature columns.

Explanations of a Pipeline are computed on the final estimator's inputs (e.g. one-hot
dummies) and reported on the original columns: the attributions of every encoded column
that comes from one original column are summed. The map is read from the fitted objects
(``ColumnTransformer.transformers_`` and ``output_indices_``, ``OneHotEncoder.categories_``),
never by parsing encoded names. Transformers whose outputs mix several inputs (PCA,
Normalizer, ...) cannot be mapped: :class:`FeatureMapError` tells the caller to explain
the whole model on the original columns instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from auditkit.threads import fixed_order_matmul

# Modules whose transformers work column by column: same number of outputs as inputs,
# output j computed from input j only.
_COLUMNWISE_MODULES = ("sklearn.preprocessing", "sklearn.impute")
# ... except these, which mix the columns of a row.
# A FunctionTransformer with a function may do anything.
_ROWWISE = {"Normalizer", "KernelCenterer", "PolynomialFeatures", "SplineTransformer", "FunctionTransformer"}


class FeatureMapError(ValueError):
    """A preprocessor whose output columns cannot be traced back to single input columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.decomposition import PCA
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.0]})
    >>> build_feature_map(PCA(1).fit(X), ["a", "b"])
    Traceback (most recent call last):
    ...
    auditkit.explain.feature_map.FeatureMapError: cannot trace the outputs of PCA to single input columns
    """


@dataclass(frozen=True)
class FeatureMap:
    """Which original column each column of the estimator's input comes from.

    Attributes
    ----------
    features : list of str
        The original columns, in the order of the audited data (columns the preprocessor
        drops are kept: their attribution is exactly zero).
    sources : list of str
        For each column the final estimator sees, the original column it comes from.

    Examples
    --------
    >>> import numpy as np
    >>> fmap = FeatureMap(features=["colour", "size"], sources=["colour", "colour", "size"])
    >>> fmap.to_original(np.array([[0.1, 0.2, 0.5]])).round(3).tolist(), fmap.encoded_counts()
    ([[0.3, 0.5]], {'colour': 2, 'size': 1})
    """

    features: list[str]
    sources: list[str]

    @property
    def matrix(self) -> np.ndarray:
        """0/1 matrix of shape ``(n_encoded, n_features)``: ``encoded @ matrix`` sums per feature."""
        position = {name: j for j, name in enumerate(self.features)}
        out = np.zeros((len(self.sources), len(self.features)))
        out[np.arange(len(self.sources)), [position[s] for s in self.sources]] = 1.0
        return out

    def to_original(self, values: np.ndarray) -> np.ndarray:
        """Sum attributions of shape ``(n_rows, n_encoded)`` into ``(n_rows, n_features)``."""
        values = np.asarray(values, dtype=float)
        if values.shape[-1] != len(self.sources):
            raise ValueError(f"expected {len(self.sources)} encoded columns, got {values.shape[-1]}")
        return fixed_order_matmul(values, self.matrix)

    def encoded_counts(self) -> dict[str, int]:
        """Number of encoded columns per original feature."""
        return {f: self.sources.count(f) for f in self.features}


def identity_map(columns: list[str]) -> FeatureMap:
    """The map of a model that sees the original columns unchanged.

    Examples
    --------
    >>> identity_map(["age", "sex"]).sources
    ['age', 'sex']
    """
    return FeatureMap(features=list(columns), sources=list(columns))


def split_model(model: Any) -> tuple[Any, Any]:
    """Split a model into ``(preprocessor or None, final estimator)``.

    For a scikit-learn Pipeline the preprocessor is the pipeline without its last step.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> split_model(make_pipeline(StandardScaler(), LogisticRegression()))
    (Pipeline(steps=[('standardscaler', StandardScaler())]), LogisticRegression())
    >>> split_model(LogisticRegression())
    (None, LogisticRegression())
    """
    steps = getattr(model, "steps", None)
    if not steps:
        return None, model
    if len(steps) == 1:
        return None, steps[-1][1]
    return model[:-1], steps[-1][1]


def build_feature_map(preprocessor: Any, columns: list[str]) -> FeatureMap:
    """Trace every output column of a fitted ``preprocessor`` to one of ``columns``.

    Parameters
    ----------
    preprocessor : fitted transformer or None
        A ColumnTransformer, OneHotEncoder, column-wise transformer (scaler, imputer, ...)
        or a Pipeline of those.
    columns : list of str
        The original columns the preprocessor receives.

    Raises
    ------
    FeatureMapError
        When an output column depends on more than one input column, or the transformer is
        of a kind whose outputs cannot be traced.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> X = pd.DataFrame({"colour": ["red", "blue", "red"], "size": [1.0, 2.0, 3.0]})
    >>> ct = ColumnTransformer([("cat", OneHotEncoder(), ["colour"])], remainder="passthrough").fit(X)
    >>> build_feature_map(ct, ["colour", "size"]).sources
    ['colour', 'colour', 'size']
    """
    if preprocessor is None:
        return identity_map(columns)
    return FeatureMap(features=list(columns), sources=_trace(preprocessor, list(columns)))


def _trace(transformer: Any, sources: list[str]) -> list[str]:
    """Sources of the outputs of ``transformer``, given the sources of its inputs."""
    if transformer is None or transformer == "passthrough":
        return list(sources)
    kind = type(transformer).__name__
    if kind == "Pipeline":
        for _, step in transformer.steps:
            sources = _trace(step, sources)
        return sources
    if kind == "ColumnTransformer":
        return _trace_column_transformer(transformer, sources)
    if kind == "OneHotEncoder":
        return _trace_one_hot(transformer, sources)
    return _trace_columnwise(transformer, sources)


def _trace_column_transformer(ct: Any, sources: list[str]) -> list[str]:
    names_in = list(getattr(ct, "feature_names_in_", range(len(sources))))
    out: list[str | None] = [None] * _n_outputs(ct)
    for name, trans, cols in ct.transformers_:
        block = ct.output_indices_.get(name, slice(0, 0))
        if trans == "drop" or block.stop == block.start:
            continue
        positions = _column_positions(cols, names_in)
        block_sources = _trace(trans, [sources[p] for p in positions])
        if len(block_sources) != block.stop - block.start:
            raise FeatureMapError(
                f"transformer '{name}' produced {block.stop - block.start} columns but "
                f"{len(block_sources)} were traced to its inputs"
            )
        out[block] = block_sources
    if any(s is None for s in out):
        raise FeatureMapError("some output columns of the ColumnTransformer could not be traced")
    return [str(s) for s in out]


def _n_outputs(ct: Any) -> int:
    return max((s.stop for s in ct.output_indices_.values()), default=0)


def _column_positions(cols: Any, names_in: list[Any]) -> list[int]:
    """Positions in ``names_in`` of a fitted ColumnTransformer column selection."""
    if isinstance(cols, str | int | np.integer):
        cols = [cols]
    if isinstance(cols, slice):
        return list(range(len(names_in)))[cols]
    cols = list(cols)
    if cols and all(isinstance(c, bool | np.bool_) for c in cols):
        return [i for i, keep in enumerate(cols) if keep]
    if all(isinstance(c, int | np.integer) for c in cols):
        return [int(c) for c in cols]
    lookup = {str(n): i for i, n in enumerate(names_in)}
    return [lookup[str(c)] for c in cols]


def _trace_one_hot(encoder: Any, sources: list[str]) -> list[str]:
    drop = getattr(encoder, "drop_idx_", None)
    infrequent = getattr(encoder, "infrequent_categories_", None) or [None] * len(sources)
    out: list[str] = []
    for i, (source, cats) in enumerate(zip(sources, encoder.categories_, strict=True)):
        width = len(cats)
        if drop is not None and drop[i] is not None:
            width -= 1
        if infrequent[i] is not None:
            width -= len(infrequent[i]) - 1
        out.extend([source] * width)
    return out


def _trace_columnwise(transformer: Any, sources: list[str]) -> list[str]:
    module = type(transformer).__module__
    kind = type(transformer).__name__
    if kind == "FunctionTransformer" and transformer.func is None:
        return list(sources)
    if not module.startswith(_COLUMNWISE_MODULES) or kind in _ROWWISE:
        raise FeatureMapError(f"cannot trace the outputs of {kind} to single input columns")
    try:
        n_out = len(transformer.get_feature_names_out())
    except Exception as exc:  # noqa: BLE001 - any failure means: cannot trace
        raise FeatureMapError(f"{kind} does not report its output columns ({exc})") from None
    if n_out != len(sources):
        raise FeatureMapError(f"{kind} turns {len(sources)} columns into {n_out}; cannot trace them")
    return list(sources)
