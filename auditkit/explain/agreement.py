"""Agreement between two feature attributions of the same instance.

The metrics of Krishna et al. (2022), "The Disagreement Problem in Explainable Machine
Learning: A Practitioner's Perspective" (arXiv:2202.01602), Section 3. Features are ranked
by absolute attribution, largest first (ties broken by column order). With ``k`` the number
of top features compared:

* feature agreement: share of the top-k features the two explanations have in common;
* rank agreement: share of the k positions holding the same feature in both;
* sign agreement: share of the k features in both top-k sets with the same sign in both;
* signed rank agreement: share of the k positions holding the same feature with the same sign;
* rank correlation: Spearman correlation of the two rankings over all features;
* pairwise rank agreement: share of feature pairs ordered the same way by both.

Every metric is 1 for identical explanations and lies in [0, 1], except rank correlation
(in [-1, 1], undefined — NaN — when either explanation is constant).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

METRICS = (
    "feature_agreement",
    "rank_agreement",
    "sign_agreement",
    "signed_rank_agreement",
    "rank_correlation",
    "pairwise_rank_agreement",
)


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``|values|``, largest first (ties: lower index first).

    Examples
    --------
    >>> top_k([0.1, -0.5, 0.3, 0.5], 3).tolist()  # ties: the lower index first
    [1, 3, 2]
    """
    values = np.asarray(values, dtype=float)
    return np.argsort(-np.abs(values), kind="stable")[: min(k, len(values))]


def feature_agreement(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Share of top-k features common to ``a`` and ``b``.

    Examples
    --------
    >>> feature_agreement([3, 2, 1, 0], [0, 1, 2, 3], k=2)
    0.0
    """
    ta, tb = top_k(a, k), top_k(b, k)
    return len(set(ta) & set(tb)) / len(ta)


def rank_agreement(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Share of the top-k positions that hold the same feature in ``a`` and ``b``.

    Examples
    --------
    >>> rank_agreement([3, 2, 1, 0], [3, 1, 2, 0], k=2)  # position 1 holds another feature
    0.5
    """
    ta, tb = top_k(a, k), top_k(b, k)
    return float(np.mean(ta == tb))


def sign_agreement(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Share of top-k features common to both that also have the same sign in both.

    Examples
    --------
    >>> sign_agreement([0.5, -0.3, 0.1], [0.4, 0.3, 0.0], k=2)  # feature 1 changes sign
    0.5
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ta, tb = top_k(a, k), top_k(b, k)
    common = set(ta) & set(tb)
    return float(sum(np.sign(a[f]) == np.sign(b[f]) for f in common) / len(ta))


def signed_rank_agreement(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Share of the top-k positions holding the same feature with the same sign.

    Examples
    --------
    >>> signed_rank_agreement([0.5, -0.3, 0.1], [0.5, -0.3, 0.0], k=2)
    1.0
    >>> signed_rank_agreement([0.5, -0.3], [0.5, 0.3], k=2)  # feature 1 changes sign
    0.5
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ta, tb = top_k(a, k), top_k(b, k)
    same = (ta == tb) & (np.sign(a[ta]) == np.sign(b[ta]))
    return float(np.mean(same))


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of the rankings of ``|a|`` and ``|b|`` over all features.

    Examples
    --------
    >>> rank_correlation([3, 2, 1, 0], [3, 2, 1, 0]), rank_correlation([3, 2, 1, 0], [0, 1, 2, 3])
    (1.0, -1.0)
    """
    from scipy.stats import spearmanr

    a, b = np.abs(np.asarray(a, dtype=float)), np.abs(np.asarray(b, dtype=float))
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def pairwise_rank_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of feature pairs whose order by absolute attribution is the same in ``a`` and ``b``.

    Examples
    --------
    >>> pairwise_rank_agreement([3, 2, 1], [3, 1, 2])  # 2 of the 3 pairs keep their order
    0.6666666666666666
    """
    a, b = np.abs(np.asarray(a, dtype=float)), np.abs(np.asarray(b, dtype=float))
    pairs = list(combinations(range(len(a)), 2))
    if not pairs:
        return float("nan")
    same = [np.sign(a[i] - a[j]) == np.sign(b[i] - b[j]) for i, j in pairs]
    return float(np.mean(same))


def agreement(a: np.ndarray, b: np.ndarray, k: int) -> dict[str, float]:
    """All the metrics for one instance.

    Examples
    --------
    >>> agreement([0.5, -0.2, 0.1], [0.5, -0.2, 0.1], k=2)["signed_rank_agreement"]
    1.0
    """
    return {
        "feature_agreement": feature_agreement(a, b, k),
        "rank_agreement": rank_agreement(a, b, k),
        "sign_agreement": sign_agreement(a, b, k),
        "signed_rank_agreement": signed_rank_agreement(a, b, k),
        "rank_correlation": rank_correlation(a, b),
        "pairwise_rank_agreement": pairwise_rank_agreement(a, b),
    }
