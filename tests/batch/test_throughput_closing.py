"""The batch writes its summary and comparison page while its local cluster closes, and returns once it is closed."""

from __future__ import annotations

import threading
from contextlib import ExitStack, contextmanager

import pytest
from batch_fixtures import quick_plan, write_plan, zoo_fixture  # noqa: F401 - the zoo fixture

from auditkit.batch import batch, run
from auditkit.batch.run import _written_while_closing


def test_the_pages_are_written_while_the_cluster_closes():
    """Closing waits until the writing has begun: done one after the other, this would wait forever."""
    stack, writing = ExitStack(), threading.Event()
    stack.callback(lambda: writing.wait(timeout=60) or pytest.fail("closed before the writing began"))
    assert _written_while_closing(stack, lambda: writing.set() or "summary") == "summary"


@pytest.mark.parametrize(("close", "write", "error"), [
    (lambda: 1 / 0, lambda: "summary", ZeroDivisionError),
    (lambda: None, lambda: 1 / 0, ZeroDivisionError),
])
def test_an_error_while_closing_or_writing_is_raised(close, write, error):
    stack = ExitStack()
    stack.callback(close)
    with pytest.raises(error):
        _written_while_closing(stack, write)


def test_nothing_is_closed_twice():
    stack, closes = ExitStack(), []
    stack.callback(closes.append, "closed")
    with stack:
        _written_while_closing(stack, lambda: None)
    assert closes == ["closed"]


def test_a_batch_returns_with_its_pages_written_and_its_cluster_closed(zoo, tmp_path, monkeypatch):
    clients = []
    original = run._client

    @contextmanager
    def recorded(*args):
        with original(*args) as client:
            clients.append(client)
            yield client

    monkeypatch.setattr(run, "_client", recorded)
    summary = batch(write_plan(zoo, quick_plan(["logreg", "tree"]), "closing.yaml"), out=tmp_path / "out",
                    workers=1, progress=False)
    assert summary["status"].tolist() == ["ok", "ok"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.*")) == ["index.html", "summary.csv"]
    assert clients[0].status == "closed" and clients[0].cluster.status.name == "closed"
