"""Write an audit's outputs: audit.json, artifacts, report.ipynb (papermill) and report.html."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from .result import AuditResult

REPORT_NOTEBOOK = "audit_report.ipynb"


def notebooks_dir() -> Path:
    """Folder holding the report notebooks (inside the wheel, or the repo's ``notebooks/``)."""
    packaged = Path(__file__).parent / "_notebooks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "notebooks"


def write_audit(result: AuditResult, out_dir: str | Path) -> Path:
    """Write ``audit.json`` and the artifacts (large tables) into ``out_dir``; return the JSON path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    artifacts = out / "artifacts"
    for step in result.steps:
        for name, table in step.artifacts.items():
            artifacts.mkdir(exist_ok=True)
            table.to_parquet(artifacts / f"{step.name}__{name}.parquet", index=False)
    path = out / "audit.json"
    result.to_json(path)
    return path


def render_report(out_dir: str | Path, *, progress: bool = False, timeout: int = 1800) -> Path:
    """Execute the report notebook on ``out_dir/audit.json`` and export ``report.html``.

    The notebook only reads ``audit.json`` and the artifacts; it computes no numbers.
    """
    import papermill as pm

    out = Path(out_dir).resolve()
    notebook = out / "report.ipynb"
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        pm.execute_notebook(
            str(notebooks_dir() / REPORT_NOTEBOOK),
            str(notebook),
            parameters={"audit_dir": str(out)},
            cwd=str(out),
            progress_bar=progress,
            kernel_name="python3",
            execution_timeout=timeout,
            stdout_file=None,
            stderr_file=sys.stderr if progress else None,
        )
    finally:
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup
    return export_html(notebook, out / "report.html")


def export_html(notebook: Path, html_path: Path) -> Path:
    """Export an executed notebook to standalone HTML: code hidden, images embedded."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    exporter.mermaid_js_url = ""  # no diagrams in reports; never fetch scripts from a CDN
    exporter.mermaid_layout_elk_js_url = ""
    resources = {"metadata": {"name": "auditkit audit report"}}
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4), resources=resources)
    html_path.write_text(strip_remote_scripts(body), encoding="utf-8")
    return html_path


_REMOTE_SCRIPT = re.compile(r'<script\b[^>]*\bsrc="https?://[^"]*"[^>]*>.*?</script>', re.IGNORECASE | re.DOTALL)


def strip_remote_scripts(body: str) -> str:
    """Drop ``<script src="https://...">`` tags (require.js, MathJax CDN): the report works offline."""
    return _REMOTE_SCRIPT.sub("", body)
