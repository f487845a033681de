"""notebooks/explore.ipynb: the notebook-first API, executed by papermill as a user would run it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    folder = tmp_path_factory.mktemp("explore")
    out = folder / "explore.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"seed": 1, "test_size": 0.3},
                        cwd=str(folder), kernel_name="python3", progress_bar=False)
    return nbformat.read(out, as_version=4)


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def test_parameters_are_documented_for_papermill():
    names = set(pm.inspect_notebook(str(NOTEBOOK)))
    assert {"dataset", "seed", "test_size", "steps"} <= names


def test_it_trains_in_memory_audits_and_shows_summary_tables_and_plots(executed):
    outputs = _outputs(executed)
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert "auditkit-result" in html[0]  # the result's own summary, not a table dump
    tables_with_ci = [h for h in html[1:] if "_ci_low" in h or "ci_low" in h]
    assert len(tables_with_ci) >= 2
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5


def test_the_audit_used_the_parameters(executed):
    text = "".join(o.get("text", "") for o in _outputs(executed) if o["output_type"] == "stream")
    assert "trained on 700 rows; auditing 300 held-out rows" in text



def test_no_warning_or_error_text_reaches_the_reader(executed):
    stderr = [o["text"] for o in _outputs(executed) if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert stderr == []
