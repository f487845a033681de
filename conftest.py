"""Settings for the examples in the package's docstrings, which run with the tests (``--doctest-modules``).

Tests under ``tests/`` have their own conftest.
"""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _examples_on_one_openmp_thread(request):
    """Examples fit small models: one OpenMP thread is as fast and does not crawl on a busy machine."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield
