"""Threads for the native code an audit runs (OpenMP, BLAS): the cores that are free, not the cores there are.

scikit-learn's histogram gradient boosting (the reference model) and NumPy's BLAS start one thread
per core by default. On a machine whose cores are busy with other work, those threads wait for
each other at every barrier: on two shared cores the reference model fitted in 13–36 s with two
threads and in about 4 s with one. An audit therefore runs its native code on :func:`free_cores`
threads: the cores this process may use (``os.sched_getaffinity``) less the work already running
(the one-minute load average, ``os.getloadavg``), rounded down, at least one. Thread counts change
no number of an audit, only its speed: the products of floating-point matrices whose sums BLAS would
split between its threads (and so round differently with another thread count) run on one thread
(:func:`fixed_order_matmul`).

A user's own setting wins: with ``OMP_NUM_THREADS`` set (as Dask's nanny sets it to 1 for its
worker processes), the audit leaves the thread pools as they are.

Examples
--------
>>> free_cores(cores=8, load=1.5)  # a laptop with some background work
6
>>> free_cores(cores=2, load=0.4)  # two cores, something else running: one thread
1
>>> free_cores(cores=2, load=5.0)
1
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_ONE_BLAS_THREAD = threading.local()  # per thread: whether its BLAS is already held to one thread here
_AUDIT_THREADS = threading.local()  # per thread: the threads compute_threads chose, and leave_a_core's limits

USER_SETTING = "OMP_NUM_THREADS"
"""The environment variable whose presence means the user chose the thread count."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports it).

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def current_load() -> float:
    """The one-minute load average (runnable processes), or 0.0 where the system has none.

    Examples
    --------
    >>> current_load() >= 0.0
    True
    """
    try:
        return max(0.0, os.getloadavg()[0])
    except (AttributeError, OSError):  # Windows
        return 0.0


def free_cores(*, cores: int | None = None, load: float | None = None) -> int:
    """The cores not taken by other work: ``floor(cores - load)``, at least 1, at most ``cores``.

    Parameters
    ----------
    cores : int, optional
        Usable cores; default :func:`usable_cores`.
    load : float, optional
        Runnable processes; default :func:`current_load`.

    Examples
    --------
    >>> free_cores(cores=4, load=0.0), free_cores(cores=4, load=2.2), free_cores(cores=4, load=9.0)
    (4, 1, 1)
    """
    cores = usable_cores() if cores is None else cores
    load = current_load() if load is None else load
    return max(1, min(cores, math.floor(cores - load)))


def chosen_threads(threads: int | None = None) -> int | None:
    """Threads an audit gives its native code: ``threads`` if given, None when the user set ``OMP_NUM_THREADS``,
    else :func:`free_cores`.

    Examples
    --------
    >>> chosen_threads(3)
    3
    """
    if threads is not None:
        return threads
    if os.environ.get(USER_SETTING):
        return None
    return free_cores()


@contextmanager
def compute_threads(threads: int | None = None, *, models: bool = True) -> Iterator[int | None]:
    """Run the enclosed code with OpenMP and BLAS limited to :func:`chosen_threads` threads; yields that number.

    The limit applies to the thread pools loaded by then: with ``models`` (code that fits or calls a
    model will run), scikit-learn's OpenMP runtime is loaded first, so the reference model and the
    explainers stay within it; without, scikit-learn is not imported for it (1.3 s). On leaving, the
    pools get their previous sizes back. None (``OMP_NUM_THREADS`` set by the user) leaves them alone.
    Within another ``compute_threads`` of this thread (an audit's step), the free cores are at most those
    the enclosing one runs on now (fewer once :func:`leave_a_core` has left one to the report kernel).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with compute_threads(1) as threads:
    ...     sizes = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}
    >>> threads, sizes
    (1, {1})
    """
    chosen = chosen_threads(threads)
    if chosen is None:
        yield None
        return
    enclosing = getattr(_AUDIT_THREADS, "chosen", None), getattr(_AUDIT_THREADS, "fewer", [])
    if threads is None and enclosing[0] is not None:
        chosen = min(chosen, enclosing[0])
    if models:
        import sklearn.utils._openmp_helpers  # noqa: F401 - loads the OpenMP runtime the reference model uses
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=chosen):
        _AUDIT_THREADS.chosen, _AUDIT_THREADS.fewer = chosen, []
        try:
            yield chosen
        finally:
            for limiter in reversed(_AUDIT_THREADS.fewer):  # back to the sizes before leave_a_core, then to the user's
                limiter.restore_original_limits()
            _AUDIT_THREADS.chosen, _AUDIT_THREADS.fewer = enclosing


def leave_a_core() -> None:
    """Within :func:`compute_threads`, from now on: at most one thread fewer than the usable cores, at least one.

    For the rest of an audit whose report kernel has started drawing figures ahead: that process takes a
    core. OpenMP threads that outnumber the free cores wait for each other at every barrier, and spin while
    they wait: the reference model's ``predict_proba`` of 100,000 rows beside a busy process took 1.01 s
    and 1.19 CPU s on two threads, 0.76 s and 0.76 CPU s on one (two cores). On leaving, ``compute_threads``
    gives the pools back the sizes they had. Outside it, with ``OMP_NUM_THREADS`` set by the user or with
    one thread chosen already, nothing changes.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> def openmp_threads():
    ...     return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}
    >>> with compute_threads(2):
    ...     leave_a_core()
    ...     during = openmp_threads()
    >>> during == {max(1, min(2, usable_cores() - 1))}
    True
    """
    chosen = getattr(_AUDIT_THREADS, "chosen", None)
    if chosen is None or chosen <= max(1, usable_cores() - 1):
        return
    fewer = max(1, usable_cores() - 1)
    from threadpoolctl import threadpool_limits

    _AUDIT_THREADS.chosen = fewer
    _AUDIT_THREADS.fewer.append(threadpool_limits(limits=fewer))


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the enclosed matrix products on one BLAS thread: their sums in one order whatever the thread count.

    BLAS splits a product's sums between its threads, so the last digit of a float result depends on how
    many threads it used; an audit's numbers must not (same inputs and seed, same ``audit.json``).

    Nested uses in one thread cost nothing: only the outermost sets and restores the limit (threadpoolctl
    reads ``/proc/self/maps`` each time it sets one, ~5 ms; a bootstrap that scored each chunk of
    resamples under its own limit spent 0.3 s of the demo's fairness step on that).

    Examples
    --------
    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     with one_blas_thread():  # nested: already one thread
    ...         inner = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
    ...     outer = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
    >>> inner, outer
    ({1}, {1})
    """
    if getattr(_ONE_BLAS_THREAD, "held", False):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        _ONE_BLAS_THREAD.held = True
        try:
            yield
        finally:
            _ONE_BLAS_THREAD.held = False


def fixed_order_matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` on one BLAS thread (:func:`one_blas_thread`): the same result on any load or core count.

    Examples
    --------
    >>> import numpy as np
    >>> from threadpoolctl import threadpool_limits
    >>> rng = np.random.default_rng(0)
    >>> left, right = rng.normal(size=(300, 2000)), rng.normal(size=(2000, 9))
    >>> with threadpool_limits(limits=2):
    ...     two = fixed_order_matmul(left, right)
    >>> with threadpool_limits(limits=1):
    ...     one = left @ right
    >>> bool((two == one).all())
    True
    """
    with one_blas_thread():
        return left @ right
