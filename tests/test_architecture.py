"""The architecture the folder tree promises: no import cycle, no private module at the root, short files,
and report notebooks that use public names only."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import tomllib
from collections import deque
from pathlib import Path

import nbformat
import pytest

import auditkit

PACKAGE = Path(auditkit.__file__).parent
NOTEBOOKS = PACKAGE.parent / "notebooks"
MAX_LINES = 400
ROOT_PRIVATE_ALLOWED = {"__init__.py", "_version.py"}


# --- the import graph ---------------------------------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    """``auditkit/stats/bootstrap.py`` -> ``auditkit.stats.bootstrap``; a package's ``__init__.py`` -> the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(tree: ast.AST, package: str) -> set[str]:
    """Dotted names a module imports, at any depth (functions too), except under ``if TYPE_CHECKING:``.

    ``from a.b import c`` gives ``a.b.c`` (the module ``a.b.c`` when there is one, else the name ``c`` in
    ``a.b``); relative imports are resolved against ``package``, the package the module is in.
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports.

    Importing a module from outside its subpackage first runs the subpackage's ``__init__``, so that is an
    edge too. The root package's ``__init__`` (the public API, always imported first) is an edge only when a
    module imports it by name (``import auditkit``, ``from auditkit import audit``).
    """
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for dotted in imported_names(ast.parse(path.read_text(encoding="utf-8")), package):
            while dotted and dotted not in paths:
                dotted = dotted.rpartition(".")[0]
            if dotted:
                targets.add(dotted)
        for target in list(targets):
            parts = target.split(".")
            for depth in range(2, len(parts)):
                ancestor = ".".join(parts[:depth])
                if name != ancestor and not name.startswith(ancestor + "."):
                    targets.add(ancestor)
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A shortest import cycle (``[a, b, ..., a]``), or None."""
    best = None
    for start in sorted(graph):
        previous = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    path = [node]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    cycle = [start, *reversed(path[:-1]), start]
                    if best is None or len(cycle) < len(best):
                        best = cycle
                    queue.clear()
                    break
                if nxt not in previous and nxt in graph:
                    previous[nxt] = node
                    queue.append(nxt)
    return best


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph(PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize(("files", "cycle"), [
    # an import inside a function is an import
    ({"__init__.py": "", "a.py": "def f():\n    from pkg import b\n", "b.py": "import pkg.a\n"},
     ["pkg.a", "pkg.b", "pkg.a"]),
    # an import under `if TYPE_CHECKING:` is not; its `else:` is
    ({"__init__.py": "", "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
      "b.py": "from pkg.a import A\n"}, None),
    ({"__init__.py": "", "a.py": "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    from pkg.b import B\n",
      "b.py": "from pkg.a import A\n"}, ["pkg.a", "pkg.b", "pkg.a"]),
    # relative imports; a name imported from a module is an edge to that module
    ({"__init__.py": "", "a.py": "from .b import helper\n", "b.py": "from . import c\n",
      "c.py": "from pkg.a import x\n"}, ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]),
    # importing a module of a subpackage from outside runs the subpackage's __init__
    ({"__init__.py": "", "a.py": "from pkg.sub.leaf import x\n", "sub/__init__.py": "from pkg.sub.heavy import y\n",
      "sub/leaf.py": "", "sub/heavy.py": "import pkg.a\n"}, ["pkg.a", "pkg.sub", "pkg.sub.heavy", "pkg.a"]),
    # siblings inside a subpackage whose __init__ re-exports them: no cycle
    ({"__init__.py": "", "sub/__init__.py": "from pkg.sub.one import x\n", "sub/one.py": "from pkg.sub.two import y\n",
      "sub/two.py": ""}, None),
    # the root __init__ re-exports everything: only importing it by name is an edge
    ({"__init__.py": "from pkg.a import run\n", "a.py": "from pkg.b import helper\n", "b.py": "x = 1\n"}, None),
    ({"__init__.py": "from pkg.a import run\n", "a.py": "def f():\n    from pkg import run\n"},
     ["pkg", "pkg.a", "pkg"]),
])
def test_the_cycle_check_finds_cycles(tmp_path, files, cycle):
    assert find_cycle(import_graph(write_package(tmp_path, files))) == cycle


# --- layout -------------------------------------------------------------------------------------------------------


def test_no_private_module_at_the_package_root():
    private = [path.name for path in PACKAGE.iterdir()
               if path.name.startswith("_") and path.name not in ROOT_PRIVATE_ALLOWED
               and (path.suffix == ".py" or (path / "__init__.py").is_file())]
    assert private == [], "private modules at the root of auditkit/ (move them into the subpackage of their concern)"


def test_no_module_is_longer_than_400_lines():
    long = {str(path.relative_to(PACKAGE.parent)): n for path in sorted(PACKAGE.rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines (split them by job)"


# --- notebooks ----------------------------------------------------------------------------------------------------

_MAGIC = re.compile(r"^\s*[%!]")


def private_uses(source: str) -> list[str]:
    """Private auditkit names a notebook cell uses: ``auditkit._x``, ``from auditkit.x import _y``, ``module._y``."""
    tree = ast.parse("\n".join("" if _MAGIC.match(line) else line for line in source.splitlines()))
    bound: set[str] = set()  # names bound to auditkit modules or objects
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "auditkit":
                    found += [alias.name] if _private(alias.name.split(".")) else []
                    bound.add(alias.asname or "auditkit")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "auditkit":
            for alias in node.names:
                if _private([*node.module.split("."), alias.name]):
                    found.append(f"{node.module}.{alias.name}")
                bound.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private([node.attr]) and _root_name(node.value) in bound:
            found.append(f"{ast.unparse(node.value)}.{node.attr}")
    return found


def _private(parts: list[str]) -> bool:
    return any(part.startswith("_") and not (part.startswith("__") and part.endswith("__")) for part in parts)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def notebook_cells() -> list[tuple[str, int, str]]:
    cells = []
    for path in sorted(NOTEBOOKS.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        cells += [(path.name, i, cell.source) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    return cells


def test_there_are_notebooks_to_check():
    assert any(name == "audit_report.ipynb" for name, _, _ in notebook_cells())


@pytest.mark.parametrize(("name", "index", "source"), notebook_cells(),
                         ids=[f"{name}-cell{index}" for name, index, _ in notebook_cells()])
def test_notebooks_use_public_names_only(name, index, source):
    assert private_uses(source) == []


@pytest.mark.parametrize(("source", "found"), [
    ("from auditkit._audit import run", ["auditkit._audit.run"]),
    ("import auditkit._views as v", ["auditkit._views"]),
    ("from auditkit.report import _helpers", ["auditkit.report._helpers"]),
    ("from auditkit.report import views\nviews._load('x')", ["views._load"]),
    ("import auditkit\nauditkit.report.views._load('x')", ["auditkit.report.views._load"]),
    ("%matplotlib inline\nimport auditkit\nauditkit.audit(data='german').to_dict()", []),
    ("from auditkit.report import bias_views as _views_bias\n_views_bias.show(x)", []),
    ("import pandas as pd\npd._libs", []),
    ("import auditkit\nauditkit.__version__", []),
])
def test_the_notebook_check_finds_private_names(source, found):
    assert private_uses(source) == found


# --- the public API -----------------------------------------------------------------------------------------------

API = {"audit", "audit_to_dir", "AuditSpec", "AuditResult", "Finding", "StepResult", "Step", "datasets",
       "exceptions", "InputError", "AuditkitError", "__version__"}


def test_the_public_api_is_declared_in_the_package():
    assert API <= set(auditkit.__all__)
    assert [name for name in auditkit.__all__ if not hasattr(auditkit, name)] == []


def public_modules() -> list[str]:
    """``auditkit`` and every module with no private part in its name."""
    names = sorted({module_name(path, PACKAGE) for path in PACKAGE.rglob("*.py")})
    return [name for name in names if not _private(name.split(".")[1:])]


def public_objects() -> list[tuple[str, object]]:
    """Functions and classes a public module defines under a public name, and those ``auditkit`` exports."""
    found = {}
    for name in public_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if _private([attr]) or not (inspect.isfunction(value) or inspect.isclass(value)):
                continue
            if value.__module__ == name or (name == "auditkit" and attr in auditkit.__all__):
                found.setdefault(f"{value.__module__}.{value.__qualname__}", value)
    return sorted(found.items())


@pytest.mark.parametrize(("name", "obj"), public_objects(), ids=[name for name, _ in public_objects()])
def test_every_public_function_and_class_has_a_docstring_with_an_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    assert "Examples\n--------" in doc and ">>>" in doc, f"{name}: no 'Examples' section (numpydoc) with an example"


def test_the_examples_run_with_the_tests():
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    pytest_options = config["ini_options"]
    assert "auditkit" in pytest_options["testpaths"] and "--doctest-modules" in pytest_options["addopts"]
