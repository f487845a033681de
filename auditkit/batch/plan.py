"""BatchPlan: many audits (models × datasets) as plain data, loaded from YAML and checked before anything runs.

A plan has four parts: ``defaults`` (settings of every audit), ``datasets`` and ``models`` (by name) and
``audits``: ``all`` (every model on every dataset) or a list of ``{model: NAME, dataset: NAME, ...}`` with
settings of that audit. The settings of one audit are merged in this order, later ones winning: defaults,
the dataset's, the model's, the audit's own. Every audit becomes an :class:`~auditkit.spec.AuditSpec`
when the plan is built, so a bad setting is reported before any audit runs, naming the audit.
Besides AuditSpec settings, ``report`` (a report kind, true or false) and ``report_timeout`` are settings
of the batch; a model's ``openness`` is its Model Openness Framework checklist
(:func:`auditkit.io.openness.checked_openness`).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.datasets import dataset_names
from auditkit.exceptions import InputError
from auditkit.io.openness import checked_openness
from auditkit.io.yaml_files import read_yaml_mapping
from auditkit.params import Text, show, validate
from auditkit.report.notebooks import DEFAULT_REPORT_TIMEOUT, REPORT_SETTINGS, report_kind, report_steps
from auditkit.spec import AuditSpec

PLAN_KEYS = ("defaults", "datasets", "models", "audits")
# Settings of a model entry that are not AuditSpec settings, and the AuditSpec setting each becomes.
MODEL_KEYS = {"path": "model", "name": "model_name", "trust_model": "trust_model", "trust_types": "trust_types",
              "features": "features", "source": "model_source", "licence": "model_licence",
              "version": "model_version", "openness": "model_openness"}
# Model provenance recorded in the batch's summary whatever the AuditSpec records.
MODEL_PROVENANCE = ("source", "licence", "version", "trust_types", "openness")
DATASET_KEYS = {"data": "data", "name": "data_name"}
# Settings of the batch itself (not of AuditSpec), allowed in defaults and in each audit.
BATCH_SETTINGS = {"report": True, "report_timeout": DEFAULT_REPORT_TIMEOUT}
AUDIT_KEYS = ("model", "dataset", "name")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
NAME_FORM = "a name of letters, digits, '.', '_' or '-' (it names the audit's folder)"
MODEL_ONLY = ("model", "model_name", "trust_model", "trust_types", "features", "model_source", "model_licence",
              "model_version", "model_openness")


@dataclass(frozen=True)
class PlannedAudit:
    """One audit of a plan: its name (and folder), the model and dataset it pairs, its checked spec.

    Attributes
    ----------
    name : str
        The audit's name: its folder under the batch's output folder and its row in ``summary.csv``.
    model, dataset : str
        The names of the model and the dataset in the plan.
    spec : AuditSpec
        The audit's settings, checked.
    report : bool or {"bias", "explain", "full", "none"}
        The report rendered into ``report.html`` (``report:`` in the plan; default true, the full
        report; false or ``none``: no report), as for :func:`auditkit.audit_to_dir`.
    report_timeout : float
        Seconds the report notebook may run (``report_timeout:`` in the plan; default 1800).
    model_info : dict
        The model entry's provenance as the plan gives it (``source``, ``licence``, ``version``,
        ``trust_types``, missing ones None; ``openness``, checked as
        :func:`~auditkit.io.openness.checked_openness`), recorded in ``summary.csv``.

    Examples
    --------
    >>> audit = PlannedAudit(name="m-german", model="m", dataset="german", spec=AuditSpec(data="german"))
    >>> audit.report, audit.spec.data
    (True, 'german')
    """

    name: str
    model: str
    dataset: str
    spec: AuditSpec
    report: bool | str = True
    model_info: dict[str, Any] = field(default_factory=dict)
    report_timeout: float = DEFAULT_REPORT_TIMEOUT

    @property
    def run_spec(self) -> AuditSpec:
        """The spec as the audit runs it: without ``steps``, the steps its report shows.

        Examples
        --------
        >>> audit = PlannedAudit(name="m-g", model="m", dataset="g", spec=AuditSpec(data="german"), report="bias")
        >>> audit.run_spec.steps
        ['data_overview', 'data_bias', 'performance', 'fairness']
        """
        steps = report_steps(report_kind(self.report), self.spec.steps)
        return self.spec if steps is self.spec.steps else dataclasses.replace(self.spec, steps=steps)

    def with_report(self, report: bool | str | None) -> PlannedAudit:
        """This audit with another report (None: the same).

        Examples
        --------
        >>> audit = PlannedAudit(name="m-g", model="m", dataset="g", spec=AuditSpec(data="german"))
        >>> audit.with_report("explain").report, audit.with_report(None).report
        ('explain', True)
        """
        if report is None:
            return self
        validate("report", report, REPORT_SETTINGS["report"])
        return dataclasses.replace(self, report=report)


@dataclass(frozen=True)
class BatchPlan:
    """The audits of a batch, each checked; see the module's notes for the form of a plan.

    Build it with :meth:`from_yaml` or :meth:`from_dict`. Relative file paths (data, model, policy)
    are resolved from ``base`` (the plan file's folder); a bundled dataset name (``german``) stays a name.

    Attributes
    ----------
    audits : list of PlannedAudit
        In the plan's order (``audits: all``: models in order, each on every dataset in order).
    base : Path
        The folder relative paths were resolved from.

    Examples
    --------
    >>> plan = BatchPlan.from_dict({
    ...     "defaults": {"seed": 1, "sample": 300, "steps": ["performance", "fairness"]},
    ...     "datasets": {"german": {"data": "german"}, "compas": {"data": "compas"}},
    ...     "models": {"stored": {"path": "models/forest.skops"}},
    ...     "audits": "all"}, check_files=False)
    >>> [(a.name, a.spec.data, a.spec.model_name, a.spec.seed) for a in plan.audits]
    [('stored-german', 'german', 'stored', 1), ('stored-compas', 'compas', 'stored', 1)]
    >>> BatchPlan.from_dict({"datasets": {"g": {"data": "german"}}, "models": {"m": {"path": "m.skops"}},
    ...                      "audits": [{"model": "m", "dataset": "g", "sample": 5}]}, check_files=False)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: plan audit 'm-g': sample must be an integer, at least 10; got 5 (int)
    """

    audits: list[PlannedAudit]
    base: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_yaml(cls, path: str | Path) -> BatchPlan:
        """Read a plan file; relative paths in it are resolved from its folder.

        Examples
        --------
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "plan.yaml").write_text("datasets: {german: {data: german}}\\n"
        ...                                      "models: {m: {path: m.skops}}\\naudits: all\\n")
        >>> BatchPlan.from_yaml(folder / "plan.yaml")
        Traceback (most recent call last):
        ...
        auditkit.exceptions.InputError: plan model 'm': model file not found: m.skops (looked in ...)
        """
        mapping = read_yaml_mapping(path, role="plan", example="models: {...}, datasets: {...}, audits: all")
        return cls.from_dict(mapping, base=Path(path).resolve().parent)

    @classmethod
    def from_dict(cls, mapping: dict[str, Any], base: str | Path | None = None, *,
                  check_files: bool = True) -> BatchPlan:
        """Build a plan from its mapping (as read from YAML).

        Parameters
        ----------
        mapping : dict
            ``defaults``, ``datasets``, ``models``, ``audits``.
        base : path, optional
            Folder that relative paths are resolved from; default the current folder.
        check_files : bool, default True
            Refuse a model or data file that does not exist (False: leave that to the audit).

        Examples
        --------
        >>> BatchPlan.from_dict({"datasets": {}, "models": {}, "audits": "all"})
        Traceback (most recent call last):
        ...
        auditkit.exceptions.InputError: plan datasets must name at least one dataset, e.g. {german: {data: german}}
        """
        base = Path.cwd() if base is None else Path(base)
        _require_mapping("plan", mapping)
        _refuse_unknown("plan", mapping, PLAN_KEYS)
        defaults = _entry("plan defaults", mapping.get("defaults") or {}, base)
        datasets = _named_entries(mapping, "datasets", "{german: {data: german}}", "data")
        models = _named_entries(mapping, "models", "{logreg: {path: models/logreg.skops}}", "path")
        datasets = {name: _dataset_settings(name, entry, base, check_files) for name, entry in datasets.items()}
        models = {name: _model_entry(name, entry, base, check_files) for name, entry in models.items()}
        pairs = _pairs(mapping.get("audits", "all"), models, datasets)
        audits = [_planned(pair, defaults, datasets, models, base) for pair in pairs]
        _refuse_repeated_names([a.name for a in audits])
        return cls(audits=audits, base=base)

    def with_report(self, report: bool | str | None) -> BatchPlan:
        """The plan with every audit rendering ``report`` (a kind, true or false; None: as planned).

        Examples
        --------
        >>> plan = BatchPlan.from_dict({"defaults": {"report": "bias"}, "datasets": {"g": "german"},
        ...                             "models": {"m": "m.skops"}}, check_files=False)
        >>> [a.report for a in plan.audits], [a.report for a in plan.with_report("none").audits]
        (['bias'], ['none'])
        >>> plan.with_report("pdf")
        Traceback (most recent call last):
        ...
        auditkit.exceptions.InputError: report must be true or false or one of bias, explain, full, none; got 'pdf' \
(str)
        """
        if report is None:
            return self
        return dataclasses.replace(self, audits=[audit.with_report(report) for audit in self.audits])

    @property
    def names(self) -> list[str]:
        """The audits' names, in order.

        Examples
        --------
        >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": "m.skops"}}, check_files=False)
        >>> plan.names
        ['m-g']
        """
        return [a.name for a in self.audits]


def _require_mapping(where: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a mapping; got {show(value)} ({type(value).__name__})")


def _refuse_unknown(where: str, mapping: dict[str, Any], known: tuple[str, ...] | list[str]) -> None:
    unknown = [key for key in mapping if key not in known]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"{where}: unknown setting {show(key)}{hint}; expected some of: {', '.join(known)}")


def _entry(where: str, value: Any, base: Path) -> dict[str, Any]:
    """Settings of every audit (``defaults``) or of one: AuditSpec settings but the data and the model, ``report``."""
    _require_mapping(where, value)
    _refuse_unknown(where, value, [*(k for k in _spec_fields() if k not in ("data", "model")), *BATCH_SETTINGS])
    return _resolved_policy(dict(value), base)


def _named_entries(mapping: dict[str, Any], part: str, example: str, shorthand: str) -> dict[str, dict[str, Any]]:
    """``datasets`` or ``models``: names to entries; ``name: VALUE`` is short for ``name: {<shorthand>: VALUE}``."""
    entries = mapping.get(part)
    if not isinstance(entries, dict) or not entries:
        raise InputError(f"plan {part} must name at least one {part[:-1]}, e.g. {example}")
    out = {}
    for name, entry in entries.items():
        validate(f"plan {part[:-1]} name", name, [Text(NAME_FORM)])
        _check_name(f"plan {part[:-1]}", name)
        out[name] = {shorthand: entry} if isinstance(entry, str) else entry
        _require_mapping(f"plan {part[:-1]} '{name}'", out[name])
    return out


def _check_name(where: str, name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise InputError(f"{where} name must be {NAME_FORM}; got {show(name)}")


def _dataset_settings(name: str, entry: dict[str, Any], base: Path, check_files: bool) -> dict[str, Any]:
    where = f"plan dataset '{name}'"
    spec_keys = [k for k in _spec_fields() if k not in MODEL_ONLY and k not in DATASET_KEYS.values()]
    _refuse_unknown(where, entry, [*DATASET_KEYS, *spec_keys])
    if entry.get("data") is None:
        raise InputError(f"{where} needs data: a CSV/Parquet path or a bundled dataset name")
    settings = {DATASET_KEYS.get(key, key): value for key, value in entry.items()}
    settings.setdefault("data_name", name)
    settings["data"] = _data_path(where, settings["data"], base, check_files)
    return _resolved_policy(settings, base)


def _data_path(where: str, data: Any, base: Path, check_files: bool) -> Any:
    if not isinstance(data, str) or data in dataset_names():
        return data
    path = Path(data) if Path(data).is_absolute() else base / data
    if check_files and not path.is_file():
        raise InputError(f"{where}: data file not found: {data} (looked in {base}); "
                         f"expected a CSV/Parquet file or a bundled dataset name ({', '.join(dataset_names())})")
    return str(path)


def _model_entry(name: str, entry: dict[str, Any], base: Path, check_files: bool) -> dict[str, Any]:
    where = f"plan model '{name}'"
    _refuse_unknown(where, entry, list(MODEL_KEYS))
    path = entry.get("path")
    validate(f"{where}: path", path, [Text("a model file path")])
    resolved = Path(path) if Path(path).is_absolute() else base / path
    if check_files and not resolved.is_file():
        raise InputError(f"{where}: model file not found: {path} (looked in {base})")
    checked = {**entry, "path": str(resolved), "name": entry.get("name", name)}
    if "openness" in entry:
        checked["openness"] = checked_openness(entry["openness"], where=f"{where}: openness")
    return checked


def _pairs(audits: Any, models: dict, datasets: dict) -> list[dict[str, Any]]:
    """The audits as ``{model, dataset, ...settings}``: every pair for ``all``, else the list as given."""
    if audits == "all":
        return [{"model": m, "dataset": d} for m in models for d in datasets]
    if not isinstance(audits, list) or not audits:
        raise InputError(f"plan audits must be all or a non-empty list of {{model: NAME, dataset: NAME}}; "
                         f"got {show(audits)}")
    for index, audit in enumerate(audits):
        where = f"plan audits[{index}]"
        _require_mapping(where, audit)
        for part, known in (("model", models), ("dataset", datasets)):
            if audit.get(part) not in known:
                raise InputError(f"{where}: {part} must be one of the plan's {part}s ({', '.join(known)}); "
                                 f"got {show(audit.get(part))}")
    return [dict(audit) for audit in audits]


def _planned(pair: dict[str, Any], defaults: dict[str, Any], datasets: dict, models: dict,
             base: Path) -> PlannedAudit:
    model, dataset = pair.pop("model"), pair.pop("dataset")
    name = pair.pop("name", f"{model}-{dataset}")
    validate("plan audit name", name, [Text(NAME_FORM)])
    _check_name("plan audit", name)
    where = f"plan audit '{name}'"
    overrides = _entry(where, pair, base)
    entry = models[model]
    model_settings = {MODEL_KEYS[key]: value for key, value in entry.items() if key not in MODEL_PROVENANCE}
    merged = {**defaults, **datasets[dataset], **model_settings, **overrides}
    batch = {key: merged.pop(key, default) for key, default in BATCH_SETTINGS.items()}
    for key, value in batch.items():
        validate(f"{where}: {key}", value, REPORT_SETTINGS[key])
    for key in MODEL_PROVENANCE:  # passed on where AuditSpec records them
        if key in entry and MODEL_KEYS[key] in _spec_fields():
            merged[MODEL_KEYS[key]] = entry[key]
    try:
        spec = AuditSpec.from_dict(merged)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    info = {key: entry.get(key) for key in MODEL_PROVENANCE}
    return PlannedAudit(name=name, model=model, dataset=dataset, spec=spec, model_info=info, **batch)


def _resolved_policy(settings: dict[str, Any], base: Path) -> dict[str, Any]:
    policy = settings.get("policy")
    if isinstance(policy, str) and not Path(policy).is_absolute():
        return {**settings, "policy": str(base / policy)}
    return settings


def _refuse_repeated_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"plan audits name '{name}' twice; give one of them another name: (name: ...)")
        seen.add(name)


def _spec_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(AuditSpec)]
