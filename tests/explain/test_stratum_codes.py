"""SHAP's strata are numbered as the joined labels were, without a Python call per row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.explain.shap_sample import stratified_rows, stratum_codes
from auditkit.stats.missing_group import MISSING_GROUP


def joined_label_codes(groups: pd.DataFrame) -> np.ndarray:
    """The strata as the SHAP sample numbered them before: each row's labels joined, factorised in sorted order."""
    keys = groups.astype(str).agg("\x1f".join, axis=1)
    return pd.factorize(keys, sort=True)[0]


def groups_frame(seed: int, n: int, dtype: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "sex": rng.choice(["Female", "Male", MISSING_GROUP], n, p=[0.3, 0.6, 0.1]),
        "race": rng.choice(["Amer-Indian-Eskimo", "Asian", "Black", "Other", "White", "Whit"], n),
        "age_band": rng.choice(["<25", "25-50", ">50"], n),
    })
    return frame.astype(dtype)


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]", "category"])
@pytest.mark.parametrize("columns", [["sex"], ["sex", "race"], ["race", "sex", "age_band"]])
def test_codes_equal_those_of_the_joined_labels(dtype, columns):
    groups = groups_frame(0, 2000, dtype)[columns]
    np.testing.assert_array_equal(stratum_codes(groups), joined_label_codes(groups))


def test_numbers_as_group_labels_are_ordered_as_text():
    groups = pd.DataFrame({"band": [10, 9, 100, 9], "flag": [True, False, True, True]})
    np.testing.assert_array_equal(stratum_codes(groups), joined_label_codes(groups))


def test_the_sample_is_the_one_the_joined_labels_gave():
    groups = groups_frame(1, 3000, "string[pyarrow]")[["sex", "race"]]
    sample = stratified_rows(groups, 400, np.random.default_rng(5), floor=30)
    # the same draws, stratum by stratum, from the same numbering
    codes = joined_label_codes(groups)
    taken = np.bincount(codes[sample.positions], minlength=codes.max() + 1)
    rng = np.random.default_rng(5)
    expected = np.sort(np.concatenate([rng.choice(np.flatnonzero(codes == h), size=int(k), replace=False)
                                       for h, k in enumerate(taken) if k]))
    np.testing.assert_array_equal(sample.positions, expected)
