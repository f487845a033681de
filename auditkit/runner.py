"""run_audit: spec → context → steps → result. The one call behind the CLI and notebooks."""

from __future__ import annotations

import dataclasses
import platform
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditkit._version import __version__
from auditkit.context import build_context
from auditkit.engine import ENGINE_CONSTRAINTS
from auditkit.engine.dask_audit import prepare_dask_audit
from auditkit.exceptions import InputError, StepError
from auditkit.fairness.policy import check_groupings, evaluate_policy
from auditkit.io.data import describe_read, read_data
from auditkit.io.projection import columns_used
from auditkit.params import Options, show, validate
from auditkit.progress import progress_bar, progress_bars, say_between_bars, show_progress
from auditkit.report.notebooks import DEFAULT_REPORT_TIMEOUT, check_report_timeout, report_kind, report_steps
from auditkit.result import AuditResult, Finding, StepResult
from auditkit.spec import AuditSpec
from auditkit.spec_checks import check_against_data
from auditkit.threads import compute_threads

if TYPE_CHECKING:
    from auditkit.batch.shared import SharedData
    from auditkit.context import AuditContext
    from auditkit.report.execute import ReportKernel
    from auditkit.steps import Step

ERROR_POLICIES = ("record", "raise")
PROVENANCE_PACKAGES = (
    "numpy", "pandas", "scipy", "scikit-learn", "fairlearn", "shap", "lime", "skops", "papermill",
)


def audit(spec: AuditSpec | None = None, /, *, log: Callable[[str], None] | None = None,
          errors: str = "record", progress: bool | None = None, shared: SharedData | None = None,
          engine: str = "memory", scheduler: str | None = None,
          step_done: Callable[[AuditResult], None] | None = None, **settings: Any) -> AuditResult:
    """Run an audit and return its result.

    Parameters
    ----------
    spec : AuditSpec, optional
        What to audit. Alternatively pass the settings of :class:`AuditSpec` as keywords:
        ``data`` (a DataFrame, a file path, a bundled dataset name or an
        :class:`auditkit.datasets.Dataset`), ``model`` (a fitted estimator or a skops file),
        ``target``, ``sensitive``, ``data_name``, ``model_name``, ``features``/``exclude``, ...
    log : callable, optional
        Called with a one-line progress message before each stage.
    errors : {"record", "raise"}, default "record"
        What a step that fails does to the audit. ``"record"``: the other steps still run and
        the failure is an ``error`` finding (``"<step>.failed"``) whose message reads
        ``Type: message`` and whose evidence holds the traceback, in ``audit.json`` too.
        ``"raise"``: the audit stops with a :class:`~auditkit.exceptions.StepError` that
        names the step and carries the original exception (``.error``, also its
        ``__cause__``). An :class:`~auditkit.exceptions.InputError` from a step is raised
        either way: the input, not the step, is at fault.
    progress : bool, optional
        Draw progress bars on stderr (``tqdm``: a widget in JupyterLab, text in a terminal): one
        over the stages (data, then each step) and one inside each long step (SHAP rows, LIME
        explanations, bootstrap resamples). Default: when interactive, i.e. in a Jupyter kernel
        or with stderr on a terminal; never in pipes, logs or CI. Bars change no number.
    shared : auditkit.batch.SharedData, optional
        Work on this audit's data done already (by a batch, for every model audited on the data): the
        data as read, and results of data-only steps, each reused only where the step would read the
        same rows, columns and settings (so the result is the same as without ``shared``).
    engine : {"memory", "dask"}, default "memory"
        ``"dask"``: ``data`` is a pattern of Parquet/CSV partitions (``"part-*.parquet"``) or a
        ``dask.dataframe.DataFrame``, aggregated by Dask into the tables the counts-based steps need
        (:func:`auditkit.engine.dask_audit.prepare_dask_audit` says what it supports).
    scheduler : str, optional
        With ``engine="dask"``: the address of an existing Dask scheduler; default a new LocalCluster.
    step_done : callable, optional
        Called after each step with the audit so far (an :class:`AuditResult` of the steps run by
        then, without provenance): :func:`audit_to_dir` has its report kernel draw the finished
        step's figures while the next steps run.
    **settings
        The settings of :class:`AuditSpec`, when ``spec`` is not given.

    Raises
    ------
    InputError
        Settings that cannot be audited as given; the message names the parameter
        (``data must be a DataFrame, ...; got 7 (int)``).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=300, seed=1, steps=["performance", "fairness"],
    ...                         progress=False)
    >>> table = result.table("fairness", "sex")  # german's 300 held-out rows: the reference model trained on the rest
    >>> table["sex"].tolist(), table["n"].tolist()
    (['female', 'male'], [91, 209])
    >>> result.failed_steps
    []
    """
    validate("errors", errors, [Options(ERROR_POLICIES)])
    _require_shared_or_none(shared)
    for name, value in (("engine", engine), ("scheduler", scheduler)):
        validate(name, value, ENGINE_CONSTRAINTS[name])
    with ExitStack() as session:  # the Dask engine's cluster, while its steps pull rows from the data
        if engine == "dask":
            _require_spec_or_none(spec)
            if shared is not None or (spec is not None and settings):
                raise InputError("engine='dask' takes either an AuditSpec or keyword settings, and no shared=")
            spec, shared = prepare_dask_audit(spec, settings, scheduler, session)
        elif scheduler is not None:
            raise InputError(f"scheduler= applies to engine='dask' only; got engine={show(engine)}")
        else:
            spec = _spec_from(spec, settings)
        with (progress_bars(progress), compute_threads(models=_runs_models(spec)),
              progress_bar(1 + len(spec.step_names), "audit", "stage", outer=True) as stages):
            return _audit(spec, say_between_bars(log), stages, errors, shared, step_done)


def _runs_models(spec: AuditSpec) -> bool:
    """Whether the audit fits or calls a model (a model, the reference model, or the mitigation step's fits)."""
    return spec.predictions is None or spec.model is not None or "mitigation" in spec.step_names


def _audit(spec: AuditSpec, say: Callable[[str], None], stages, errors: str,
           shared: SharedData | None = None, step_done: Callable[[AuditResult], None] | None = None) -> AuditResult:
    started = _now()
    rules = spec.policy_rules()
    say("loading data and computing predictions")
    stages.set_postfix_str("data")
    ctx = build_context(spec, loaded=shared.loaded if shared is not None else read_data(
        spec.data, encoding=spec.encoding, columns=columns_used(spec)))  # a Parquet file: only the columns used
    ctx = shared.audit_context(ctx) if hasattr(shared, "audit_context") else ctx  # Dask: a model audit's context
    spec = ctx.spec  # the user's (the Dask engine's cells hold a model's decisions as columns)
    stages.update()
    say(f"data: {ctx.dataset_name} ({describe_read(ctx.provenance['data_format'])})")
    check_groupings(rules, ctx.sensitive_features)
    check_against_data(spec, ctx.sensitive)
    results = []
    for step in spec.build_steps():
        step = shared.engine_step(step) if hasattr(shared, "engine_step") else step  # Dask: rows pulled for it
        say(f"running step {step.name}")
        stages.set_postfix_str(step.name)
        reused = None if shared is None else shared.result_for(step, ctx)
        results.append(reused if reused is not None else run_step(step, ctx, errors=errors))
        stages.update()
        if step_done is not None:
            step_done(AuditResult(provenance={}, dataset=_dataset(ctx, spec), steps=list(results)))
    if rules is not None:
        results.append(_policy_checks(rules, results))
    provenance = {
        "auditkit_version": __version__,
        "python": platform.python_version(),
        "packages": _package_versions(),
        **ctx.provenance,
        "started": started,
        "finished": _now(),
    }
    return AuditResult(provenance=provenance, dataset=_dataset(ctx, spec), steps=results)


def _dataset(ctx: AuditContext, spec: AuditSpec) -> dict[str, Any]:
    """The ``dataset`` block of an audit's result."""
    return {
        "name": ctx.dataset_name,
        "n_rows": ctx.n_rows,
        "target": ctx.target,
        "positive_label": ctx.positive_label,
        "sensitive_features": ctx.sensitive_features,
        "mode": ctx.mode,
        "spec": {k: v for k, v in spec.to_dict().items() if k != "policy"},
    }


def _spec_from(spec: AuditSpec | None, settings: dict[str, Any]) -> AuditSpec:
    """The spec of an audit: ``spec`` as given, or one built from keyword ``settings`` (never both).

    Raises
    ------
    InputError
        Both or neither given, ``spec`` is not an AuditSpec, an unknown setting, or a setting
        that is not valid (see :class:`AuditSpec`).
    """
    _require_spec_or_none(spec)
    if spec is None:
        return AuditSpec.from_dict(settings)
    if settings:
        raise InputError(f"pass either an AuditSpec or keyword settings, not both (got {', '.join(settings)} "
                         "as keywords)")
    return spec


def _require_spec_or_none(spec: Any) -> None:
    if spec is not None and not isinstance(spec, AuditSpec):
        raise InputError(f"spec must be an AuditSpec or None; got {show(spec)} ({type(spec).__name__}); "
                         "pass the settings as keywords instead, e.g. data='german'")


def _require_shared_or_none(shared: Any) -> None:
    if shared is not None and not (callable(getattr(shared, "result_for", None)) and hasattr(shared, "loaded")):
        raise InputError(f"shared must be an auditkit.batch.SharedData or None; got {show(shared)} "
                         f"({type(shared).__name__})")


def _policy_checks(rules, results: list[StepResult]) -> StepResult:
    fairness = next((r.payload for r in results if r.name == "fairness" and r.payload), {})
    level = fairness.get("settings", {}).get("ci_level", 0.95)
    return evaluate_policy(rules, fairness.get("disparities", []), level)


def run_step(step: Step, ctx: AuditContext, *, errors: str = "record") -> StepResult:
    """Run one step on ``ctx`` as an audit does.

    A step that needs a model is not run in an audit without one: its result is one ``info``
    finding, ``"<name>.needs_model"``. See :func:`audit` for ``errors``.

    Examples
    --------
    >>> from auditkit import AuditSpec, build_context
    >>> from auditkit.steps import ShapStep
    >>> ctx = build_context(AuditSpec(data="compas", predictions="is_recid", sample=100))
    >>> run_step(ShapStep(), ctx).findings[0].id
    'shap.needs_model'
    """
    validate("errors", errors, [Options(ERROR_POLICIES)])
    if step.needs_model and ctx.model is None:
        return _without_model(step)
    try:
        return _checked(step, step.run(ctx))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - record the failure, keep the other steps
        if errors == "raise":
            raise StepError(step.name, exc) from exc
        print(f"auditkit: step '{step.name}' failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return _failure(step.name, exc)


def _checked(step: Step, result: Any) -> StepResult:
    """``result`` when it is a :class:`StepResult` of ``step`` (its name, its declared section)."""
    if not isinstance(result, StepResult):
        raise TypeError(f"{type(step).__name__}.run returned {type(result).__name__}, not a StepResult")
    if (result.name, result.section) != (step.name, step.section):
        raise TypeError(f"{type(step).__name__}.run returned the result of step '{result.name}' in section "
                        f"'{result.section}'; the step is '{step.name}' and declares section '{step.section}'")
    return result


def _without_model(step: Step) -> StepResult:
    finding = Finding(
        id=f"{step.name}.needs_model",
        step=step.name,
        severity="info",
        message=(f"The {step.name} step did not run: it needs the model, and this audit checks existing "
                 "decisions only. Audit with a model (model=...) to run it."),
    )
    return StepResult(name=step.name, section=step.section, findings=[finding])


def _failure(name: str, exc: Exception) -> StepResult:
    """The result of a step that raised: one error finding whose evidence keeps the traceback."""
    finding = Finding(
        id=f"{name}.failed",
        step=name,
        severity="error",
        message=f"The {name} step failed and its results are missing: {type(exc).__name__}: {exc}",
        evidence={"error_type": type(exc).__name__, "error": str(exc),
                  "traceback": "".join(traceback.format_exception(exc))},
    )
    return StepResult(name=name, section="checks", findings=[finding])


def _package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PROVENANCE_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def audit_to_dir(spec: AuditSpec | None = None, out_dir: str | Path | None = None, *, report: bool | str = True,
                 report_timeout: float = DEFAULT_REPORT_TIMEOUT, log: Callable[[str], None] | None = None,
                 quiet: bool = False, progress: bool | None = None, shared: SharedData | None = None,
                 **settings: Any) -> AuditResult:
    """Run an audit and write ``audit.json``, ``model_card.md`` (+ ``report.ipynb``, ``report.html``) to ``out_dir``.

    ``out_dir`` is checked and locked before the audit runs: a folder that cannot be written, or one
    that another run is writing, raises :class:`InputError`. It then holds this audit only: the
    previous audit's outputs are replaced or removed, other files are left alone. Every file is
    written atomically.

    Parameters
    ----------
    spec : AuditSpec, optional
        What to audit; or pass the settings of :class:`AuditSpec` as keywords, as to :func:`audit`.
    out_dir : str or Path
        The folder to write to (created if needed).
    report : bool or {"bias", "explain", "full", "none"}, default True
        The report notebook rendered into ``report.ipynb`` and ``report.html`` (papermill):
        ``"bias"`` (data bias, performance, fairness), ``"explain"`` (SHAP, LIME, agreement) or
        ``"full"`` (both; also True). False or ``"none"`` writes ``audit.json`` and the model card
        only. Without ``steps``, the audit runs the steps its report shows
        (:data:`auditkit.report.notebooks.REPORT_STEPS`). The report's kernel is started before the
        audit runs, so that it starts and imports in its own process while the audit computes
        (:class:`~auditkit.report.execute.ReportKernel`), and draws each finished step's figures
        while the next steps run (:mod:`auditkit.report.figure_cache`: the report is the same).
    report_timeout : float, default 1800
        Seconds the whole report notebook may run; then it is stopped and
        :class:`~auditkit.exceptions.ReportError` raised (``audit.json`` is written by then).
    log : callable, optional
        Called with a one-line progress message before each stage.
    quiet : bool, default False
        Also silence the report kernel's own log.
    progress : bool, optional
        As for :func:`audit`; also draws papermill's bar over the report's cells.
    shared : auditkit.batch.SharedData, optional
        As for :func:`audit`.
    **settings
        The settings of :class:`AuditSpec` (``data``, ``model``, ``target``, ``sensitive``,
        ``seed``, ...), when ``spec`` is not given.

    Returns
    -------
    AuditResult
        The result that was written.

    Raises
    ------
    ReportError
        The report notebook did not finish: it names the cell, and the notebook as far as it ran
        is kept as ``report.failed.ipynb``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "german"
    >>> result = auditkit.audit_to_dir(out_dir=out, data="german", seed=1, sample=300,
    ...                                steps=["performance", "fairness"], report=False)
    >>> sorted(path.name for path in out.iterdir())
    ['audit.json', 'model_card.md']
    >>> result.to_dict()["dataset"]["name"]
    'german'
    """
    from auditkit.report.output_folder import OutputFolder
    from auditkit.report.render import commit_audit, commit_report

    _require_spec_or_none(spec)
    if out_dir is None:
        raise InputError("out_dir= is required: the folder to write the audit to")
    kind = report_kind(report)
    check_report_timeout(report_timeout)
    spec, settings = _with_report_steps(kind, spec, settings)
    say = say_between_bars(log)
    shown = show_progress(progress)
    with OutputFolder(out_dir) as folder, _report_kernel(kind) as kernel:
        result = audit(spec, log=log, progress=shown, shared=shared, step_done=None if kernel is None else
                       kernel.draw_ahead, **settings)
        path = commit_audit(result, folder)
        say(f"wrote {path}")
        if kind is not None:
            say(f"rendering the {kind} report notebook with papermill")
            html_path = commit_report(folder, report=kind, report_timeout=report_timeout, progress=shown, quiet=quiet,
                                      kernel=kernel)
            say(f"wrote {html_path}")
    return result


@contextmanager
def _report_kernel(kind: str | None) -> Iterator[ReportKernel | None]:
    """The report's kernel, started before the audit so that it starts and imports while the audit computes."""
    if kind is None:
        yield None
        return
    from auditkit.report.execute import ReportKernel

    with ReportKernel() as kernel:
        yield kernel


def _with_report_steps(kind: str | None, spec: AuditSpec | None,
                       settings: dict[str, Any]) -> tuple[AuditSpec | None, dict[str, Any]]:
    """The spec (or settings) with the steps of report ``kind`` when they set none."""
    if spec is not None:
        steps = report_steps(kind, spec.steps)
        return (spec if steps is spec.steps else dataclasses.replace(spec, steps=steps)), settings
    steps = report_steps(kind, settings.get("steps"))
    return None, settings if steps is settings.get("steps") else {**settings, "steps": steps}
