"""auditkit.cluster: the one place a Dask cluster is started, reached and closed (the batch and the Dask engine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import auditkit
import auditkit.cluster
from auditkit.batch.run import _client
from auditkit.cluster import dask_client
from auditkit.engine.dask_audit import dask_scheduler
from auditkit.exceptions import InputError

PACKAGE = Path(auditkit.__file__).parent
UNREACHABLE = "tcp://127.0.0.1:1"


def test_only_the_cluster_module_starts_or_reaches_a_cluster():
    starts = re.compile(r"\b(?:LocalCluster|Client)\(")
    found = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                   if starts.search(path.read_text(encoding="utf-8")))
    assert found == ["cluster.py"]


@pytest.mark.parametrize("connect", [lambda address: dask_client(address, workers=1),
                                     lambda address: _client(None, address),
                                     dask_scheduler], ids=["dask_client", "batch", "engine"])
def test_an_unreachable_scheduler_is_one_line_naming_the_address(connect, monkeypatch):
    monkeypatch.setattr(auditkit.cluster, "CONNECT_TIMEOUT", "1s")
    message = f"^cannot reach the Dask scheduler at {UNREACHABLE}: OSError: Timed out trying to connect to " \
              f"{UNREACHABLE} after 1 s$"
    with pytest.raises(InputError, match=message), connect(UNREACHABLE):
        pass


def test_a_cluster_started_here_is_closed_on_the_way_out():
    with dask_client(None, workers=1, config={"distributed.scheduler.allowed-failures": 0}) as client:
        cluster = client.cluster
        assert len(client.scheduler_info()["workers"]) == 1
        assert client.run_on_scheduler(lambda: __import__("dask").config.get(
            "distributed.scheduler.allowed-failures")) == 0
    assert cluster.status.name == "closed" and client.status == "closed"


def test_quiet_loggers_log_errors_only_inside_and_get_their_level_back():
    import logging

    from auditkit.cluster import _errors_only

    logger = logging.getLogger("auditkit.tests.quiet")
    logger.setLevel(logging.INFO)
    with _errors_only([logger.name]):
        assert logger.level == logging.ERROR
    assert logger.level == logging.INFO
    with pytest.raises(RuntimeError, match="^inside$"), _errors_only([logger.name]):
        raise RuntimeError("inside")
    assert logger.level == logging.INFO
