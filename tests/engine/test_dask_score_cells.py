"""engine="dask" with a model: the scores are reduced on the workers to the in-memory engine's score statistics.

The client holds the cells of (sensitive values, label, decision) and, per (cell, score bin), the sums the
score metrics need; never a cell per distinct score. The bins, cells, counts, within-bin pair shares, and so
the bootstrap draws, are the in-memory engine's.
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers, longest_computed, parquet_parts
from _frames import make_frame
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

import auditkit
from auditkit.engine import dask_audit, dask_score_cells
from auditkit.engine.dask_order_stats import RunSketch, range_cuts
from auditkit.engine.dask_score_cells import ordered_pairs, rows_below_ranges, split_scores
from auditkit.engine.score_bins import BinEdges, merge_edges, range_edges
from auditkit.fairness.cell_scores import CellScores, repeated_sum
from auditkit.fairness.score_cells import ScoreBins
from auditkit.fairness.score_pairs import RowsByScore, pairs_within_bins
from auditkit.steps.performance import overall_auc

FEATURES = ["income", "debt"]
STEPS = ["performance", "fairness"]
SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "seed": 7, "steps": STEPS,
            "step_options": {"fairness": {"n_boot": 40}}}
ROWS = 40_000  # above SCORE_CELL_BUDGET (2**15) rows, the in-memory engine bins continuous scores


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = make_frame(ROWS, seed=5).drop(columns=["score", "decision"])
    data.loc[data.index[::37], "region"] = None
    return data.astype({"sex": object, "region": object})


def dask_frame(frame: pd.DataFrame, npartitions: int = 4):
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions)


def score_statistics(audit: dict) -> dict:
    return audit["fairness"]["settings"]["score_statistics"]


# --- the bins: found from order statistics, equal to ScoreBins.of ---------------------------------------------------

def _scores(case: str, rng: np.random.Generator) -> np.ndarray:
    n = 640
    if case == "continuous":
        return rng.random(n)
    if case == "ties":
        return rng.random(n).round(2)
    if case == "one value holds half the rows":
        return np.r_[rng.random(n // 2), np.full(n // 2, 0.37)]
    if case == "the largest value holds exactly n / bins rows":
        return np.r_[rng.random(n - 10) * 0.9, np.full(10, 0.95)]
    if case == "the smallest value holds many rows":
        return np.r_[np.full(100, 0.01), 0.02 + rng.random(n - 100)]
    if case == "two lone values side by side":
        return np.r_[rng.random(n - 200), np.full(100, 2.0), np.full(100, 3.0)]
    if case == "signed zeros":
        return np.r_[np.full(30, -0.0), np.full(30, 0.0), rng.normal(size=n - 60)]
    if case == "one more distinct value than bins":
        return np.r_[np.arange(65.0), rng.integers(0, 65, n - 65).astype(float)]
    raise AssertionError(case)


CASES = ["continuous", "ties", "one value holds half the rows", "the largest value holds exactly n / bins rows",
         "the smallest value holds many rows", "two lone values side by side", "signed zeros",
         "one more distinct value than bins"]


def edges_in_partitions(runs: list[np.ndarray], max_bins: int) -> BinEdges:
    """The second pass of :func:`dask_score_cells.bin_edges`, in this process."""
    sketches = [RunSketch.of(np.sort(run), samples=8) for run in runs]  # coarse sketches: uneven ranges
    n = sum(len(run) for run in runs)
    cuts = range_cuts(sketches, 5)
    split = [split_scores(pd.Series(run), cuts) for run in runs]
    below = rows_below_ranges([s[0] for s in split])
    ranges = []
    for r in range(len(cuts) + 1):
        values = np.concatenate([s[1 + r][0] for s in split])
        counts = np.concatenate([s[1 + r][1] for s in split])
        distinct, which = np.unique(values, return_inverse=True)
        ranges.append(range_edges(distinct, np.bincount(which, weights=counts).astype(np.int64), int(below[r]), n,
                                  max_bins))
    edges, n_distinct = merge_edges(ranges, float(max(run.max() for run in runs if len(run))))
    assert n_distinct == len(np.unique(np.concatenate(runs)))
    return edges


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sizes", [[640], [0, 1, 0, 300, 339], [213, 214, 213]])
@pytest.mark.parametrize("max_bins", [16, 64])
def test_the_bins_found_from_order_statistics_are_score_bins_of_the_rows(case, sizes, max_bins):
    scores = _scores(case, np.random.default_rng(len(case)))
    scores = scores[np.random.default_rng(1).permutation(len(scores))]
    expected = ScoreBins.of(scores, max_bins)
    assert not expected.exact
    edges = edges_in_partitions(np.split(scores, np.cumsum(sizes)[:-1]), max_bins)
    assert edges.n_bins == expected.n_bins
    assert edges.of(scores).tolist() == expected.of_row.tolist()


def test_the_distinct_scores_when_few_are_each_a_bin():
    scores = np.array([0.3, 0.1, 0.3, 0.9])
    edges = BinEdges.exact_values(np.unique(scores))
    assert edges.of(scores).tolist() == ScoreBins.of(scores, 4).of_row.tolist()


# --- the pairs within bins ------------------------------------------------------------------------------------------

def test_the_ordered_pairs_give_the_in_memory_shares_and_slacks():
    rng = np.random.default_rng(2)
    n, n_fine, n_bins = 3000, 6, 20
    scores = rng.random(n).round(3)  # ties within and across groups
    fine, label = rng.integers(0, n_fine, n), (rng.random(n) < scores).astype(int)
    bins = ScoreBins.of(scores, n_bins)
    member = np.array([0, 0, 1, 1, 2, 2])
    rows = RowsByScore.of(fine, label, bins.by_score, bins.value_of_row, bins.bin_of_value, n_fine)
    share, slack = pairs_within_bins(member, 3, rows, bins.n_bins)
    order = np.argsort(scores, kind="stable")
    ordered, several = ordered_pairs(member[fine[order]], 3, bins.of_row[order], scores[order], label[order],
                                     bins.n_bins)
    pairs = np.stack([np.bincount(bins.of_row[member[fine] == g], weights=label[member[fine] == g],
                                  minlength=bins.n_bins) for g in range(3)])
    negatives = np.stack([np.bincount(bins.of_row[member[fine] == g], minlength=bins.n_bins) for g in range(3)]) - pairs
    pairs = pairs * negatives
    np.testing.assert_array_equal(np.divide(ordered, pairs, out=np.full(pairs.shape, 0.5), where=pairs > 0), share)
    np.testing.assert_array_equal(np.where(~several | (pairs == 0), 0.0, np.maximum(share, 1 - share)), slack)


def test_the_overall_auc_of_the_cells_is_the_rows_to_the_last_bit():
    rng = np.random.default_rng(4)
    scores = rng.random(500).round(2)
    cell = rng.integers(0, 4, 500)
    label_of_cell = np.array([0, 1, 0, 1])
    cells = CellScores.of_rows(cell, scores, label_of_cell, fine_codes=np.array([0, 0, 1, 1]))
    got = cells.overall(label_of_cell, probabilities=True)
    assert got["roc_auc"] == overall_auc(label_of_cell[cell] == 1, scores)
    assert got["brier_score"] == pytest.approx(np.mean((scores - label_of_cell[cell]) ** 2), rel=1e-12)


VALUES = [0.1, 1 / 3, 0.5, 0.37, 0.9999999, 2.0**-30, 1e-300, 123.456, -0.3, *np.random.default_rng(0).random(20)]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("count", [1, 2, 3, 7, 100, 4097, 123_457])
def test_a_repeated_sum_is_numpys_one_addition_at_a_time(value, count):
    one_at_a_time = np.bincount(np.zeros(count, dtype=np.int64), weights=np.full(count, value))[0]
    assert repeated_sum(value, count) == one_at_a_time  # to the last bit


# --- whole audits: the in-memory numbers ----------------------------------------------------------------------------

MODELS = {
    "a shallow tree: few distinct scores, exact": (lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
                                                   "exact"),
    "one score for every row: exact": (lambda: DummyClassifier(strategy="prior"), "exact"),
    "continuous probabilities: binned": (lambda: LogisticRegression(), "binned"),
    "continuous decision scores: binned": (lambda: LinearSVC(), "binned"),
}


@pytest.mark.parametrize("case", list(MODELS))
def test_a_models_score_metrics_on_dask_are_the_in_memory_ones(case, frame):
    make, method = MODELS[case]
    model = make().fit(frame[FEATURES], frame["approved"])
    settings = {**SETTINGS, "model": model}
    in_memory = auditkit.audit(data=frame, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=dask_frame(frame), engine="dask", scheduler="synchronous", progress=False,
                             **settings).to_dict()
    assert score_statistics(in_memory)["method"] == method
    assert_same_numbers(on_dask, in_memory)
    assert on_dask["performance"]["overall"]["roc_auc"] == in_memory["performance"]["overall"]["roc_auc"]


def test_uneven_and_empty_partitions_and_many_ranges_of_bins_give_the_in_memory_numbers(frame, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setattr(dask_score_cells, "ROWS_PER_RANGE", 3000)  # a dozen pair-counting tasks
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    back = parquet_parts(frame, tmp_path, [slice(0, 0), slice(0, 7), slice(7, 7), slice(7, 25_000),
                                           slice(25_000, ROWS)])
    settings = {**SETTINGS, "model": model}
    in_memory = auditkit.audit(data=back, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask", scheduler="synchronous",
                             progress=False, **settings).to_dict()
    assert score_statistics(on_dask)["method"] == "binned"
    assert_same_numbers(on_dask, in_memory)


def test_the_client_receives_nothing_as_long_as_the_rows(monkeypatch):
    rows = 200_000
    data = make_frame(rows, seed=8).drop(columns=["score", "decision"]).astype({"sex": object, "region": object})
    model = LogisticRegression().fit(data[FEATURES], data["approved"])
    received = longest_computed(monkeypatch)
    audit = auditkit.audit(data=dask_frame(data, 8), engine="dask", scheduler="synchronous", progress=False,
                           **{**SETTINGS, "model": model}).to_dict()
    assert score_statistics(audit)["method"] == "binned"
    assert score_statistics(audit)["distinct_scores"] > rows / 2
    assert max(received) <= rows / 5  # the cells, the bins' sums and pairs, the first pass's kept values



@pytest.mark.slow
def test_binned_scores_on_a_local_cluster_give_the_in_memory_numbers(frame, tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(dask_score_cells, "ROWS_PER_RANGE", 10_000)  # several pair-counting tasks (pickled with it)
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    back = parquet_parts(frame, tmp_path, [slice(0, 15_000), slice(15_000, 15_000), slice(15_000, ROWS)])
    settings = {**SETTINGS, "model": model}
    in_memory = auditkit.audit(data=back, progress=False, **settings).to_dict()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        on_dask = auditkit.audit(data=str(tmp_path / "part-*.parquet"), engine="dask",
                                 scheduler=cluster.scheduler_address, progress=False, **settings).to_dict()
    assert score_statistics(on_dask)["method"] == "binned"
    assert_same_numbers(on_dask, in_memory)


def test_an_audit_whose_steps_read_no_score_does_not_reduce_them(frame, monkeypatch):
    called = []
    monkeypatch.setattr(dask_audit, "cell_scores", lambda *args: called.append(args))
    model = LogisticRegression().fit(frame[FEATURES], frame["approved"])
    settings = {**SETTINGS, "model": model, "steps": ["data_overview", "data_bias"],
                "step_options": {"data_bias": {"n_boot": 10}}}
    in_memory = auditkit.audit(data=frame, progress=False, **settings).to_dict()
    on_dask = auditkit.audit(data=dask_frame(frame), engine="dask", scheduler="synchronous", progress=False,
                             **settings).to_dict()
    assert called == []
    assert_same_numbers(on_dask, in_memory)
