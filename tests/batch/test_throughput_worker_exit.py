"""A local cluster's worker processes exit without a final garbage collection (it made every close take 1-4 s)."""

from __future__ import annotations

import subprocess
import sys

from auditkit.cluster import dask_client

PLUGIN = "auditkit-no-final-collection"


def _has_plugin(dask_worker) -> bool:
    return PLUGIN in dask_worker.plugins


def test_every_worker_of_a_local_cluster_skips_the_final_collection_restarted_ones_too():
    with dask_client(None, workers=2) as client:
        assert list(client.run(_has_plugin).values()) == [True, True]
        client.restart_workers(list(client.scheduler_info()["workers"]))
        assert list(client.run(_has_plugin).values()) == [True, True]


def test_the_exit_handler_turns_the_collector_off_and_keeps_what_is_left():
    code = ("import gc; from auditkit.cluster import _no_final_collection; _no_final_collection(); "
            "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
