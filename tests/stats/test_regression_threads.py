"""An audit's numbers do not depend on how many BLAS threads the machine gives it (same inputs and seed, same numbers).

The regression bootstrap sums resample weights x rows with a matrix product; BLAS splits such sums
between its threads, so with another thread count the last digit changed (data_bias' regression
base-rate intervals differed in the 16th digit between a quiet and a busy machine).
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from auditkit.stats.regression import regression_metrics


def _inputs():
    rng = np.random.default_rng(5)
    n, n_groups = 3000, 5
    codes = rng.integers(0, n_groups, n)
    y_true = rng.normal(size=n).round(2)
    weights = rng.poisson(1.0, size=(200, n)).astype(float)
    return codes, n_groups, y_true, y_true + rng.normal(size=n), weights


def test_resampled_regression_metrics_are_the_same_on_one_and_two_blas_threads():
    codes, n_groups, y_true, y_pred, weights = _inputs()
    results = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            results.append(regression_metrics(codes, n_groups, y_true, y_pred, weights))
    for name in results[0]:
        assert np.array_equal(results[0][name], results[1][name], equal_nan=True), name


def test_the_plain_product_does_depend_on_the_thread_count_here():
    """Why the product is pinned to one thread (skipped where this BLAS happens not to split these sums)."""
    rng = np.random.default_rng(0)
    left, right = rng.normal(size=(200, 3000)), rng.normal(size=(3000, 10))
    products = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            products.append(left @ right)
    if np.array_equal(*products):
        pytest.skip("this BLAS gives the same sums on 1 and 2 threads for this shape")
    assert not np.array_equal(*products)
