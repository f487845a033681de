"""Group codes are held narrow (int8 up to 128 groups, int16 up to 2**15...); every consumer widens before arithmetic.

The overflow audit of issue 12: each consumer of group codes, given codes at the limit of their narrow type (the
largest code the type holds), gives the same numbers as with the same codes in int64. End to end, every step that
reads group codes (data_overview, data_bias, fairness of each task, with scores, and with row weights) gives the same
payload with narrow codes as with int64 codes: a consumer that multiplies narrow codes (``codes * 4 + cell``) wraps
around and would give other numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import auditkit.stats.levels as levels_module
from auditkit import AuditSpec, build_context
from auditkit.data_bias.analysis import base_rates, pair_tables, representation
from auditkit.data_bias.proxies import contingency, encode_column
from auditkit.fairness.custom_metrics import CustomMetric, custom_metric_values
from auditkit.fairness.score_cells import ScoreStatistics, bins_for
from auditkit.fairness.scores import CalibrationCells
from auditkit.fairness.weighted_cells import weighted_statistics
from auditkit.io.data import LoadedData
from auditkit.runner import run_step
from auditkit.stats.counts import confusion_cells, group_codes, group_counts, partition
from auditkit.stats.levels import code_dtype, wide
from auditkit.stats.regression import regression_metrics

# (groups of the first feature, of the second): intersected, the largest code is the narrow type's largest.
AT_LIMIT = {"int8": (4, 32), "int16": (128, 256)}


def _sensitive(first: int, second: int, rows_each: int = 2, seed: int = 0) -> pd.DataFrame:
    """Every (a, b) combination ``rows_each`` times, shuffled: ``first * second`` intersected groups."""
    a, b = np.meshgrid(np.arange(first), np.arange(second), indexing="ij")
    rows = np.random.default_rng(seed).permutation(np.repeat(np.arange(a.size), rows_each))
    return pd.DataFrame({"a": np.char.add("a", a.ravel()[rows].astype(str)),
                         "b": np.char.add("b", b.ravel()[rows].astype(str))})


def _at_limit(dtype: str) -> tuple[pd.DataFrame, np.ndarray, int]:
    sensitive = _sensitive(*AT_LIMIT[dtype])
    codes, keys = group_codes(sensitive, ("a", "b"))
    assert codes.dtype == np.dtype(dtype) and int(codes.max()) == np.iinfo(codes.dtype).max
    return sensitive, codes, len(keys)


@pytest.fixture(scope="module", params=list(AT_LIMIT))
def at_limit(request) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Codes at the limit of int8 and of int16 (for the consumers whose work does not grow with groups x rows)."""
    return _at_limit(request.param)


@pytest.fixture(scope="module")
def at_int8_limit() -> tuple[pd.DataFrame, np.ndarray, int]:
    """Codes at the limit of int8 (for the consumers that build a row x group design or loop over groups)."""
    return _at_limit("int8")


def _outcomes(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    return (rng.random(n) < score).astype(np.int8), (score > 0.5).astype(np.int8), score


@pytest.mark.parametrize(("n_codes", "dtype"), [(1, "int8"), (128, "int8"), (129, "int16"), (2**15, "int16"),
                                                (2**15 + 1, "int32"), (2**31, "int32"), (2**31 + 1, "int64")])
def test_code_dtype_is_the_narrowest_that_holds_every_code(n_codes, dtype):
    assert code_dtype(n_codes) == np.dtype(dtype)
    assert np.iinfo(code_dtype(n_codes)).max >= n_codes - 1


def test_group_codes_of_every_grouping_are_narrow():
    codes, keys = group_codes(_sensitive(4, 32), ("a", "b"))
    parts = partition(_sensitive(4, 32), [("a",), ("b",), ("a", "b")])
    assert codes.dtype == np.int8 and len(keys) == 128
    assert [parts.row_codes(i).dtype for i in range(3)] == [np.dtype(np.int8)] * 3


def test_group_counts_at_the_limit_equal_int64(at_limit):
    _, codes, n = at_limit
    y, decision, _ = _outcomes(len(codes))
    cells = confusion_cells(y, decision)
    narrow_counts = group_counts(codes, cells, n)
    np.testing.assert_array_equal(narrow_counts, group_counts(wide(codes), cells, n))
    assert narrow_counts.sum() == len(codes) and (narrow_counts.sum(axis=1) == 2).all()


def test_score_statistics_at_the_limit_equal_int64(at_limit):
    sensitive, codes, n = at_limit
    y, _, score = _outcomes(len(codes))
    members = partition(sensitive, [("a",), ("b",), ("a", "b")]).members
    assert all(m.dtype == code_dtype(int(m.max()) + 1) for m in members)  # narrow by the groups of each grouping
    bins = bins_for(n, len(codes))
    ours = ScoreStatistics.of(codes, n, members, y, score, bins)
    theirs = ScoreStatistics.of(wide(codes), n, [wide(m) for m in members], y, score, bins)
    np.testing.assert_array_equal(ours.cells, theirs.cells)
    np.testing.assert_array_equal(ours.counts, theirs.counts)
    if n > 128:  # the metrics of the cells read no codes; once is enough
        return
    counts = ours.counts[None].astype(float)
    for got, expected in zip(ours.metrics(counts, probabilities=True)[0], theirs.metrics(counts, probabilities=True)[0],
                             strict=True):
        for metric in expected:
            np.testing.assert_array_equal(got[metric], expected[metric])


def test_calibration_cells_at_the_limit_equal_int64(at_limit):
    sensitive, codes, n = at_limit
    y, _, score = _outcomes(len(codes))
    ours, theirs = CalibrationCells.of(codes, n, y, score), CalibrationCells.of(wide(codes), n, y, score)
    for field in ("rows", "positives", "score_sums"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field))
    assert ours.rows.sum() == len(codes) and (ours.rows.sum(axis=1) == 2).all()


def test_weighted_statistics_at_the_limit_equal_int64(at_limit):
    sensitive, codes, n = at_limit
    y, _, score = _outcomes(len(codes))
    weights = np.random.default_rng(2).integers(1, 5, len(codes))
    members = partition(sensitive, [("a",), ("a", "b")]).members
    ours = weighted_statistics(codes, n, members, y, score, weights, bins_for(n, len(codes)))
    theirs = weighted_statistics(wide(codes), n, [wide(m) for m in members], y, score, weights,
                                 bins_for(n, len(codes)))
    np.testing.assert_array_equal(ours.cells, theirs.cells)
    np.testing.assert_array_equal(ours.counts, theirs.counts)


def test_data_bias_tables_at_the_limit_equal_int64(at_limit):
    sensitive, codes, n = at_limit
    narrow_of = {f: group_codes(sensitive, f) for f in (("a",), ("b",), ("a", "b"))}
    wide_of = {f: (wide(c), k) for f, (c, k) in narrow_of.items()}
    column = encode_column(pd.Series(np.random.default_rng(3).integers(0, 7, len(codes)).astype(str)))
    ours, theirs = (pair_tables({"x": column}, ["a", "b"], how.__getitem__) for how in (narrow_of, wide_of))
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
    np.testing.assert_array_equal(contingency(column.codes, codes, column.n_levels, n),
                                  contingency(column.codes, wide(codes), column.n_levels, n))


def test_representation_at_the_limit_equals_int64(at_int8_limit):
    sensitive, _, _ = at_int8_limit
    narrow_of = {f: group_codes(sensitive, f) for f in (("a",), ("b",), ("a", "b"))}
    wide_of = {f: (wide(c), k) for f, (c, k) in narrow_of.items()}
    rng = np.random.default_rng
    got = representation(sensitive, list(narrow_of), {}, 10, rng(0), 0.95, narrow_of.__getitem__)
    assert got == representation(sensitive, list(wide_of), {}, 10, rng(0), 0.95, wide_of.__getitem__)


class _Context:
    """What ``base_rates`` reads of an audit context, with the group codes given."""

    def __init__(self, codes_of: dict, y_true: np.ndarray, task: str = "binary", labels=(0, 1)):
        self.group_codes, self.y_true, self.labels, self.weights = codes_of.__getitem__, y_true, labels, None
        self.spec = AuditSpec(data=pd.DataFrame({"y": [0, 1]}), target="y", sensitive=["y"], task=task)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_base_rates_at_the_limit_equal_int64(at_int8_limit, task):
    sensitive, codes, _ = at_int8_limit
    y = np.random.default_rng(4).integers(0, 3 if task == "multiclass" else 2, len(codes))
    y = y.astype(float) if task == "regression" else y
    labels = (0, 1, 2) if task == "multiclass" else (0, 1)
    narrow_of = {("a", "b"): group_codes(sensitive, ("a", "b"))}
    wide_of = {f: (wide(c), k) for f, (c, k) in narrow_of.items()}
    got, expected = (base_rates(_Context(how, y, task, labels), [("a", "b")], 1, 5, np.random.default_rng(0), 0.95)
                     for how in (narrow_of, wide_of))
    assert json.dumps(got, default=str) == json.dumps(expected, default=str)


def test_row_codes_consumers_at_the_limit_equal_int64(at_int8_limit):
    sensitive, codes, n = at_int8_limit
    y, decision, score = _outcomes(len(codes))
    np.testing.assert_array_equal(regression_metrics(codes, n, score, score * 2)["mean_target"],
                                  regression_metrics(wide(codes), n, score, score * 2)["mean_target"])
    parts = partition(sensitive, [("a",), ("a", "b")])
    np.testing.assert_array_equal(parts.aggregate(np.ones(n, dtype=np.int64), 0, 0), [n // len(parts.keys[0])]
                                  * len(parts.keys[0]))
    metric = [CustomMetric("agreement", lambda y_true, y_pred: float(np.mean(y_true == y_pred)), False)]
    got = custom_metric_values(metric, [codes], [n], y, decision, None, 0, np.random.default_rng(0))
    expected = custom_metric_values(metric, [wide(codes)], [n], y, decision, None, 0, np.random.default_rng(0))
    np.testing.assert_array_equal(got[0][0]["agreement"], expected[0][0]["agreement"])


def _frame(rows_each: int = 3, seed: int = 5) -> pd.DataFrame:
    """Two sensitive columns of 4 and 32 groups (128 intersected: the largest code is int8's largest)."""
    frame = _sensitive(4, 32, rows_each, seed)
    rng = np.random.default_rng(seed)
    n = len(frame)
    frame["x"] = rng.normal(size=n)
    frame["c"] = np.char.add("c", rng.integers(0, 5, n).astype(str))
    frame["score"] = rng.random(n)
    frame["label"] = (rng.random(n) < frame["score"]).astype(int)
    frame["decision"] = (frame["score"] > 0.5).astype(int)
    frame["klass"] = rng.integers(0, 3, n)
    frame["klass_pred"] = rng.integers(0, 3, n)
    frame["amount"] = frame["score"] * 10 + rng.normal(size=n)
    frame["amount_pred"] = frame["score"] * 10
    return frame


SPECS = {
    "binary with scores": dict(target="label", predictions="decision", scores="score"),
    "multiclass": dict(target="klass", predictions="klass_pred", task="multiclass"),
    "regression": dict(target="amount", predictions="amount_pred", task="regression"),
}


def _payloads(spec_args: dict, weights: np.ndarray | None, dtype: type) -> str:
    frame = _frame()
    drop = [c for c in ("label", "decision", "score", "klass", "klass_pred", "amount", "amount_pred")
            if c not in spec_args.values()]
    frame = frame.drop(columns=drop)
    spec = AuditSpec(data=frame, sensitive=["a", "b"], steps=["data_overview", "data_bias", "fairness"],
                     seed=0, step_options={"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20}}, **spec_args)
    loaded = LoadedData(frame, "frame", "0", row_weights=weights)
    ctx = build_context(spec, loaded=loaded)
    assert ctx.group_codes(("a", "b"))[0].dtype == dtype
    results = [run_step(step, ctx, errors="raise") for step in spec.build_steps()]
    return json.dumps([r.payload for r in results], default=str, sort_keys=True)


@pytest.mark.parametrize("weighted", [False, True], ids=["rows", "weighted rows"])
@pytest.mark.parametrize("spec_args", list(SPECS.values()), ids=list(SPECS))
def test_every_step_gives_the_same_payload_with_narrow_and_int64_codes(spec_args, weighted, monkeypatch):
    if weighted and "task" in spec_args:
        pytest.skip("weighted rows (the Dask engine's cells) are audited for binary tasks only")
    weights = np.random.default_rng(6).integers(1, 4, len(_frame())) if weighted else None
    narrow_payloads = _payloads(spec_args, weights, np.int8)
    monkeypatch.setattr(levels_module, "code_dtype", lambda n_codes: np.dtype(np.int64))  # codes as before: int64
    assert narrow_payloads == _payloads(spec_args, weights, np.int64)
