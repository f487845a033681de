"""Reading a saved audit: ``audit.json``, the index of its steps, and the artifacts beside it.

``audit.json`` merges the payloads of the steps that write the same section (``data_overview``
and ``data_bias`` both write ``data``). Its ``steps`` index says which keys of which section
each step wrote, how many findings it made and which artifacts it saved
(``artifacts/<step>__<name>.parquet``), so a loader can split the document back into steps.
Files written before the index existed are split by the keys the built-in steps write.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import DataReadError
from auditkit.report.output_folder import ARTIFACTS_DIR

SCHEMA_VERSION = "1"
# Section and payload keys of the built-in steps, for audit.json files without a ``steps`` index.
BUILT_IN_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "data_overview": ("data", ("overview",)),
    "data_bias": ("data", ("bias",)),
    "performance": ("performance", ("overall", "confusion_matrix")),
    "fairness": ("fairness", ("by_group", "disparities", "comparisons", "calibration", "settings",
                              "min_group_size")),
    "shap": ("explanations", ("global_importance", "shap", "group_attributions")),
    "lime": ("explanations", ("lime",)),
    "agreement": ("explanations", ("agreement",)),
    "policy": ("checks", ("policy", "results", "passed", "n_failed")),
}


def audit_file(path: str | Path) -> Path:
    """``path`` itself when it is a file, ``path/audit.json`` when it is a folder.

    Raises
    ------
    DataReadError
        When there is no such file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "audit.json").write_text("{}")
    >>> audit_file(folder) == audit_file(folder / "audit.json") == folder / "audit.json"
    True
    >>> audit_file(folder / "nothing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: cannot load the audit: .../nothing does not exist; expected an audit folder ...
    """
    path = Path(path)
    file = path / "audit.json" if path.is_dir() else path
    if not file.is_file():
        where = f"folder {path} has no audit.json" if path.is_dir() else f"{path} does not exist"
        raise DataReadError(f"cannot load the audit: {where}; expected an audit folder or its audit.json")
    return file


def load_audit_json(path: str | Path) -> dict[str, Any]:
    """Read an ``audit.json`` and check its schema version.

    Raises
    ------
    DataReadError
        The file is not JSON text, or its ``schema_version`` is not ``"1"``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "audit.json"
    >>> _ = file.write_text(json.dumps({"schema_version": "1", "findings": []}))
    >>> load_audit_json(file)
    {'schema_version': '1', 'findings': []}
    >>> _ = file.write_text(json.dumps({"schema_version": "0"}))
    >>> load_audit_json(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: .../audit.json: schema_version '0' is not supported (expected '1')
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataReadError(f"{path} is not an audit.json (not JSON text: {exc})") from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version != SCHEMA_VERSION:
        raise DataReadError(f"{path}: schema_version {version!r} is not supported (expected '1')")
    return doc


def artifact_file(step: str, name: str) -> str:
    """Where artifact ``name`` of ``step`` is saved, relative to the audit folder.

    Examples
    --------
    >>> artifact_file("shap", "values")
    'artifacts/shap__values.parquet'
    """
    return f"{ARTIFACTS_DIR}/{step}__{name}.parquet"


def read_artifacts(folder: Path, step: str, names: list[str]) -> dict[str, pd.DataFrame]:
    """The artifacts of ``step`` saved in ``folder`` (those whose files are missing are left out).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "artifacts").mkdir()
    >>> pd.DataFrame({"age": [0.5, -0.25]}).to_parquet(folder / artifact_file("shap", "values"))
    >>> artifacts = read_artifacts(folder, "shap", ["values", "interactions"])
    >>> list(artifacts), artifacts["values"]["age"].tolist()
    (['values'], [0.5, -0.25])
    """
    return {name: pd.read_parquet(folder / artifact_file(step, name)) for name in names
            if (folder / artifact_file(step, name)).is_file()}


def step_index(doc: dict[str, Any], folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(index, findings)``: one entry per step in the order they ran, and the findings in index order.

    Each entry has ``name``, ``section``, ``payload_keys``, ``n_findings`` and ``artifacts``.
    A document without a ``steps`` index (an older file) is split by the keys the built-in steps write.

    Examples
    --------
    >>> from pathlib import Path
    >>> doc = {"performance": {"overall": {"accuracy": 0.75}},
    ...        "findings": [{"step": "performance", "severity": "info", "message": "accuracy 0.75"}]}
    >>> index, findings = step_index(doc, Path("no-such-folder"))
    >>> index
    [{'name': 'performance', 'section': 'performance', 'payload_keys': ['overall'], 'artifacts': [], 'n_findings': 1}]
    >>> [f["message"] for f in findings]
    ['accuracy 0.75']
    """
    findings = list(doc.get("findings", []))
    if "steps" in doc:
        return doc["steps"], findings
    index = _inferred_index(doc, findings, folder)
    ordered = [f for entry in index for f in findings if f["step"] == entry["name"]]
    return index, ordered


def _inferred_index(doc: dict[str, Any], findings: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    """The index of an ``audit.json`` written without one: built-in steps by their keys, others by their findings."""
    made = {f["step"] for f in findings}
    saved = sorted((folder / ARTIFACTS_DIR).glob("*__*.parquet"))
    index = []
    for name, (section, keys) in BUILT_IN_KEYS.items():
        present = [k for k in keys if k in doc.get(section, {})]
        if present or name in made:
            failed = any(f["step"] == name and f["severity"] == "error" for f in findings)
            index.append({"name": name, "section": "checks" if failed and not present else section,
                          "payload_keys": present,
                          "artifacts": [p.stem.split("__", 1)[1] for p in saved if p.stem.split("__", 1)[0] == name]})
    index += [{"name": name, "section": "checks", "payload_keys": [], "artifacts": []}
              for name in dict.fromkeys(f["step"] for f in findings) if name not in BUILT_IN_KEYS]
    for entry in index:
        entry["n_findings"] = sum(f["step"] == entry["name"] for f in findings)
    return index


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON types; NaN/inf → None.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> to_jsonable({"n": np.int64(3), "rate": np.float32(0.5), "gap": np.nan, "flags": np.array([True, False]),
    ...              1: pd.NA, "when": pd.Timestamp("2024-01-02")})
    {'n': 3, 'rate': 0.5, 'gap': None, 'flags': [True, False], '1': None, 'when': '2024-01-02 00:00:00'}
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
