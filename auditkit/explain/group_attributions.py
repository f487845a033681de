"""SHAP values by sensitive group: the bridge from explanations to the bias report.

By additivity, a row's model output is ``base + sum_j phi_j``. The base value is the same
for every row, so the gap in *mean* output between two groups is exactly the sum over
features of the gaps in mean SHAP value::

    mean_out(A) - mean_out(B) = sum_j [mean phi_j(A) - mean phi_j(B)]

:func:`gap_decomposition` returns those per-feature parts; their sum differs from the
observed gap only by the explainer's additivity error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.fairness.analysis import choose_reference
from auditkit.io.labels import find_group
from auditkit.stats.missing_group import MISSING_GROUP


@dataclass(frozen=True)
class GroupMeans:
    """Mean model output and mean SHAP values per group.

    Attributes
    ----------
    features : list of str
    groups : list of str
        Group labels, sorted.
    n : ndarray of shape (n_groups,)
    mean_output : ndarray of shape (n_groups,)
    mean_shap : ndarray of shape (n_groups, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> means = group_means(np.array([[1.0], [3.0], [5.0]]), np.array([0.0, 2.0, 4.0]), ["a", "b", "b"], ["x"])
    >>> means.table()
      group feature  mean_shap
    0     a       x        1.0
    1     b       x        4.0
    """

    features: list[str]
    groups: list[str]
    n: np.ndarray
    mean_output: np.ndarray
    mean_shap: np.ndarray

    def table(self) -> pd.DataFrame:
        """One row per group and feature: ``group``, ``feature``, ``mean_shap``."""
        return pd.DataFrame({
            "group": np.repeat(self.groups, len(self.features)),
            "feature": self.features * len(self.groups),
            "mean_shap": self.mean_shap.ravel(),
        })

    def index(self, group: str) -> int:
        return self.groups.index(group)


def group_means(values: np.ndarray, output: np.ndarray, groups: pd.Series | np.ndarray,
                features: list[str], weights: np.ndarray | None = None) -> GroupMeans:
    """Mean model output and mean SHAP value of every feature, per group.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_features)
        SHAP values on the original features.
    output : ndarray of shape (n_rows,)
        Model output in the explainer's output space.
    groups : array-like of length n_rows
        Group label of every row (compared as strings).
    features : list of str
    weights : ndarray of shape (n_rows,), optional
        Design weights of a stratified sample: the means are weighted means (``n`` stays the
        number of rows).

    Examples
    --------
    >>> import numpy as np
    >>> means = group_means(np.array([[1.0], [3.0], [5.0]]), np.array([0, 2, 4.0]), ["a", "b", "b"], ["x"])
    >>> means.groups, means.n.tolist(), means.mean_shap.ravel().tolist()
    (['a', 'b'], [1, 2], [1.0, 4.0])
    """
    labels = np.asarray(groups, dtype=object).astype(str)
    names = sorted(set(labels.tolist()))
    values = np.asarray(values, dtype=float)
    output = np.asarray(output, dtype=float)
    masks = [labels == g for g in names]
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=float)
    return GroupMeans(
        features=list(features),
        groups=names,
        n=np.array([int(m.sum()) for m in masks]),
        mean_output=np.array([np.average(output[m], weights=weights[m]) for m in masks]),
        mean_shap=np.vstack([np.average(values[m], axis=0, weights=weights[m]) for m in masks]),
    )


def gap_decomposition(means: GroupMeans, group: str, reference: str) -> dict:
    """Split the gap in mean output between ``group`` and ``reference`` into per-feature parts.

    Returns
    -------
    dict
        ``group``, ``reference``, ``n``, ``n_reference``, ``gap`` (observed
        ``mean_output(group) - mean_output(reference)``), ``explained`` (sum of the parts),
        ``residual`` (gap − explained) and ``contributions``:
        ``[{"feature", "contribution"}]`` sorted by absolute size, largest first.

    Examples
    --------
    >>> import numpy as np
    >>> means = group_means(np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([1.0, 4.0]), ["a", "b"], ["x", "y"])
    >>> part = gap_decomposition(means, "b", "a")
    >>> part["gap"], part["contributions"][0]
    (3.0, {'feature': 'x', 'contribution': 2.0})
    """
    i, r = means.index(group), means.index(reference)
    parts = means.mean_shap[i] - means.mean_shap[r]
    gap = float(means.mean_output[i] - means.mean_output[r])
    explained = float(parts.sum())
    order = np.argsort(-np.abs(parts), kind="stable")
    return {
        "group": group,
        "reference": reference,
        "n": int(means.n[i]),
        "n_reference": int(means.n[r]),
        "gap": gap,
        "explained": explained,
        "residual": gap - explained,
        "contributions": [{"feature": means.features[j], "contribution": float(parts[j])} for j in order],
    }


def reference_group(means: GroupMeans, preferred: object = None, missing: str = MISSING_GROUP) -> str:
    """The reference group: ``preferred`` when it is one of the groups, else the largest observed one.

    Chosen by the fairness step's rule (:func:`auditkit.fairness.analysis.choose_reference`), so the
    group of missing values (labelled ``missing``) is never the default reference there or here, and
    ``preferred`` names a group as it does there (:func:`auditkit.io.labels.find_group`: ``1.0`` names
    the group shown as ``1``). A preferred group absent from the explained rows (a sample) is not chosen.

    Examples
    --------
    >>> import numpy as np
    >>> means = group_means(np.zeros((3, 1)), np.zeros(3), ["a", "b", "b"], ["x"])
    >>> reference_group(means), reference_group(means, preferred="a")
    ('b', 'a')
    """
    keys = pd.DataFrame({"group": means.groups})
    named = None if preferred is None else find_group(preferred, means.groups)
    chosen = {} if named is None else {"group": named}
    every_group = np.ones(len(means.groups), dtype=bool)
    return means.groups[choose_reference(keys, np.asarray(means.n), every_group, ("group",), chosen,
                                         {"group": missing})]
