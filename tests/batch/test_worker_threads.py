"""A local cluster's worker processes run their audit's native code on one thread each, whatever Dask's config says."""

from __future__ import annotations

import dask
import pytest

from auditkit.batch import run, scheduling


def _threads_in_worker() -> dict:
    import os

    import sklearn.utils._openmp_helpers  # noqa: F401 - loads the OpenMP runtime a model would use
    from threadpoolctl import threadpool_info

    from auditkit.threads import compute_threads

    with compute_threads() as chosen:  # an audit in the worker: it leaves the worker's setting alone
        pools = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
    return {"environment": {name: os.environ.get(name) for name in scheduling.WORKER_THREAD_VARIABLES},
            "chosen": chosen, "pools": pools}


@pytest.mark.parametrize("configured", [None, {"OMP_NUM_THREADS": 4, "MALLOC_TRIM_THRESHOLD_": 65536}])
def test_each_worker_process_has_one_openmp_and_blas_thread(configured):
    settings = {} if configured is None else {"distributed.nanny.pre-spawn-environ": configured}
    with dask.config.set(settings), run._client(2, None) as client:
        seen = client.run(_threads_in_worker)
    assert len(seen) == 2
    for worker in seen.values():
        assert worker["environment"] == dict.fromkeys(scheduling.WORKER_THREAD_VARIABLES, "1")
        assert worker["chosen"] is None
        assert worker["pools"]["openmp"] == 1 and worker["pools"]["blas"] == 1


def test_the_rest_of_dasks_worker_environment_is_kept():
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 1234, "X": "y"}}):
        environment = scheduling.worker_environment()
    one_thread = dict.fromkeys(scheduling.WORKER_THREAD_VARIABLES, 1)
    assert environment == {"MALLOC_TRIM_THRESHOLD_": 1234, "X": "y", **one_thread}
