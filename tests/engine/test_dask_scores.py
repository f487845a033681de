"""engine="dask" with scores=COLUMN: ROC AUC, Brier score and calibration by group equal the in-memory engine's."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers
from _frames import make_frame

import auditkit
from auditkit.fairness import score_cells

STEPS = ["data_overview", "performance", "fairness"]
SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "scores": "score",
            "seed": 5, "steps": STEPS, "progress": False, "step_options": {"fairness": {"n_boot": 100}}}


def _frame(scores: str) -> pd.DataFrame:
    """600 rows whose ``score`` column is as ``scores`` says; ``tiny``: a region of 2 rows, one of them missing."""
    frame = make_frame(600, seed=11)
    if scores == "ties":
        frame["score"] = frame["score"].round(1)
    elif scores == "all equal":
        frame["score"] = 0.5
    elif scores == "tiny groups":
        frame.loc[frame.index[:2], "region"] = "west"
        frame.loc[frame.index[2], "region"] = None
    elif scores == "decision scores":  # not probabilities: ROC AUC only
        frame["score"] = (frame["score"] - 0.5) * 40
    return frame


def _both(frame: pd.DataFrame, **changes) -> tuple[dict, dict]:
    """The audit of ``frame`` by the in-memory engine and by the Dask engine (4 partitions, in this process)."""
    settings = {**SETTINGS, **changes}
    memory = auditkit.audit(data=frame, **settings).to_dict()
    with dask.config.set({"dataframe.convert-string": False}):
        data = dd.from_pandas(frame.sample(frac=1.0, random_state=0), npartitions=4)  # rows in another order
    return memory, auditkit.audit(data=data, engine="dask", scheduler="synchronous", **settings).to_dict()


@pytest.mark.parametrize("scores", ["distinct", "ties", "all equal", "tiny groups", "decision scores"])
def test_score_metrics_equal_the_in_memory_engine(scores):
    memory, dask_audit = _both(_frame(scores))
    assert_same_numbers(dask_audit, memory)
    groups = dask_audit["fairness"]["by_group"]
    assert any(row["metrics"].get("roc_auc") is not None for row in groups)  # score metrics there, not both absent
    assert dask_audit["fairness"]["settings"]["score_statistics"]["method"] == "exact"


def test_tiny_groups_keep_their_score_metrics(scores="tiny groups"):
    _, dask_audit = _both(_frame(scores))
    west = [row for row in dask_audit["fairness"]["by_group"] if row["group"] == {"region": "west"}]
    assert west and west[0]["n"] == 2


def test_binned_scores_use_the_in_memory_bins_and_bound(monkeypatch):
    monkeypatch.setattr(score_cells, "SCORE_CELL_BUDGET", 64)  # 600 rows of ~600 distinct scores: binned
    frame = make_frame(600, seed=11)
    frame["score"] = np.random.default_rng(0).random(600)
    memory, dask_audit = _both(frame)
    statistics = dask_audit["fairness"]["settings"]["score_statistics"]
    assert statistics["method"] != "exact" and statistics["auc_error_bound"] > 0
    assert_same_numbers(dask_audit, memory)


def test_the_overview_does_not_count_the_score_column_as_a_feature():
    memory, dask_audit = _both(_frame("distinct"))
    assert dask_audit["data"]["overview"]["n_features"] == memory["data"]["overview"]["n_features"] == 4  # not score
