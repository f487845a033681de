"""Student versions of the lessons are generated from the instructor versions: solutions stripped, idempotent."""

from __future__ import annotations

import ast
import re
import shutil

import nbformat
import pytest

from auditkit import teach
from auditkit.exceptions import InputError
from auditkit.teach.student import (
    exercise_stub,
    lessons_dirs,
    main,
    stale_student_versions,
    student_notebook,
    write_student_versions,
)

INSTRUCTOR, STUDENT = lessons_dirs()
LESSONS = sorted(INSTRUCTOR.glob("*.ipynb"))


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def test_the_lessons_exist_in_both_versions():
    names = ["01_measuring_bias.ipynb", "02_compas_debate.ipynb", "03_bias_in_the_data.ipynb",
             "04_explaining_with_shap.ipynb", "05_lime_and_disagreement.ipynb", "06_mitigation_tradeoffs.ipynb",
             "07_writing_it_up.ipynb"]
    assert [p.name for p in LESSONS] == names
    assert sorted(p.name for p in STUDENT.glob("*.ipynb")) == names


def test_committed_student_versions_are_the_generated_ones():
    assert stale_student_versions() == []


def test_generation_is_idempotent(tmp_path):
    first = write_student_versions(INSTRUCTOR, tmp_path)
    snapshot = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert write_student_versions(INSTRUCTOR, tmp_path) == []  # nothing to rewrite
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == snapshot
    assert [p.name for p in first] == [p.name for p in LESSONS]
    assert snapshot == {p.name: (STUDENT / p.name).read_bytes() for p in LESSONS}


def test_check_command_reports_a_stale_student_version(tmp_path, capsys):
    shutil.copytree(STUDENT, tmp_path / "student")
    assert main(["--check", "--target", str(tmp_path / "student")]) == 0
    stale = tmp_path / "student" / LESSONS[0].name
    stale.write_text(stale.read_text().replace("Lesson 1", "Lesson one"))
    assert main(["--check", "--target", str(tmp_path / "student")]) == 1
    assert f"out of date: {stale} (run: python -m auditkit.teach.student)" in capsys.readouterr().err
    assert main(["--target", str(tmp_path / "student")]) == 0
    assert main(["--check", "--target", str(tmp_path / "student")]) == 0


def test_a_missing_source_folder_is_one_line_and_status_2(tmp_path, capsys):
    assert main(["--source", str(tmp_path / "nowhere"), "--target", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"auditkit: error: the folder of instructor notebooks does not exist: " \
                                      f"{tmp_path / 'nowhere'}\n"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_instructor_notebooks_are_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_student_versions_hold_no_solution_and_no_instructor_note(path):
    instructor = nbformat.read(path, as_version=4)
    student = nbformat.read(STUDENT / path.name, as_version=4)
    solutions = [c for c in instructor.cells if "solution" in _tags(c)]
    exercises = [c for c in student.cells if "exercise" in _tags(c)]
    assert solutions and [c.id for c in solutions] == [c.id for c in exercises]
    assert not [c for c in student.cells if {"solution", "instructor"} & set(_tags(c))]
    student_text = "\n".join(c.source for c in student.cells)
    for solution in solutions:
        if solution.cell_type == "code":
            body = solution.source.strip().splitlines()[:-1]  # all but the checker call
            assert not [line for line in body if line.strip() and line in student_text]
        else:
            assert solution.source not in student_text
    assert student.metadata["auditkit"]["student_version_of"] == f"../instructor/{path.name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_state_goals_and_time_and_call_existing_checkers(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0].source
    assert first.startswith("# Lesson") and "**Time:**" in first and "**Learning goals.**" in first
    for cell in notebook.cells:
        if cell.cell_type == "code" and "solution" in _tags(cell):
            call = ast.parse(cell.source).body[-1].value
            module, name = call.func.value.attr, call.func.attr  # teach.<lesson>.<checker>
            assert callable(getattr(getattr(teach, module), name))


@pytest.mark.parametrize(("source", "stub"), [
    ("rate = offers['offer'].mean()\nteach.lesson1.check_selection_rate(rate)",
     "rate = ...  # your answer here\nteach.lesson1.check_selection_rate(rate)"),
    ("x = 1\ncheck_number(\n    x,\n    0.5,\n)", "x = ...  # your answer here\ncheck_number(\n    x,\n    0.5,\n)"),
    ("answer = 'no'\nteach.lesson3.check_unawareness(answer, data=ds)",
     "answer = ...  # your answer here\nteach.lesson3.check_unawareness(answer, data=ds)"),
])
def test_exercise_stub_keeps_the_checker_call_and_blanks_the_answer(source, stub):
    assert exercise_stub(source) == stub


@pytest.mark.parametrize(("source", "message"), [
    ("x = 1\nprint(x)", "cell 3 must end with a checker call, e.g. teach.lesson1.check_selection_rate(answer); its "
                        "last line is 'print(x)'"),
    ("check_number(0.5, 0.5)", "cell 3: the checker call's first argument must be the answer's name, e.g. "
                               "check_number(answer); got 'check_number(0.5, 0.5)'"),
    ("x = (", "cell 3 is not valid Python: '(' was never closed (line 1)"),
    ("", "cell 3 must end with a checker call, e.g. teach.lesson1.check_selection_rate(answer); its last line is "
         "'empty'"),
])
def test_a_solution_cell_that_cannot_be_stubbed_is_named(source, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        exercise_stub(source, "cell 3")


def test_markdown_solutions_become_prompts_and_outputs_are_cleared():
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("*Model answer.* Because.", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")],
                                  execution_count=4),
    ])
    student = student_notebook(book)
    assert student.cells[0].source == "**Your answer:** _write it here, then compare with your neighbours._"
    assert student.cells[0].metadata["tags"] == ["exercise"]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert book.cells[1].execution_count == 4  # the instructor notebook is unchanged
