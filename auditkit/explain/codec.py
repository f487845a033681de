"""Numeric codes for the original feature columns, and back.

Model-agnostic explainers (SHAP's permutation explainer, LIME) perturb numeric arrays.
:class:`TabularCodec` turns each categorical column into integer codes (missing values
are a category of their own) and decodes perturbed arrays back into a DataFrame with the
original columns and values, which is what the audited model or Pipeline expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING_CATEGORY = "missing"


@dataclass(frozen=True)
class TabularCodec:
    """Integer codes for categorical columns; numeric columns pass through as floats.

    Attributes
    ----------
    columns : list of str
        The original columns, in order.
    categories : dict of int to list
        For each categorical column position, its categories; code ``c`` means
        ``categories[j][c]``, and ``None`` stands for a missing value.
    dtypes : dict of str to dtype
        Original dtypes, restored when decoding integer columns that stay whole.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"sex": ["F", "M", "F"], "age": [30, 40, 50]})
    >>> codec = TabularCodec.fit(X)
    >>> codec.columns, codec.categorical_positions, codec.category_names()
    (['sex', 'age'], [0], {0: ['F', 'M', 'missing']})
    >>> codec.encode(X)[:, 0].tolist(), codec.decode(codec.encode(X))["sex"].tolist()
    ([0.0, 1.0, 0.0], ['F', 'M', 'F'])
    """

    columns: list[str]
    categories: dict[int, list]
    dtypes: dict[str, np.dtype]

    @classmethod
    def fit(cls, X: pd.DataFrame, *more: pd.DataFrame) -> TabularCodec:
        """Learn the categories of every non-numeric column of ``X`` (and of ``more`` frames).

        Pass every frame whose rows will be encoded: an unseen category cannot be coded.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"sex": ["F", "M", None], "age": [30, 40, 50]})
        >>> codec = TabularCodec.fit(X)
        >>> codec.encode(X).tolist()
        [[0.0, 30.0], [1.0, 40.0], [2.0, 50.0]]
        >>> codec.decode(codec.encode(X))["sex"].tolist()
        ['F', 'M', nan]
        """
        categories: dict[int, list] = {}
        for j, col in enumerate(X.columns):
            if not pd.api.types.is_numeric_dtype(X[col]):
                values = set(X[col].dropna().tolist())
                for frame in more:
                    values.update(frame[col].dropna().tolist())
                categories[j] = sorted(values, key=str) + [None]
        return cls(columns=[str(c) for c in X.columns], categories=categories,
                   dtypes={str(c): X[c].dtype for c in X.columns})

    @property
    def categorical_positions(self) -> list[int]:
        return sorted(self.categories)

    def category_names(self) -> dict[int, list[str]]:
        """Display names of each categorical column's codes (missing shown as ``"missing"``)."""
        return {j: [MISSING_CATEGORY if c is None else str(c) for c in cats]
                for j, cats in self.categories.items()}

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Float array of shape ``(n_rows, n_columns)``.

        Raises
        ------
        ValueError
            When a categorical column holds a value the codec was not fitted with.
        """
        out = np.empty((len(X), len(self.columns)), dtype=float)
        for j, col in enumerate(self.columns):
            values = X[col]
            if j in self.categories:
                out[:, j] = self._codes(col, self.categories[j], values)
            else:
                out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return out

    @staticmethod
    def _codes(col: str, categories: list, values: pd.Series) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(categories[:-1])}
        missing = values.isna().to_numpy()
        codes = np.array([lookup.get(v, -1) for v in values.astype(object)], dtype=float)
        codes[missing] = len(categories) - 1
        unseen = (codes < 0) & ~missing
        if unseen.any():
            shown = ", ".join(map(repr, values[unseen].unique()[:5]))
            raise ValueError(f"column '{col}' holds values the coder was not fitted with: {shown}")
        return codes

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        """A DataFrame with the original columns from a (possibly perturbed) code array."""
        codes = np.atleast_2d(np.asarray(codes, dtype=float))
        data = {}
        for j, col in enumerate(self.columns):
            if j in self.categories:
                cats = np.array([np.nan if c is None else c for c in self.categories[j]], dtype=object)
                idx = np.clip(np.rint(codes[:, j]), 0, len(cats) - 1).astype(int)
                data[col] = self._categorical(col, cats[idx])
            else:
                data[col] = self._numeric(col, codes[:, j])
        return pd.DataFrame(data, columns=self.columns)

    def _categorical(self, col: str, values: np.ndarray) -> np.ndarray | pd.Categorical:
        """Decoded values, as ``category`` again when the column was (native categorical models need it)."""
        dtype = self.dtypes[col]
        return pd.Categorical(values, dtype=dtype) if isinstance(dtype, pd.CategoricalDtype) else values

    def _numeric(self, col: str, values: np.ndarray) -> np.ndarray:
        dtype = self.dtypes[col]
        whole = np.all(np.isfinite(values)) and np.all(values == np.rint(values))
        if pd.api.types.is_integer_dtype(dtype) and whole:
            return values.astype(dtype)
        return values
