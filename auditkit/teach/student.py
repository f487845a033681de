"""Student versions of the lessons, written from the instructor versions: one source, solutions stripped.

``python -m auditkit.teach.student`` (or ``make lessons``) reads every notebook in
``notebooks/lessons/instructor/`` and writes its student version, with the same name, to
``notebooks/lessons/student/``; ``--check`` only says whether the student versions are up to
date (exit status 1 when not). Writing is idempotent: the same instructor notebook always gives
the same bytes.

In an instructor notebook, a cell's tags (``cell.metadata.tags``) say what students see:

* ``solution`` on a **code** cell: the cell ends with a checker call whose first argument is
  the answer's name, e.g. ``teach.lesson1.check_selection_rate(rate_women)``. The student
  version keeps that call and replaces the rest with ``rate_women = ...  # your answer here``,
  so the checker says "no answer yet" until the student writes one. Later cells must not use
  the answer's name (in the student version it holds ``...``).
* ``solution`` on a **markdown** cell (a model answer to a discussion question): replaced by a
  prompt to write the answer.
* ``instructor``: notes for the instructor only; left out of the student version.

Every other cell is copied as it is. Outputs and execution counts are cleared; cell ids are
kept, so a stub has the id of the solution it replaces.
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

from auditkit.exceptions import InputError
from auditkit.report.notebooks import notebooks_dir

SOLUTION_TAG = "solution"
INSTRUCTOR_TAG = "instructor"
EXERCISE_TAG = "exercise"
ANSWER_PLACEHOLDER = "...  # your answer here"
MARKDOWN_PROMPT = "**Your answer:** _write it here, then compare with your neighbours._"
CHECKER_PREFIX = "check_"


def lessons_dirs() -> tuple[Path, Path]:
    """``(instructor, student)`` folders of the lessons (in the repository's ``notebooks/lessons/``).

    Examples
    --------
    >>> instructor, student = lessons_dirs()
    >>> instructor.name, student.name, instructor.parent == student.parent
    ('instructor', 'student', True)
    """
    root = notebooks_dir() / "lessons"
    return root / "instructor", root / "student"


def exercise_stub(source: str, where: str = "a solution cell") -> str:
    """The student's version of a solution code cell: its answer's name set to ``...``, then its checker call.

    Parameters
    ----------
    source : str
        The solution cell's code, ending with a call of a function named ``check_...``.
    where : str
        Names the cell in error messages.

    Raises
    ------
    InputError
        The cell does not parse, does not end with a checker call, or the call's first argument
        is not a name.

    Examples
    --------
    >>> print(exercise_stub('women = frame[frame["sex"] == "Female"]\\n'
    ...                     'rate = women["offer"].mean()\\n'
    ...                     'teach.lesson1.check_selection_rate(rate, group="Female")'))
    rate = ...  # your answer here
    teach.lesson1.check_selection_rate(rate, group="Female")
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise InputError(f"{where} is not valid Python: {error.msg} (line {error.lineno})") from None
    call = tree.body[-1].value if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if not isinstance(call, ast.Call) or not _callee(call).startswith(CHECKER_PREFIX):
        raise InputError(f"{where} must end with a checker call, e.g. teach.lesson1.check_selection_rate(answer); "
                         f"its last line is {source.strip().splitlines()[-1] if source.strip() else 'empty'!r}")
    name = _answer_name(call)
    if name is None:
        raise InputError(f"{where}: the checker call's first argument must be the answer's name, e.g. "
                         f"{_callee(call)}(answer); got {ast.get_source_segment(source, call)!r}")
    return f"{name} = {ANSWER_PLACEHOLDER}\n{ast.get_source_segment(source, call)}"


def student_notebook(notebook: nbformat.NotebookNode, name: str = "the notebook") -> nbformat.NotebookNode:
    """The student version of an instructor ``notebook`` (a new notebook; the given one is unchanged).

    Examples
    --------
    >>> import nbformat
    >>> book = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("Compute the rate."),
    ...     nbformat.v4.new_code_cell("rate = 1 / 4\\ncheck_number(rate, 0.25)", metadata={"tags": ["solution"]}),
    ...     nbformat.v4.new_markdown_cell("Say it in class.", metadata={"tags": ["instructor"]}),
    ... ])
    >>> [cell.source for cell in student_notebook(book).cells]
    ['Compute the rate.', 'rate = ...  # your answer here\\ncheck_number(rate, 0.25)']
    """
    student = copy.deepcopy(notebook)
    cells = []
    for index, cell in enumerate(student.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if INSTRUCTOR_TAG in tags:
            continue
        if SOLUTION_TAG in tags:
            _make_exercise(cell, tags, f"{name}, cell {index}")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    student.cells = cells
    return student


def student_text(instructor_path: Path) -> str:
    """The student version of the notebook file at ``instructor_path``, as the text written to disk.

    Examples
    --------
    >>> instructor, _ = lessons_dirs()
    >>> text = student_text(instructor / "01_measuring_bias.ipynb")
    >>> "# your answer here" in text, '"student_version_of": "../instructor/01_measuring_bias.ipynb"' in text
    (True, True)
    """
    notebook = nbformat.read(instructor_path, as_version=4)
    student = student_notebook(notebook, instructor_path.name)
    student.metadata["auditkit"] = {"student_version_of": f"../instructor/{instructor_path.name}",
                                    "regenerate": "python -m auditkit.teach.student"}
    nbformat.validate(student)
    text = nbformat.writes(student)
    return text if text.endswith("\n") else text + "\n"


def write_student_versions(source: Path | None = None, target: Path | None = None) -> list[Path]:
    """Write the student version of every ``*.ipynb`` in ``source`` to ``target``; return the files written.

    A file already holding the same bytes is left untouched (and not returned).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> [path.name for path in write_student_versions(target=folder)][:1]
    ['01_measuring_bias.ipynb']
    >>> write_student_versions(target=folder)  # up to date: nothing written
    []
    """
    source, target = _folders(source, target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in _student_texts(source).items():
        out = target / path.name
        if not out.is_file() or out.read_bytes() != text.encode():
            out.write_bytes(text.encode())
            written.append(out)
    return written


def stale_student_versions(source: Path | None = None, target: Path | None = None) -> list[Path]:
    """Student versions in ``target`` that are missing or differ from what ``source`` gives (empty: up to date).

    Examples
    --------
    >>> stale_student_versions()  # the committed student versions
    []
    """
    source, target = _folders(source, target)
    stale = []
    for path, text in _student_texts(source).items():
        out = target / path.name
        if not out.is_file() or out.read_bytes() != text.encode():
            stale.append(out)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m auditkit.teach.student [--check] [--source DIR] [--target DIR]``; the exit status.

    0 when the student versions were written (or, with ``--check``, are up to date); 1 when
    ``--check`` finds one out of date (named on stderr); 2 for bad input (one line on stderr).

    Examples
    --------
    >>> main(["--check"])
    0
    """
    parser = argparse.ArgumentParser(prog="python -m auditkit.teach.student",
                                     description="Write the student versions of the lessons.")
    parser.add_argument("--check", action="store_true", help="only check that the student versions are up to date")
    parser.add_argument("--source", type=Path, help="folder of instructor notebooks (default: notebooks/lessons/"
                                                    "instructor)")
    parser.add_argument("--target", type=Path, help="folder of student notebooks (default: notebooks/lessons/student)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_student_versions(args.source, args.target)
            for path in stale:
                print(f"out of date: {path} (run: python -m auditkit.teach.student)", file=sys.stderr)
            return 1 if stale else 0
        for path in write_student_versions(args.source, args.target):
            print(f"wrote {path}")
    except InputError as error:
        print(f"auditkit: error: {error}", file=sys.stderr)
        return 2
    return 0


def _make_exercise(cell: nbformat.NotebookNode, tags: list[str], where: str) -> None:
    cell.source = exercise_stub(cell.source, where) if cell.cell_type == "code" else MARKDOWN_PROMPT
    cell.metadata["tags"] = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in tags]


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _answer_name(call: ast.Call) -> str | None:
    """The name passed as the call's first argument (None when it is not a plain name)."""
    return call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else None


def _folders(source: Path | None, target: Path | None) -> tuple[Path, Path]:
    default_source, default_target = lessons_dirs()
    source, target = Path(source or default_source), Path(target or default_target)
    if not source.is_dir():
        raise InputError(f"the folder of instructor notebooks does not exist: {source}")
    return source, target


def _student_texts(source: Path) -> dict[Path, str]:
    return {path: student_text(path) for path in sorted(source.glob("*.ipynb"))}


if __name__ == "__main__":
    sys.exit(main())
