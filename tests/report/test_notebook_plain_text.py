"""The report notebook's own HTML (not only the view functions') is kept from MathJax.

The notebook builds a heading per grouping from sensitive column names; a ``$`` in a name must
stay a dollar, as in every view's output (``tex2jax_ignore mathjax_ignore``).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from auditkit import audit
from auditkit.report.render import write_audit
from auditkit.report.views import NO_TEX

matplotlib.use("Agg")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "audit_report.ipynb"
SENSITIVE_COLUMN = "s$\\x$"


def _display_cells() -> list[str]:
    """Source of the code cells from the ``parameters`` cell on, without IPython magics."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    start = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    code = ["".join(c["source"]) for c in cells[start:] if c["cell_type"] == "code"]
    return ["\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%")) for source in code]


def test_every_html_output_of_the_notebook_is_kept_from_mathjax(tmp_path, monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"sex": rng.choice(["$a$", "b"], n), SENSITIVE_COLUMN: rng.choice(["$x$", "y"], n),
                          "approved": rng.integers(0, 2, n)})
    frame["decision"] = np.where(rng.random(n) < 0.8, frame["approved"], 1 - frame["approved"])
    result = audit(data=frame, target="approved", sensitive=["sex", SENSITIVE_COLUMN], predictions="decision",
                   steps=["performance", "fairness"], step_options={"fairness": {"n_boot": 0}})
    write_audit(result, tmp_path)

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setattr(plt, "show", lambda: plt.close("all"))
    parameters, *cells = _display_cells()
    namespace: dict = {}
    exec(compile(parameters, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - the project's own notebook
    namespace["audit_dir"] = str(tmp_path)  # as papermill injects it after the parameters cell
    for source in cells:
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - the project's own notebook
    fragments = [obj.data for obj in shown if isinstance(obj, IPython.display.HTML)]
    headings = [f for f in fragments if f"{SENSITIVE_COLUMN}</h3>" in f]
    assert len(headings) == 2  # the notebook's headings "s$\x$" and "sex × s$\x$"
    unprotected = [f[:120] for f in fragments if NO_TEX not in f[:80]]
    assert unprotected == []
