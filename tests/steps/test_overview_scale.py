"""data_overview at 10M rows: distinct values of number columns counted from one in-place sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.steps.data_overview import column_summary, n_unique

OTHER_NAN = np.array([np.nan]).view(np.int64)[0] ^ 1  # a NaN with another payload


@pytest.mark.parametrize("values", [
    pd.Series([0.0, -0.0, np.nan, np.int64(OTHER_NAN).view(np.float64), 1.0, np.inf, -np.inf, -np.nan]),
    pd.Series([np.nan, np.nan]), pd.Series([], dtype=float), pd.Series([2.5]),
    pd.Series(np.random.default_rng(0).normal(size=10_001).round(2)),
    pd.Series(np.array([1.5, np.nan, 1.5, -0.0], dtype=np.float32)),
    pd.Series(np.array([1.5, np.nan, 1.5, 0.0], dtype=np.float16)),
    pd.Series([True, False, True]), pd.Series([True, True]),
    pd.Series(np.array([3, 1, 3, 255], dtype=np.uint8)), pd.Series(np.array([-5, 7, -5], dtype=np.int64)),
    pd.Series(np.random.default_rng(1).integers(-10**18, 10**18, 5000)),
], ids=["nan-payloads-zeros-infs", "all-nan", "empty", "one", "normal", "float32", "float16", "bool", "one-bool",
        "uint8", "int64", "wide-int64"])
def test_n_unique_equals_pandas_nunique(values):
    assert n_unique(values) == values.nunique(dropna=True)


def test_n_unique_leaves_the_column_as_it_was():
    values = pd.Series([3.0, 1.0, np.nan, 2.0])
    n_unique(values)
    assert values.tolist()[:2] == [3.0, 1.0] and np.isnan(values.iloc[2])


def test_column_summary_counts_equal_pandas():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": np.where(rng.random(500) < 0.1, np.nan, rng.normal(size=500).round(1)),
                          "g": pd.array(rng.choice(["a", "b", None], 500), dtype="str"),
                          "k": rng.integers(0, 9, 500).astype(np.int8), "b": rng.random(500) < 0.5})
    summary = column_summary(frame)
    assert summary["n_unique"].tolist() == frame.nunique(dropna=True).tolist()
    assert summary["n_missing"].tolist() == frame.isna().sum().tolist()


def test_group_sizes_from_the_audits_group_codes_equal_value_counts():
    from auditkit import AuditSpec, build_context
    from auditkit.steps import DataOverviewStep

    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({"sex": rng.choice(["f", "m", None], n), "race": rng.choice(["b", "A", "é", "10", "9"], n),
                          "mixed": pd.Series(rng.choice([1, 1.0, "1", "(missing)", None, 2.5], n), dtype=object),
                          "label": rng.integers(0, 2, n)})
    frame["decision"] = frame["label"]
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["sex", "race", "mixed"],
                                  predictions="decision", seed=0))
    step = DataOverviewStep()
    got = step.run(ctx).payload["overview"]
    counted = step.from_summary(column_summary(ctx.frame), n, ctx.frame.shape[1], ctx.X.shape[1],
                                ctx.sensitive).payload["overview"]
    assert got == counted and len(got["group_sizes"]) == 3 + 5 + 4
