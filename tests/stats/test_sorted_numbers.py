"""One sort of a column of numbers: its distinct values and its deciles, as pandas and NumPy compute them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.stats.sorted_numbers import DECILES, number_summary, quantiles, sorted_quantiles

OTHER_NAN = np.int64(np.array([np.nan]).view(np.int64)[0] ^ 1).view(np.float64)  # a NaN with another payload
NUMBERS = {
    "normal": np.random.default_rng(0).normal(size=100_003),
    "ties": np.random.default_rng(1).integers(0, 7, 5000).astype(float),
    "huge": np.random.default_rng(2).lognormal(0, 3, 12) * 1e300,  # interpolation rounding at large magnitudes
    "two": np.array([2.0, 1.0]), "one": np.array([5.0]),
    "signed-zeros": np.array([-0.0, 0.0, 1e-300, -1e-300, 3.0]),
    "heavy-zero": np.r_[np.zeros(600), np.random.default_rng(3).random(401)],
}


@pytest.mark.parametrize("name", list(NUMBERS))
def test_quantiles_from_one_sort_equal_numpy_quantile_bit_for_bit(name):
    numbers = NUMBERS[name]
    q = np.r_[np.linspace(0, 1, 11), 0.333, 0.999999]
    ours, numpys = quantiles(numbers, q), np.quantile(numbers, q)
    assert np.array_equal(ours.view(np.int64), numpys.view(np.int64))  # the same bits (-0.0 is not 0.0)
    assert np.array_equal(sorted_quantiles(np.sort(numbers), q).view(np.int64), numpys.view(np.int64))


@pytest.mark.parametrize("numbers", [
    *NUMBERS.values(),
    np.array([0.0, -0.0, np.nan, OTHER_NAN, 1.0, np.inf, -np.inf, -np.nan]),
    np.random.default_rng(4).integers(-10**6, 10**6, 3001), np.array([3, 1, 3, 255], dtype=np.uint8),
    np.array([1.5, np.nan, 1.5, -0.0], dtype=np.float32),
], ids=[*NUMBERS, "nan-payloads", "int64", "uint8", "float32"])
def test_number_summary_is_pandas_nunique_and_numpy_deciles(numbers):
    n_unique, deciles = number_summary(numbers)
    assert n_unique == pd.Series(numbers).nunique(dropna=True)
    present = numbers.astype(float)[~np.isnan(numbers.astype(float))]
    assert np.array_equal(deciles.view(np.int64), np.quantile(present, DECILES).view(np.int64))


def test_number_summary_of_no_numbers():
    assert number_summary(np.array([np.nan, np.nan]))[0] == 0 and len(number_summary(np.array([]))[1]) == 0
