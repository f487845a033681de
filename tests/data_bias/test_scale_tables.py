"""data_bias at 10M rows: the single-column guess's folds drawn from the contingency table, not a row permutation.

The folds of a seeded permutation of the rows (taken modulo 5) have multivariate hypergeometric
cell counts; :func:`~auditkit.data_bias.proxies.fold_tables` draws them from the table. Other
numbers, same law: checked here against every permutation of small tables (exact law), and the
balanced accuracy's distribution against the row-by-row guess it replaced.
"""

from __future__ import annotations

import itertools
from collections import Counter

import _previous_implementations as previous
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from auditkit import AuditSpec, build_context
from auditkit.data_bias.proxies import (
    N_FOLDS,
    contingency,
    encode_column,
    fold_sizes,
    fold_tables,
    guess_accuracy,
    predictive_power,
)
from auditkit.steps import DataBiasStep

DRAWS = 6000


def _rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level and value of every row of ``table``, in cell order."""
    kx, ks = table.shape
    cells = np.repeat(np.arange(kx * ks), table.ravel())
    return cells // ks, cells % ks


def _row_folds(table: np.ndarray, permutation: np.ndarray) -> tuple:
    """The (fold, level, value) table of the folds ``permutation % N_FOLDS`` (the row version), as a tuple."""
    x, s = _rows(table)
    cells = (permutation % N_FOLDS) * table.size + x * table.shape[1] + s
    return tuple(np.bincount(cells, minlength=N_FOLDS * table.size))


@pytest.mark.parametrize("table", [[[2, 1], [1, 1]], [[3, 1], [1, 1]], [[2, 0, 1], [0, 1, 1]]])
def test_fold_tables_follow_the_law_of_every_row_permutation(table):
    """Goodness of fit of the drawn fold tables to the exact law: every permutation of the rows, equally likely."""
    table = np.array(table)
    n = int(table.sum())
    exact = Counter(_row_folds(table, np.array(p)) for p in itertools.permutations(range(n)))
    rng = np.random.default_rng(11)
    drawn = Counter(tuple(fold_tables(table, rng).ravel()) for _ in range(DRAWS))
    assert set(drawn) <= set(exact)  # only fold tables a permutation can give
    outcomes = sorted(exact)
    expected = np.array([exact[o] for o in outcomes], dtype=float) / sum(exact.values()) * DRAWS
    observed = np.array([drawn[o] for o in outcomes])
    assert stats.chisquare(observed, expected).pvalue > 0.001


@pytest.mark.parametrize(("table", "sizes"), [([[6, 1], [2, 3]], [3, 3, 2, 2, 2]), ([[0, 4]], [1, 1, 1, 1, 0]),
                                              ([[1]], [1, 0, 0, 0, 0]), ([[0, 0], [0, 0]], [0, 0, 0, 0, 0])])
def test_fold_tables_deal_every_row_once_in_the_folds_of_a_permutation(table, sizes):
    table = np.array(table)
    folds = fold_tables(table, np.random.default_rng(0))
    assert folds.shape == (N_FOLDS, *table.shape) and (folds >= 0).all()
    assert np.array_equal(folds.sum(axis=0), table)
    assert folds.sum(axis=(1, 2)).tolist() == sizes == fold_sizes(int(table.sum())).tolist()
    assert np.array_equal(folds.sum(axis=(1, 2)), np.bincount(np.arange(table.sum()) % N_FOLDS, minlength=N_FOLDS))


def test_fold_tables_of_a_billion_rows_deal_every_row():
    """From 10**9 rows (NumPy's limit for the hypergeometric law) every row goes to a fold at random."""
    table = np.array([[600_000_000, 400_000_000], [7, 0]])
    folds = fold_tables(table, np.random.default_rng(0))
    assert np.array_equal(folds.sum(axis=0), table)
    assert np.allclose(folds.sum(axis=(1, 2)) / table.sum(), 1 / N_FOLDS, rtol=1e-3)


@pytest.mark.parametrize(("kx", "ks", "n"), [(2, 2, 40), (3, 2, 60), (4, 3, 50)])
def test_guess_accuracy_has_the_null_distribution_of_the_row_by_row_guess(kx, ks, n):
    """Balanced accuracy over many seeds: table draws and explicit row permutations, two-sample chi-square."""
    rng = np.random.default_rng(kx * ks * n)
    s = rng.integers(0, ks, n)
    x = np.where(rng.random(n) < 0.1, s % kx, rng.integers(0, kx, n))  # weak: the guess varies
    table = contingency(x, s, kx, ks)
    draws = 1500
    ours = [guess_accuracy(table, np.random.default_rng(seed)) for seed in range(draws)]
    theirs = [previous.predictive_power(x, s, kx, ks, np.random.default_rng(seed + draws)) for seed in range(draws)]
    values, counts = np.unique(np.concatenate([ours, theirs]).round(12), return_counts=True)
    common = values[counts >= 20]  # the rest pooled into one outcome
    observed = np.array([[np.sum(np.isin(np.round(v, 12), common, invert=True))]
                         + [np.sum(np.round(v, 12) == c) for c in common] for v in (ours, theirs)])
    observed = observed[:, observed.sum(axis=0) > 0]
    assert observed.shape[1] >= 3  # the guess does vary with the folds
    assert stats.chi2_contingency(observed).pvalue > 0.001


def test_the_guess_depends_on_the_table_not_on_the_rows_order():
    """Same seed, rows shuffled: the same balanced accuracy (the Dask engine's rows come grouped by cell)."""
    rng = np.random.default_rng(3)
    s = rng.integers(0, 3, 5000)
    x = np.where(rng.random(5000) < 0.4, s, rng.integers(0, 4, 5000))
    order = rng.permutation(5000)
    first = predictive_power(x, s, 4, 3, np.random.default_rng(9))
    assert predictive_power(x[order], s[order], 4, 3, np.random.default_rng(9)) == first
    assert guess_accuracy(contingency(x, s, 4, 3), np.random.default_rng(9)) == first
    assert predictive_power(x, s, 4, 3, np.random.default_rng(10)) != first  # the seed does choose the folds


def test_data_bias_proxies_are_equal_on_the_same_rows_in_another_order():
    """The whole proxies section: every number (guess included) depends on the rows, not on their order."""
    rng = np.random.default_rng(0)
    n = 4000
    sex = rng.choice(["f", "m"], n)
    frame = pd.DataFrame({"sex": sex, "zip": np.where(rng.random(n) < 0.6, sex, rng.choice(["f", "m", "x"], n)),
                          "income": rng.normal(size=n) + (sex == "m"), "label": rng.integers(0, 2, n)})
    frame["decision"] = frame["label"]

    def proxies(data: pd.DataFrame) -> list:
        ctx = build_context(AuditSpec(data=data, target="label", sensitive=["sex"], predictions="decision", seed=0))
        return DataBiasStep(n_boot=50).run(ctx).payload["bias"]["proxies"]

    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert proxies(shuffled) == proxies(frame)


@pytest.mark.parametrize("values", [
    pd.Series(np.r_[np.zeros(500), np.arange(1.0, 501.0)]),  # ties at the lowest edges: levels found from 2 on
    pd.Series(np.r_[np.zeros(500), np.arange(1.0, 501.0), [np.nan] * 7]),  # and NaN: levels 0, 2, 3, ...
    pd.Series(np.r_[np.arange(1000.0), [np.nan]]),
    pd.Series(np.arange(1000.0)),
    pd.Series(np.r_[np.full(990, -1.5), np.arange(11.0)]),
], ids=["ties", "ties-nan", "nan", "plain", "one-heavy-value"])
def test_binned_levels_equal_the_searchsorted_and_unique_version(values):
    encoded, expected = encode_column(values), previous.encode_column(values)
    assert np.array_equal(encoded.codes, expected.codes) and encoded.n_levels == expected.n_levels
    assert encoded.codes.dtype == np.uint8 and encoded.kind == "numeric (binned)"


@pytest.mark.parametrize("values", [
    pd.Series(["b", None, "a", "b", "(missing)", "(other)"] * 5, dtype="str"),
    pd.Series([f"v{i % 45}" for i in range(900)] + [None], dtype="str"),  # rare values pooled
    pd.Series([f"v{i % 45}" for i in range(900)], dtype=object),
    pd.Series([1, "1", 1.0, None, "x"] * 4, dtype=object),  # mixed: labelled row by row, "1" one level
    pd.Series(pd.Categorical(["lo", "hi", None, "lo"] * 5, categories=["lo", "mid", "hi"])),
    pd.Series([True, False, None, True] * 5, dtype="boolean"),
], ids=["text", "pooled", "object", "mixed", "category", "boolean"])
def test_text_levels_equal_the_row_by_row_version(values):
    encoded, expected = encode_column(values), previous.encode_column(values)
    assert np.array_equal(encoded.codes, expected.codes)
    assert (encoded.n_levels, encoded.kind) == (expected.n_levels, expected.kind)
    assert encoded.codes.dtype == np.uint8


def test_context_group_codes_from_the_distinct_values_equal_a_fresh_computation():
    """Each feature's groups come from its distinct values, intersections from those: equal to hashing the rows."""
    from auditkit.stats.counts import group_codes

    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame({"sex": rng.choice(["f", "m", None], n), "race": rng.choice(["b", "a", "é", "c"], n),
                          "age": rng.choice([30, 4, 100], n), "label": rng.integers(0, 2, n),
                          "mixed": pd.Series(rng.choice([1, 1.0, "1", "(missing)", None, 2.5], n), dtype=object),
                          "band": rng.choice([1.0, 2.0, np.nan], n)})
    frame["decision"] = frame["label"]
    sensitive = ["sex", "race", "age", "mixed", "band"]
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=sensitive, predictions="decision", seed=0))
    for features in [("race", "sex"), ("sex", "race", "age"), ("age", "sex"), ("mixed", "band"),
                     *[(feature,) for feature in sensitive]]:
        codes, keys = ctx.group_codes(features)
        fresh_codes, fresh_keys = group_codes(ctx.sensitive, features)
        assert np.array_equal(codes, fresh_codes)
        pd.testing.assert_frame_equal(keys, fresh_keys)


def test_proxies_with_the_audits_deciles_equal_proxies_computing_their_own():
    """data_bias cuts numbers at the deciles the audit sorted once (shared with data_overview): same proxies."""
    from auditkit.data_bias.analysis import proxies

    rng = np.random.default_rng(6)
    n = 5000
    sex = rng.choice(["f", "m"], n)
    frame = pd.DataFrame({"sex": sex, "income": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
                          "age": rng.integers(18, 90, n), "ties": np.r_[np.zeros(n // 2), rng.random(n - n // 2)],
                          "few": rng.choice([1.0, 2.0, 3.0], n), "label": rng.integers(0, 2, n)})
    frame["decision"] = frame["label"]
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["sex"], predictions="decision", seed=0))
    columns = ["income", "age", "ties", "few"]
    asked = []

    def deciles_of(column):
        asked.append(column)
        return ctx.number_summary(column)[1]

    shared = proxies(ctx.frame, ctx.sensitive, columns, 20, np.random.default_rng(1), 0.95, ctx.group_codes,
                     deciles_of)
    own = proxies(ctx.frame, ctx.sensitive, columns, 20, np.random.default_rng(1), 0.95, ctx.group_codes)
    assert shared == own and sorted(asked) == ["age", "income", "ties"]  # "few" is not binned


@pytest.mark.parametrize("sensitive_columns", [["sex"], ["sex", "race"], ["race", "sex", "band"]])
def test_pair_tables_from_the_intersected_groups_equal_each_pairs_crosstab(sensitive_columns):
    from auditkit.data_bias.analysis import pair_tables

    rng = np.random.default_rng(8)
    n = 4000
    frame = pd.DataFrame({"sex": rng.choice(["f", "m", None], n), "race": rng.choice(["b", "a", "é"], n),
                          "band": rng.choice([1.0, 2.0, np.nan], n), "x": rng.normal(size=n),
                          "c": rng.choice(["p", "q", None], n), "label": rng.integers(0, 2, n)})
    frame["decision"] = frame["label"]
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=sensitive_columns, predictions="decision",
                                  seed=0))
    encoded = {c: encode_column(frame[c]) for c in ["x", "c"]}
    tables = pair_tables(encoded, sensitive_columns, ctx.group_codes)
    assert set(tables) == {(f, c) for f in sensitive_columns for c in encoded}
    for (feature, column), table in tables.items():
        codes, keys = ctx.group_codes((feature,))
        expected = pd.crosstab(encoded[column].codes, codes).reindex(columns=range(len(keys)), fill_value=0)
        assert np.array_equal(table, expected.to_numpy())
        assert np.array_equal(table, contingency(encoded[column].codes, codes, encoded[column].n_levels, len(keys)))
