"""The command's own process: papermill without the IRI grammars it never uses, objects left to the OS at exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

RUN = ("import sys; from auditkit.cli import main; main(['datasets']); import nbformat, papermill; "
       "nbformat.validate(nbformat.v4.new_notebook()); print(sys.modules['rfc3987_syntax'])")


def test_the_command_imports_papermill_without_compiling_iri_grammars():
    out = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "None"  # kept out: nbformat and papermill work without it


@pytest.mark.parametrize("first", ["jsonschema", "rfc3987_syntax"])
def test_a_process_that_imported_them_first_keeps_them(first):
    code = f"import {first}; " + RUN
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1].startswith("<module 'rfc3987_syntax'")


@pytest.mark.parametrize(("call", "frozen"), [("main()", "True"), ("main(['datasets'])", "False")])
def test_the_program_leaves_its_objects_to_the_os_at_exit_and_a_caller_keeps_them(call, frozen):
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))  # runs after the command's\n"
            "from auditkit.cli import main\n"
            f"sys.argv = ['auditkit', 'datasets']\n{call}\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["adult", "compas", "german", "frozen", frozen]
