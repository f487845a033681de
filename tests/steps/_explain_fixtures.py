"""Small data and contexts shared by the explanation-step tests (imported, not a conftest)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit import AuditSpec, build_context


def loans(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Approvals driven by income and debt; ``sex`` shifts income; ``noise`` is irrelevant."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n, p=[0.4, 0.6]).astype(object)
    region = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2]).astype(object)
    income = rng.normal(50, 15, size=n) + np.where(sex == "male", 8, 0)
    debt = rng.normal(20, 5, size=n)
    logit = 0.1 * (income - 54) - 0.15 * (debt - 20) + np.where(region == "south", 0.8, 0.0)
    approved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"income": income.round(1), "debt": debt.round(1), "region": region, "sex": sex,
                         "noise": rng.normal(size=n).round(3), "approved": approved})


def one_openmp_thread():
    """Generator for module fixtures: fit and predict on one OpenMP thread.

    On these small tables one thread is as fast, and it does not crawl when other
    processes keep the cores busy (OpenMP threads spin while they wait).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def loan_context(seed: int = 0, **spec):
    """A reference-model audit context (ordinal codes + histogram gradient boosting) on :func:`loans`."""
    return build_context(AuditSpec(data=loans(), target="approved", sensitive=["sex"], seed=seed, **spec))
