"""The order a batch hands its audits to workers: the largest model files first, so that a short audit ends it."""

from __future__ import annotations

from pathlib import Path

from sklearn.linear_model import LogisticRegression

from auditkit.batch.plan import BatchPlan, PlannedAudit
from auditkit.batch.scheduling import submission_order
from auditkit.spec import AuditSpec


def planned(name: str, model) -> PlannedAudit:
    return PlannedAudit(name=name, model=name, dataset="german", spec=AuditSpec(data="german", model=model))


def test_largest_model_files_first_and_ties_in_plan_order(tmp_path: Path):
    sizes = {"tiny": 10, "big": 5000, "mid": 700, "mid_too": 700}
    for name, size in sizes.items():
        (tmp_path / f"{name}.skops").write_bytes(b"x" * size)
    audits = [planned(name, str(tmp_path / f"{name}.skops")) for name in sizes]
    assert [a.name for a in submission_order(audits)] == ["big", "mid", "mid_too", "tiny"]


def test_models_without_a_file_count_as_the_smallest(tmp_path: Path):
    (tmp_path / "model.skops").write_bytes(b"x" * 100)
    audits = [planned("in_memory", LogisticRegression()), planned("gone", str(tmp_path / "missing.skops")),
              planned("file", str(tmp_path / "model.skops")), planned("decisions", None)]
    assert [a.name for a in submission_order(audits)] == ["file", "in_memory", "gone", "decisions"]


def test_the_plan_itself_is_not_reordered(tmp_path: Path):
    (tmp_path / "a.skops").write_bytes(b"x")
    (tmp_path / "b.skops").write_bytes(b"x" * 50)
    plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "audits": "all",
                                "models": {"a": str(tmp_path / "a.skops"), "b": str(tmp_path / "b.skops")}})
    before = [audit.name for audit in plan.audits]
    assert [audit.name for audit in submission_order(plan.audits)] == ["b-g", "a-g"]
    assert [audit.name for audit in plan.audits] == before == ["a-g", "b-g"]
