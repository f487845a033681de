"""Shared fixtures: small, hand-made data so tests are quick and independent of bundled files."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd
import pytest
from _frames import make_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture
def csv_path(tmp_path, frame) -> str:
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="session")
def session_environment() -> dict[str, str]:
    """The environment variables the test session started with."""
    return dict(os.environ)


@pytest.fixture(autouse=True)
def _environment_of_the_session(session_environment) -> Iterator[None]:
    """Every test leaves the environment variables as the session started with them.

    Dask's nanny sets its ``pre-spawn-environ`` (``OMP_NUM_THREADS=1`` and the BLAS thread counts) in the
    process that starts a local cluster (``os.environ.update`` in ``distributed.nanny``). auditkit takes
    ``OMP_NUM_THREADS`` for the user's choice and then leaves the OpenMP pools at one thread per core
    (``auditkit/threads.py``), so every test after the first local cluster fitted its reference models on
    two threads: on shared, busy cores up to a hundred times slower (149 s instead of 1.2 s for one test).
    """
    yield
    for name in set(os.environ) - set(session_environment):
        del os.environ[name]
    for name, value in session_environment.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
