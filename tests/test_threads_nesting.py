"""The score bootstrap holds BLAS to one thread once, not once per chunk of resamples (threadpoolctl rescans ~5 ms)."""

import numpy as np
import threadpoolctl

from auditkit.fairness.scores import score_metrics
from auditkit.threads import one_blas_thread


def _count_limits(monkeypatch):
    calls = []
    original = threadpoolctl.threadpool_limits

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", counted)
    return calls


def test_nested_one_blas_thread_sets_the_limit_once(monkeypatch):
    calls = _count_limits(monkeypatch)
    with one_blas_thread():
        for _ in range(5):
            with one_blas_thread():
                pass
    assert len(calls) == 1
    with one_blas_thread():  # released on leaving: the next use sets it again
        pass
    assert len(calls) == 2


def test_score_bootstrap_sets_the_blas_limit_a_fixed_number_of_times(monkeypatch):
    rng = np.random.default_rng(0)
    n = 3_000
    codes, y = rng.integers(0, 2, n), rng.integers(0, 2, n)
    score = rng.random(n)
    calls = _count_limits(monkeypatch)
    score_metrics(codes, 2, [np.array([0, 1])], y, score, 400, np.random.default_rng(1), probabilities=True)
    assert len(calls) <= 2  # the point estimates and the resamples (which come in many chunks)
