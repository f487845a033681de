"""Score metrics from (finest group, score bin, label) counts: exact points, bounded resamples, row resampling.

Cross-checked against scikit-learn (``roc_auc_score``, ``brier_score_loss``) and against metrics computed from the
rows of explicit row resamples (the scheme ``MetricFrame(n_boot=...)`` uses and auditkit used before).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from auditkit.fairness.score_cells import ScoreBins, ScoreStatistics, bins_for
from auditkit.fairness.scores import score_metrics, weighted_auc
from auditkit.stats.bootstrap import row_multiplicities

N_ROWS = 3000


def _rows(kind: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Rows of two sensitive features (3 x 2 finest groups) with scores of one adversarial ``kind``."""
    rng = np.random.default_rng(seed)
    a, b = rng.choice(3, N_ROWS, p=[0.6, 0.35, 0.05]), rng.integers(0, 2, N_ROWS)
    logit = rng.normal(-0.3, 1.4, N_ROWS) + 0.4 * a
    score = 1 / (1 + np.exp(-logit))
    y = (rng.random(N_ROWS) < score).astype(np.int8)
    if kind == "ties":  # few distinct values, many pairs tied across labels
        score = np.round(score, 1)
    elif kind == "tie_mass":  # a third of the rows at exactly 0, the rest continuous
        score = np.where(rng.random(N_ROWS) < 0.33, 0.0, score)
    elif kind == "all_equal":
        score = np.full(N_ROWS, 0.37)
    elif kind == "one_class_group":  # every row of group a=2 is positive
        y = np.where(a == 2, 1, y).astype(np.int8)
    elif kind == "tiny_groups":  # group a=2 has 3 rows
        keep = (a != 2) | (np.cumsum(a == 2) <= 3)
        a, b, score, y = a[keep], b[keep], score[keep], y[keep]
    elif kind == "decision":  # not probabilities: a margin of large magnitude
        score = 1e4 * logit + rng.normal(0, 1, N_ROWS)
    fine = a * 2 + b
    return {"fine": fine, "members": [np.arange(6) // 2, np.arange(6) % 2, np.arange(6)], "y": y, "score": score}


KINDS = ["continuous", "ties", "tie_mass", "all_equal", "one_class_group", "tiny_groups", "decision"]


def _groups(rows: dict, grouping: int) -> np.ndarray:
    return rows["members"][grouping][rows["fine"]]


def _reference(y, score, probabilities: bool) -> dict[str, float]:
    out = {"roc_auc": roc_auc_score(y, score) if len(np.unique(y)) == 2 else np.nan}
    if probabilities:
        out["brier_score"] = brier_score_loss(y, score, labels=[0, 1])
        out["calibration_in_the_large"] = score.mean() - y.mean()
    return out


@pytest.mark.parametrize("max_bins", [4096, 16, 3], ids=["exact-or-fine", "binned", "coarse"])
@pytest.mark.parametrize("kind", KINDS)
def test_point_estimates_equal_scikit_learn(kind, max_bins):
    rows = _rows(kind)
    probabilities = kind != "decision"
    result = score_metrics(rows["fine"], 6, rows["members"], rows["y"], rows["score"], 0,
                           np.random.default_rng(0), probabilities, max_bins=max_bins)
    for index, (point, boot) in enumerate(result.by_grouping):
        codes = _groups(rows, index)
        assert boot is None
        for group in range(codes.max() + 1):
            chosen = codes == group
            expected = _reference(rows["y"][chosen], rows["score"][chosen], probabilities)
            assert set(point) == set(expected)
            for name, value in expected.items():
                assert point[name][group] == pytest.approx(value, abs=1e-12, nan_ok=True), (name, group)


def _exact_on_rows(rows: dict, grouping: int, weights: np.ndarray, probabilities: bool) -> dict[str, np.ndarray]:
    """Metrics of row resamples (multiplicities ``weights`` ``(n_resamples, n)``), computed from the rows."""
    codes = _groups(rows, grouping)
    y, score = rows["y"].astype(float), rows["score"]
    out = {"roc_auc": np.stack([weighted_auc(y[codes == g], score[codes == g], weights[:, codes == g])
                                for g in range(codes.max() + 1)], axis=1)}
    if probabilities:
        with np.errstate(invalid="ignore"):
            n = np.stack([weights[:, codes == g].sum(axis=1) for g in range(codes.max() + 1)], axis=1)
            for name, values in (("brier_score", (score - y) ** 2), ("calibration_in_the_large", score - y)):
                sums = np.stack([weights[:, codes == g] @ values[codes == g] for g in range(codes.max() + 1)], axis=1)
                out[name] = sums / n
    return out


@pytest.mark.parametrize("max_bins", [4096, 16], ids=["exact-or-fine", "binned"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_resample_is_within_its_bound_of_the_same_row_resample(kind, max_bins):
    rows = _rows(kind, seed=1)
    probabilities = kind != "decision"
    stats = ScoreStatistics.of(rows["fine"], 6, rows["members"], rows["y"], rows["score"], max_bins)
    cell = np.searchsorted(stats.cells, (rows["fine"] * stats.bins.n_bins + stats.bins.of_row) * 2 + rows["y"])
    [weights] = list(row_multiplicities(len(rows["y"]), 20, np.random.default_rng(2)))
    counts = np.stack([np.bincount(cell, weights=w, minlength=len(stats.cells)) for w in weights])
    metrics, bounds = stats.metrics(counts, probabilities)
    largest_error = 0.0
    for index in range(len(rows["members"])):
        exact = _exact_on_rows(rows, index, weights.astype(float), probabilities)
        for name, values in exact.items():
            error = np.abs(metrics[index][name] - values)
            assert np.array_equal(np.isnan(metrics[index][name]), np.isnan(values)), name
            assert np.nanmax(error - bounds[index][name], initial=-1.0) <= 1e-12, name
            largest_error = max(largest_error, float(np.nanmax(error, initial=0.0)))
            if stats.bins.exact:
                assert np.nanmax(bounds[index][name], initial=0.0) == 0.0
    if stats.bins.exact:
        assert largest_error <= 1e-12


def test_exact_when_the_scores_take_few_values_per_bins_allowed():
    rows = _rows("ties")
    assert ScoreBins.of(rows["score"], 11).exact and not ScoreBins.of(rows["score"], 10).exact
    result = score_metrics(rows["fine"], 6, rows["members"], rows["y"], rows["score"], 50,
                           np.random.default_rng(0), True, max_bins=11)
    assert result.summary == {"method": "exact", "distinct_scores": 11, "bins": 11, "auc_error_bound": 0.0,
                              "brier_error_bound": 0.0, "calibration_error_bound": 0.0}


@pytest.mark.parametrize("max_bins", [1, 2, 7, 100])
def test_bins_keep_score_values_whole_and_isolate_frequent_ones(max_bins):
    rng = np.random.default_rng(0)
    score = np.r_[np.zeros(400), rng.random(500), np.full(100, 0.5)]
    bins = ScoreBins.of(score, max_bins)
    of_row = bins.of_row
    for value in np.unique(score):  # one value, one bin
        assert len(np.unique(of_row[score == value])) == 1
    order = np.argsort(score)
    assert np.all(np.diff(of_row[order]) >= 0)  # bins follow the order of scores
    assert bins.n_bins <= 2 * max_bins
    if max_bins * 400 >= len(score):  # 400 zeros make a bin's worth of rows: a bin of their own
        assert set(of_row[score == 0]).isdisjoint(of_row[score > 0])


def test_bins_follow_the_cell_budget():
    assert [bins_for(n, 10**6) for n in (1, 8, 20, 64, 1000)] == [4096, 2048, 819, 256, 256]
    assert bins_for(20, 30_000) == 30_000  # no more non-empty cells than rows: exact within the budget


def test_binned_auc_bound_on_smooth_scores_is_about_point_four_over_bins():
    """The stated size of the guaranteed AUC bound: about 0.4 / bins for smooth scores (50,000 rows, one group)."""
    rng = np.random.default_rng(3)
    score = 1 / (1 + np.exp(-rng.normal(-0.8, 1.5, 50_000)))
    y = (rng.random(50_000) < score).astype(np.int8)
    fine = np.zeros(50_000, dtype=np.int64)
    for bins in (512, 4096):
        result = score_metrics(fine, 1, [np.zeros(1, dtype=np.int64)], y, score, 20, np.random.default_rng(0), True,
                               max_bins=bins)
        assert result.summary["method"] == "binned"
        assert 0.2 / bins < result.summary["auc_error_bound"] < 0.6 / bins
    assert result.summary["auc_error_bound"] <= 1.5e-4  # 4096 bins: the 1e-4 scale


def test_resampled_intervals_match_row_resampling():
    """Same resampling scheme as before (rows of the whole audit with replacement): the spread of the resampled
    metrics equals that of explicit row resamples, up to Monte Carlo error."""
    rows = _rows("continuous", seed=4)
    n_boot = 400
    new = score_metrics(rows["fine"], 6, rows["members"], rows["y"], rows["score"], n_boot,
                        np.random.default_rng(0), True, max_bins=64)
    weights = np.concatenate(list(row_multiplicities(len(rows["y"]), n_boot, np.random.default_rng(1))))
    for index, (_, boot) in enumerate(new.by_grouping):
        old = _exact_on_rows(rows, index, weights.astype(float), True)
        for name in ("roc_auc", "brier_score", "calibration_in_the_large"):
            ratio = np.nanstd(boot[name], axis=0) / np.nanstd(old[name], axis=0)
            assert np.all(np.abs(ratio - 1) < 0.2), (index, name, ratio)  # SE of a SD ratio at 400 resamples: ~5%
            mean_gap = np.abs(np.nanmean(boot[name], axis=0) - np.nanmean(old[name], axis=0))
            assert np.all(mean_gap < 0.25 * np.nanstd(old[name], axis=0)), (index, name)


def test_same_seed_same_resamples_and_bounds():
    rows = _rows("tie_mass")
    first, second = (score_metrics(rows["fine"], 6, rows["members"], rows["y"], rows["score"], 30,
                                   np.random.default_rng(5), True, max_bins=32) for _ in range(2))
    assert first.summary == second.summary and first.summary["method"] == "binned"
    for (_, one), (_, two) in zip(first.by_grouping, second.by_grouping, strict=True):
        for name in one:
            np.testing.assert_array_equal(one[name], two[name])


def _audit_frame(n: int, continuous: bool):
    from _frames import make_frame

    frame = make_frame(n=n, seed=6)
    if continuous:  # make_frame rounds its scores to 4 decimals; give every row its own score
        frame["score"] = np.clip(frame["score"] + np.random.default_rng(0).normal(0, 1e-3, n), 0, 1)
    else:  # at most 101 distinct scores
        frame["score"] = frame["score"].round(2)
    return frame


def _fairness(frame, n_boot=60):
    from auditkit import AuditSpec, build_context
    from auditkit.steps import FairnessStep

    spec = AuditSpec(data=frame, target="approved", sensitive=["sex", "region"], predictions="decision",
                     scores="score", seed=0)
    return FairnessStep(n_boot=n_boot).run(build_context(spec))


@pytest.mark.parametrize("continuous", [False, True], ids=["exact", "binned"])
def test_fairness_step_reports_how_score_metrics_were_computed(continuous, monkeypatch):
    from auditkit.fairness import score_cells
    from auditkit.report.views import score_statistics_note
    from auditkit.result import to_jsonable

    monkeypatch.setattr(score_cells, "SCORE_CELL_BUDGET", 1000)  # bin 3,000 rows as if they were a million
    frame = _audit_frame(3000, continuous)
    result = _fairness(frame)
    stats = result.payload["settings"]["score_statistics"]
    assert stats["method"] == ("binned" if continuous else "exact")
    assert stats["distinct_scores"] == frame["score"].nunique()
    assert stats["bins"] == (bins_for(6) if continuous else frame["score"].nunique())  # 2 x 3 finest groups
    assert (stats["auc_error_bound"] > 0) == continuous and stats["auc_error_bound"] < 0.01
    for row in result.payload["by_group"]:
        rows = frame[np.logical_and.reduce([frame[k] == v for k, v in row["group"].items()])]
        assert row["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(rows["approved"], rows["score"]), abs=1e-12)
        assert row["metrics"]["brier_score"] == pytest.approx(brier_score_loss(rows["approved"], rows["score"]),
                                                              abs=1e-12)
        low, high = row["ci"]["roc_auc"]
        assert low < row["metrics"]["roc_auc"] < high
    note = score_statistics_note({"fairness": to_jsonable(result.payload)})
    assert ("within" in note) == continuous and note.startswith("Score metrics by group")
    assert to_jsonable(result.payload) == to_jsonable(_fairness(frame).payload)  # same seed, same numbers


def test_no_scores_no_score_statistics():
    from _frames import make_frame

    from auditkit import AuditSpec, build_context
    from auditkit.steps import FairnessStep

    spec = AuditSpec(data=make_frame(200), target="approved", sensitive=["sex"], predictions="decision", seed=0)
    assert "score_statistics" not in FairnessStep(n_boot=10).run(build_context(spec)).payload["settings"]
