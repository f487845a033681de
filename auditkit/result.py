"""Audit results: findings, per-step results, the whole audit, and its JSON view.

Everything a report shows is computed before it reaches this module; the views here
(JSON, HTML) only format.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.report.output_folder import write_text_atomic

SCHEMA_VERSION = "1"
SEVERITIES = ("info", "low", "medium", "high", "error")

# Top-level keys of audit.json filled by steps, in the order they are written.
SECTIONS = ("data", "performance", "fairness", "explanations", "checks")


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
        Tidy tables for notebooks and reports.
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


@dataclass
class AuditResult:
    """The outcome of one audit: provenance, dataset description and step results.

    Examples
    --------
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(300, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> result = auditkit.audit(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                         steps=["performance", "fairness"], progress=False)
    >>> [step.name for step in result.steps], result.failed_steps, result.step("performance").payload["overall"]["n"]
    (['performance', 'fairness'], [], 300)
    >>> result.table("fairness", "group")[["group", "n", "selection_rate"]].round(3).values.tolist()
    [['A', 150, 0.373], ['B', 150, 0.627]]
    >>> sorted(result.to_dict())[:4]
    ['dataset', 'fairness', 'findings', 'performance']
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

    def step(self, name: str) -> StepResult:
        """Return the result of the step called ``name``."""
        for result in self.steps:
            if result.name == name:
                return result
        names = ", ".join(s.name for s in self.steps)
        raise KeyError(f"no step named '{name}' in this audit; steps run: {names}")

    def table(self, step: str, name: str) -> pd.DataFrame:
        """Return table ``name`` of step ``step``."""
        return self.step(step).tables[name]

    def to_dict(self) -> dict[str, Any]:
        """The ``audit.json`` document (schema version 1)."""
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "dataset": self.dataset,
        }
        for section in SECTIONS:
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

    def _repr_html_(self) -> str:
        return render_html_summary(self.to_dict(), self.steps)


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON types; NaN/inf → None.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> to_jsonable({"n": np.int64(3), "rate": np.float64(0.5), "gap": float("nan"),
    ...              "when": pd.Timestamp("2024-01-02")})
    {'n': 3, 'rate': 0.5, 'gap': None, 'when': '2024-01-02 00:00:00'}
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if not math.isfinite(number) else number
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def load_audit_json(path: str | Path) -> dict[str, Any]:
    """Read an ``audit.json`` and check its schema version.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "audit.json"
    >>> _ = path.write_text('{"schema_version": "1", "findings": []}')
    >>> load_audit_json(path)["schema_version"]
    '1'
    """
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version {version!r} is not supported (expected '1')")
    return doc


def render_html_summary(doc: dict[str, Any], steps: list[StepResult]) -> str:
    """A compact HTML summary for notebooks. Every string is escaped.

    Examples
    --------
    >>> html = render_html_summary({"dataset": {"name": "loans", "n_rows": 2}, "findings": []}, [])
    >>> html.startswith("<")
    True
    """
    esc = html.escape
    ds = doc["dataset"]
    parts = [
        "<div class='auditkit-result'>",
        f"<h3>auditkit audit of {esc(str(ds.get('name')))}</h3>",
        f"<p>{ds.get('n_rows')} rows audited; target <code>{esc(str(ds.get('target')))}</code> "
        f"(positive = {esc(repr(ds.get('positive_label')))}); sensitive features: "
        f"{esc(', '.join(map(str, ds.get('sensitive_features', []))))}</p>",
    ]
    for step in steps:
        for name, table in step.tables.items():
            if len(table) > 60:
                continue
            parts.append(f"<h4>{esc(step.name)}: {esc(name)}</h4>")
            parts.append(table.to_html(escape=True, float_format=lambda x: f"{x:.4g}"))
    findings = doc.get("findings", [])
    if findings:
        parts.append("<h4>Findings</h4><ul>")
        for f in findings:
            parts.append(f"<li><b>{esc(f['severity'])}</b>: {esc(f['message'])}</li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "\n".join(parts)
