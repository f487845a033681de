"""run_audit: spec → context → steps → result. The one call behind the CLI and notebooks."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from auditkit._version import __version__
from auditkit.context import build_context
from auditkit.exceptions import InputError
from auditkit.fairness.policy import check_groupings, evaluate_policy, load_policy
from auditkit.io.data import describe_read
from auditkit.progress import progress_bar, progress_bars, say_between_bars, show_progress
from auditkit.result import AuditResult, Finding, StepResult
from auditkit.spec import AuditSpec, check_against_data

PROVENANCE_PACKAGES = (
    "numpy", "pandas", "scipy", "scikit-learn", "fairlearn", "shap", "lime", "skops", "papermill",
)


def audit(spec: AuditSpec | None = None, /, *, log: Callable[[str], None] | None = None,
          progress: bool | None = None, **settings: Any) -> AuditResult:
    """Run an audit and return its result.

    Parameters
    ----------
    spec : AuditSpec, optional
        What to audit. Alternatively pass the settings of :class:`AuditSpec` as keywords.
    log : callable, optional
        Called with a one-line progress message before each stage.
    progress : bool, optional
        Draw progress bars on stderr (``tqdm``: a widget in JupyterLab, text in a terminal): one
        over the stages (data, then each step) and one inside each long step (SHAP rows, LIME
        explanations, bootstrap resamples). Default: when interactive, i.e. in a Jupyter kernel
        or with stderr on a terminal; never in pipes, logs or CI. Bars change no number.

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=300, seed=1, steps=["performance", "fairness"],
    ...                         progress=False)
    >>> table = result.table("fairness", "sex")  # the 30% of the sample held out from the reference model
    >>> table["sex"].tolist(), table["n"].tolist()
    (['female', 'male'], [27, 63])
    >>> result.failed_steps
    []
    """
    if spec is None:
        spec = AuditSpec(**settings)
    elif settings:
        raise InputError("pass either an AuditSpec or keyword settings, not both")
    with progress_bars(progress), progress_bar(1 + len(spec.step_names), "audit", "stage", outer=True) as stages:
        return _audit(spec, say_between_bars(log), stages)


def _audit(spec: AuditSpec, say: Callable[[str], None], stages) -> AuditResult:
    started = _now()
    rules = load_policy(spec.policy, spec.task)
    say("loading data and computing predictions")
    stages.set_postfix_str("data")
    ctx = build_context(spec)
    stages.update()
    say(f"data: {ctx.dataset_name} ({describe_read(ctx.provenance['data_format'])})")
    check_groupings(rules, ctx.sensitive_features)
    check_against_data(spec, ctx.sensitive)
    results = []
    for name in spec.step_names:
        say(f"running step {name}")
        stages.set_postfix_str(name)
        results.append(_run_step(name, spec, ctx))
        stages.update()
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
    dataset = {
        "name": ctx.dataset_name,
        "n_rows": ctx.n_rows,
        "target": ctx.target,
        "positive_label": ctx.positive_label,
        "sensitive_features": ctx.sensitive_features,
        "mode": ctx.mode,
        "spec": {k: v for k, v in spec.to_dict().items() if k != "policy"},
    }
    return AuditResult(provenance=provenance, dataset=dataset, steps=results)


def _policy_checks(rules, results: list[StepResult]) -> StepResult:
    fairness = next((r.payload for r in results if r.name == "fairness" and r.payload), {})
    level = fairness.get("settings", {}).get("ci_level", 0.95)
    return evaluate_policy(rules, fairness.get("disparities", []), level)


def _run_step(name: str, spec: AuditSpec, ctx) -> StepResult:
    from auditkit.steps import STEPS

    step = STEPS[name](**spec.step_options.get(name, {}))
    try:
        return step.run(ctx)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - record the failure, keep the other steps
        print(f"auditkit: step '{name}' failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finding = Finding(
            id=f"{name}.failed",
            step=name,
            severity="error",
            message=f"The {name} step failed and its results are missing: {type(exc).__name__}: {exc}",
            evidence={"error_type": type(exc).__name__},
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


def audit_to_dir(spec: AuditSpec, out_dir: str | Path, *, report: bool = True,
                 log: Callable[[str], None] | None = None, quiet: bool = False,
                 progress: bool | None = None) -> AuditResult:
    """Run an audit and write ``audit.json`` (+ ``report.ipynb`` and ``report.html``) to ``out_dir``.

    ``out_dir`` is checked and locked before the audit runs: a folder that cannot be written, or one
    that another run is writing, raises :class:`InputError`. It then holds this audit only: the
    previous audit's outputs are replaced or removed, other files are left alone. Every file is
    written atomically. ``quiet`` also silences the report kernel's own log. ``progress`` is that
    of :func:`audit`, and also draws papermill's bar over the report's cells.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(300, seed=0).frame.assign(decision=1)
    >>> spec = auditkit.AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                           steps=["performance", "fairness"])
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> result = audit_to_dir(spec, out, report=False, progress=False)  # report=True also renders the notebook
    >>> sorted(path.name for path in out.iterdir())
    ['audit.json']
    """
    from auditkit.report.output_folder import OutputFolder
    from auditkit.report.render import commit_audit, commit_report

    say = say_between_bars(log)
    shown = show_progress(progress)
    with OutputFolder(out_dir) as folder:
        result = audit(spec, log=log, progress=shown)
        path = commit_audit(result, folder)
        say(f"wrote {path}")
        if report:
            say("rendering report notebook with papermill")
            html_path = commit_report(folder, progress=shown, quiet=quiet)
            say(f"wrote {html_path}")
    return result
