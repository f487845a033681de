"""engine="dask" audits weighted cells: each distinct (group, label, decision, score) once, with its count.

The weighted statistics must equal the in-memory ones of the rows the cells stand for: point values, the
bootstrap draws (same counts, same generator) and the bounds, with tiny groups, tied scores, a group with one
label, exact and binned score bins.
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers
from _frames import make_frame

import auditkit
from auditkit.exceptions import InputError
from auditkit.fairness import score_cells
from auditkit.fairness.scores import calibration_table, score_metrics
from auditkit.fairness.weighted_cells import weighted_calibration_table, weighted_score_metrics

MEMBERS = [np.array([0, 0, 1, 1, 2]), np.arange(5)]  # a coarse grouping and the finest one


def _cells(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(finest group, label, score, weight)`` of distinct cells: 5 finest groups, as ``kind`` says."""
    rng = np.random.default_rng(3)
    n = 400
    fine = rng.choice(5, n, p=[0.4, 0.3, 0.2, 0.09, 0.01])
    label = (rng.random(n) < 0.5).astype(int)
    score = rng.random(n).round(1 if kind == "ties" else 3)
    if kind == "one label":
        label[fine == 2] = 1  # a group of positives only: no AUC, a Brier score
    if kind == "tiny group":
        fine[:] = np.where(fine == 4, 3, fine)
        fine[0] = 4  # one cell of one row
    keys = pd.DataFrame({"fine": fine, "label": label, "score": score})
    cells = keys.groupby(list(keys.columns), sort=False).size().reset_index(name="n")
    cells["n"] = cells["n"] * rng.integers(1, 6, len(cells))  # cells stand for several rows
    return (cells["fine"].to_numpy(), cells["label"].to_numpy(), cells["score"].to_numpy(), cells["n"].to_numpy())


def _rows(weights: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(weights)), weights)


@pytest.mark.parametrize("kind", ["ties", "one label", "tiny group", "many scores"])
@pytest.mark.parametrize("max_bins", [None, 8], ids=["exact", "binned"])
@pytest.mark.parametrize("probabilities", [True, False])
def test_weighted_score_metrics_equal_those_of_the_rows(kind, max_bins, probabilities):
    fine, label, score, weights = _cells(kind)
    rows = _rows(weights)
    got = weighted_score_metrics(fine, 5, MEMBERS, label, score, weights, 60, np.random.default_rng(9), probabilities,
                                 max_bins=max_bins)
    want = score_metrics(fine[rows], 5, MEMBERS, label[rows], score[rows], 60, np.random.default_rng(9),
                         probabilities, max_bins=max_bins)
    assert got.summary == {k: pytest.approx(v, rel=1e-12, abs=1e-15) if isinstance(v, float) else v
                           for k, v in want.summary.items()}
    assert got.summary["method"] == ("binned" if max_bins else "exact")
    for (got_point, got_boot), (want_point, want_boot) in zip(got.by_grouping, want.by_grouping, strict=True):
        assert sorted(got_point) == sorted(want_point)
        for name in want_point:
            np.testing.assert_allclose(got_point[name], want_point[name], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(got_boot[name], want_boot[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["ties", "one label", "tiny group"])
def test_weighted_calibration_table_equals_that_of_the_rows(kind):
    fine, label, score, weights = _cells(kind)
    rows = _rows(weights)
    keys = pd.DataFrame({"group": list("abcde")})
    got = weighted_calibration_table(fine, keys, label, score, weights)
    want = calibration_table(fine[rows], keys, label[rows], score[rows])
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


def _data(n: int = 3000) -> pd.DataFrame:
    """Rows that repeat: scores of one decimal; a region of 3 rows; a region whose rows are all positive."""
    frame = make_frame(n, seed=8)
    frame["score"] = frame["score"].round(1)
    frame.loc[frame.index[:3], "region"] = "west"
    east = frame["region"] == "east"
    frame.loc[east, "approved"] = 1
    frame["decision"] = (frame["score"] > 0.5).astype(int)
    return frame


SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "scores": "score",
            "seed": 2, "progress": False, "steps": ["data_overview", "data_bias", "performance", "fairness"],
            "step_options": {"fairness": {"n_boot": 150}, "data_bias": {"n_boot": 50}}}


def _audits(frame: pd.DataFrame, **changes) -> tuple[dict, dict]:
    settings = {**SETTINGS, **changes}
    memory = auditkit.audit(data=frame, **settings).to_dict()
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(frame.sample(frac=1.0, random_state=4), npartitions=3)
    return memory, auditkit.audit(data=data, engine="dask", scheduler="synchronous", **settings).to_dict()


def test_an_audit_of_repeated_rows_equals_the_in_memory_engine():
    memory, on_dask = _audits(_data())
    assert_same_numbers(on_dask, memory)
    groups = {tuple(r["group"].values()): r for r in on_dask["fairness"]["by_group"]}
    assert groups[("west",)]["n"] == 3
    assert groups[("east",)]["counts"]["fp"] == groups[("east",)]["counts"]["tn"] == 0  # one label
    assert on_dask["dataset"]["n_rows"] == 3000 and on_dask["provenance"]["split"]["rows_audited"] == 3000


def test_binned_scores_of_repeated_rows_equal_the_in_memory_engine(monkeypatch):
    monkeypatch.setattr(score_cells, "SCORE_CELL_BUDGET", 64)
    monkeypatch.setattr(score_cells, "MIN_SCORE_BINS", 4)  # 11 scores in at most 4 bins: binned
    frame = _data(2000)
    frame["score"] = np.random.default_rng(1).random(len(frame)).round(2)
    memory, on_dask = _audits(frame, steps=["performance", "fairness"])
    assert on_dask["fairness"]["settings"]["score_statistics"]["method"] == "binned"
    assert_same_numbers(on_dask, memory)


def test_user_metrics_are_refused_as_they_need_rows():
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(_data(200), npartitions=2)
    settings = {**SETTINGS, "steps": ["fairness"],
                "step_options": {"fairness": {"extra_metrics": {"f1": "sklearn.metrics:f1_score"}}}}
    with pytest.raises(InputError, match=r", and no fairness extra_metrics \(they need the rows\); got extra_metrics "
                                         r"f1$"):
        auditkit.audit(data=data, engine="dask", scheduler="synchronous", **settings)


def test_weighted_fairness_refuses_user_metrics_given_directly():
    from auditkit import AuditSpec, build_context
    from auditkit.fairness.analysis import FairnessSettings
    from auditkit.fairness.weighted_cells import weighted_fairness
    from auditkit.io.data import LoadedData

    cells = pd.DataFrame({"g": ["a", "b"], "y": [1, 0], "d": [1, 1]})
    loaded = LoadedData(cells, "cells", "0", row_weights=np.array([4, 6]))
    ctx = build_context(AuditSpec(data=cells, target="y", sensitive=["g"], predictions="d"), loaded=loaded)
    with pytest.raises(InputError, match=r"^extra_metrics need the audited rows, which engine='dask' does not gather "
                                         r"\(it audits counts\); leave extra_metrics out; got f1$"):
        weighted_fairness(ctx, FairnessSettings(n_boot=0), [("g",)], {"f1": "sklearn.metrics:f1_score"})
