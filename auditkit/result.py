"""Audit results: findings, per-step results, the whole audit, and its JSON view.

Everything a report shows is computed before it reaches this module; the views here
(JSON, the notebook summary in :mod:`auditkit.report.summary`) only format.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.exceptions import UnknownNameError
from auditkit.fairness.tables import policy_tables
from auditkit.io.audit_json import (
    SCHEMA_VERSION,
    audit_file,
    load_audit_json,
    read_artifacts,
    step_index,
    to_jsonable,
)
from auditkit.registry import KNOWN_SECTIONS, POLICY_STEP, get_step, step_names
from auditkit.report.output_folder import write_text_atomic
from auditkit.report.summary import html_summary, text_summary

__all__ = ["SCHEMA_VERSION", "SEVERITIES", "AuditResult", "Finding", "StepResult", "load_audit_json",
           "to_jsonable"]

if TYPE_CHECKING:
    from auditkit.report.plots import ResultPlots

SEVERITIES = ("info", "low", "medium", "high", "error")



@dataclass(frozen=True)
class Finding:
    """One observation an auditor should read.

    Parameters
    ----------
    id : str
        Stable identifier, ``"<step>.<kind>[.<subject>]"``; the same input gives the same id.
    step : str
        Name of the step that made the finding.
    severity : {"info", "low", "medium", "high", "error"}
        ``"error"`` means the step itself failed.
    message : str
        Plain-language sentence for a non-statistician.
    evidence : dict
        The numbers behind the message (JSON-serialisable).

    Examples
    --------
    >>> finding = Finding(id="fairness.gap.sex", step="fairness", severity="high", message="A gap.",
    ...                   evidence={"gap": 0.2})
    >>> finding.to_dict()["severity"]
    'high'
    >>> Finding(id="x", step="x", severity="urgent", message="?")
    Traceback (most recent call last):
    ...
    ValueError: severity must be one of ('info', 'low', 'medium', 'high', 'error'), got 'urgent'
    """

    id: str
    step: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": self.step,
            "severity": self.severity,
            "message": self.message,
            "evidence": to_jsonable(self.evidence),
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Finding:
        """The finding of an ``audit.json`` record (:meth:`to_dict` in reverse)."""
        return cls(id=record["id"], step=record["step"], severity=record["severity"], message=record["message"],
                   evidence=record.get("evidence", {}))


@dataclass
class StepResult:
    """What one audit step returns.

    Parameters
    ----------
    name : str
        The step's name.
    section : str
        Top-level key of ``audit.json`` that ``payload`` is merged into.
    payload : dict
        JSON-serialisable summary written to ``audit.json``.
    tables : dict of str to DataFrame
        Tidy tables for notebooks and reports, built from ``payload`` by the step's
        ``tables_from_payload`` (so a loaded audit has the same tables).
    findings : list of Finding
    artifacts : dict of str to DataFrame
        Large tables (e.g. per-row SHAP values) saved beside ``audit.json`` but not in it.

    Examples
    --------
    >>> import pandas as pd
    >>> step = StepResult(name="overview", section="data", payload={"n_rows": 2},
    ...                   tables={"columns": pd.DataFrame({"column": ["a", "b"]})})
    >>> step.name, step.section, list(step.tables), step.findings
    ('overview', 'data', ['columns'], [])
    """

    name: str
    section: str
    payload: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    artifacts: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        counts = ", ".join(f"{sum(f.severity == s for f in self.findings)} {s}" for s in reversed(SEVERITIES)
                           if any(f.severity == s for f in self.findings))
        return (f"<StepResult {self.name!r} (section {self.section!r})> {len(self.tables)} tables, "
                f"{len(self.findings)} findings" + (f" ({counts})" if counts else "")
                + f", payload: {', '.join(self.payload) or 'none'}"
                + (f", artifacts: {', '.join(self.artifacts)}" if self.artifacts else ""))

    def index_entry(self) -> dict[str, Any]:
        """This step's entry in the ``steps`` index of ``audit.json``, which :meth:`AuditResult.from_json` reads.

        ``payload_keys``: the keys of ``section`` this step wrote; ``n_findings``: its findings
        (in ``findings``, in step order); ``artifacts``: the names of its saved artifacts.
        """
        return {"name": self.name, "section": self.section, "payload_keys": list(self.payload),
                "n_findings": len(self.findings), "artifacts": list(self.artifacts)}


@dataclass
class AuditResult:
    """The outcome of one audit: provenance, dataset description and step results.

    In a notebook the result shows a short summary (verdict, findings by severity, a
    scorecard per grouping, the names of its tables); ``repr`` is a few lines.
    :meth:`table` returns one tidy table, :meth:`tables` lists them, and :meth:`from_json`
    loads a saved audit back.

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", seed=1, steps=["performance", "fairness"])
    >>> result.tables("fairness")[:4]
    ['sex', 'age_group', 'sex*age_group', 'disparities']
    >>> result.table("fairness", "sex")[["sex", "selection_rate", "selection_rate_ci_low"]].round(3)
          sex  selection_rate  selection_rate_ci_low
    0  female           0.747                  0.656
    1    male           0.794                  0.732
    """

    provenance: dict[str, Any]
    dataset: dict[str, Any]
    steps: list[StepResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for step in self.steps for f in step.findings]

    @property
    def failed_steps(self) -> list[str]:
        return [f.step for f in self.findings if f.severity == "error"]

    @property
    def sections(self) -> list[str]:
        """Top-level keys of ``audit.json`` the steps write: the known ones in their order, then others as run."""
        written = list(dict.fromkeys(s.section for s in self.steps))
        return [s for s in KNOWN_SECTIONS if s in written] + [s for s in written if s not in KNOWN_SECTIONS]

    def step(self, name: str) -> StepResult:
        """Return the result of the step called ``name``.

        Raises
        ------
        UnknownNameError
            (a ``KeyError`` and an :class:`~auditkit.InputError`) naming the steps this audit ran.
        """
        for result in self.steps:
            if result.name == name:
                return result
        raise UnknownNameError(f"no step {name!r} in this audit", name, [s.name for s in self.steps], "steps")

    def table(self, step: str, name: str) -> pd.DataFrame:
        """Return table ``name`` of step ``step``: a tidy DataFrame (a copy, to change freely).

        Names are plain identifiers: a grouping's table is named by its features (``"sex"``,
        ``"sex*race"``; the display form ``"sex × race"`` is understood too). An interval of a
        value ``m`` is two columns, ``m_ci_low`` and ``m_ci_high``, right after ``m``.

        Raises
        ------
        UnknownNameError
            (a ``KeyError`` and an :class:`~auditkit.InputError`) naming the tables the step has.
        """
        tables = self.step(step).tables
        key = name.replace(" × ", "*") if isinstance(name, str) and name not in tables else name
        if key not in tables:
            raise UnknownNameError(f"no table {name!r} in step {step!r}", name, list(tables))
        return tables[key].copy()

    def tables(self, step: str | None = None) -> list[str] | dict[str, list[str]]:
        """The names of the tables of ``step``; without a step, ``{step: names}`` for every step with tables.

        Raises
        ------
        UnknownNameError
            For a step this audit did not run.
        """
        if step is not None:
            return list(self.step(step).tables)
        return {s.name: list(s.tables) for s in self.steps if s.tables}

    def to_dict(self) -> dict[str, Any]:
        """The ``audit.json`` document (schema version 1)."""
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "dataset": self.dataset,
            "steps": [s.index_entry() for s in self.steps],
        }
        for section in self.sections:
            parts = [s.payload for s in self.steps if s.section == section and s.payload]
            if parts:
                merged: dict[str, Any] = {}
                for part in parts:
                    merged.update(part)
                doc[section] = merged
        doc["findings"] = [f.to_dict() for f in self.findings]
        return to_jsonable(doc)

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise to JSON; write it to ``path`` when given, atomically (the old file or the new one)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        if path is not None:
            write_text_atomic(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, path: str | Path) -> AuditResult:
        """Load a saved audit: ``audit.json`` (or the folder holding it) and its artifacts.

        Every step's tables are rebuilt from its payload by the step's ``tables_from_payload``,
        as when it ran, so ``AuditResult.from_json(folder).table(step, name)`` equals the
        in-memory ``result.table(step, name)``, and ``to_dict()`` gives the same document.
        Artifacts (``artifacts/<step>__<name>.parquet``) are read when their files are there.
        A step this installation does not know keeps its payload, findings and artifacts, but
        has no tables.

        Raises
        ------
        DataReadError
            When there is no ``audit.json`` there, or its ``schema_version`` is not ``"1"``.

        Examples
        --------
        >>> import tempfile, auditkit
        >>> from auditkit.report.render import write_audit
        >>> result = auditkit.audit(data="german", seed=1, steps=["fairness"])
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_audit(result, folder)
        >>> loaded = AuditResult.from_json(folder)
        >>> loaded.table("fairness", "sex").equals(result.table("fairness", "sex"))
        True
        """
        file = audit_file(path)
        doc = load_audit_json(file)
        index, records = step_index(doc, file.parent)
        findings = [Finding.from_dict(r) for r in records]
        steps = []
        for entry in index:
            section = doc.get(entry["section"], {})
            payload = {k: section[k] for k in entry["payload_keys"] if k in section}
            mine, findings = findings[: entry["n_findings"]], findings[entry["n_findings"]:]
            steps.append(StepResult(name=entry["name"], section=entry["section"], payload=payload,
                                    tables=_rebuilt_tables(entry["name"], payload), findings=mine,
                                    artifacts=read_artifacts(file.parent, entry["name"], entry.get("artifacts", []))))
        return cls(provenance=doc["provenance"], dataset=doc["dataset"], steps=steps)

    def model_card(self) -> str:
        """This audit's model card (``model_card.md``): see :func:`auditkit.report.model_card.model_card`."""
        from auditkit.report.model_card import model_card

        return model_card(self)

    def __repr__(self) -> str:
        return text_summary(self.dataset, self.provenance, self.steps)

    def _repr_html_(self) -> str:
        return html_summary(self.dataset, self.provenance, self.steps)

    @property
    def plot(self) -> ResultPlots:
        """Plots of this result: ``result.plot.group_rates()``, ... (:class:`auditkit.report.plots.ResultPlots`)."""
        from auditkit.report.plots import ResultPlots

        return ResultPlots(self)


_REBUILT: dict[tuple[Any, str], dict[str, pd.DataFrame]] = {}  # (builder, payload digest) -> tables, latest last
_REBUILT_KEPT = 32


def _rebuilt_tables(step: str, payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The tables of a loaded step, from its step class (none for a step this installation does not know).

    Tables are a function of the payload alone, so those of a payload rebuilt lately are copied rather than
    built again: the report kernel loads each audit so far, and then the audit, with the same steps before.
    """
    if not payload:
        return {}
    if step != POLICY_STEP and step not in step_names():
        return {}
    build = policy_tables if step == POLICY_STEP else get_step(step).tables_from_payload
    key = (build, hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest())
    tables = _REBUILT.pop(key, None)
    if tables is None:
        tables = build(payload)
    _REBUILT[key] = tables
    while len(_REBUILT) > _REBUILT_KEPT:
        del _REBUILT[next(iter(_REBUILT))]
    return {name: table.copy() for name, table in tables.items()}


