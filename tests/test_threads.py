"""Threads for an audit's native code: the free cores, a user's OMP_NUM_THREADS respected, the reference fit inside."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_info, threadpool_limits

import auditkit
import auditkit.context
from auditkit import threads
from auditkit.io.models import make_reference_model
from auditkit.steps import Step
from auditkit.threads import chosen_threads, compute_threads, free_cores, usable_cores


def openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


@pytest.mark.parametrize(("cores", "load", "expected"), [
    (2, 0.0, 2),   # a quiet machine: every core
    (2, 0.3, 1),   # something else running: it keeps a core busy part of the time
    (2, 1.0, 1),
    (2, 7.5, 1),   # never fewer than one
    (8, 1.5, 6),
    (8, 0.99, 7),
    (1, 0.0, 1),
    (4, -1.0, 4),  # never more than the cores
])
def test_free_cores_are_the_cores_less_the_load(cores, load, expected):
    assert free_cores(cores=cores, load=load) == expected


def test_free_cores_read_the_affinity_and_the_load_average(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.5, 0.1))
    assert (usable_cores(), free_cores()) == (4, 2)


def test_no_load_average_counts_as_a_quiet_machine(monkeypatch):
    def unavailable():
        raise OSError("no load average")

    monkeypatch.setattr(os, "getloadavg", unavailable)
    assert threads.current_load() == 0.0


def test_a_users_omp_num_threads_is_left_alone(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert chosen_threads() is None
    assert chosen_threads(2) == 2  # a number asked for by the caller still counts
    with threadpool_limits(limits=2, user_api="openmp"), compute_threads() as chosen:
        assert chosen is None and openmp_threads() == {2}


def test_without_omp_num_threads_the_free_cores_are_chosen(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    assert chosen_threads() == 1


def test_compute_threads_limits_openmp_and_restores_it(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with threadpool_limits(limits=2, user_api="openmp"):
        with compute_threads(1) as chosen:
            assert (chosen, openmp_threads()) == (1, {1})
        assert openmp_threads() == {2}


def test_leave_a_core_limits_the_rest_of_the_audit_and_compute_threads_restores_the_users_sizes(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    with threadpool_limits(limits=3, user_api="openmp"):
        with compute_threads(2):
            assert openmp_threads() == {2}
            threads.leave_a_core()
            assert openmp_threads() == {1}
            threads.leave_a_core()  # already one fewer: nothing more
            assert openmp_threads() == {1}
        assert openmp_threads() == {3}
        with compute_threads(2):  # the next audit starts from its own choice again
            assert openmp_threads() == {2}
        threads.leave_a_core()  # outside an audit: nothing
        assert openmp_threads() == {3}


def test_a_step_choosing_its_threads_within_the_audit_keeps_the_core_left_to_the_kernel(monkeypatch):
    """LIME's runs choose their threads within the audit's: once the kernel draws, not more than the audit left."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    with threadpool_limits(limits=3, user_api="openmp"):
        with compute_threads():
            threads.leave_a_core()
            with compute_threads() as step_threads:  # a step's own choice, within the audit
                assert (step_threads, openmp_threads()) == (1, {1})
            assert openmp_threads() == {1}
            threads.leave_a_core()  # the audit's state is back: still one fewer, nothing more to do
            assert openmp_threads() == {1}
            with compute_threads(2) as given:  # a count given explicitly stands
                assert (given, openmp_threads()) == (2, {2})
        assert openmp_threads() == {3}


@pytest.mark.parametrize(("cores", "chosen", "expected"), [(8, 3, 3), (8, 8, 7), (1, 1, 1), (2, 1, 1)])
def test_leave_a_core_leaves_fewer_threads_than_the_cores_only(monkeypatch, cores, chosen, expected):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    with compute_threads(chosen):
        threads.leave_a_core()
        assert openmp_threads() == {expected}


def test_leave_a_core_leaves_a_users_omp_num_threads_alone(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    with threadpool_limits(limits=2, user_api="openmp"), compute_threads() as chosen:
        threads.leave_a_core()
        assert (chosen, openmp_threads()) == (None, {2})


def test_the_audit_leaves_the_report_kernel_a_core_once_it_draws_ahead(monkeypatch, tmp_path):
    from auditkit.report.execute import ReportKernel

    class Client:
        def execute(self, code, **options):
            self.code = code

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    kernel = ReportKernel()
    kernel.started, kernel._client = True, Client()
    result = auditkit.audit(data="german", sample=200, seed=1, steps=["performance", "fairness"], progress=False,
                            step_options={"fairness": {"n_boot": 20}})
    try:
        with compute_threads(2):
            kernel.draw_ahead(auditkit.AuditResult({}, result.dataset, result.steps[:1]))  # no figures: no drawing
            assert openmp_threads() == {2}
            kernel.draw_ahead(result)
            assert "draw_ahead" in kernel._client.code and openmp_threads() == {1}
    finally:
        kernel._client = None
        kernel.close()


class _RecordingPipeline(Pipeline):
    """A Pipeline that records the OpenMP pool sizes in effect when it is fitted."""

    seen: list[set[int]] = []

    def fit(self, X, y=None, **params):
        _RecordingPipeline.seen.append(openmp_threads())
        return super().fit(X, y, **params)


def test_the_reference_model_is_fitted_on_the_free_cores_only(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "free_cores", lambda: 1)

    def recording_model(X, seed, task="binary"):
        model = make_reference_model(X, seed, task)
        return _RecordingPipeline(model.steps)

    monkeypatch.setattr("auditkit.io._audit_parts.make_reference_model", recording_model)
    _RecordingPipeline.seen = []
    with threadpool_limits(limits=2, user_api="openmp"):
        auditkit.build_context(auditkit.AuditSpec(data="german", sample=100, seed=1))
    assert _RecordingPipeline.seen == [{1}]


@dataclasses.dataclass
class _ThreadsSeen(Step):
    """A step that records the OpenMP pool sizes in effect while it runs."""

    name = "threads_seen"
    section = "threads_seen"
    constraints = {}
    seen = None

    def run(self, ctx):
        type(self).seen = openmp_threads()
        return self.result()


def test_an_audits_steps_run_on_the_free_cores_only(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    with threadpool_limits(limits=2, user_api="openmp"):
        auditkit.audit(data="german", sample=100, seed=1, steps=[_ThreadsSeen()], progress=False)
        assert openmp_threads() == {2}  # restored after the audit
    assert _ThreadsSeen.seen == {1}


def test_thread_count_changes_no_prediction_of_the_reference_model():
    data = auditkit.datasets.load("german").frame
    X, y = data.drop(columns="credit_risk"), data["credit_risk"]
    scores = []
    for n in (1, 2):
        with threadpool_limits(limits=n, user_api="openmp"):
            model = make_reference_model(X, seed=0).fit(X.iloc[:700], y.iloc[:700])
            scores.append(model.predict_proba(X.iloc[700:])[:, 1])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_the_reference_model_codes_each_categorical_column_once():
    X = pd.DataFrame({"age": [30.0, 40.0, np.nan, 50.0], "sex": ["f", "m", np.nan, "f"],
                      "job": ["a", "b", "c", "a"]})
    model = make_reference_model(X, seed=0).fit(X, [0, 1, 0, 1])
    encoded = model[:-1].transform(pd.DataFrame({"age": [35.0], "sex": ["x"], "job": ["b"]}))
    assert encoded.shape == (1, 3)  # one column per original column, no dummies
    assert np.isnan(encoded[0, 0])  # an unseen category: missing, as the booster routes missing values
    assert encoded[0, 1] == 1.0  # "b" is the second of a, b, c
