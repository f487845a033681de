"""Count resampling is the row bootstrap: same distribution, and the same intervals as fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit import datasets
from auditkit.stats.bootstrap import interval_pairs, percentile_interval, resample_counts, row_multiplicities
from auditkit.stats.counts import confusion_cells, group_codes, group_counts, rates_from_counts


def test_resampled_counts_keep_the_total_and_follow_the_multinomial():
    counts = np.array([[30, 5, 10, 55], [3, 1, 0, 96]])
    draws = resample_counts(counts, 20000, np.random.default_rng(0))
    assert draws.shape == (20000, 2, 4)
    assert (draws.sum(axis=(1, 2)) == 200).all()
    p = counts / 200
    # mean N p and variance N p (1 - p): the cell counts of a row resample of 200 rows
    np.testing.assert_allclose(draws.mean(axis=0), counts, atol=0.15)
    np.testing.assert_allclose(draws.var(axis=0), 200 * p * (1 - p), rtol=0.05, atol=0.05)
    assert (draws[:, 1, 2] == 0).all()  # an empty cell stays empty


def test_count_resampling_matches_resampling_rows():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 3, 500)
    cells = rng.integers(0, 4, 500)
    counts = group_counts(codes, cells, 3)
    by_rows = np.stack([group_counts(codes[i], cells[i], 3) for i in rng.integers(0, 500, (4000, 500))])
    by_counts = resample_counts(counts, 4000, np.random.default_rng(2))
    tpr_rows = rates_from_counts(by_rows)["true_positive_rate"]
    tpr_counts = rates_from_counts(by_counts)["true_positive_rate"]
    np.testing.assert_allclose(tpr_rows.mean(axis=0), tpr_counts.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(tpr_rows.std(axis=0), tpr_counts.std(axis=0), rtol=0.08)


def test_resampling_is_reproducible_with_the_seed():
    counts = np.array([[5, 6], [7, 8]])
    first = resample_counts(counts, 10, np.random.default_rng(3))
    assert (first == resample_counts(counts, 10, np.random.default_rng(3))).all()
    assert (first != resample_counts(counts, 10, np.random.default_rng(4))).any()


def test_row_multiplicities_are_resamples_of_every_row(monkeypatch):
    monkeypatch.setattr("auditkit.stats.bootstrap.ROW_CHUNK_CELLS", 70)  # force several chunks
    chunks = list(row_multiplicities(10, 25, np.random.default_rng(0)))
    assert len(chunks) > 1
    weights = np.concatenate(chunks)
    assert weights.shape == (25, 10)
    assert (weights.sum(axis=1) == 10).all() and (weights >= 0).all()


def test_percentile_interval_is_numpys_nanquantile_and_keeps_undefined():
    samples = np.array([[0.1, np.nan], [0.5, np.nan], [0.3, np.nan], [np.nan, np.nan]])
    lower, upper = percentile_interval(samples, 0.5)
    assert lower[0] == pytest.approx(np.nanquantile(samples[:, 0], 0.25))
    assert upper[0] == pytest.approx(np.nanquantile(samples[:, 0], 0.75))
    assert np.isnan(lower[1])
    assert interval_pairs(lower, upper)[1] == [None, None]


def test_selection_rate_interval_width_matches_the_binomial_standard_error():
    counts = np.array([[300, 200, 100, 400], [50, 50, 100, 800]])
    boot = rates_from_counts(resample_counts(counts, 8000, np.random.default_rng(5)))["selection_rate"]
    rate = rates_from_counts(counts)["selection_rate"]
    np.testing.assert_allclose(boot.std(axis=0), np.sqrt(rate * (1 - rate) / 1000), rtol=0.05)


QUANTILES = [0.025, 0.16, 0.5, 0.84, 0.975]
# Monte Carlo standard error of a bootstrap quantile estimated from n resamples, in units of the
# bootstrap standard deviation (normal approximation): sqrt(q (1 - q) / n) / phi(z_q).
PHI = {0.025: 0.0584, 0.16: 0.2420, 0.5: 0.3989, 0.84: 0.2420, 0.975: 0.0584}


def test_intervals_agree_with_fairlearn_within_monte_carlo_error():
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    german = datasets.load("german").frame
    y = (german["credit_risk"] == "good").to_numpy(dtype=int)
    y_pred = (german["duration_months"] <= 24).to_numpy(dtype=int)
    metrics = {"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
               "false_positive_rate": false_positive_rate}
    n_fair, n_ours = 200, 20000
    frame = MetricFrame(metrics=metrics, y_true=y, y_pred=y_pred, sensitive_features=german["sex"],
                        n_boot=n_fair, ci_quantiles=QUANTILES, random_state=0)
    codes, keys = group_codes(german[["sex"]].astype(str), ("sex",))
    boot = rates_from_counts(resample_counts(group_counts(codes, confusion_cells(y, y_pred), len(keys)), n_ours,
                                             np.random.default_rng(0)))
    for metric in metrics:
        ours = np.quantile(boot[metric], QUANTILES, axis=0)
        sd = boot[metric].std(axis=0)
        for i, q in enumerate(QUANTILES):
            theirs = frame.by_group_ci[i][metric].loc[keys["sex"]].to_numpy()
            se = np.sqrt(q * (1 - q)) / PHI[q] * np.sqrt(1 / n_fair + 1 / n_ours) * sd
            assert np.all(np.abs(ours[i] - theirs) < 4 * se), (metric, q, ours[i], theirs, se)


def test_difference_interval_agrees_with_fairlearn():
    from fairlearn.metrics import MetricFrame, selection_rate

    from auditkit.stats.disparities import disparity

    german = datasets.load("german").frame
    y = (german["credit_risk"] == "good").to_numpy(dtype=int)
    y_pred = (german["duration_months"] <= 24).to_numpy(dtype=int)
    n_fair, n_ours = 200, 20000
    frame = MetricFrame(metrics={"selection_rate": selection_rate}, y_true=y, y_pred=y_pred,
                        sensitive_features=german["age_group"], n_boot=n_fair, ci_quantiles=[0.16, 0.5, 0.84],
                        random_state=1)
    codes, keys = group_codes(german[["age_group"]].astype(str), ("age_group",))
    boot = rates_from_counts(resample_counts(group_counts(codes, confusion_cells(y, y_pred), len(keys)), n_ours,
                                             np.random.default_rng(1)))
    samples = disparity(boot, ("selection_rate",), "difference", "between_groups", np.ones(2, bool), 0)
    sd = samples.std()
    for i, q in enumerate([0.16, 0.5, 0.84]):
        theirs = float(pd.Series(frame.difference_ci()[i]).iloc[0])
        se = np.sqrt(q * (1 - q)) / PHI[q] * np.sqrt(1 / n_fair + 1 / n_ours) * sd
        assert abs(np.quantile(samples, q) - theirs) < 4 * se
