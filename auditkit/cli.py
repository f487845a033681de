"""Command line: parses arguments and makes one library call per command.

The library's messages name Python parameters (``pass target=COLUMN``); the command line
prints them with its flags instead (``pass --target COLUMN``): see :func:`as_flags`.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from auditkit.cli_process import leave_objects_at_exit, skip_unused_imports
from auditkit.engine import DASK_STEPS, ENGINES
from auditkit.exceptions import BrowserError, InputError, ReportError
from auditkit.registry import presets_help
from auditkit.report.notebooks import DEFAULT_REPORT_TIMEOUT, NO_REPORT, NOTEBOOKS
from auditkit.report.pdf import BROWSER_ENV

DEMO_DIR = Path("reports") / "demo"
DEMO_SETTINGS = {"data": "adult", "step_options": {"lime": {"num_samples": 1000}}}
"""``auditkit demo``: the bundled Adult data, the reference model, every step of the standard audit.

LIME draws 1,000 perturbed samples per explanation instead of 5,000 (20 rows, 5 repeats each:
100,000 model calls instead of 500,000), which keeps the demo within seconds; the report states the
number, and the stability across repeats it measures shows what the smaller budget costs. SHAP
explains its default seeded sample of 1,000 rows, stratified by group (also stated in the report).
"""
BATCH_DIR = "reports/batch"


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors are one line on stderr with exit status 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"auditkit: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``auditkit`` command (usage errors: one line, exit status 2).

    Examples
    --------
    >>> args = build_parser().parse_args(["audit", "--data", "german", "--sensitive", "sex", "-q"])
    >>> args.command, args.data, args.sensitive, args.quiet, args.out
    ('audit', 'german', ['sex'], True, 'reports/audit')
    """
    parser = _OneLineParser(prog="auditkit", description="Bias and explainability audits.")
    commands = parser.add_subparsers(dest="command", required=True)
    audit = commands.add_parser("audit", help="audit a model or existing decisions on a dataset")
    audit.add_argument("--data", help="CSV/Parquet path or bundled dataset name (adult, compas, german)")
    audit.add_argument("--encoding", help="text encoding of a CSV/TSV data file, e.g. latin-1 "
                       "(default: UTF-8, or what the file's byte-order mark says)")
    audit.add_argument("--target", help="target column (default: the bundled dataset's)")
    audit.add_argument("--positive-label", help="target value that is the positive outcome")
    audit.add_argument("--sensitive", action="append", help="sensitive column; repeat for several")
    audit.add_argument("--model", help="model file: skops (.skops), XGBoost (.json/.ubj), LightGBM (.txt), ONNX "
                       "(.onnx); pickle/joblib only with --trust-model")
    audit.add_argument("--features", action="append", help="a model input column; repeat for several "
                       "(default: the dataset's feature columns)")
    audit.add_argument("--exclude", action="append", help="a column left out of the reference model's inputs; "
                       "repeat for several")
    audit.add_argument("--data-name", help="the data's name in the report (default: the file or dataset name)")
    audit.add_argument("--model-name", help="the model's name in the report (default: the model file's stem, "
                       "else its estimator's class)")
    audit.add_argument("--intended-use", help="what the model is for and who uses it (text, shown in the report)")
    audit.add_argument("--limitations", help="the model's known limitations (text, shown in the report)")
    audit.add_argument("--trust-model", action="store_true", default=None,
                       help="trust the whole model file: every type in a skops file, or a pickle/joblib file")
    audit.add_argument("--trust-type", action="append", dest="trust_types", metavar="TYPE",
                       help="a type of the skops file to trust, e.g. sklearn.tree._tree.Tree; repeat for several")
    audit.add_argument("--model-source", help="where the model comes from (e.g. a URL), for the provenance")
    audit.add_argument("--model-licence", help="the model's licence, for the provenance and model card")
    audit.add_argument("--model-version", help="the model's version, for the provenance and model card")
    audit.add_argument("--shap-rows", type=int, help="most rows SHAP explains, a seeded sample stratified by "
                       "sensitive group (default 1000, fewer for models whose TreeSHAP would take long)")
    audit.add_argument("--predictions", help="column of existing decisions to audit (no model)")
    audit.add_argument("--scores", help="column of scores of the positive class (with --predictions)")
    audit.add_argument("--engine", choices=ENGINES, default="memory",
                       help="dask: --data is a pattern of Parquet/CSV partitions ('part-*.parquet'), aggregated "
                            f"by Dask (the decisions of --predictions, scores optional, or of --model: "
                            f"{', '.join(DASK_STEPS)}; with --model also shap, on a seeded stratified sample)")
    audit.add_argument("--scheduler", help="with --engine dask: address of an existing Dask scheduler, e.g. "
                                           "tcp://host:8786 (default: a local cluster of 2 workers)")
    audit.add_argument("--out", default="reports/audit", help="output folder (default: reports/audit)")
    audit.add_argument("--seed", type=int, help="seed for every random choice (default 0)")
    audit.add_argument("--split", help="rows to audit: test, a bundled dataset's documented held-out rows (the "
                       "default with --model or the reference model), or all (the default with --predictions "
                       "and for other data)")
    audit.add_argument("--sample", type=int, help="audit N rows: a seeded sample of the rows --split picks (all of "
                       "them when there are N or fewer); the reference model still trains on its whole training part")
    audit.add_argument("--task", choices=("binary", "multiclass", "regression"),
                       help="kind of target (default binary)")
    audit.add_argument("--policy", help="YAML file of fairness thresholds, checked as pass/fail")
    audit.add_argument("--fail-on", choices=("low", "medium", "high"),
                       help="exit with status 3 when a policy check of this severity or higher fails")
    audit.add_argument("--steps", type=_step_list,
                       help="comma-separated steps to run (default: every step but mitigation, which trains "
                            "models); e.g. data_overview,performance,fairness or fairness,mitigation; "
                            f"or a preset: {presets_help()}")
    audit.add_argument("--config", help="YAML file with audit settings; command-line options win")
    which = audit.add_mutually_exclusive_group()
    which.add_argument("--report", choices=(*NOTEBOOKS, NO_REPORT),
                       help="report notebook to render: bias (data bias, performance, fairness), explain "
                            "(SHAP, LIME, agreement), full (both; the default) or none; without --steps, the "
                            "audit runs the steps its report shows")
    which.add_argument("--no-report", action="store_true", help="write audit.json and model_card.md only "
                       "(same as --report none)")
    _add_timeout(audit)
    audit.add_argument("-q", "--quiet", action="store_true", help="no progress messages or bars on stderr")
    report = commands.add_parser("report", help="re-render the report of a saved audit (and print it to PDF)")
    report.add_argument("dir", metavar="DIR", help="folder holding the saved audit (audit.json)")
    report.add_argument("--kind", choices=tuple(NOTEBOOKS),
                        help="report notebook (default: the kind the folder's report was, else full)")
    report.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium "
                        f"(chromium, chromium-browser or google-chrome on PATH, or ${BROWSER_ENV})")
    _add_timeout(report)
    report.add_argument("-q", "--quiet", action="store_true", help="no progress bars or kernel log on stderr")
    commands.add_parser("demo", help="audit the bundled Adult data with a reference model into reports/demo/")
    commands.add_parser("datasets", help="list bundled datasets")
    batch = commands.add_parser("batch", help="run the audits of a plan (models x datasets) on Dask and compare them")
    batch.add_argument("plan", help="YAML plan: defaults, datasets, models, audits (see the README)")
    batch.add_argument("--workers", type=int, help="worker processes of a local Dask cluster (default: the cores)")
    batch.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    batch.add_argument("--out", default=BATCH_DIR, help=f"output folder (default: {BATCH_DIR})")
    batch.add_argument("--timeout", type=float, help="seconds an audit (its report included) may run before it is "
                       "stopped and recorded as failed (default: no limit)")
    batch.add_argument("--report", choices=(*NOTEBOOKS, NO_REPORT), help="report of every audit, whatever the plan "
                       "says: bias, explain, full or none (default: the plan's report:, else full)")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress bar or lines on stderr")
    return parser


def _add_timeout(command: argparse.ArgumentParser) -> None:
    command.add_argument("--report-timeout", type=_number, metavar="SECONDS",
                         help=f"seconds the whole report notebook may run (default {DEFAULT_REPORT_TIMEOUT}); "
                              "then it stops, and its notebook is kept as report.failed.ipynb")


def _number(text: str) -> int | float:
    """A number as written: ``30`` an int, ``2.5`` a float (checked by the library, which names the setting)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of seconds; got {text!r}") from None


def _run_batch(args: argparse.Namespace) -> int:
    """``auditkit batch``: one call to :func:`auditkit.batch.batch`; exit 1 when an audit did not complete."""
    from auditkit.batch import batch

    summary = batch(args.plan, out=args.out, workers=args.workers, scheduler=args.scheduler, timeout=args.timeout,
                    report=args.report, progress=False if args.quiet else None, log=None if args.quiet else _log)
    print(Path(args.out) / "index.html")
    return 0 if summary["status"].eq("ok").all() else 1


def _step_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _engine_settings(args: argparse.Namespace, spec) -> dict[str, str]:
    """``engine=``/``scheduler=`` of :func:`auditkit.audit_to_dir` from ``auditkit audit``'s options (none for demo)."""
    engine, scheduler = getattr(args, "engine", "memory"), getattr(args, "scheduler", None)
    if engine == "memory" and scheduler is None:
        return {}
    return {"engine": engine, "scheduler": scheduler}


def spec_from_args(args: argparse.Namespace):
    """Assemble an AuditSpec from parsed arguments (config file first, options on top).

    Examples
    --------
    >>> args = build_parser().parse_args(["audit", "--data", "german", "--seed", "3", "--steps", "fairness"])
    >>> spec = spec_from_args(args)
    >>> spec.data, spec.seed, spec.steps
    ('german', 3, ['fairness'])
    """
    from auditkit.spec import AuditSpec

    overrides = {
        "data": args.data, "encoding": args.encoding, "target": args.target, "positive_label": args.positive_label,
        "sensitive": args.sensitive, "model": args.model, "trust_model": args.trust_model,
        "predictions": args.predictions, "scores": args.scores, "seed": args.seed, "split": args.split,
        "sample": args.sample, "task": args.task, "policy": args.policy, "steps": args.steps, "features": args.features,
        "exclude": args.exclude, "data_name": args.data_name, "model_name": args.model_name,
        "intended_use": args.intended_use, "limitations": args.limitations,
        "trust_types": args.trust_types, "model_source": args.model_source, "model_licence": args.model_licence,
        "model_version": args.model_version, "shap_rows": args.shap_rows,
    }
    if args.config:
        return AuditSpec.from_yaml(args.config, **overrides)
    if not args.data:
        raise InputError("--data is required (a CSV/Parquet path or a bundled dataset name)")
    return AuditSpec.from_dict({}, **overrides)


# Library parameters that have an option of ``auditkit audit`` (``positive_label`` -> ``--positive-label``),
# how each option takes a value, and options not named like their parameter.
CLI_PARAMETERS = frozenset({
    "data", "encoding", "target", "positive_label", "sensitive", "model", "trust_model", "predictions", "scores",
    "seed", "split", "sample", "task", "policy", "steps", "features", "exclude", "data_name", "model_name", "out_dir",
    "intended_use", "limitations", "report", "report_timeout",
    "trust_types", "model_source", "model_licence", "model_version", "shap_rows", "engine", "scheduler",
})
SWITCHES = frozenset({"trust_model"})
REPEATED = frozenset({"sensitive", "features", "exclude", "trust_types"})
COMMA_LISTS = frozenset({"steps"})
PARAMETER_ALIASES = {"out_dir": "out", "trust_types": "trust_type"}
# ``name=VALUE`` in a library message: VALUE is a [list], a quoted text, a word, or nothing.
PARAMETER_PATTERN = re.compile(
    r"(?<![\w'\".-])(?P<name>[a-z][a-z_]*)=(?P<value>\[[^\]]*\]|'[^']*'|\"[^\"]*\"|[\w.-]+)?"
)


def as_flags(message: str) -> str:
    """A library message with parameters written as the command line's options.

    ``target=COLUMN`` becomes ``--target COLUMN``, ``task='multiclass'`` ``--task multiclass``,
    ``trust_model=True`` ``--trust-model``, ``sensitive=[COLUMN, ...]`` ``--sensitive COLUMN
    (repeat it for several)`` and a bare ``encoding=`` ``--encoding``. Parameters without an
    option (e.g. ``step_options``) are left as they are.

    Examples
    --------
    >>> as_flags("no target column given; pass target=COLUMN")
    'no target column given; pass --target COLUMN'
    >>> as_flags("inspect them and pass trust_model=True to load anyway")
    'inspect them and pass --trust-model to load anyway'
    >>> as_flags("pass trust_types=['sklearn.tree._tree.Tree']")
    'pass --trust-type sklearn.tree._tree.Tree'
    """
    def replace(match: re.Match) -> str:
        name = match["name"]
        return _option_text(name, match["value"]) if name in CLI_PARAMETERS else match[0]

    return PARAMETER_PATTERN.sub(replace, message)


def flag_of(parameter: str) -> str:
    """The ``auditkit audit`` option of a library parameter: ``positive_label`` -> ``--positive-label``.

    Examples
    --------
    >>> flag_of("positive_label")
    '--positive-label'
    >>> flag_of("out_dir")
    '--out'
    """
    return "--" + PARAMETER_ALIASES.get(parameter, parameter).replace("_", "-")


def _option_text(name: str, value: str | None) -> str:
    flag = flag_of(name)
    if value is None or name in SWITCHES:  # a bare mention, or a switch such as trust_model=True
        return flag
    if not value.startswith("["):
        return f"{flag} {value.strip(chr(39) + chr(34))}"
    items = [item.strip().strip("'\"") for item in value[1:-1].split(",") if item.strip()]
    if name in COMMA_LISTS:
        return f"{flag} {','.join(items)}"
    if items[-1:] == ["..."] or not items:
        return f"{flag} {items[0] if len(items) > 1 else 'COLUMN'} (repeat it for several)"
    return " ".join(f"{flag} {item}" for item in items)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``auditkit`` command with ``argv`` (default: the process's) and return its exit status.

    Run as the program (``argv`` not given), it leaves the objects it made to the operating system when
    the process ends (:func:`~auditkit.cli_process.leave_objects_at_exit`).

    Examples
    --------
    >>> main(["datasets"])
    adult
    compas
    german
    0
    """
    args = build_parser().parse_args(argv)
    skip_unused_imports()
    if argv is None:
        atexit.register(leave_objects_at_exit)
    try:
        return _dispatch(args)
    except InputError as exc:
        print(f"auditkit: error: {as_flags(str(exc))}", file=sys.stderr)
        return 2
    except (ReportError, BrowserError) as exc:  # the audit is written; its report is not: named, no traceback
        print(f"auditkit: error: {as_flags(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("auditkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - internal failure: exit 1, keep outputs
        traceback.print_exc()
        print(f"auditkit: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from auditkit import datasets
    from auditkit.report.output_folder import check_out_dir
    from auditkit.runner import audit_to_dir
    from auditkit.spec import AuditSpec

    if args.command == "datasets":
        for name in datasets.list():
            print(name)
        return 0
    if args.command == "report":
        return _report(args)
    if args.command == "batch":
        return _run_batch(args)
    timeout = _timeout(args)
    if args.command == "demo":
        spec, out, report = AuditSpec.from_dict(DEMO_SETTINGS), DEMO_DIR, "full"
    else:
        out = check_out_dir(args.out)  # before anything is read: a bad --out costs no audit
        spec, report = spec_from_args(args), NO_REPORT if args.no_report else (args.report or "full")
    fail_on = getattr(args, "fail_on", None)
    if fail_on and spec.policy is None:
        raise InputError("--fail-on needs a policy (--policy FILE or 'policy:' in the config): "
                         "without one there are no checks that could fail")
    quiet = getattr(args, "quiet", False)
    engine = _engine_settings(args, spec)
    if engine.get("engine") == "dask" and spec.steps is None:
        spec = dataclasses.replace(spec, steps=list(DASK_STEPS))  # not the report's steps: what the engine runs
    result = audit_to_dir(spec, out, report=report, report_timeout=timeout, log=None if quiet else _log, quiet=quiet,
                          progress=False if quiet else None, **engine)  # None: bars when stderr is a terminal
    if report != NO_REPORT:
        print(out / "report.html")
    else:
        print(out / "audit.json")
    return exit_status(result, fail_on)


def _report(args: argparse.Namespace) -> int:
    """``auditkit report DIR [--pdf]``: re-render the saved audit's report (one library call)."""
    from auditkit.report.render import render_report

    html = render_report(args.dir, report=args.kind, report_timeout=_timeout(args), pdf=args.pdf, quiet=args.quiet)
    print(html)
    if args.pdf:
        print(html.with_suffix(".pdf"))
    return 0


def _timeout(args: argparse.Namespace) -> int | float:
    given = getattr(args, "report_timeout", None)
    return DEFAULT_REPORT_TIMEOUT if given is None else given


def exit_status(result, fail_on: str | None) -> int:
    """1 if a step failed; 3 if a policy check at or above ``fail_on`` did not pass; else 0.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> exit_status(SimpleNamespace(failed_steps=[]), None), exit_status(SimpleNamespace(failed_steps=["shap"]), None)
    (0, 1)
    """
    from auditkit.fairness.policy import failing_checks

    if result.failed_steps:
        return 1
    failing = failing_checks(result.to_dict(), fail_on) if fail_on else []
    if failing:
        names = ", ".join(f"{c['name']} ({c['status']})" for c in failing)
        print(f"auditkit: {len(failing)} policy check(s) at severity {fail_on} or higher did not pass: {names}",
              file=sys.stderr)
        return 3
    return 0


def _log(message: str) -> None:
    print(f"auditkit: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
