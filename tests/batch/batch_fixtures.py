"""Fixtures and plans of the batch tests (imported by the test files): a small loans table, skops models.

The loans table is ``make_frame`` (tests/_frames.py) without its score columns: income and debt decide approval;
sex and region are the sensitive columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from _frames import make_frame
from batch_models import save_models

QUICK_STEPS = ["data_overview", "data_bias", "performance", "fairness"]
QUICK_OPTIONS = {"fairness": {"n_boot": 50}, "data_bias": {"n_boot": 50}}
LOANS_COLUMNS = ["income", "debt", "sex", "region", "approved"]
LOANS = {"data": "loans.csv", "target": "approved", "positive_label": 1, "sensitive": ["sex", "region"]}


@pytest.fixture(scope="session", name="zoo")
def zoo_fixture(tmp_path_factory) -> Path:
    """A folder with ``loans.csv`` and the test models (``<name>.skops``)."""
    folder = tmp_path_factory.mktemp("zoo")
    frame = make_frame(600, seed=3)[LOANS_COLUMNS]
    frame.to_csv(folder / "loans.csv", index=False)
    save_models(folder, frame)
    return folder


def quick_plan(models: list[str], **defaults) -> dict:
    """A plan of ``models`` on the loans data: a 300-row sample, quick steps, no report."""
    return {
        "defaults": {"seed": 0, "sample": 300, "steps": QUICK_STEPS, "step_options": QUICK_OPTIONS,
                     "report": False, **defaults},
        "datasets": {"loans": dict(LOANS)},
        "models": {name: {"path": f"{name}.skops", "trust_model": True} for name in models},
        "audits": "all",
    }


def write_plan(folder: Path, plan: dict, name: str = "plan.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path
