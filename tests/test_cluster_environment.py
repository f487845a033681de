"""A local Dask cluster leaves this process's environment as it found it (its nanny writes worker settings into it)."""

import os

import pytest

from auditkit.cluster import dask_client
from auditkit.threads import chosen_threads

NANNY_SETTINGS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")


@pytest.fixture
def no_thread_settings(monkeypatch):
    for name in NANNY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUDITKIT_KEPT_SETTING", "mine")


def test_the_environment_is_given_back_and_the_workers_keep_theirs(no_thread_settings):
    before = dict(os.environ)
    with dask_client(None, workers=1) as client:
        assert {n: os.environ.get(n) for n in NANNY_SETTINGS} == dict.fromkeys(NANNY_SETTINGS)
        worker_settings = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
        os.environ["AUDITKIT_SET_MEANWHILE"] = "yes"  # the user's own change while the cluster runs stays
    assert list(worker_settings.values()) == ["1"]
    assert os.environ.pop("AUDITKIT_SET_MEANWHILE") == "yes"
    assert dict(os.environ) == before
    assert chosen_threads() is not None  # later audits still choose their threads (no setting taken for the user's)
