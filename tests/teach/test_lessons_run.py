"""Every lesson runs under papermill, offline, as a student or an instructor would run it.

Instructor versions: every exercise's checker says "right" to the solution. Student versions: every exercise
runs and says "no answer yet" (with a hint), and nothing fails. Both versions of every lesson run in the default
suite, the one CI runs: a lesson that only runs in a slow suite could break unseen.
"""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from auditkit.teach.student import lessons_dirs

INSTRUCTOR, STUDENT = lessons_dirs()
FEEDBACK_CLASS = "auditkit-feedback"
PARAMETER_SET = type(pytest.param(None))


@pytest.fixture(autouse=True)
def _one_openmp_thread(monkeypatch):
    """Kernels inherit one OpenMP thread: on a busy shared machine (CI) the boosted trees of the reference model
    run several times slower with a thread per core than with one (as the doctests do, see the root conftest)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def _run(path, folder) -> nbformat.NotebookNode:
    out = folder / path.name
    pm.execute_notebook(str(path), str(out), cwd=str(folder), kernel_name="python3", progress_bar=False)
    return nbformat.read(out, as_version=4)


def _outputs(cell) -> list[dict]:
    return cell.get("outputs", []) if cell.cell_type == "code" else []


def _feedback(cell) -> list[str]:
    return [o["data"]["text/plain"] for o in _outputs(cell)
            if FEEDBACK_CLASS in o.get("data", {}).get("text/html", "")]


def _problems(notebook) -> list[str]:
    """Errors and text on stderr (warnings included): a lesson shows neither."""
    found = []
    for cell in notebook.cells:
        for output in _outputs(cell):
            if output["output_type"] == "error" or (output["output_type"] == "stream" and output["name"] == "stderr"):
                found.append(f"{cell.id}: {output.get('ename') or output.get('text', '')[:300]}")
    return found


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", sorted(INSTRUCTOR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_instructor_version_runs_and_every_solution_is_right(path, tmp_path):
    notebook = _run(path, tmp_path)
    assert _problems(notebook) == []
    solutions = [c for c in notebook.cells if c.cell_type == "code" and "solution" in _tags(c)]
    verdicts = [_feedback(cell) for cell in solutions]
    assert all(len(v) == 1 for v in verdicts), verdicts
    wrong = [v[0] for v in verdicts if "✓ Right" not in v[0]]
    assert wrong == []


@pytest.mark.parametrize("path", sorted(STUDENT.glob("*.ipynb")), ids=lambda p: p.stem)
def test_student_version_runs_and_every_exercise_waits_for_an_answer(path, tmp_path):
    notebook = _run(path, tmp_path)
    assert _problems(notebook) == []
    exercises = [c for c in notebook.cells if c.cell_type == "code" and "exercise" in _tags(c)]
    verdicts = [_feedback(cell) for cell in exercises]
    assert exercises and all(len(v) == 1 for v in verdicts), verdicts
    assert all("… No answer yet: replace the ... with your answer" in v[0] and " Hint: " in v[0] for v in verdicts)


def test_both_versions_of_every_lesson_run_in_the_default_suite():
    """CI runs the default suite (``-m 'not slow'``): no lesson's run may be marked slow, or left out."""
    lessons = sorted(p.stem for p in INSTRUCTOR.glob("*.ipynb"))
    assert sorted(p.stem for p in STUDENT.glob("*.ipynb")) == lessons
    for test in (test_instructor_version_runs_and_every_solution_is_right,
                 test_student_version_runs_and_every_exercise_waits_for_an_answer):
        assert "slow" not in [mark.name for mark in test.pytestmark], test.__name__
        [parametrize] = [mark for mark in test.pytestmark if mark.name == "parametrize"]
        params = [param if isinstance(param, PARAMETER_SET) else pytest.param(param) for param in parametrize.args[1]]
        assert [p.values[0].stem for p in params] == lessons, test.__name__
        assert [p.id for p in params if p.marks] == [], test.__name__
