"""The lessons' tests train small boosted-tree models: one OpenMP thread is as fast, and does not crawl when the
machine is busy (as for the docstring examples, see the root conftest)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield
