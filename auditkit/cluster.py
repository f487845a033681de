"""The one way auditkit starts, reaches and closes a Dask cluster (the batch and the Dask engine both use it).

``distributed`` is imported only when a client is asked for: auditkit runs without it until then.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from auditkit.exceptions import InputError, one_line_error

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT = "20s"  # how long to try reaching a scheduler given by address


@contextmanager
def dask_client(scheduler: str | None, *, workers: int, config: Mapping[str, Any] | None = None,
                silence_logs: int = logging.WARNING, quiet_loggers: Sequence[str] = ()) -> Iterator[Client]:
    """A Dask client on the cluster at ``scheduler`` (left running), or on a new ``LocalCluster`` (closed after).

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``"tcp://host:8786"``); None starts a ``LocalCluster``.
    workers : int
        Worker processes of the new ``LocalCluster``, one thread each (unused with an address).
    config : mapping, optional
        Dask settings (``dask.config.set``) while the new cluster starts and runs.
    silence_logs : int, default logging.WARNING
        The level below which the new cluster's log records are dropped.
    quiet_loggers : sequence of str, default ()
        Loggers of this process that log errors only while the client is open (their level is restored after).

    Raises
    ------
    InputError
        The scheduler at ``scheduler`` cannot be reached (one line: the address and why).

    Examples
    --------
    >>> with dask_client(None, workers=1) as client:
    ...     client.submit(sum, [1, 2]).result(), len(client.scheduler_info()["workers"])
    (3, 1)
    """
    with _errors_only(quiet_loggers):
        yield from _client(scheduler, workers, config, silence_logs)


def _client(scheduler: str | None, workers: int, config: Mapping[str, Any] | None,
            silence_logs: int) -> Iterator[Client]:
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {one_line_error(exc)}") from None
        with client:
            yield client
        return
    cluster_options = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": ":0",
                       "silence_logs": silence_logs}
    started_with = dict(os.environ)  # Dask's nanny writes its workers' settings into it: see _restore_environment
    written: set[str] = set()
    try:
        with dask.config.set(dict(config or {})), LocalCluster(**cluster_options) as cluster:
            written = _restore_environment(started_with)
            with Client(cluster) as client:
                _exit_without_final_collection(client)
                yield client
    finally:
        _restore_environment(started_with, written)


def _restore_environment(environment: dict[str, str], names: set[str] | None = None) -> set[str]:
    """Give this process the environment it had before starting a local cluster.

    Dask's nanny sets ``OMP_NUM_THREADS=1`` (and MKL's, OpenBLAS's, ``MALLOC_TRIM_THRESHOLD_``,
    ``PYTHONHASHSEED``) in the *parent's* ``os.environ`` before it spawns each worker, for the worker to
    inherit, and leaves them there. Audits this process runs afterwards (a notebook's, after a batch)
    would take that ``OMP_NUM_THREADS`` for the user's choice (:mod:`auditkit.threads`) and run OpenMP on
    every core however busy; processes it starts later (a report kernel) would inherit all of them.
    The workers keep theirs: they were spawned with them (a worker the nanny restarts gets them again).

    ``names``: the variables to give back (default: every one that differs); returns them. Others the
    user changes meanwhile are left alone.

    Examples
    --------
    >>> before = dict(os.environ)
    >>> os.environ["AUDITKIT_EXAMPLE_THREADS"] = "1"  # as the nanny sets OMP_NUM_THREADS
    >>> _restore_environment(before), "AUDITKIT_EXAMPLE_THREADS" in os.environ
    ({'AUDITKIT_EXAMPLE_THREADS'}, False)
    """
    if names is None:
        names = {name for name in {*os.environ, *environment} if os.environ.get(name) != environment.get(name)}
    for name in names:
        if name in environment:
            os.environ[name] = environment[name]
        else:
            os.environ.pop(name, None)
    return names


def _exit_without_final_collection(client: Client) -> None:
    """Make the local cluster's worker processes (those started later included) skip the garbage collection at exit.

    A worker process that has run audits spent 1-4 s collecting garbage as it exited, and closing the
    cluster waits for every worker process to end: a fixed cost of every batch. Nothing is skipped but
    the collection (the exit handlers run, files are flushed and closed); the memory goes with the process.
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    class NoFinalCollection(WorkerPlugin):
        idempotent = True

        def setup(self, worker: Any) -> None:
            atexit.register(_no_final_collection)

    client.register_plugin(NoFinalCollection(), name="auditkit-no-final-collection")


def _no_final_collection() -> None:
    """Leave the objects of this process to the end of the process: no garbage collection from now on."""
    gc.disable()
    gc.freeze()


@contextmanager
def _errors_only(names: Sequence[str]) -> Iterator[None]:
    """The loggers ``names`` log errors only inside (their levels are restored on the way out)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
