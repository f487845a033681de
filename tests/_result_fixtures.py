"""Audits shared by the result tests (imported, not a conftest): one full audit, run once per session."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from _frames import make_frame

from auditkit import AuditResult, audit

QUICK_OPTIONS = {"fairness": {"n_boot": 100}, "data_bias": {"n_boot": 100}}
FULL_OPTIONS = {**QUICK_OPTIONS, "lime": {"n_instances": 2, "num_samples": 300, "repeats": 2}}
POLICY = {"demographic_parity_difference": {"max": 0.05}, "equalized_odds_ratio": {"min": 0.5}}


@lru_cache(maxsize=1)
def full_audit() -> AuditResult:
    """Every built-in step (reference model: SHAP and LIME artifacts and tables) and a policy.

    Do not change the result: it is shared. Use ``copy.deepcopy`` to alter one.
    """
    from threadpoolctl import threadpool_limits

    frame = make_frame().drop(columns=["score", "decision"])
    with threadpool_limits(limits=1, user_api="openmp"):
        return audit(data=frame, target="approved", sensitive=["sex", "region"], seed=0, step_options=FULL_OPTIONS,
                     policy=POLICY)


def quick_audit(frame: pd.DataFrame | None = None, **settings) -> AuditResult:
    """An audit of existing decisions and scores (no model): data, performance and fairness steps."""
    frame = make_frame() if frame is None else frame
    settings = {"target": "approved", "sensitive": ["sex", "region"], "predictions": "decision", "scores": "score",
                "steps": ["data_overview", "data_bias", "performance", "fairness"], "seed": 0,
                "step_options": QUICK_OPTIONS, **settings}
    return audit(data=frame, **settings)


def multiclass_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"g": rng.choice(["u", "v"], n), "y": rng.choice(["lo", "mid", "hi"], n)})
    frame["decision"] = np.where(rng.random(n) < 0.7, frame["y"], rng.choice(["lo", "mid", "hi"], n))
    return frame


def regression_frame() -> pd.DataFrame:
    frame = make_frame()
    noise = np.random.default_rng(0).normal(0, 1, len(frame))
    return frame.assign(amount=frame["income"] * 2,
                        predicted=frame["income"] * 2 + np.where(frame["sex"] == "male", 5.0, -1.0) + noise)


def task_audit(task: str) -> AuditResult:
    """A small multiclass or regression audit of existing decisions."""
    if task == "multiclass":
        return audit(data=multiclass_frame(), target="y", sensitive=["g"], predictions="decision", task=task,
                     steps=["data_bias", "performance", "fairness"], seed=0, step_options=QUICK_OPTIONS)
    return audit(data=regression_frame(), target="amount", sensitive=["sex"], predictions="predicted", task=task,
                 steps=["data_bias", "performance", "fairness"], seed=0, step_options=QUICK_OPTIONS)
