"""Write an audit's outputs: audit.json, artifacts, model_card.md, report.ipynb (papermill), report.html, report.pdf."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from auditkit.exceptions import InputError, ReportError
from auditkit.io.audit_json import artifact_file
from auditkit.registry import step_names
from auditkit.report.execute import ReportKernel, execute_notebook
from auditkit.report.model_card import MODEL_CARD_FILE, model_card
from auditkit.report.notebooks import DEFAULT_REPORT_TIMEOUT, check_report_timeout, kind_of_notebook, notebook_path
from auditkit.report.output_folder import ARTIFACTS_DIR, OUTPUT_FILES, OutputFolder, show_path, write_text_atomic
from auditkit.report.pdf import find_browser, print_pdf
from auditkit.result import AuditResult

if TYPE_CHECKING:
    from nbconvert import HTMLExporter

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
HTML_TEMPLATE = "auditkit_offline"  # JupyterLab's template without CDN scripts, with a print stylesheet


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
    folder.commit([*staged, MODEL_CARD_FILE, "audit.json"], remove=[*OUTPUT_FILES, *previous_artifacts(folder.path)],
                  prune=[ARTIFACTS_DIR])
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


def render_report(out_dir: str | Path, *, report: str | None = None,
                  report_timeout: float = DEFAULT_REPORT_TIMEOUT, pdf: bool = False,
                  progress: bool = False, quiet: bool = False) -> Path:
    """Execute a report notebook on ``out_dir/audit.json`` and export ``report.html`` (and ``report.pdf``).

    The notebook only reads ``audit.json`` and the artifacts; it computes no numbers.
    See :func:`commit_report` for what is written, and what when the notebook fails.

    Parameters
    ----------
    out_dir : path-like
        A folder holding a saved audit (``audit.json``).
    report : {"bias", "explain", "full"}, optional
        The report notebook; default the one that made the folder's report, else ``"full"``.
    report_timeout : float, default 1800
        Seconds the whole notebook may run.
    pdf : bool, default False
        Also print ``report.pdf`` with headless Chromium (checked for before the notebook runs).
    progress, quiet : bool
        Papermill's bar over the cells; silence the kernel's own log.

    Raises
    ------
    InputError
        No ``audit.json`` in ``out_dir``, an unknown report kind or time limit, or ``pdf`` without
        a Chromium (:class:`~auditkit.exceptions.BrowserNotFoundError`).
    ReportError
        The notebook did not finish (see :func:`commit_report`).

    Examples
    --------
    >>> render_report("reports/audit", pdf=True)  # doctest: +SKIP
    PosixPath('reports/audit/report.html')
    """
    folder_path = Path(out_dir)
    if not (folder_path / "audit.json").is_file():
        raise InputError(f"no saved audit in {show_path(folder_path)!r}: expected a folder holding audit.json "
                         "(as an audit writes it)")
    kind = report if report is not None else previous_report_kind(folder_path)
    notebook_path(kind)
    check_report_timeout(report_timeout)
    browser = find_browser() if pdf else None
    with OutputFolder(folder_path) as folder:
        return commit_report(folder, report=kind, report_timeout=report_timeout, pdf_browser=browser,
                             progress=progress, quiet=quiet)


def previous_report_kind(out_dir: Path) -> str:
    """The kind of the report in ``out_dir`` (from its ``report.ipynb`` or ``report.failed.ipynb``), else ``"full"``.

    Examples
    --------
    >>> import tempfile
    >>> previous_report_kind(Path(tempfile.mkdtemp()))
    'full'
    """
    import nbformat

    for name in ("report.ipynb", "report.failed.ipynb"):
        with suppress(OSError, ValueError):
            kind = kind_of_notebook(nbformat.read(out_dir / name, as_version=4))
            if kind is not None:
                return kind
    return "full"


def commit_report(folder: OutputFolder, *, report: str = "full", report_timeout: float = DEFAULT_REPORT_TIMEOUT,
                  pdf_browser: str | None = None, progress: bool = False, quiet: bool = False,
                  kernel: ReportKernel | None = None) -> Path:
    """Render ``report.ipynb`` and ``report.html`` (and ``report.pdf``) in staging and move them into ``folder``.

    ``report`` is the kind of report notebook (:func:`auditkit.report.notebook_path`), ``report_timeout``
    the seconds the whole notebook may run, ``pdf_browser`` the Chromium that prints ``report.pdf``
    (None: no PDF; a previous one is removed, as it shows an older rendering), ``kernel`` a report
    kernel started ahead (:class:`~auditkit.report.execute.ReportKernel`; None: one is started).

    When the notebook does not finish (a cell fails, the time runs out, the kernel dies), the
    notebook as far as it ran, marked failed, is moved in as ``report.failed.ipynb``, no
    ``report.html`` is written and a :class:`~auditkit.exceptions.ReportError` naming the cell is
    raised. An interrupted report leaves nothing behind.

    Examples
    --------
    >>> from auditkit.report.output_folder import OutputFolder
    >>> with OutputFolder("reports/audit") as folder:  # doctest: +SKIP
    ...     commit_report(folder)  # starts a Jupyter kernel: about 20 s
    PosixPath('reports/audit/report.html')
    """
    notebook = folder.stage("report.ipynb")
    import papermill  # noqa: F401 - before the exporter's imports start beside it (they share nbformat, traitlets)

    with ThreadPoolExecutor(max_workers=1) as pool:
        exporter = pool.submit(html_exporter, warm=True)  # while the kernel runs the notebook (this process waits)
        try:
            execute_notebook(notebook_path(report), notebook, {"audit_dir": str(folder.path.resolve())},
                             timeout=report_timeout, progress=progress, quiet=quiet, kernel=kernel)
        except ReportError as error:
            if not notebook.is_file():
                raise
            notebook.replace(folder.stage("report.failed.ipynb"))
            folder.commit(["report.failed.ipynb"])
            raise error.kept_as(show_path(folder.path / "report.failed.ipynb")) from None
        html = export_html(notebook, folder.stage("report.html"), exporter=exporter.result())
    written = ["report.ipynb", "report.html"]
    if pdf_browser is not None:
        print_pdf(html, folder.stage("report.pdf"), browser=pdf_browser)
        written.append("report.pdf")
    folder.commit(written, remove=["report.failed.ipynb", "report.pdf"])
    return folder.path / "report.html"


def html_exporter(*, warm: bool = False) -> HTMLExporter:
    """nbconvert's HTML exporter for reports: the offline template, code and prompts hidden, images embedded.

    Without nbconvert's second parse of the page (:class:`~auditkit.report.html_export.ReportExporter`).

    ``warm``: also convert a two-cell notebook, so that the exporter has loaded and compiled its
    templates and filters (0.5-0.7 s of the first conversion) before the report's turn. Its
    conversions give the same HTML as a new exporter's.

    Examples
    --------
    >>> exporter = html_exporter()
    >>> exporter.template_name, exporter.exclude_input, exporter.embed_images
    ('auditkit_offline', True, True)
    """
    from auditkit.report.html_export import ReportExporter

    exporter = ReportExporter(template_name=HTML_TEMPLATE, extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    if warm:
        import nbformat

        output = nbformat.v4.new_output("display_data", data={"text/html": "<p>warm</p>"})
        cells = [nbformat.v4.new_markdown_cell("# warm"), nbformat.v4.new_code_cell("1", outputs=[output])]
        exporter.from_notebook_node(nbformat.v4.new_notebook(cells=cells), resources={"metadata": {"name": "warm"}})
    return exporter


def export_html(notebook: Path, html_path: Path, *, exporter: HTMLExporter | None = None) -> Path:
    """Export an executed notebook to standalone HTML: code hidden, images embedded, offline, printable.

    The template (``templates/auditkit_offline``) is JupyterLab's without the scripts it would load
    from CDNs (require.js, MathJax, Mermaid, the widget renderer), with a print stylesheet: the
    page loads nothing remote. Markdown is not typeset as TeX (no MathJax): report prose is plain.
    ``exporter``: one made by :func:`html_exporter` already (default: made here).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Audit of loans")])
    >>> nbformat.write(notebook, folder / "report.ipynb")
    >>> html = export_html(folder / "report.ipynb", folder / "report.html")
    >>> text = html.read_text()
    >>> "Audit of loans" in text, "@media print" in text, "https://cdn" in text
    (True, True, False)
    """
    import nbformat

    exporter = html_exporter() if exporter is None else exporter
    resources = {"metadata": {"name": "auditkit audit report"}}
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4), resources=resources)
    return write_text_atomic(html_path, body)
