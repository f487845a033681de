"""Report rendering (papermill, nbconvert, Chromium) and the view functions each report section uses.

:func:`notebook_path` finds the report notebooks of the installed package (``"bias"``, ``"explain"``
or ``"full"``); their ``parameters`` cell runs an audit through :func:`auditkit.notebook.run_for_notebook`.
:func:`print_pdf` prints a rendered ``report.html`` to PDF with headless Chromium.
"""

from auditkit.report.notebooks import notebook_path
from auditkit.report.pdf import print_pdf

__all__ = ["notebook_path", "print_pdf"]
