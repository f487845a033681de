"""Shared fixtures: small, hand-made data so tests are quick and independent of bundled files."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pandas as pd
import pytest
from _frames import make_frame
from threadpoolctl import ThreadpoolController


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


_openmp = {"controller": None, "modules": -1}


def _openmp_pools() -> ThreadpoolController:
    """The OpenMP runtimes loaded so far, looked up again only after new modules were imported (1.8 ms a look)."""
    if len(sys.modules) != _openmp["modules"]:
        _openmp.update(controller=ThreadpoolController().select(user_api="openmp"), modules=len(sys.modules))
    return _openmp["controller"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Every test, its fixtures included, runs the OpenMP code it calls itself on one thread, as the docstring
    examples do (root conftest).

    An audit sets its own thread counts (``auditkit.threads.compute_threads``, tested with explicit pool sizes in
    tests/test_threads.py); a test that fits a model directly (a reference fit to compare with, ``run_step``
    without ``audit()``) would otherwise start a thread per core. On two shared, busy cores those threads wait
    for each other at every barrier: one fairlearn ExponentiatedGradient test took 17 s of CPU with two threads,
    8 s with one, and up to 69 s when the machine was busier. A hook rather than a fixture, so that module- and
    session-scoped fixtures (set up before any function-scoped one) are limited too. BLAS is left alone: tests
    check that auditkit limits it.
    """
    with _openmp_pools().limit(limits=1):
        return (yield)


@pytest.fixture(autouse=True)
def _no_figure_left_open() -> Iterator[None]:
    """Every test leaves pyplot with no open figure, as a notebook cell's caller would find it.

    A figure a test leaves open is one pyplot still holds: a later test that counts the figures a report cell
    leaves open (tests/report/test_report_images.py) would count it. In one process that test only passed
    because other modules, run in between, closed everything; run in parallel (``make test``: pytest-xdist,
    one process per core), it met five figures of tests/report/test_figure_canvas.py.
    """
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and pyplot.get_fignums():
        pyplot.close("all")
