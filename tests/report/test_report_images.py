"""Every image of an exported report has alternative text that says what is plotted, and explanation findings
are shown once: the report notebooks' cells run in-process on a saved audit, their outputs exported by nbconvert.

The cells run in an IPython shell as a kernel would run them: what ``display`` shows, a cell's last value
(a figure left as a cell's value becomes a PNG without alternative text) and the figures a cell leaves
open in pyplot (the inline backend would show them the same way).
"""

from __future__ import annotations

import json

import matplotlib
import nbformat
import pytest
from bs4 import BeautifulSoup
from threadpoolctl import threadpool_limits

from auditkit import audit
from auditkit.report.notebooks import notebooks_dir
from auditkit.report.render import export_html, write_audit

matplotlib.use("Agg")
NO_ALT = "No description has been provided for this image"  # what nbconvert writes (and warns about) for none
NOTEBOOKS = sorted(p.name for p in notebooks_dir().glob("*_report.ipynb"))


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    """A small audit with every section: data, fairness with scores, data bias, SHAP, LIME and agreement."""
    from _frames import make_frame

    with threadpool_limits(limits=1, user_api="openmp"):
        result = audit(data=make_frame(400).drop(columns=["decision", "score"]), target="approved",
                       sensitive=["sex", "region"], seed=0, progress=False,
                       step_options={"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20},
                                     "lime": {"n_instances": 2, "repeats": 2, "num_samples": 200}})
    folder = tmp_path_factory.mktemp("report")
    write_audit(result, folder)
    return folder


def _run_cells(notebook: nbformat.NotebookNode, audit_dir) -> list[dict]:
    """The notebook's display outputs, its code cells run in one IPython shell with ``audit_dir`` set."""
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})  # a figure shown as a value or by display() becomes a PNG, as in a kernel
    outputs: list[dict] = []
    shell.displayhook.write_format_data = lambda data, metadata=None: outputs.append(data)
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code" or "sys.path" in cell.source:
                continue
            source = cell.source
            if "parameters" in cell.metadata.get("tags", []):  # as papermill -p audit_dir DIR would
                source += f"\naudit_dir = {str(audit_dir)!r}"
            with capture_output() as captured:
                run = shell.run_cell(source)
            run.raise_error()
            outputs += [shown.data for shown in captured.outputs]
            outputs += [{"image/png": "left open in pyplot"} for _ in plt.get_fignums()]
            plt.close("all")
    finally:
        InteractiveShell.clear_instance()
    return outputs


@pytest.fixture(scope="module", params=NOTEBOOKS)
def exported(request, audit_dir, tmp_path_factory) -> str:
    notebook = nbformat.read(notebooks_dir() / request.param, as_version=4)
    outputs = _run_cells(notebook, audit_dir)
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[
        nbformat.v4.new_output("display_data", data={k: v for k, v in data.items() if k != "text/plain"})
        for data in outputs if set(data) - {"text/plain"}])])
    folder = tmp_path_factory.mktemp("exported")
    nbformat.write(page, folder / "report.ipynb")
    return export_html(folder / "report.ipynb", folder / "report.html").read_text()


def test_every_image_says_what_it_plots(exported):
    images = BeautifulSoup(exported, "html.parser").find_all("img")
    assert len(images) >= 3
    alts = [image.get("alt", "") for image in images]
    assert [a for a in alts if not a.strip() or a == NO_ALT] == []
    for alt in alts:  # the kind of plot, then its title as drawn: "Bar chart of .... Rates by sex ..."
        kind, title = alt.split(". ")[:2]
        assert len(kind) > 10 and title


def test_explanation_findings_are_shown_once(audit_dir, exported):
    doc = json.loads((audit_dir / "audit.json").read_text())
    text = BeautifulSoup(exported, "html.parser").get_text()
    explained = [f for f in doc["findings"] if f["step"] in ("shap", "lime", "agreement")]
    if "explanations" not in doc or "SHAP" not in text:
        pytest.skip("this notebook has no explanation section")
    assert explained
    assert {f["message"]: text.count(f["message"]) for f in explained} == {f["message"]: 1 for f in explained}


def test_the_cells_are_run_as_a_kernel_shows_them(audit_dir, tmp_path):
    """The harness itself: a figure left as a cell's value, or displayed, is an image without alternative text."""
    cells = ["import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nplt.close(fig)\nfig",
             "from IPython.display import display\ndisplay(fig)", "fig2, ax2 = plt.subplots()"]
    outputs = _run_cells(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), audit_dir)
    assert ["image/png" in data for data in outputs] == [True, True, True]
