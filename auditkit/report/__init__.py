"""Report rendering (papermill, nbconvert) and the view functions each report section uses.

:func:`notebook_path` finds the report notebooks of the installed package; :func:`run_for_notebook`
is the one call their ``parameters`` make (run an audit, or re-render a saved one). Both are loaded
on first use: ``auditkit.io`` imports this package while ``auditkit`` itself is still loading.
"""

from typing import Any

__all__ = ["notebook_path", "run_for_notebook"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from auditkit.report import notebooks

        return getattr(notebooks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
