"""data_bias at scale: every table built once from codes, equal to a direct pandas crosstab; no Python per row.

The row-by-row implementations the vectorised ones replaced live in tests/_previous_implementations.py;
the data_bias payloads of the bundled datasets as audited before are in golden_payloads.json (written
by auditkit at commit d4ac2c6, seed 0, steps=["data_bias"]: every row against decisions equal to the
labels, and the reference model's held-out rows; and a synthetic regression and multiclass audit).
"""

from __future__ import annotations

import json
from pathlib import Path

import _previous_implementations as previous
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

import auditkit
from auditkit import AuditSpec, build_context
from auditkit.data_bias.proxies import MAX_LEVELS, N_BINS, contingency, cramers_v, encode_column
from auditkit.result import to_jsonable
from auditkit.stats.bootstrap import resample_counts
from auditkit.steps import DataBiasStep

GOLDEN = Path(__file__).parent / "golden_payloads.json"
ROWS = 20_000


def synthetic(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """Two sensitive columns, numeric and text features with missing values and proxies, a label, decisions."""
    rng = np.random.default_rng(seed)
    race = rng.choice(5, n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    sex = rng.choice(["Female", "Male"], n)
    frame = pd.DataFrame({
        "sex": sex,
        "race": np.array(["a", "b", "c", "é", "🙂"])[race],
        "age": rng.integers(18, 90, n),
        "income": np.where(rng.random(n) < np.where(sex == "Female", 0.1, 0.02), np.nan, rng.lognormal(10, 1, n)),
        "zip_proxy": race + rng.normal(scale=0.7, size=n),
        "rating": rng.choice([1.0, 2.0, 3.0, -0.0], n),  # few distinct floats: levels as text
        "region": np.where(rng.random(n) < 0.8, np.array(["r0", "r1", "r2", "r3", "r4"])[race], "r9"),
        "job": pd.array(np.where(rng.random(n) < 0.05, None, rng.choice([f"job{k}" for k in range(45)], n)),
                        dtype="str"),  # more than MAX_LEVELS values: rare ones pooled
        "flag": rng.random(n) < 0.3,
    })
    frame["label"] = (rng.random(n) < np.where(sex == "Male", 0.6, 0.4)).astype(int)
    frame["decision"] = (rng.random(n) < 0.5).astype(int)
    return frame


@pytest.fixture(scope="module")
def audited():
    frame = synthetic()
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["sex", "race"], predictions="decision",
                                  seed=0))
    return frame, ctx, DataBiasStep(n_boot=200).run(ctx).payload["bias"]


def _expected_levels(values: pd.Series) -> np.ndarray:
    """The level of each row, derived with pandas alone: 0 missing, then quantile bins or top values, then the rest."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and (
            values.nunique() > N_BINS):
        edges = np.unique(np.quantile(values.dropna(), np.linspace(0, 1, N_BINS + 1)[1:-1]))
        bins = pd.cut(values, [-np.inf, *edges, np.inf], right=False, labels=False)
        return bins.fillna(-1).to_numpy(dtype=int) + 1
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
    top = sorted(text.value_counts().index[:MAX_LEVELS])
    return text.map({v: i + 1 for i, v in enumerate(top)}).fillna(len(top) + 1).where(text.notna(), 0).to_numpy(
        dtype=int)


def _crosstab(frame: pd.DataFrame, column: str, sensitive: str) -> pd.DataFrame:
    return pd.crosstab(_expected_levels(frame[column]), frame[sensitive].astype(str))


@pytest.mark.parametrize("column", ["age", "income", "zip_proxy", "rating", "region", "job", "flag"])
@pytest.mark.parametrize("sensitive", ["sex", "race"])
def test_proxy_tables_equal_a_direct_pandas_crosstab(audited, column, sensitive):
    frame, ctx, bias = audited
    s_codes, s_keys = ctx.group_codes((sensitive,))
    encoded = encode_column(frame[column])
    table = contingency(encoded.codes, s_codes, encoded.n_levels, len(s_keys))
    expected = _crosstab(frame, column, sensitive)
    assert expected.columns.tolist() == s_keys[sensitive].tolist()
    np.testing.assert_array_equal(table, expected.to_numpy())
    row = next(r for r in bias["proxies"] if r["feature"] == column and r["sensitive_feature"] == sensitive)
    assert row["n_levels"] == len(expected)
    assert cramers_v(table, corrected=False) == pytest.approx(association(expected.to_numpy(), method="cramer"),
                                                              abs=1e-12)
    assert row["cramers_v"] == pytest.approx(_bergsma_v(expected.to_numpy()), abs=1e-12)


def _bergsma_v(table: np.ndarray) -> float:
    """Bias-corrected Cramér's V (Bergsma 2013) from SciPy's chi-square statistic."""
    n = table.sum()
    r, c = table.shape
    phi2 = stats.chi2_contingency(table, correction=False).statistic / n
    phi2 = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    r_, c_ = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / min(r_ - 1, c_ - 1)))


def test_representation_and_base_rates_equal_a_direct_pandas_crosstab(audited):
    frame, _, bias = audited
    for grouping, features in (("sex", ["sex"]), ("race", ["race"]), ("sex × race", ["sex", "race"])):
        table = pd.crosstab([frame[f] for f in features], frame["label"])
        rows = [r for r in bias["base_rates"] if r["grouping"] == grouping]
        shares = [r for r in bias["representation"] if r["grouping"] == grouping]
        assert [tuple(r["group"].values()) for r in rows] == [k if isinstance(k, tuple) else (k,) for k in table.index]
        np.testing.assert_array_equal([r["n"] for r in rows], table.sum(axis=1))
        np.testing.assert_allclose([r["base_rate"] for r in rows], table[1] / table.sum(axis=1), rtol=1e-15)
        np.testing.assert_array_equal([r["n"] for r in shares], table.sum(axis=1))


def test_missingness_equals_a_direct_pandas_crosstab(audited):
    frame, _, bias = audited
    for sensitive in ("sex", "race"):
        for column in ("income", "job"):
            table = pd.crosstab(frame[sensitive], frame[column].isna())
            rows = [r for r in bias["missingness"] if r["feature"] == sensitive and r["column"] == column]
            assert [r["group"] for r in rows] == table.index.tolist()
            np.testing.assert_array_equal([r["n_missing"] for r in rows], table[True])
            np.testing.assert_array_equal([r["n"] for r in rows], table.sum(axis=1))


@pytest.mark.parametrize("values", [
    pd.Series(np.random.default_rng(0).choice([f"v{k}" for k in range(60)], 3000)),  # ties at the 30-level cutoff
    pd.Series(["(missing)", "(other)", None, "a"] * 50),
    pd.Series([1, True, 1.0, "1", None, -0.0] * 20, dtype=object),
    pd.Series([0.0, -0.0, 1.5, np.nan] * 30),
    pd.Series(np.array([0.1, 0.2, np.nan, 0.1], dtype="float32").repeat(30)),
    pd.Series(pd.Categorical(["b", "a", None] * 40, categories=["z", "a", "b"])),
    pd.Series([True, False, True] * 40),
    pd.Series(pd.array(["x", "ü", None, "x"] * 30, dtype="str")),
    pd.Series(np.random.default_rng(1).normal(size=500)),
    pd.Series(np.where(np.arange(500) % 7 == 0, np.nan, np.arange(500) % 13)),
    pd.Series(np.repeat(np.arange(12.0), 50)),  # numbers on the bin edges
    pd.Series([np.inf, -np.inf, *range(20)] * 5, dtype=float),
    pd.Series([-np.inf] * 60 + list(range(20)) + [np.nan] * 5),
    pd.Series(np.r_[np.zeros(900), np.arange(100.0)]),  # most quantiles equal
    pd.Series([5] * 100),
    pd.Series([f"id{k}" for k in range(200)]),
])
def test_encode_column_equals_the_row_by_row_encoding(values):
    assert encode_column(values) == _same_as(previous.encode_column(values))


def _same_as(expected):
    class Same:
        def __eq__(self, got):
            codes_equal = (got.codes is None and expected.codes is None) or np.array_equal(got.codes, expected.codes)
            return codes_equal and (got.n_levels, got.kind, got.skipped) == (expected.n_levels, expected.kind,
                                                                             expected.skipped)
    return Same()


def test_resampling_the_table_is_resampling_the_rows():
    """A row bootstrap's table is Multinomial(n, observed cell shares): the two give one distribution of V."""
    rng = np.random.default_rng(11)
    x, s = rng.integers(0, 4, 300), rng.integers(0, 3, 300)
    s = np.where(rng.random(300) < 0.3, x % 3, s)
    table = contingency(x, s, 4, 3)
    by_table = cramers_v(resample_counts(table, 4000, np.random.default_rng(1)))
    picks = np.random.default_rng(2).integers(0, 300, (4000, 300))
    by_rows = cramers_v(np.stack([contingency(x[p], s[p], 4, 3) for p in picks]))
    assert stats.ks_2samp(by_table, by_rows).pvalue > 0.01
    np.testing.assert_allclose(np.quantile(by_table, [0.025, 0.5, 0.975]),
                               np.quantile(by_rows, [0.025, 0.5, 0.975]), atol=0.01)


def test_group_codes_are_computed_once_per_audit(monkeypatch):
    from auditkit import context

    calls = []
    original = context.group_codes
    monkeypatch.setattr(context, "group_codes", lambda frame, features, *rest: calls.append(features) or original(
        frame, features, *rest))
    ctx = build_context(AuditSpec(data=synthetic(2000), target="label", sensitive=["sex", "race"],
                                  predictions="decision", seed=0))
    DataBiasStep(n_boot=10).run(ctx)
    assert sorted(calls) == [("race",), ("sex",), ("sex", "race")]


class _PerRowPython(AssertionError):
    pass


@pytest.fixture
def no_python_per_row(monkeypatch):
    """Calls that run Python once per row of a long column or frame raise."""
    def refuse(name, original):
        def guarded(self, *args, **kwargs):
            if len(self) > ROWS // 4:
                raise _PerRowPython(f"{name} over {len(self)} rows")
            return original(self, *args, **kwargs)
        return guarded

    for owner, names in ((pd.Series, ("map", "apply", "__iter__", "items")),
                         (pd.DataFrame, ("itertuples", "iterrows", "apply"))):
        for name in names:
            monkeypatch.setattr(owner, name, refuse(f"{owner.__name__}.{name}", getattr(owner, name)))


def test_context_and_data_bias_run_no_python_per_row(no_python_per_row):
    frame = synthetic()
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["sex", "race"], predictions="decision",
                                  seed=0))
    payload = DataBiasStep(n_boot=50).run(ctx).payload["bias"]
    assert len(payload["proxies"]) == 2 * 7 and payload["rows"] == ROWS


def _payload(result) -> dict:
    return json.loads(json.dumps(to_jsonable(result.step("data_bias").payload), sort_keys=True))


@pytest.mark.parametrize("name", ["german", "compas", "adult"])
def test_data_bias_numbers_of_the_bundled_datasets_are_unchanged(name):
    """Every row audited against its recorded decisions: no model to fit, every table of every column."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["decisions_all_rows"][name]
    bundled = auditkit.datasets.load(name)
    frame = bundled.frame.assign(decision=bundled.frame[bundled.target_name])
    result = auditkit.audit(data=frame, target=bundled.target_name, positive_label=bundled.positive_label,
                            sensitive=list(bundled.sensitive_features), predictions="decision", seed=0,
                            steps=["data_bias"], progress=False)
    assert _payload(result) == golden


@pytest.mark.slow
@pytest.mark.parametrize("name", ["german", "compas", "adult"])
def test_data_bias_numbers_of_the_bundled_datasets_audits_are_unchanged(name):
    """The audit of the bundled dataset as `auditkit audit --data NAME` runs it (reference model, held-out rows)."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["reference_model_held_out_rows"][name]
    assert _payload(auditkit.audit(data=name, seed=0, steps=["data_bias"], progress=False)) == golden


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_data_bias_numbers_of_regression_and_multiclass_audits_are_unchanged(task):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["regression_and_multiclass"][task]
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({"sex": rng.choice(["f", "m", None], n), "race": rng.choice(["a", "b", "c"], n),
                          "x": rng.normal(size=n), "c": rng.choice(list("pqrs"), n), "y": rng.normal(size=n).round(2)})
    frame["pred"] = frame["y"] + rng.normal(size=n)
    frame["cls"], frame["cls_pred"] = rng.choice(["lo", "mid", "hi"], n), rng.choice(["lo", "mid", "hi"], n)
    target, predictions, dropped = ("y", "pred", ["cls", "cls_pred"]) if task == "regression" else (
        "cls", "cls_pred", ["y", "pred"])
    result = auditkit.audit(data=frame.drop(columns=dropped), target=target, sensitive=["sex", "race"],
                            predictions=predictions, task=task, seed=3, steps=["data_bias"], progress=False)
    assert _payload(result) == golden
