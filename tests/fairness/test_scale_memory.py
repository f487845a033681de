"""The fairness step's row passes at scale: calibration tables from one count of (finest group, bin) cells.

The tables are checked against the pandas ``groupby`` they replaced (kept verbatim below) on adversarial rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.fairness.scores import CALIBRATION_BINS, CalibrationCells, calibration_table
from auditkit.stats.bootstrap import DEFAULT_LEVEL, wilson_interval
from auditkit.stats.counts import partition


def groupby_calibration_table(codes, keys, y_true, y_score, n_bins=CALIBRATION_BINS, level=DEFAULT_LEVEL):
    """``auditkit.fairness.scores.calibration_table`` as of commit 28fc41a (a pandas groupby of the rows)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, y_score, side="right") - 1, 0, n_bins - 1)
    frame = pd.DataFrame({"group": codes, "bin": bins, "score": y_score, "y": np.asarray(y_true, dtype=float)})
    stats = frame.groupby(["group", "bin"], sort=True).agg(
        n=("y", "size"), mean_score=("score", "mean"), observed_rate=("y", "mean"), positives=("y", "sum")
    ).reset_index()
    table = keys.iloc[stats["group"].to_numpy()].reset_index(drop=True)
    table["bin_lower"] = edges[stats["bin"].to_numpy()]
    table["bin_upper"] = edges[stats["bin"].to_numpy() + 1]
    for column in ("n", "mean_score", "observed_rate"):
        table[column] = stats[column].to_numpy()
    low, high = wilson_interval(stats["positives"].to_numpy(), stats["n"].to_numpy(), level)
    table["observed_rate_ci_low"], table["observed_rate_ci_high"] = low, high
    return table


def _rows(case: str, n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(list("abcde"), n, p=[.5, .3, .1, .09, .01])
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "race": race, "score": rng.random(n)})
    if case == "ties":
        frame["score"] = frame["score"].round(1)  # every score on or near an edge of the ten bins
    elif case == "edges":
        frame["score"] = np.linspace(0.0, 1.0, 11)[rng.integers(0, 11, n)]  # exactly on the edges, 0 and 1 included
    elif case == "all equal":
        frame["score"] = 0.3
    elif case == "empty bins":
        frame["score"] = np.where(frame["sex"] == "f", 0.05 * frame["score"], 0.9 + 0.1 * frame["score"])
    elif case == "tiny groups":
        frame.loc[frame.index[:1], "race"], frame.loc[frame.index[1:3], "race"] = "single", "pair"
    frame["label"] = (rng.random(n) < frame["score"]).astype(np.int8)
    return frame


CASES = ["distinct", "ties", "edges", "all equal", "empty bins", "tiny groups"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("grouping", [("sex",), ("race",), ("sex", "race")])
def test_tables_from_cells_equal_the_groupby_of_the_rows(case, grouping):
    frame = _rows(case)
    parts = partition(frame[["sex", "race"]], [grouping])
    cells = CalibrationCells.of(parts.fine_codes, parts.n_fine, frame["label"].to_numpy(), frame["score"].to_numpy())
    got = cells.table(parts.members[0], parts.keys[0], level=0.9)
    expected = groupby_calibration_table(parts.row_codes(0), parts.keys[0], frame["label"].to_numpy(),
                                         frame["score"].to_numpy(), level=0.9)
    exact = [c for c in expected.columns if c != "mean_score"]
    pd.testing.assert_frame_equal(got[exact], expected[exact], check_exact=True)
    # a sum of the same scores in another order (finest groups first): equal to the last bits
    np.testing.assert_allclose(got["mean_score"], expected["mean_score"], rtol=1e-13, atol=0)


def test_calibration_table_of_row_codes_is_unchanged():
    frame = _rows("ties")
    parts = partition(frame[["sex", "race"]], [("race",)])
    args = (parts.row_codes(0), parts.keys[0], frame["label"].to_numpy(), frame["score"].to_numpy())
    got, expected = calibration_table(*args, n_bins=7), groupby_calibration_table(*args, n_bins=7)
    pd.testing.assert_frame_equal(got.drop(columns="mean_score"), expected.drop(columns="mean_score"))
    np.testing.assert_allclose(got["mean_score"], expected["mean_score"], rtol=1e-13, atol=0)


def test_bin_counts_do_not_overflow_near_the_32_bit_limit():
    """Counts are 64-bit: a bin of more rows than an int32 holds (given as counts, not rows) keeps its count."""
    big = 2**31 + 5
    cells = CalibrationCells(rows=np.array([[big, 1]]), positives=np.array([[big - 3, 1]]),
                             score_sums=np.array([[0.5 * big, 0.7]]), edges=np.linspace(0, 1, 3))
    table = cells.table(np.array([0]), pd.DataFrame({"sex": ["f"]}))
    assert table["n"].tolist() == [big, 1] and table["n"].dtype == np.int64
    assert table["observed_rate"].iloc[0] == (big - 3) / big


def test_fairness_step_reuses_the_audits_group_codes(monkeypatch):
    """The finest group codes come from ``AuditContext.group_codes`` (kept for data_bias too), not a second pass."""
    from auditkit import AuditSpec, build_context
    from auditkit.runner import run_step
    from auditkit.stats import counts
    from auditkit.steps import FairnessStep

    frame = _rows("distinct").assign(decision=lambda f: (f["score"] > 0.5).astype(int))
    ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["sex", "race"], predictions="decision",
                                  scores="score", steps=["fairness"], seed=0))
    ctx.group_codes(("sex", "race"))  # as data_bias leaves it
    passes = []
    real = counts.group_codes
    monkeypatch.setattr(counts, "group_codes", lambda s, f: passes.append(len(s)) or real(s, f))
    run_step(FairnessStep(n_boot=0), ctx, errors="raise")
    assert len(frame) not in passes  # group codes of the finest groups only (a row per group), never of the rows
