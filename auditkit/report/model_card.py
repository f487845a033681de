"""``model_card.md``: a model card (Mitchell et al., 2019) with Hugging Face YAML front matter, from an audit.

The card is rendered from the audit's ``audit.json`` document only (:meth:`AuditResult.to_dict`): every
number in it is a number of ``audit.json``, copied, never computed here. What the audit cannot know
(who made the model, what it is for, how it was trained when auditkit did not train it) is left as a
marked prompt for the model's authors (:data:`PROMPT_PREFIX`), unless the spec states it (``intended_use``,
``limitations``); the bundled datasheet and the audit's limits are those the report's context shows
(:mod:`auditkit.report.context_facts`). Text that comes from the data or the
model (group names, column names, parameters) is neutralised for Markdown: one line, no HTML, and
``|`` escaped inside tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import yaml

from auditkit.io.openness import COMPONENTS, openness_count, openness_rows
from auditkit.report.card_metadata import (
    BY_GROUP_METRICS,
    MISSING,
    disparities_shown,
    front_matter,
    gap_pair,
    group_label,
    grouping_name,
    is_number,
    model_kind,
    model_name,
    rates_shown,
)
from auditkit.report.context_facts import (
    ASK_INTENDED_USE,
    ASK_LIMITATIONS,
    ASK_TRAINING_DATA,
    cannot_tell,
    datasheet,
    reference_training,
    rows_audited,
    spec_text,
)

if TYPE_CHECKING:
    from auditkit.result import AuditResult

__all__ = ["MODEL_CARD_FILE", "PROMPT_PREFIX", "SECTIONS", "model_card"]

MODEL_CARD_FILE = "model_card.md"
PROMPT_PREFIX = "> _To be completed by the model's authors:"
# The sections of Mitchell et al. (2019), "Model Cards for Model Reporting", in their order.
SECTIONS = ("Model details", "Intended use", "Factors", "Metrics", "Evaluation data", "Training data",
            "Quantitative analyses", "Ethical considerations", "Caveats and recommendations")
_SHOWN_SEVERITIES = ("high", "medium")


def model_card(result: AuditResult) -> str:
    """The model card of an audit, as Markdown with YAML front matter.

    Parameters
    ----------
    result : AuditResult
        A finished audit (or one loaded with :meth:`AuditResult.from_json`).

    Returns
    -------
    str
        ``---`` YAML front matter ``---`` (``license``, ``tags``, ``datasets``, ``model-index``
        with the overall and by-group results), then the sections of :data:`SECTIONS`.

    Examples
    --------
    >>> import auditkit, yaml
    >>> result = auditkit.audit(data="german", seed=1, sample=300, steps=["performance"], progress=False)
    >>> card = model_card(result)
    >>> front = yaml.safe_load(card.split("---")[1])
    >>> front["model-index"][0]["results"][0]["metrics"][0]["type"]
    'selection_rate'
    >>> "## Intended use" in card and PROMPT_PREFIX in card
    True
    """
    doc = result.to_dict()
    # libyaml's dumper when PyYAML has it: the same text (tested), a fifth of the time
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    front = yaml.dump(front_matter(doc), Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000)
    sections = [_model_details(doc), _intended_use(doc), _factors(doc), _metrics(doc), _evaluation_data(doc),
                _training_data(doc), _quantitative_analyses(doc), _ethical_considerations(doc), _caveats(doc)]
    body = "\n\n".join(f"## {title}\n\n{text.strip()}" for title, text in zip(SECTIONS, sections, strict=True))
    return f"---\n{front}---\n\n# Model card: {_inline(model_name(doc))}\n\n{_intro(doc)}\n\n{body}\n"


# ---- text helpers -------------------------------------------------------------------------------------

def _inline(value: Any) -> str:
    """``value`` as one line of Markdown text: no line breaks, no HTML tags, no backticks."""
    text = MISSING if value is None else str(value)
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def _cell(value: Any) -> str:
    """``value`` for a Markdown table cell: one line, ``\\`` and ``|`` escaped."""
    return _inline(value).replace("\\", "\\\\").replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: Any) -> str:
    if not is_number(value):
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _with_ci(value: Any, ci: Any) -> str:
    low, high = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)
    if not is_number(value):
        return "—"
    if not (is_number(low) and is_number(high)):
        return _number(value)
    return f"{_number(value)} [{_number(low)}, {_number(high)}]"


def _prompt(text: str) -> str:
    return f"{PROMPT_PREFIX} {text}_"


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _paragraphs(text: str) -> str:
    """Free text of the spec as Markdown paragraphs (each one line, neutralised as :func:`_inline`)."""
    return "\n\n".join(_inline(block) for block in text.split("\n\n") if block.strip())


# ---- sections -----------------------------------------------------------------------------------------

def _intro(doc: dict[str, Any]) -> str:
    provenance = doc["provenance"]
    finished = f" finished {_inline(provenance['finished'])}" if provenance.get("finished") else ""
    return (f"Written by auditkit {_inline(provenance.get('auditkit_version'))} from the audit of "
            f"{_inline(doc['dataset'].get('name'))}{finished} "
            "(every number below is in `audit.json` beside this file). Lines marked "
            f"\"{PROMPT_PREFIX} ..._\" are for what only the model's authors know.")


_ORIGIN = (("format", "Format"), ("source", "Source"), ("licence", "Licence"), ("version", "Version"))


def _model_details(doc: dict[str, Any]) -> str:
    provenance, dataset = doc["provenance"], doc["dataset"]
    model = provenance.get("model") or {}
    mode = dataset.get("mode")
    facts = [f"**Name:** {_inline(model_name(doc))}", f"**Audit mode:** {_inline(mode)}"]
    if model:
        facts += [f"**Estimator:** {_inline(model_kind(doc))} ({_inline(model.get('class'))})",
                  f"**Input features ({len(model.get('features', []))}):** "
                  + ", ".join(_inline(f) for f in model.get("features", []))]
    facts += [f"**{label}:** {_inline(model[key])}" for key, label in _ORIGIN if model.get(key)]
    if mode == "reference":
        facts.append("**Developed by:** auditkit, as a reference model trained for this audit (not a deployed model)")
    if provenance.get("model_sha256"):
        facts.append(f"**Model sha256:** {_inline(provenance['model_sha256'])} "
                     f"({_inline(provenance.get('model_sha256_method'))})")
    scores = provenance.get("scores")
    if scores:
        facts.append(f"**Scores:** {_inline(scores.get('kind'))} from {_inline(scores.get('source'))}")
    facts.append(f"**Seed:** {_inline(provenance.get('seed'))}; audit finished {_inline(provenance.get('finished'))}")
    packages = provenance.get("packages", {})
    facts.append("**Versions:** " + ", ".join(
        [f"auditkit {_inline(provenance.get('auditkit_version'))}", f"Python {_inline(provenance.get('python'))}",
         *(f"{_inline(k)} {_inline(v)}" for k, v in packages.items())]))
    parts = [_bullets(facts)]
    if model.get("openness"):
        parts.append(_openness(model["openness"]))
    if model.get("params"):
        changed = set(model.get("params_changed", []))
        parts.append("Parameters of the final estimator (`get_params(deep=False)`"
                     + ("; * marks those set to other than their default" if "params_changed" in model else "")
                     + "):\n\n" + _table(["parameter", "value"], ((f"{k} *" if k in changed else k, str(v))
                                                                  for k, v in sorted(model["params"].items()))))
    if mode != "reference":
        parts.append(_prompt("who developed the model, its version and date, the model type and training "
                             "algorithm, the licence, a citation and where to send questions."))
    else:
        parts.append(_prompt("the licence and a contact for this card."))
    return "\n\n".join(parts)


def _openness(checklist: dict[str, Any]) -> str:
    """The components of the Model Openness Framework the audit was told about, as a table."""
    stated = [row for row in openness_rows(checklist) if row["released"] is not None]
    rows = ((row["name"], "yes" if row["released"] else "no", row["url"] or "", row["licence"] or "")
            for row in stated)
    return (f"Openness, after the components of the Model Openness Framework (White et al. 2024): "
            f"{openness_count(checklist)} components released, {len(COMPONENTS) - len(stated)} not stated "
            "(as given to the audit, not checked):\n\n" + _table(["component", "released", "where", "licence"], rows))


def _intended_use(doc: dict[str, Any]) -> str:
    use = spec_text(doc, "intended_use")
    parts = [_paragraphs(use) if use else _prompt(f"{ASK_INTENDED_USE}.")]
    if doc["dataset"].get("mode") == "reference":
        parts.append("The audited model is a reference model auditkit trained to show what the data lead to; "
                     "it is not meant for decisions about people.")
    return "\n\n".join(parts)


def _groupings(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    groupings: dict[str, list[dict[str, Any]]] = {}
    for row in doc.get("fairness", {}).get("by_group", []):
        groupings.setdefault(grouping_name(row["group"]), []).append(row)
    return groupings


def _factors(doc: dict[str, Any]) -> str:
    dataset = doc["dataset"]
    sensitive = ", ".join(_inline(s) for s in dataset.get("sensitive_features", [])) or "none"
    lines = [f"**Sensitive features audited:** {sensitive}."]
    groupings = _groupings(doc)
    if groupings:
        lines.append("**Groups evaluated** (each grouping, with the rows in each group):")
        lines.append(_bullets(
            f"{_inline(name)}: " + ", ".join(f"{_inline(group_label(r['group']))} (n={r['n']}"
                                             + (", small" if r.get("small_group") else "") + ")" for r in rows)
            for name, rows in groupings.items()))
        min_size = doc.get("fairness", {}).get("settings", {}).get("min_group_size")
        if min_size is not None:
            lines.append(f"A group marked small has fewer than {min_size} rows: its rates are shown, not compared.")
    else:
        lines.append("No fairness step ran: no group was evaluated.")
    lines.append(_prompt("other relevant factors (instrumentation, environment, groups not recorded in the "
                         "data) and why these sensitive features were chosen."))
    return "\n\n".join(lines)


def _metrics(doc: dict[str, Any]) -> str:
    settings = doc.get("fairness", {}).get("settings", {})
    overall = doc.get("performance", {}).get("overall", {})
    lines = []
    if overall:
        lines.append("**Performance (overall):** " + ", ".join(_inline(k) for k in overall if k != "n") + ".")
    if settings:
        lines.append("**By group:** " + ", ".join(_inline(m) for m in BY_GROUP_METRICS)
                     + "; disparities as differences and ratios between groups and to a reference group "
                     "(demographic parity, equalized odds, equal opportunity, predictive parity).")
        lines.append(f"**Uncertainty:** {_inline(settings.get('ci_level'))} intervals, "
                     f"{_inline(settings.get('ci_method'))}; {_inline(settings.get('n_boot'))} bootstrap "
                     f"resamples; significance level {_inline(settings.get('alpha'))} with "
                     f"{_inline(settings.get('correction'))} correction. A rate whose denominator has fewer "
                     f"than {_inline(settings.get('min_denominator'))} rows is left out of the headline "
                     "disparities.")
    if not lines:
        lines.append("This audit ran neither the performance nor the fairness step.")
    lines.append(_prompt("the decision threshold used in deployment and why these metrics matter for it."))
    return "\n\n".join(lines)


def _evaluation_data(doc: dict[str, Any]) -> str:
    provenance, dataset = doc["provenance"], doc["dataset"]
    facts = [f"**Dataset:** {_inline(dataset.get('name'))} "
             f"({_inline(provenance.get('data_format', {}).get('format'))})",
             f"**Rows audited:** {_inline(rows_audited(doc))}",
             f"**Target:** {_inline(dataset.get('target'))}, positive label {_inline(dataset.get('positive_label'))}",
             f"**Data sha256:** {_inline(provenance.get('data_sha256'))}"]
    facts += [f"**File {_inline(name)} sha256:** {_inline(sha)}"
              for name, sha in (provenance.get("data_files") or {}).items()]
    sheet = datasheet(doc)
    if sheet:
        facts.append(f"**Datasheet:** the bundled datasets/{sheet.dataset}/DATASHEET.md of auditkit "
                     f"(`auditkit.datasets.load('{sheet.dataset}').datasheet`: motivation, composition, collection, "
                     f"known biases). {_inline(sheet.description)}")
    parts = [_bullets(facts)]
    if not sheet:
        parts.append(_prompt("where the evaluation data come from, how they were collected and preprocessed, "
                             "and a link to their datasheet."))
    return "\n\n".join(parts)


def _training_data(doc: dict[str, Any]) -> str:
    provenance, dataset = doc["provenance"], doc["dataset"]
    if dataset.get("mode") == "reference":
        model = provenance.get("model") or {}
        text = (f"auditkit trained the reference model on {_inline(model.get('train_rows'))} rows of "
                f"{_inline(dataset.get('name'))}, {_inline(reference_training(doc))}.")
        excluded = model.get("excluded")
        if excluded:
            text += " Columns left out of its features: " + ", ".join(_inline(c) for c in excluded) + "."
        return text
    return _prompt(f"{ASK_TRAINING_DATA}; the audit did not see them.")


def _quantitative_analyses(doc: dict[str, Any]) -> str:
    parts = []
    overall = doc.get("performance", {}).get("overall", {})
    if overall:
        parts.append("### Overall\n\n" + _table(["metric", "value"],
                                                ((k, _number(v)) for k, v in overall.items() if is_number(v))))
    level = doc.get("fairness", {}).get("settings", {}).get("ci_level")
    for name, rows in _groupings(doc).items():
        metrics = [m for m in rates_shown(rows[0])]
        header = [name, "n", *metrics, "small group"]
        body = [[group_label(r["group"]), r["n"],
                 *(_with_ci(r["metrics"].get(m), (r.get("ci") or {}).get(m)) for m in metrics),
                 "yes" if r.get("small_group") else "no"] for r in rows]
        parts.append(f"### By {_inline(name)}\n\nValue [{_inline(level)} interval].\n\n" + _table(header, body))
    disparities = disparities_shown(doc)
    if disparities:
        body = [[d["grouping"], d["name"], d["method"].replace("_", " "), gap_pair(d),
                 _with_ci(d["value"], d.get("ci"))] for d in disparities]
        parts.append(f"### Disparities\n\nValue [{_inline(level)} interval] of the gap between the two groups "
                     "named, on the rate named.\n\n"
                     + _table(["grouping", "measure", "compared", "groups", "value [interval]"], body))
    elif doc.get("fairness"):
        parts.append("### Disparities\n\nNo disparity could be estimated: the groups, or the rows a rate rests "
                     "on, are too small (see the findings).")
    if not parts:
        parts.append("This audit ran neither the performance nor the fairness step.")
    return "\n\n".join(parts)


def _ethical_considerations(doc: dict[str, Any]) -> str:
    findings = [f for f in doc.get("findings", []) if f.get("severity") in _SHOWN_SEVERITIES]
    parts = []
    if findings:
        parts.append("Findings of the audit of high or medium severity:\n\n" + _bullets(
            f"**{f['severity']}** ({_inline(f['id'])}): {_inline(f['message'])}"
            for f in sorted(findings, key=lambda f: _SHOWN_SEVERITIES.index(f["severity"]))))
    else:
        parts.append("The audit made no finding of high or medium severity.")
    parts.append(_prompt("the sensitive data used, risks to people, mitigations, and use cases to avoid."))
    return "\n\n".join(parts)


def _caveats(doc: dict[str, Any]) -> str:
    limitations = spec_text(doc, "limitations")
    caveats = [_inline(line) for line in cannot_tell(doc)]
    errors = [f for f in doc.get("findings", []) if f.get("severity") == "error"]
    caveats += [f"Step {_inline(f['step'])} failed: {_inline(f['message'])}" for f in errors]
    parts = ["What this audit cannot tell:\n\n" + _bullets(caveats)]
    parts.append(_paragraphs(limitations) if limitations else _prompt(f"{ASK_LIMITATIONS}."))
    return "\n\n".join(parts)
