"""engine="dask" with scores=COLUMN: the column is reduced on the workers as a model's scores are.

The client holds the cells of (sensitive values, label, decision) and the score metrics' statistics, never a
cell per distinct score; the kind of score (probability or decision) and the errors for a bad column are the
in-memory engine's, decided from exact per-partition summaries.
"""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from _engine_parity import assert_same_numbers, longest_computed, parquet_parts
from _frames import make_frame

import auditkit
from auditkit.engine import dask_audit, dask_score_cells
from auditkit.engine.dask_score_column import ScoreSummary
from auditkit.exceptions import InputError

STEPS = ["performance", "fairness"]
SETTINGS = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "scores": "score",
            "seed": 3, "steps": STEPS, "progress": False, "step_options": {"fairness": {"n_boot": 40}}}
ROWS = 40_000  # above SCORE_CELL_BUDGET (2**15) rows, the in-memory engine bins continuous scores


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = make_frame(ROWS, seed=9)
    data["score"] = np.random.default_rng(4).random(ROWS) * 0.5 + 0.5 * data["approved"].to_numpy() * data["score"]
    data.loc[data.index[::41], "region"] = None
    return data.astype({"sex": object, "region": object})


def dask_frame(frame: pd.DataFrame, npartitions: int = 4):
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions)


def both(frame: pd.DataFrame, data=None, **changes) -> tuple[dict, dict]:
    """The audits of ``frame`` in memory and of ``data`` (default: ``frame`` in 4 partitions) on Dask."""
    settings = {**SETTINGS, **changes}
    in_memory = auditkit.audit(data=frame, **settings).to_dict()
    on_dask = auditkit.audit(data=dask_frame(frame) if data is None else data, engine="dask",
                             scheduler="synchronous", **settings).to_dict()
    return in_memory, on_dask


def method(audit: dict) -> str:
    return audit["fairness"]["settings"]["score_statistics"]["method"]


SCORES = {  # how the score column is made from the fixture's, and the in-memory engine's method and kind
    "continuous probabilities": (lambda s: s, "binned", "probability"),
    "continuous decision scores": (lambda s: (s - 0.5) * 30, "binned", "decision"),
    "rounded probabilities": (lambda s: s.round(2), "exact", "probability"),
    "scores 0 and 1 (the bounds)": (lambda s: (s > 0.5).astype(float), "exact", "probability"),
    "integer decision scores": (lambda s: (s * 10).round().astype(np.int64) - 3, "exact", "decision"),
}


@pytest.mark.parametrize("case", list(SCORES))
def test_a_score_columns_metrics_on_dask_are_the_in_memory_ones(case, frame):
    make, expected_method, kind = SCORES[case]
    data = frame.assign(score=make(frame["score"]))
    in_memory, on_dask = both(data)
    assert method(in_memory) == expected_method and in_memory["provenance"]["scores"]["kind"] == kind
    assert_same_numbers(on_dask, in_memory)  # AUC, Brier, calibration, their CIs; provenance's kind and source
    assert on_dask["performance"]["overall"]["roc_auc"] == in_memory["performance"]["overall"]["roc_auc"]


def test_uneven_and_empty_partitions_give_the_in_memory_numbers(frame, tmp_path, monkeypatch):
    monkeypatch.setattr(dask_score_cells, "ROWS_PER_RANGE", 3000)  # a dozen pair-counting tasks
    back = parquet_parts(frame, tmp_path, [slice(0, 0), slice(0, 7), slice(7, 7), slice(7, 25_000),
                                           slice(25_000, ROWS)])
    in_memory, on_dask = both(back, str(tmp_path / "part-*.parquet"))
    assert method(on_dask) == "binned"
    assert_same_numbers(on_dask, in_memory)


def test_the_kind_and_source_are_reported_when_no_step_reads_the_scores(frame, monkeypatch):
    called = []
    monkeypatch.setattr(dask_audit, "cell_scores", lambda *args: called.append(args))
    data = frame.assign(score=frame["score"] * 4)
    in_memory, on_dask = both(data, steps=["data_overview"])
    assert called == []  # not reduced: no step reads them
    assert on_dask["provenance"]["scores"] == in_memory["provenance"]["scores"] == {
        "kind": "decision", "source": "column 'score'"}
    assert_same_numbers(on_dask, in_memory)


def test_the_client_receives_nothing_as_long_as_the_rows(monkeypatch):
    rows = 300_000
    data = make_frame(rows, seed=8).astype({"sex": object, "region": object})
    data["score"] = np.random.default_rng(1).random(rows)  # about one distinct score a row, unrelated to the decision
    received = longest_computed(monkeypatch)
    audit = auditkit.audit(data=dask_frame(data, 8), engine="dask", scheduler="synchronous", **SETTINGS).to_dict()
    statistics = audit["fairness"]["settings"]["score_statistics"]
    assert statistics["method"] == "binned" and statistics["distinct_scores"] > rows / 2
    # the cells, the first pass's kept values, the sums per (cell, bin): a cell is a finest group with a label and a
    # decision, and finest groups x bins stay within the budget, whatever the rows (main: a cell per row)
    assert max(received) <= 4 * dask_score_cells.VALUES_KEPT < rows / 2



BAD_COLUMNS = {  # a bad scores column, as the user may give it
    "missing values": lambda s: s.where(s.index % 7 != 3),
    "inf and -inf": lambda s: s.where(s.index % 9 != 2, np.inf).where(s.index % 11 != 5, -np.inf),
    "text": lambda s: s.map(lambda v: "high" if v > 0.5 else "low").astype(object),
    "nullable floats with <NA>": lambda s: s.astype("Float64").where(s.index % 13 != 1, pd.NA),
}


@pytest.mark.parametrize("bad", list(BAD_COLUMNS))
def test_a_bad_score_column_is_refused_with_the_in_memory_message(bad):
    data = make_frame(300, seed=2).astype({"sex": object, "region": object})
    data["score"] = BAD_COLUMNS[bad](data["score"])
    with pytest.raises(InputError) as in_memory:
        auditkit.audit(data=data, **SETTINGS)
    with pytest.raises(InputError) as on_dask:
        auditkit.audit(data=dask_frame(data, 3), engine="dask", scheduler="synchronous", **SETTINGS)
    assert str(on_dask.value) == str(in_memory.value)
    assert "scores column 'score'" in str(on_dask.value)


@pytest.mark.parametrize("scores", ["score", None])
@pytest.mark.parametrize(("column", "message"), [
    ("decision", "predictions column 'decision' has 60 missing values"),
    ("approved", "target column 'approved' has 60 missing values; drop or fill them first"),
])
def test_missing_decisions_or_labels_are_counted_in_rows_and_refused_before_bad_scores(column, message, scores):
    data = make_frame(300, seed=2).astype({"sex": object, "region": object})
    data["score"] = data["score"].where(data.index % 7 != 3)
    data[column] = data[column].where(data.index % 5 != 1)  # 60 rows, fewer cells
    settings = {**SETTINGS, "scores": scores}
    with pytest.raises(InputError, match=f"^{message}$"):
        auditkit.audit(data=data, **settings)
    with pytest.raises(InputError, match=f"^{message}$"):
        auditkit.audit(data=dask_frame(data, 3), engine="dask", scheduler="synchronous", **settings)


def test_a_score_column_that_is_also_sensitive_is_refused_as_in_memory():
    data = make_frame(300, seed=2).astype({"sex": object, "region": object})
    settings = {**SETTINGS, "scores": "region"}
    message = "column 'region' is given both as a sensitive feature and as the scores"
    with pytest.raises(InputError, match=message):
        auditkit.audit(data=data, **settings)
    with pytest.raises(InputError, match=message):
        auditkit.audit(data=dask_frame(data, 3), engine="dask", scheduler="synchronous", **settings)


@pytest.mark.parametrize(("parts", "kind"), [
    ([[0.0, 0.3], [], [1.0]], "probability"),
    ([[0.0, 0.3], [], [1.0000000000000002]], "decision"),
    ([[-1e-300], [0.5]], "decision"),
    ([[], []], "probability"),  # no rows: every score (none) within [0, 1], as numpy's all([]) says in memory
])
def test_the_kind_from_the_partitions_summaries_is_the_in_memory_kind(parts, kind):
    from auditkit.io.validate import score_kind

    summary = ScoreSummary.merge([ScoreSummary.of(pd.Series(p, dtype=float)) for p in parts])
    assert summary.kind("s") == kind == score_kind(np.array([v for p in parts for v in p], dtype=float))
