"""Report rendering (papermill, nbconvert) and the view functions each report section uses.

:func:`notebook_path` finds the report notebooks of the installed package (``"bias"`` or ``"full"``);
their ``parameters`` cell runs an audit through :func:`auditkit.notebook.run_for_notebook`.
"""

from auditkit.report.notebooks import notebook_path

__all__ = ["notebook_path"]
