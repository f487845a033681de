"""What the ``auditkit`` command does to its own process (never the library): imports it skips, and a quick exit.

Both save seconds of an ``auditkit demo`` that does its work in seconds; neither changes a result.
"""

from __future__ import annotations

import gc
import sys


def leave_objects_at_exit() -> None:
    """Exclude every object alive now from the garbage collections Python runs while it shuts down.

    Python's shutdown collects garbage over every object still alive, several times: after an audit
    (pandas, scikit-learn, shap, numba, papermill loaded) that took 1.5-2.5 s on two busy cores, doing
    nothing the ending process needs. ``gc.freeze`` moves the objects to a generation collections
    ignore; exit handlers still run and files are closed as usual. Registered with :mod:`atexit` when
    the command runs as the program, so it runs after every later-registered handler; never in a
    process that goes on (tests calling :func:`auditkit.cli.main`).

    Examples
    --------
    >>> import subprocess, sys
    >>> code = ("import gc; from auditkit.cli_process import leave_objects_at_exit; leave_objects_at_exit(); "
    ...         "print(gc.get_freeze_count() > 0)")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    'True'
    """
    gc.freeze()


UNUSED_MODULES = ("rfc3987_syntax",)
"""Modules the command never uses that its libraries import at great cost: kept out of the command's process.

``rfc3987_syntax`` compiles its IRI grammar with lark when imported (1.4 s of the 2 s that importing
papermill takes); jsonschema imports it, when installed, for its optional ``iri`` format check, and
nbformat imports jsonschema. Nothing in a command checks that format (nbformat validates notebooks
without format checks), so jsonschema goes without it, as when it is not installed.
"""


def skip_unused_imports() -> None:
    """Keep :data:`UNUSED_MODULES` out of this process, unless something imported them or jsonschema already.

    Only the command does this (it owns its process); the library never does.

    Examples
    --------
    >>> import subprocess, sys
    >>> code = ("from auditkit.cli_process import skip_unused_imports; skip_unused_imports(); import papermill, sys; "
    ...         "print(sys.modules['rfc3987_syntax'])")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    'None'
    """
    if "jsonschema" in sys.modules:
        return
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # None: "import name" raises ImportError, as for a missing module
