"""The small hand-made table most tests share, importable as a plain module.

It lives outside ``conftest.py`` because ``from conftest import ...`` resolves to whichever conftest pytest imported
last (``tests/teach`` has its own), so helpers that tests import go in ``_``-prefixed modules like this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small credit-like table with a binary target, two sensitive columns and a score."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    region = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2])
    income = rng.normal(50, 15, size=n) + np.where(sex == "male", 5, 0)
    debt = rng.normal(20, 5, size=n)
    logit = 0.08 * (income - 50) - 0.1 * (debt - 20)
    approved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.5, size=n))))
    return pd.DataFrame(
        {
            "income": income.round(2),
            "debt": debt.round(2),
            "sex": sex,
            "region": region,
            "approved": approved,
            "score": score.round(4),
            "decision": (score > 0.5).astype(int),
        }
    )
