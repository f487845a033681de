"""Figures drawn beside the report kernel by the command's own process: each figure drawn once, by whichever
process claims it first, and the report is the same, byte for byte, whoever drew what."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from _result_fixtures import full_audit

from auditkit import cli_process
from auditkit.report import drawing_ahead, execute, figure_cache, shared_figures, views
from auditkit.report.drawing_ahead import SECTIONS_OF_STEP, draw_ahead, draw_beside, save_so_far
from auditkit.report.figure_cache import forget_drawn, kept_figures

matplotlib.use("Agg")
NAMES = tuple(name for step in SECTIONS_OF_STEP for name in SECTIONS_OF_STEP[step])


@pytest.fixture(autouse=True)
def _nothing_kept_or_shared():
    forget_drawn()
    shared_figures.share_in(None)
    yield
    forget_drawn()
    shared_figures.share_in(None)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    return save_so_far(full_audit(), tmp_path_factory.mktemp("audit"))


def shown(audit_dir: Path) -> list[str]:
    """What the report's figure sections display, as the report notebook shows them."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from auditkit.report import sections

    InteractiveShell.instance()
    doc, result = views.load(audit_dir), views.load_result(audit_dir)
    with capture_output(display=True) as captured:
        for name in NAMES:
            getattr(sections, name)(doc, result)
    return [output.data.get("text/html", "") for output in captured.outputs]


def test_figures_drawn_partly_by_the_kernel_and_partly_beside_it_make_the_same_report(saved, tmp_path):
    drawn_here = shown(saved)
    shared = tmp_path / "figures"
    kernel_kept = draw_ahead(saved, ("fairness",), shared)  # the kernel: the fairness figures, claimed first
    published = draw_beside(saved, shared, ["so-far-2"])  # the command: what the kernel has not claimed
    shared_figures.share_in(shared)  # the notebook, in the kernel, which draws ahead in a shared folder
    assert shown(saved) == drawn_here
    figures = sum(html.count("<img") for html in drawn_here)
    assert kernel_kept > 0 and published > 0 and kernel_kept + published == figures  # each drawn once
    assert kept_figures() == 0
    assert len(list(shared.glob("*.claim"))) == figures


def test_the_kernel_draws_only_the_figures_the_command_has_not_claimed(saved, tmp_path):
    shared = tmp_path / "figures"
    published = draw_beside(saved, shared, ["so-far-1"])
    assert published == sum(html.count("<img") for html in shown(saved))  # the kernel drew nothing yet
    assert draw_ahead(saved, tuple(SECTIONS_OF_STEP), shared) == 0
    assert (shared / f"{saved.name}.done").exists()  # the kernel says it has finished this audit so far


def test_nothing_is_drawn_beside_a_kernel_that_has_finished(saved, tmp_path):
    shared = tmp_path / "figures"
    draw_ahead(saved, tuple(SECTIONS_OF_STEP), shared)
    assert draw_beside(saved, shared, [saved.name]) == 0
    assert not list(shared.glob("*.html"))


def test_a_figure_that_fails_beside_the_kernel_is_drawn_by_the_notebook(saved, tmp_path, monkeypatch):
    drawn_here = shown(saved)
    shared = tmp_path / "figures"
    with monkeypatch.context() as patch:
        def failing(*args, **kwargs):
            raise ValueError("a plot that fails")

        patch.setattr(views, "figure_html", failing)
        draw_beside(saved, shared, ["so-far-1"])
    assert not list(shared.glob("*.html"))
    shared_figures.share_in(shared)
    assert shown(saved) == drawn_here


def test_the_digest_of_a_figure_ignores_the_backend():
    params = dict(matplotlib.rcParams)
    other = {**params, "backend": object()}
    assert figure_cache._settings(params) == figure_cache._settings(other)


def test_only_the_commands_own_process_draws_beside_the_kernel(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(drawing_ahead, "draw_beside", lambda *args: calls.append(args))
    kernel = execute.ReportKernel()
    kernel.started, kernel._saved = True, 2
    try:
        monkeypatch.setattr(cli_process, "_OWNED", [])
        kernel.draw_beside(tmp_path)
        assert calls == []  # a library call (a user's notebook) keeps its pyplot backend and its process
        monkeypatch.setattr(cli_process, "_OWNED", [True])
        kernel.draw_beside(tmp_path)
        assert calls == [(tmp_path, kernel.shared, ["so-far-1", "so-far-2"])]
    finally:
        kernel.close()
