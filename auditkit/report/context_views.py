"""The report's context and provenance sections, from ``audit.json``.

:func:`context_html` says what was audited and what the audit cannot say: the model (its name, kind,
hyper-parameters, training rows, hash), the data (rows, where they come from, the bundled datasheet's
summary and a link to it), the intended use and limitations the spec states (else marked prompts for
what only the model's authors know), and the limits of this audit. :func:`provenance_html` gives the
hashes, versions, seed and times, with a link to ``audit.json`` beside the report. Every string from
the data, the model or the spec is HTML-escaped; nothing is computed here.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from auditkit.io.data import describe_read
from auditkit.report.card_metadata import model_name
from auditkit.report.context_facts import (
    ASK_INTENDED_USE,
    ASK_LIMITATIONS,
    ASK_TRAINING_DATA,
    Datasheet,
    cannot_tell,
    datasheet,
    reference_training,
    rows_audited,
    spec_text,
)
from auditkit.report.summary import NO_TEX, esc

__all__ = ["AUDIT_JSON_LINK", "context_html", "provenance_html"]

AUDIT_JSON_LINK = "<a href='audit.json'>audit.json</a>"  # relative: the report is written beside it
_PROMPT_STYLE = "border-left:4px solid #ef6c00;background:#fff8e1;padding:4px 8px;margin:4px 0"
_CELL = "style='text-align:left;vertical-align:top'"
_INLINE_MARKDOWN = re.compile(r"`(?P<code>[^`]+)`|<(?P<url>https?://[^>\s]+)>")


def context_html(doc: dict[str, Any]) -> str:
    """The context of an audit: the model, the data, intended use and limitations, what the audit cannot tell.

    Parameters
    ----------
    doc : dict
        An ``audit.json`` document (:meth:`AuditResult.to_dict`, or :func:`auditkit.report.views.load`).

    Returns
    -------
    str
        Escaped HTML: four ``<h3>`` parts. What only the model's authors know and the spec does not
        state is a marked prompt (``class='auditkit-prompt'``, "Not stated — ...").

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="german", sample=200, steps=["performance"], progress=False,
    ...                      intended_use="Teaching <fairness> audits.").to_dict()
    >>> shown = context_html(doc)
    >>> "Teaching &lt;fairness&gt; audits." in shown, "DATASHEET.md" in shown, "auditkit-prompt" in shown
    (True, True, True)
    """
    parts = [_model_part(doc), _data_part(doc), _use_part(doc), _limits_part(doc)]
    return f"<div class='auditkit-context {NO_TEX}'>{''.join(parts)}</div>"


def provenance_html(doc: dict[str, Any]) -> str:
    """Where the audit's numbers come from: hashes, versions, seed, times, and a link to ``audit.json``.

    Examples
    --------
    >>> import auditkit
    >>> doc = auditkit.audit(data="german", sample=200, steps=["performance"], progress=False).to_dict()
    >>> shown = provenance_html(doc)
    >>> AUDIT_JSON_LINK in shown, doc["provenance"]["data_sha256"] in shown
    (True, True)
    """
    prov, dataset = doc.get("provenance", {}), doc.get("dataset", {})
    files = prov.get("data_files") or {}
    rows = [
        ("Audit record", f"{AUDIT_JSON_LINK}: every number in this report, the audit's settings "
                         "(<code>dataset.spec</code>) and this provenance"),
        ("Data sha256", _code(prov.get("data_sha256"))
         + (f" ({esc(describe_read(prov['data_format']))})" if prov.get("data_format") else "")),
        *([("Data files", "<br>".join(f"{esc(name)}: {_code(sha)}" for name, sha in files.items()))]
          if files else []),
        ("Model sha256", _model_hash(prov, dataset)),
        ("Steps run", esc(", ".join(str(s.get("name")) for s in doc.get("steps", []))) or "none"),
        ("Seed", esc(prov.get("seed"))),
        ("auditkit / Python", f"{esc(prov.get('auditkit_version'))} / {esc(prov.get('python'))}"),
        ("Packages", esc(", ".join(f"{k} {v}" for k, v in (prov.get("packages") or {}).items() if v))),
        ("Run", _run_times(prov.get("started"), prov.get("finished"))),
    ]
    return f"<div class='auditkit-provenance {NO_TEX}'>{_facts(rows)}</div>"


# ---- the model ----------------------------------------------------------------------------------------

def _model_part(doc: dict[str, Any]) -> str:
    dataset, prov = doc.get("dataset", {}), doc.get("provenance", {})
    mode, model = dataset.get("mode"), prov.get("model") or {}
    if mode == "predictions" or not model:
        return "<h3>The model</h3>" + _decisions_facts(doc)
    rows = [("Name", f"<b>{esc(model_name(doc))}</b>"),
            ("Estimator", _estimator(model)),
            ("Hyper-parameters", _hyperparameters(model)),
            ("Inputs", _inputs(model)),
            ("Training data", _training(doc, model)),
            ("Model sha256", _model_hash(prov, dataset))]
    scores = prov.get("scores")
    if scores:
        rows.append(("Scores", f"{esc(scores.get('kind'))} from {esc(scores.get('source'))}"))
    if mode == "reference":
        rows.insert(1, ("Developed by", "auditkit: a reference model trained for this audit to show what the data "
                                        "lead to, not a deployed model"))
    else:
        rows.insert(1, ("Developed by", _prompt("who developed the model, its version and date, and its licence")))
    return "<h3>The model</h3>" + _facts(rows)


def _decisions_facts(doc: dict[str, Any]) -> str:
    spec = doc.get("dataset", {}).get("spec") or {}
    scores = spec.get("scores")
    rows = [("Audited", f"existing decisions in column <code>{esc(spec.get('predictions'))}</code>"
                        + (f", with scores in column <code>{esc(scores)}</code>" if scores else "")
                        + "; no model was called"),
            ("Made by", _prompt("which model or process made these decisions, and on which data it was built",
                                who="the system's owners"))]
    return _facts(rows)


def _estimator(model: dict[str, Any]) -> str:
    """The model's class, and its final step's when it is a Pipeline (the name above says the kind in words)."""
    path, final = str(model.get("class")), model.get("final_estimator")
    if final and path.rsplit(".", 1)[-1] != final:
        return f"<code>{esc(path)}</code> whose final step is <code>{esc(final)}</code>"
    return f"<code>{esc(path)}</code>"


def _hyperparameters(model: dict[str, Any]) -> str:
    params = model.get("params") or {}
    if not params:
        return "not recorded (the final estimator has no <code>get_params</code>)"
    changed = [name for name in model.get("params_changed", []) if name in params]
    every = "".join(f"<tr><td {_CELL}><code>{esc(k)}</code></td><td {_CELL}>{esc(v)}</td></tr>"
                    for k, v in params.items())
    if "params_changed" not in model:
        lead = f"{len(params)} of the final estimator"
    elif changed:
        lead = ("set: " + ", ".join(f"<code>{esc(k)}={esc(params[k])}</code>" for k in changed)
                + f"; the other {len(params) - len(changed)} at their defaults")
    else:
        lead = f"all {len(params)} at their defaults"
    return (f"{lead}<details><summary>All {len(params)} (<code>get_params(deep=False)</code> of the final "
            f"estimator)</summary><table class='auditkit'>{every}</table></details>")


def _inputs(model: dict[str, Any]) -> str:
    features = [str(f) for f in model.get("features", [])]
    text = f"{len(features)} columns: " + ", ".join(f"<code>{esc(f)}</code>" for f in features)
    if model.get("excluded"):
        text += "; left out: " + ", ".join(f"<code>{esc(c)}</code>" for c in model["excluded"])
    return text


def _training(doc: dict[str, Any], model: dict[str, Any]) -> str:
    if doc.get("dataset", {}).get("mode") != "reference":
        return _prompt(ASK_TRAINING_DATA) + "<br>The audit did not see them."
    dataset, model = doc.get("dataset", {}), doc.get("provenance", {}).get("model") or {}
    return (f"{_count(model.get('train_rows'))} rows of {esc(dataset.get('name'))}, fitted by auditkit on "
            f"{esc(reference_training(doc))}")


def _model_hash(prov: dict[str, Any], dataset: dict[str, Any]) -> str:
    if prov.get("model_sha256"):
        method = f" ({esc(prov['model_sha256_method'])})" if prov.get("model_sha256_method") else ""
        return _code(prov["model_sha256"]) + method
    if dataset.get("mode") == "reference":
        return "none: trained in this audit (the same data, settings and seed train it again)"
    return "none: no model was called"


# ---- the data -----------------------------------------------------------------------------------------

def _data_part(doc: dict[str, Any]) -> str:
    dataset, prov = doc.get("dataset", {}), doc.get("provenance", {})
    read = describe_read(prov["data_format"]) if prov.get("data_format") else "unknown"
    files = ", ".join(esc(name) for name in (prov.get("data_files") or {}))
    rows = [("Name", f"<b>{esc(dataset.get('name'))}</b> ({esc(read)}{'; files ' + files if files else ''})"),
            ("Rows audited", esc(rows_audited(doc))),
            ("Target", f"<code>{esc(dataset.get('target'))}</code>, positive outcome "
                       f"<code>{esc(dataset.get('positive_label'))}</code>"),
            ("Sensitive features", ", ".join(f"<code>{esc(s)}</code>" for s in dataset.get("sensitive_features", []))
             or "none"),
            ("Data sha256", _code(prov.get("data_sha256")))]
    sheet = datasheet(doc)
    rows.append(("Datasheet", _datasheet(sheet) if sheet else _prompt(
        "where these rows come from, how they were collected and labelled, and where their datasheet is",
        who="the data's owners")))
    return "<h3>The data</h3>" + _facts(rows)


def _datasheet(sheet: Datasheet) -> str:
    link = f"<a href='{esc(sheet.path.as_uri())}'>{esc(sheet.dataset)}/DATASHEET.md</a>"
    summary = "".join(f"<tr><th {_CELL}>{_markdown(k)}</th><td {_CELL}>{_markdown(v)}</td></tr>"
                      for k, v in sheet.summary)
    caveats = ("<p>Known caveats it lists: " + "; ".join(_markdown(c) for c in sheet.caveats) + ".</p>"
               if sheet.caveats else "")
    return (f"<p>{esc(sheet.description)} The bundled datasheet, {link}, says how the data were collected, "
            "what they contain and their known biases.</p>"
            f"<details><summary>Its summary</summary><table class='auditkit'>{summary}</table></details>{caveats}")


def _markdown(text: str) -> str:
    """Inline Markdown of a datasheet as escaped HTML: code spans and ``<https://...>`` links; the rest as text."""
    out, last = [], 0
    for match in _INLINE_MARKDOWN.finditer(text):
        out.append(esc(text[last:match.start()]))
        if match["code"] is not None:
            out.append(f"<code>{esc(match['code'])}</code>")
        else:
            out.append(f"<a href='{esc(match['url'])}'>{esc(match['url'])}</a>")
        last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


# ---- use, limitations, limits ---------------------------------------------------------------------------

def _use_part(doc: dict[str, Any]) -> str:
    who = "the system's owners" if doc.get("dataset", {}).get("mode") == "predictions" else "the model's authors"
    use = spec_text(doc, "intended_use")
    limitations = spec_text(doc, "limitations")
    parts = ["<h3>Intended use and limitations</h3>", "<h4>Intended use</h4>",
             _paragraphs(use) if use else _prompt(ASK_INTENDED_USE, who=who)]
    if doc.get("dataset", {}).get("mode") == "reference":
        parts.append("<p>The audited model is a reference model auditkit trained to show what the data lead to; "
                     "it is not meant for decisions about people.</p>")
    parts += ["<h4>Limitations</h4>", _paragraphs(limitations) if limitations else _prompt(ASK_LIMITATIONS, who=who)]
    return "".join(parts)


def _limits_part(doc: dict[str, Any]) -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in cannot_tell(doc))
    return f"<h3>What this audit cannot tell</h3><ul class='auditkit-limits'>{items}</ul>"


def _paragraphs(text: str) -> str:
    """Free text as escaped paragraphs: a blank line starts a new one, a line break is kept."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return "".join("<p class='auditkit-stated'>" + "<br>".join(esc(line) for line in block.splitlines()) + "</p>"
                   for block in blocks)


def _prompt(ask: str, who: str = "the model's authors") -> str:
    return (f"<p class='auditkit-prompt' style='{_PROMPT_STYLE}'><b>Not stated</b> — {esc(who)} should say "
            f"{esc(ask)}.</p>")


# ---- small pieces ---------------------------------------------------------------------------------------

def _facts(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th {_CELL}>{esc(k)}</th><td {_CELL}>{v}</td></tr>" for k, v in rows)
    return f"<table class='auditkit-facts'>{body}</table>"


def _count(value: Any) -> str:
    """A count with thousands separators (``14,653``); anything else as escaped text."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else esc(value)


def _code(value: Any) -> str:
    return "—" if value is None else f"<code>{esc(value)}</code>"


def _run_times(started: Any, finished: Any) -> str:
    text = f"{esc(started)} → {esc(finished)}"
    try:
        seconds = (datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))).total_seconds()
    except ValueError:
        return text
    return f"{text} ({seconds:.0f} s)"
