"""Write an audit's outputs: audit.json, artifacts, model_card.md, report.ipynb (papermill) and report.html."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from auditkit.io.audit_json import artifact_file
from auditkit.registry import step_names
from auditkit.report.model_card import MODEL_CARD_FILE, model_card
from auditkit.report.notebooks import notebooks_dir
from auditkit.report.output_folder import ARTIFACTS_DIR, OUTPUT_FILES, OutputFolder, write_text_atomic
from auditkit.result import AuditResult

REPORT_NOTEBOOK = "audit_report.ipynb"


def write_audit(result: AuditResult, out_dir: str | Path) -> Path:
    """Write ``audit.json``, the artifacts (large tables) and ``model_card.md`` into ``out_dir``; return the JSON path.

    The previous audit's report, model card and artifacts are removed: they describe another audit.
    Files auditkit does not write are left alone.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(200, seed=0).frame.assign(decision=1)
    >>> result = auditkit.audit(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                         steps=["performance"], progress=False)
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> write_audit(result, out).name, sorted(p.name for p in out.iterdir())
    ('audit.json', ['audit.json', 'model_card.md'])
    """
    with OutputFolder(out_dir) as folder:
        return commit_audit(result, folder)


def commit_audit(result: AuditResult, folder: OutputFolder) -> Path:
    """Stage ``audit.json``, the artifacts and ``model_card.md``, then swap them in for the previous audit's outputs.

    ``audit.json`` is moved in last: until then the folder holds no audit that its files do not describe.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(200, seed=0).frame.assign(decision=1)
    >>> result = auditkit.audit(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                         steps=["performance"], progress=False)
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> from auditkit.report.output_folder import OutputFolder
    >>> with OutputFolder(out) as folder:
    ...     path = commit_audit(result, folder)
    >>> path.name, sorted(p.name for p in out.iterdir())
    ('audit.json', ['audit.json', 'model_card.md'])
    """
    staged = []
    for step in result.steps:
        for name, table in step.artifacts.items():
            relative = artifact_file(step.name, name)
            table.to_parquet(folder.stage(relative), index=False)
            staged.append(relative)
    folder.stage(MODEL_CARD_FILE).write_text(model_card(result), encoding="utf-8")
    result.to_json(folder.stage("audit.json"))
    folder.commit([*staged, MODEL_CARD_FILE, "audit.json"], remove=[*OUTPUT_FILES, *previous_artifacts(folder.path)])
    with suppress(OSError):  # only when empty
        (folder.path / ARTIFACTS_DIR).rmdir()
    return folder.path / "audit.json"


def previous_artifacts(out_dir: Path) -> list[str]:
    """Artifacts an audit wrote into ``out_dir`` (``artifacts/<step>__<name>.parquet``), as relative paths.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> (out / "artifacts").mkdir()
    >>> (out / "artifacts" / "shap__values.parquet").touch()
    >>> (out / "artifacts" / "notes.txt").touch()  # not written by an audit step: left alone
    >>> previous_artifacts(out)
    ['artifacts/shap__values.parquet']
    """
    folder = out_dir / ARTIFACTS_DIR
    if not folder.is_dir():
        return []
    return [f"{ARTIFACTS_DIR}/{path.name}" for path in sorted(folder.glob("*__*.parquet"))
            if path.name.split("__", 1)[0] in step_names() and path.is_file()]


def render_report(out_dir: str | Path, *, progress: bool = False, quiet: bool = False,
                  timeout: int = 1800) -> Path:
    """Execute the report notebook on ``out_dir/audit.json`` and export ``report.html``.

    The notebook only reads ``audit.json`` and the artifacts; it computes no numbers.
    See :func:`commit_report` for what is written when the notebook fails.

    Examples
    --------
    >>> render_report("reports/audit")  # doctest: +SKIP
    PosixPath('reports/audit/report.html')
    """
    with OutputFolder(out_dir) as folder:
        return commit_report(folder, progress=progress, quiet=quiet, timeout=timeout)


def commit_report(folder: OutputFolder, *, progress: bool = False, quiet: bool = False,
                  timeout: int = 1800) -> Path:
    """Render ``report.ipynb`` and ``report.html`` in staging and move them into ``folder``.

    When a cell fails, the executed notebook (papermill puts the error at its top) is moved in as
    ``report.failed.ipynb``, no ``report.html`` is written and the papermill error is raised.
    An interrupted report leaves nothing behind.

    Examples
    --------
    >>> from auditkit.report.output_folder import OutputFolder
    >>> with OutputFolder("reports/audit") as folder:  # doctest: +SKIP
    ...     commit_report(folder)  # starts a Jupyter kernel: about 20 s
    PosixPath('reports/audit/report.html')
    """
    from papermill import PapermillExecutionError

    notebook = folder.stage("report.ipynb")
    try:
        execute_report(folder.path.resolve(), notebook, progress=progress, quiet=quiet, timeout=timeout)
    except PapermillExecutionError:
        if notebook.is_file():
            notebook.replace(folder.stage("report.failed.ipynb"))
            folder.commit(["report.failed.ipynb"])
        raise
    export_html(notebook, folder.stage("report.html"))
    folder.commit(["report.ipynb", "report.html"], remove=["report.failed.ipynb"])
    return folder.path / "report.html"


def execute_report(audit_dir: Path, notebook: Path, *, progress: bool = False, quiet: bool = False,
                   timeout: int = 1800) -> None:
    """Execute the report notebook on ``audit_dir`` into ``notebook`` with papermill.

    The kernel runs in a fresh, empty working folder, so no file in ``audit_dir`` (or wherever
    auditkit was started) can shadow a module the notebook imports. ``quiet`` lowers the kernel's
    own log to errors (it warns on every start that its local TCP channel is not encrypted).

    Examples
    --------
    >>> from pathlib import Path
    >>> execute_report(Path("reports/audit"), Path("reports/audit/report.ipynb"))  # doctest: +SKIP
    """
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager

    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    kernel_cwd = tempfile.mkdtemp(prefix="auditkit-kernel-")
    kernel = AsyncKernelManager(kernel_name="python3")  # ours, to stop it even when interrupted at start-up
    try:
        pm.execute_notebook(
            str(notebooks_dir() / REPORT_NOTEBOOK),
            str(notebook),
            parameters={"audit_dir": str(audit_dir)},
            cwd=kernel_cwd,
            progress_bar=progress,
            kernel_name="python3",
            execution_timeout=timeout,
            stdout_file=None,
            stderr_file=sys.stderr if progress else None,
            extra_arguments=["--IPKernelApp.log_level=ERROR"] if quiet else [],
            km=kernel,
        )
    finally:
        _shutdown(kernel)
        shutil.rmtree(kernel_cwd, ignore_errors=True)
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup


def _shutdown(kernel) -> None:
    """Stop the report kernel and close its channels, whatever state the run left it in."""
    from jupyter_core.utils import run_sync

    if kernel.has_kernel:
        run_sync(kernel.shutdown_kernel)(now=True)


def export_html(notebook: Path, html_path: Path) -> Path:
    """Export an executed notebook to standalone HTML: code hidden, images embedded.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Audit of loans")])
    >>> nbformat.write(notebook, folder / "report.ipynb")
    >>> html = export_html(folder / "report.ipynb", folder / "report.html")
    >>> html.name, "Audit of loans" in html.read_text()
    ('report.html', True)
    """
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
    return write_text_atomic(html_path, strip_remote_scripts(body))


_REMOTE_SCRIPT = re.compile(r'<script\b[^>]*\bsrc="https?://[^"]*"[^>]*>.*?</script>', re.IGNORECASE | re.DOTALL)


def strip_remote_scripts(body: str) -> str:
    """Drop ``<script src="https://...">`` tags (require.js, MathJax CDN): the report works offline.

    Examples
    --------
    >>> strip_remote_scripts('<script src="https://cdn.example.org/require.js"></script><p>kept</p>')
    '<p>kept</p>'
    """
    return _REMOTE_SCRIPT.sub("", body)
