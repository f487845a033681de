"""What an audit's context says, as plain text from ``audit.json``: the datasheet, the prompts, the audit's limits.

Shared by the report's context section (:mod:`auditkit.report.context_views`) and the model card
(:mod:`auditkit.report.model_card`), so both say the same. Nothing here is escaped: the callers
escape for HTML or Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.datasets import dataset_names
from auditkit.datasets._loaders import data_root, read_metadata

__all__ = ["ASK_INTENDED_USE", "ASK_LIMITATIONS", "ASK_TRAINING_DATA", "Datasheet", "cannot_tell", "datasheet",
           "reference_training", "rows_audited", "spec_text", "steps_run"]

# What only the model's authors can say (the report and the card prompt for it when the spec does not).
ASK_INTENDED_USE = "what the model is for, who uses it, and which uses are out of scope"
ASK_LIMITATIONS = "the model's known limitations, and what those who use or deploy it should watch for"
ASK_TRAINING_DATA = ("which data trained the model (source, size, time period, preprocessing) and how they "
                     "differ from the audited rows")
_SUMMARY_ROW = re.compile(r"^\|\s*(?P<key>[^|]+?)\s*\|\s*(?P<value>.+?)\s*\|\s*$")
_CAVEAT = re.compile(r"^- \*\*(?P<title>.+?)\*\*")


@dataclass(frozen=True)
class Datasheet:
    """The datasheet of a bundled dataset: where it is and what its summary says (Markdown text).

    Attributes
    ----------
    dataset : str
        The bundled dataset's name (``"compas"``).
    path : Path
        The ``DATASHEET.md`` file of the installed package (or source checkout).
    description : str
        One line from the dataset's ``metadata.json``.
    summary : list of (str, str)
        The rows of the datasheet's "Summary" table, as written (inline Markdown).
    caveats : list of str
        The headline of each of the datasheet's "Known caveats".

    Examples
    --------
    >>> sheet = datasheet({"provenance": {"data_files": {"german.data": "3bb8b7f1d3d2a6a1b0c4e93e0c3b7d7f"}}})
    >>> sheet is None  # the files do not match the bundled ones
    True
    """

    dataset: str
    path: Path
    description: str
    summary: list[tuple[str, str]]
    caveats: list[str]


def datasheet(doc: dict[str, Any]) -> Datasheet | None:
    """The datasheet of the audited data, when they are a bundled dataset (None otherwise).

    The data are recognised by their files: ``provenance.data_files`` (file name to SHA-256) equal to
    those a bundled dataset's ``metadata.json`` records, whether the audit named it (``data="compas"``)
    or was given it loaded (``datasets.load("compas")``), whatever ``data_name`` says.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="german", sample=200, steps=["performance"], progress=False).to_dict()
    >>> sheet = datasheet(doc)
    >>> sheet.dataset, sheet.path.name, sheet.path.is_file(), dict(sheet.summary)["Rows"]
    ('german', 'DATASHEET.md', True, '1,000')
    """
    files = doc.get("provenance", {}).get("data_files") or {}
    if not files:
        return None
    for name in dataset_names():
        meta = read_metadata(name)
        if {file: info["sha256"] for file, info in meta["files"].items()} == files:
            path = data_root() / name / "DATASHEET.md"
            text = path.read_text(encoding="utf-8")
            return Datasheet(dataset=name, path=path, description=str(meta.get("description", "")),
                             summary=_summary_rows(text), caveats=_caveats(text))
    return None


def _section(text: str, title: str) -> list[str]:
    """The lines of the ``## title`` section of a Markdown text."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip() == title
            continue
        if inside:
            lines.append(line)
    return lines


def _summary_rows(text: str) -> list[tuple[str, str]]:
    rows = [_SUMMARY_ROW.match(line) for line in _section(text, "Summary")]
    return [(m["key"], m["value"]) for m in rows if m and m["key"].strip() and not set(m["key"]) <= {"-", " "}]


def _caveats(text: str) -> list[str]:
    found = [_CAVEAT.match(line) for line in _section(text, "Known caveats")]
    return [m["title"].rstrip(".") for m in found if m]


def spec_text(doc: dict[str, Any], setting: str) -> str | None:
    """A free-text setting of the audit's spec (``intended_use``, ``limitations``), None when not given.

    Examples
    --------
    >>> spec_text({"dataset": {"spec": {"intended_use": " Screening. "}}}, "intended_use")
    'Screening.'
    >>> spec_text({"dataset": {}}, "limitations") is None
    True
    """
    value = (doc.get("dataset", {}).get("spec") or {}).get(setting)
    return value.strip() if isinstance(value, str) and value.strip() else None


def steps_run(doc: dict[str, Any]) -> set[str]:
    """The names of the steps the audit ran (its ``steps`` index).

    Examples
    --------
    >>> sorted(steps_run({"steps": [{"name": "fairness"}, {"name": "shap"}]}))
    ['fairness', 'shap']
    """
    return {str(step.get("name")) for step in doc.get("steps", [])}


def rows_audited(doc: dict[str, Any]) -> str:
    """Which rows were audited and how they were chosen (``provenance.split``), after their number.

    Examples
    --------
    >>> split = {"split": "test", "description": "german's documented held-out split: 300 rows", "rows": 300,
    ...          "sample": 200, "rows_audited": 200}
    >>> rows_audited({"dataset": {"n_rows": 200}, "provenance": {"split": split}})
    "200 — german's documented held-out split: 300 rows; a seeded sample of 200 of its 300 rows"
    >>> rows_audited({"dataset": {"n_rows": 90, "mode": "reference", "spec": {}}, "provenance": {}})  # older audits
    "90 (held out from the reference model's training)"
    """
    dataset, split = doc.get("dataset", {}), doc.get("provenance", {}).get("split")
    text = _count(dataset.get("n_rows"))
    if not split:
        held_out = " (held out from the reference model's training)" if dataset.get("mode") == "reference" else ""
        sample = (dataset.get("spec") or {}).get("sample")
        return text + held_out + (f"; a seeded sample of {_count(sample)} rows was drawn first" if sample else "")
    text += f" — {split['description']}"
    if split.get("sample") and split.get("rows_audited", 0) < split.get("rows", 0):
        text += f"; a seeded sample of {_count(split['rows_audited'])} of its {_count(split['rows'])} rows"
    elif split.get("sample"):
        text += f"; all of its rows (sample {_count(split['sample'])} asked for at least as many)"
    return text


def reference_training(doc: dict[str, Any]) -> str:
    """Which split the reference model's training rows are part of, and the rows it was evaluated on.

    The caller says how many rows it was trained on first (``provenance.model.train_rows``).

    Examples
    --------
    >>> doc = {"dataset": {"name": "german", "mode": "reference"},
    ...        "provenance": {"model": {"train_rows": 700, "test_rows": 200}, "seed": 1,
    ...                       "split": {"made_by": "dataset", "rows": 300, "rows_audited": 200}}}
    >>> reference_training(doc)
    'the training part of its documented split; it was evaluated on a seeded sample of 200 of the other 300 rows'
    """
    dataset, prov = doc.get("dataset", {}), doc.get("provenance", {})
    model, split = prov.get("model") or {}, prov.get("split") or {}
    if split.get("made_by") == "dataset":
        how = "the training part of its documented split"
    else:
        test_size = (split.get("method") or {}).get("test_fraction", (dataset.get("spec") or {}).get("test_size"))
        how = f"a stratified split (test_size {test_size}, seed {prov.get('seed')})"
    audited, held_out = model.get("test_rows"), split.get("rows", model.get("test_rows"))
    if audited == held_out:
        return f"{how}; it was evaluated on the other {_count(audited)} rows"
    return f"{how}; it was evaluated on a seeded sample of {_count(audited)} of the other {_count(held_out)} rows"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def cannot_tell(doc: dict[str, Any]) -> list[str]:
    """What this audit cannot tell, one sentence each, chosen by what it ran and how.

    Examples
    --------
    >>> limits = cannot_tell({"dataset": {"mode": "predictions", "n_rows": 400, "sensitive_features": ["sex"]},
    ...                       "steps": [{"name": "fairness"}], "provenance": {}})
    >>> limits[0]
    'Label bias cannot be seen from the labels alone: ...'
    >>> any("SHAP" in line for line in limits)
    False
    """
    dataset, ran = doc.get("dataset", {}), steps_run(doc)
    mode = dataset.get("mode")
    model = doc.get("provenance", {}).get("model") or {}
    limits = []
    if ran & {"performance", "fairness", "data_bias"}:
        limits.append("Label bias cannot be seen from the labels alone: the audit compares decisions with the "
                      "recorded outcomes, and if those outcomes are themselves biased, a model can match them "
                      "equally well for every group and still be unfair.")
    if "fairness" in ran:
        sensitive = ", ".join(str(s) for s in dataset.get("sensitive_features", [])) or "the sensitive features"
        limits.append(f"Fairness was measured on the groups recorded in {sensitive} only: it says nothing about "
                      "groups the data do not record, nor about how any one person was treated.")
        limits.append("Intervals show how much a rate could move on other rows like these; a gap whose interval "
                      "includes 0 (1 for a ratio) is not evidence of a difference, and small groups are shown but "
                      "not compared.")
    limits.append(_population_limit(mode, dataset.get("n_rows")))
    if mode == "model" and (doc.get("provenance", {}).get("split") or {}).get("rows_in_training_part", 0) is None:
        limits.append("Whether the audited rows include rows the model was trained on cannot be known: a model "
                      "records neither its training rows nor a hash of them. Audit it on rows it has not seen.")
    if model.get("excluded"):
        limits.append("Leaving " + ", ".join(str(c) for c in model["excluded"]) + " out of the model's inputs does "
                      "not remove their influence: other features can stand in for them.")
    if "shap" in ran or "lime" in ran:
        limits.append("SHAP and LIME explain the model, not the world: a feature the model relies on is not "
                      "thereby a cause of the outcome, and a feature it ignores may still matter.")
    if mode == "predictions":
        limits.append("No model was called: the audit sees the decisions only, so it cannot explain them or say "
                      "how they would change with other inputs.")
    return limits


def _population_limit(mode: Any, n_rows: Any) -> str:
    if mode == "reference":
        return ("The audited rows are a held-out split of the same data the reference model was trained on: a "
                "population where it is used may differ (place, time, policy, who applies).")
    rows = f"{n_rows:,}" if isinstance(n_rows, int) and not isinstance(n_rows, bool) else n_rows
    return (f"The numbers describe the {rows} audited rows: a population where the "
            f"{'decisions are' if mode == 'predictions' else 'model is'} applied may differ (place, time, policy, "
            "who applies).")
