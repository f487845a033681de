"""The report notebooks are generated from one description, in document order, and render as a document."""

from __future__ import annotations

import os
import re
from html import unescape
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from bs4 import BeautifulSoup

import auditkit
from auditkit.report import notebook_path
from auditkit.report.document import heading_id
from auditkit.report.notebook_cells import FRONT, PARAMETERS, RUN, SYS_PATH, build_notebook, notebook_text, sections_for
from auditkit.report.notebooks import NOTEBOOKS, REPORT_STEPS
from auditkit.report.render import export_html, write_audit

REPO_ROOT = Path(__file__).resolve().parents[2]
KINDS = tuple(NOTEBOOKS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_committed_notebooks_are_the_generated_ones(kind):
    committed = (REPO_ROOT / "notebooks" / NOTEBOOKS[kind]).read_text(encoding="utf-8")
    assert committed == notebook_text(kind), "run `make notebooks` after changing auditkit/report/notebook_cells.py"


@pytest.mark.parametrize("kind", KINDS)
def test_every_notebook_starts_with_the_same_setup(kind):
    cells = build_notebook(kind).cells
    steps = REPORT_STEPS[kind]
    assert [c.source for c in cells[:4]] == [
        SYS_PATH, PARAMETERS.format(steps="the standard audit" if steps is None else ",".join(steps)),
        RUN.format(kind=kind), FRONT.format(kind=kind)]
    assert cells[1].metadata["tags"] == ["parameters"]


@pytest.mark.parametrize("kind", KINDS)
def test_sections_are_in_document_order_and_thin(kind):
    cells = build_notebook(kind).cells[4:]
    headings = [c.source.split("\n")[0] for c in cells if c.cell_type == "markdown"]
    assert headings[0] == "## Findings" and headings[-3:] == ["## Context", "## Provenance", "## Glossary"]
    code = [c.source for c in cells if c.cell_type == "code"]
    assert all("\n" not in source for source in code)  # one call per section
    context, provenance = code[-3:-1]
    assert (context, provenance) == ("sections.context(doc)", "sections.provenance(doc)")


def test_the_explainability_report_runs_the_explanation_steps():
    assert notebook_path("explain").name == "explainability_report.ipynb" and notebook_path("explain").is_file()
    assert REPORT_STEPS["explain"] == ("data_overview", "performance", "shap", "lime", "agreement")
    parameters = pm.inspect_notebook(str(notebook_path("explain")))
    assert parameters["steps"]["help"].endswith("(default: data_overview,performance,shap,lime,agreement)")
    assert {"data", "model", "audit_dir", "sample"} <= set(parameters)
    titles = [s.title for s in sections_for("explain")]
    assert {"Feature attributions (SHAP)", "Local explanations (LIME)", "Agreement of SHAP and LIME"} <= set(titles)


@pytest.mark.parametrize("kind", KINDS)
def test_the_contents_link_to_the_ids_nbconvert_gives_the_headings(kind, tmp_path):
    nbformat.write(build_notebook(kind), tmp_path / "report.ipynb")
    html = export_html(tmp_path / "report.ipynb", tmp_path / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert ids == [heading_id(s.title) for s in sections_for(kind) if s.title is not None]


# --- executed: the report reads as a document ------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _kernel_imports_this_checkout(monkeypatch):
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), path]) if path else str(REPO_ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _render(kind: str, parameters: dict, tmp_path: Path) -> str:
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(str(notebook_path(kind)), str(out), parameters=parameters, kernel_name="python3",
                        cwd=str(tmp_path), progress_bar=False)
    errors = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    html = export_html(out, tmp_path / "report.html").read_text(encoding="utf-8")
    return str(BeautifulSoup(html, "html.parser"))  # the document, each attribute written one way (name="...")


def _assert_document(html: str, kind: str) -> None:
    order = ['<h1 class="auditkit-title"', '<p class="auditkit-verdict',
             '<table class="auditkit-scorecard' if kind != "explain" else "<nav", "<nav",
             *(f'<h2 id="{heading_id(s.title)}"' for s in sections_for(kind) if s.title)]
    positions = [html.index(part) for part in order]
    assert positions == sorted(positions)
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links - ids == set()  # every contents entry and glossary link lands somewhere
    assert "run_for_notebook(" not in html and "sections.findings(doc)" not in html  # no code cells


def test_the_bias_report_opens_with_title_verdict_scorecard_and_contents(tmp_path):
    result = auditkit.audit(data="compas", predictions="compas_high_risk", sample=600, progress=False,
                            steps=["data_overview", "data_bias", "performance", "fairness"],
                            policy={"demographic_parity_ratio": {"min": 0.8}},
                            step_options={"fairness": {"n_boot": 100}, "data_bias": {"n_boot": 50}})
    write_audit(result, tmp_path / "audit")
    html = _render("bias", {"audit_dir": str(tmp_path / "audit")}, tmp_path)
    _assert_document(html, "bias")
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert "Audit of decisions in column compas_high_risk on compas" in text
    assert re.search(r"Verdict: Fails \d+ of \d+ fairness checks \(demographic parity by", text)
    assert "policy: demographic_parity_ratio ≥ 0.8" in text


def test_the_explainability_report_renders_a_saved_audit(tmp_path):
    result = auditkit.audit(data="german", sample=200, seed=1, progress=False, steps=list(REPORT_STEPS["explain"]),
                            step_options={"lime": {"n_instances": 2, "repeats": 2, "num_samples": 300}})
    write_audit(result, tmp_path / "audit")
    html = _render("explain", {"audit_dir": str(tmp_path / "audit")}, tmp_path)
    _assert_document(html, "explain")
    assert 'id="term-shap"' in html and "Beeswarm plot" in html and "LIME: local explanations" in html


@pytest.mark.slow
def test_the_explainability_report_runs_an_audit_under_plain_papermill(tmp_path):
    html = _render("explain", {"data": "german", "sample": 300, "out_dir": str(tmp_path / "audit")}, tmp_path)
    _assert_document(html, "explain")
    doc = auditkit.AuditResult.from_json(tmp_path / "audit").to_dict()
    assert [s["name"] for s in doc["steps"]] == list(REPORT_STEPS["explain"])
