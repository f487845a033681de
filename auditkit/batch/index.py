"""``summary.csv`` and ``index.html``, the batch's comparison page (offline, every value escaped).

For each dataset: the models side by side on key performance figures and on each fairness criterion's
worst difference between groups with its interval (a plot and a table), the ranking per criterion (ties
where intervals overlap), links to each audit's report; then the audits that failed, with their error.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import pandas as pd

from auditkit._version import __version__
from auditkit.batch.summary import KEY_PERFORMANCE, disparity_names, summary_frame
from auditkit.io.openness import openness_count, openness_rows
from auditkit.report.output_folder import atomic_path
from auditkit.report.summary import esc

if TYPE_CHECKING:
    from auditkit.batch.plan import BatchPlan

SUMMARY_FILE = "summary.csv"
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # characters of a URL kept as they are (percent-escapes too)
INDEX_FILE = "index.html"

PLOTTED_PERFORMANCE = ("accuracy", "balanced_accuracy", "roc_auc", "f1", "r2")
STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#212121}"
         "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
         "th,td{border:1px solid #bdbdbd;padding:4px 8px;text-align:left;vertical-align:top}"
         "th{background:#eeeeee}td.num{text-align:right;font-variant-numeric:tabular-nums}"
         ".failed{color:#b71c1c}.partial{color:#e65100}img{max-width:100%}"
         "td.released{color:#1b5e20}td.withheld{color:#b71c1c}td.unknown{color:#757575}")


def write_outputs(plan: BatchPlan, records: dict[str, dict[str, Any]], out: Path) -> pd.DataFrame:
    """Write ``summary.csv`` and ``index.html`` (each atomically) into ``out``; return the summary.

    Examples
    --------
    >>> import tempfile
    >>> from auditkit.batch.plan import BatchPlan
    >>> plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": "m.skops"}}, check_files=False)
    >>> out = Path(tempfile.mkdtemp())
    >>> summary = write_outputs(plan, {"m-g": {"status": "failed", "error": "no model", "seconds": 0.1}}, out)
    >>> sorted(p.name for p in out.iterdir()), summary.loc[0, "error"]
    (['index.html', 'summary.csv'], 'no model')
    """
    summary = summary_frame(plan, records, out)
    openness = {}
    for audit in plan.audits:
        openness.setdefault(audit.model, audit.model_info.get("openness"))
    with atomic_path(out / SUMMARY_FILE) as staged:
        summary.to_csv(staged, index=False)
    with atomic_path(out / INDEX_FILE) as staged:
        staged.write_text(index_html(summary, openness), encoding="utf-8")
    return summary


def index_html(summary: pd.DataFrame, openness: dict[str, dict | None] | None = None) -> str:
    """The comparison page of a batch's summary (see :func:`auditkit.batch.summary.summary_frame`).

    ``openness`` is each model's openness checklist (:func:`~auditkit.io.openness.checked_openness`),
    shown as a table of the Model Openness Framework's components when any model states one.

    Examples
    --------
    >>> frame = pd.DataFrame({"name": ["a-d", "b-d"], "model": ["a", "b"], "dataset": ["d", "d"],
    ...                       "status": ["ok", "failed"], "error": ["", "ValueError: <boom>"],
    ...                       "accuracy": [0.8, None]})
    >>> page = index_html(frame)
    >>> "ValueError: &lt;boom&gt;" in page, "<boom>" in page, page.count("<img ")
    (True, False, 1)
    """
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Batch audit: {len(summary)} "
             f"audits</title><style>{STYLE}</style></head><body>", f"<h1>Batch audit: {len(summary)} audits</h1>",
             f"<p>{esc(_status_counts(summary))}</p>"]
    for dataset, rows in summary.groupby("dataset", sort=False):
        parts.append(_dataset_section(str(dataset), rows))
    parts.append(openness_table(openness or {}))
    parts.append(_failures(summary))
    parts.append(f"<p><small>Made by auditkit {esc(__version__)}. Differences are the largest gap between "
                 "groups over every grouping, with the fairness step's interval; lower is fairer. A rank "
                 "counts the models clearly fairer (interval entirely below): models whose intervals "
                 "overlap share a rank.</small></p></body></html>")
    return "\n".join(parts)


def _status_counts(summary: pd.DataFrame) -> str:
    counts = summary["status"].value_counts()
    return ", ".join(f"{count} {status}" for status, count in counts.items())


def _dataset_section(dataset: str, rows: pd.DataFrame) -> str:
    done = rows[rows["status"].isin(["ok", "partial"])]
    parts = [f"<h2>Dataset {esc(dataset)}</h2>"]
    if done.empty:
        return parts[0] + "<p>No audit of this dataset completed.</p>"
    parts.append(_plot(dataset, done))
    parts.append(_comparison_table(done))
    return "\n".join(parts)


def _comparison_table(rows: pd.DataFrame) -> str:
    performance = [c for c in KEY_PERFORMANCE if c in rows.columns and rows[c].notna().any()]
    criteria = [c for c in disparity_names(rows) if rows[c].notna().any()]
    head = ["model", "status", *performance, *criteria, "policy", "top features", "report"]
    lines = ["<table><thead><tr>" + "".join(f"<th>{esc(_label(h))}</th>" for h in head) + "</tr></thead><tbody>"]
    for _, row in rows.iterrows():
        cells = [f"<td>{esc(row['model'])}</td>", f"<td class='{esc(row['status'])}'>{esc(row['status'])}</td>"]
        cells += [f"<td class='num'>{esc(_number(row[c]))}</td>" for c in performance]
        cells += [f"<td class='num'>{esc(_with_interval(row, c))}</td>" for c in criteria]
        cells += [f"<td>{esc(_text(row.get('policy')))}</td>", f"<td>{esc(_text(row.get('top_features')))}</td>",
                  _link(row)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join([*lines, "</tbody></table>"])


def _link(row: pd.Series) -> str:
    target = _text(row.get("report"))
    return f"<td><a href='{esc(quote(target))}'>{esc(row['name'])}</a></td>" if target else "<td></td>"


def _with_interval(row: pd.Series, name: str) -> str:
    if not _finite(row.get(name)):
        return "—"
    low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    interval = f" [{_number(low)}, {_number(high)}]" if _finite(low) and _finite(high) else ""
    rank = row.get(f"{name}_rank")
    ranked = f" (rank {int(rank)})" if _finite(rank) else ""
    return f"{_number(row[name])}{interval}{ranked} by {_text(row.get(f'{name}_grouping'))}"


def openness_table(openness: dict[str, dict | None]) -> str:
    """A table of the Model Openness Framework's components × the models: ✓ released, ✗ not, or unknown.

    Empty when no model states a checklist. A component's URL is a link when it is http(s), else text;
    its licence follows. Every value is escaped.

    Examples
    --------
    >>> from auditkit.io.openness import checked_openness
    >>> page = openness_table({"a": checked_openness({"model_card": "https://example.org/?a=1&b=<2>",
    ...                                                "datasets": False}), "b": None})
    >>> "href='https://example.org/?a=1&amp;b=%3C2%3E'" in page, "<2>" in page
    (True, False)
    >>> page.count("<td class='withheld'>✗</td>"), page.count("<td class='unknown'>unknown</td>")
    (1, 32)
    >>> openness_table({"a": None})
    ''
    """
    if not any(openness.values()):
        return ""
    models = list(openness)
    head = "".join(f"<th>{esc(model)}</th>" for model in models)
    lines = ["<h2>Openness of the models</h2>",
             "<p>What each model's producer releases, after the components of the Model Openness Framework "
             "(White et al. 2024, arXiv:2403.13784), as the plan states it: ✓ released, ✗ not released, unknown "
             "when the plan does not say. A checklist, not an MOF class (a class also needs open licences).</p>",
             f"<table><thead><tr><th>component</th><th>kind</th>{head}</tr></thead><tbody>"]
    by_model = {model: {row["component"]: row for row in openness_rows(openness[model])} for model in models}
    for row in openness_rows(None):
        cells = "".join(_openness_cell(by_model[model][row["component"]]) for model in models)
        lines.append(f"<tr><td>{esc(row['name'])}</td><td>{esc(row['kind'])}</td>{cells}</tr>")
    counts = "".join(f"<td>{esc(openness_count(openness[model]))}</td>" for model in models)
    lines += [f"<tr><th>released</th><td></td>{counts}</tr>", "</tbody></table>"]
    return "\n".join(lines)


def _openness_cell(row: dict[str, Any]) -> str:
    text = esc(row["symbol"])
    if row["url"]:
        url = str(row["url"])
        href = esc(quote(url, safe=URL_SAFE))
        text = (f"<a href='{href}' title='{href}'>{text}</a>" if urlsplit(url).scheme in ("http", "https")
                else f"{text} {esc(url)}")
    if row["licence"]:
        text += f" <small>{esc(row['licence'])}</small>"
    css = {True: "released", False: "withheld"}.get(row["released"], "unknown")
    return f"<td class='{css}'>{text}</td>"


def _failures(summary: pd.DataFrame) -> str:
    failed = summary[~summary["status"].isin(["ok"])]
    if failed.empty:
        return ""
    items = "".join(f"<li><b>{esc(row['name'])}</b> ({esc(row['status'])}): {esc(_text(row['error']))}</li>"
                    for _, row in failed.iterrows())
    return f"<h2>Audits that did not complete</h2><ul class='failed'>{items}</ul>"


def _plot(dataset: str, rows: pd.DataFrame) -> str:
    """Performance and each criterion's worst difference (with intervals), one colour per model, as an <img>."""
    from matplotlib.figure import Figure  # not pyplot: no global state, so the page may be drawn in any thread

    performance = [c for c in PLOTTED_PERFORMANCE if c in rows.columns and rows[c].notna().any()]
    criteria = [c for c in disparity_names(rows) if rows[c].notna().any()]
    fig = Figure(figsize=(12, 0.6 * len(rows) + 3.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    models = list(rows["model"].astype(str))
    width = 0.8 / max(len(models), 1)
    for i, (_, row) in enumerate(rows.iterrows()):
        offset = (i - (len(models) - 1) / 2) * width
        left.barh([j + offset for j in range(len(performance))],
                  [float(row[c]) if _finite(row[c]) else 0.0 for c in performance], height=width, label=models[i])
        values = [float(row[c]) if _finite(row[c]) else math.nan for c in criteria]
        lows = [v - float(row[f"{c}_ci_low"]) if _finite(row.get(f"{c}_ci_low")) else 0.0
                for v, c in zip(values, criteria, strict=True)]
        highs = [float(row[f"{c}_ci_high"]) - v if _finite(row.get(f"{c}_ci_high")) else 0.0
                 for v, c in zip(values, criteria, strict=True)]
        right.errorbar(values, [j + offset for j in range(len(criteria))], xerr=[lows, highs], fmt="o",
                       capsize=3, label=models[i])
    for ax, names, title, xlabel in ((left, performance, "Performance", "higher is better"),
                                     (right, criteria, "Worst difference between groups", "interval; lower is fairer")):
        ax.set_yticks(range(len(names)), [_label(n) for n in names])
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel(xlabel)
    right.axvline(0, color="#757575", linewidth=0.8)
    fig.legend(*left.get_legend_handles_labels(), title="model", loc="outside lower center",
               ncols=min(len(models), 6))
    alt = (f"Dataset {dataset}: models {', '.join(models)} compared on {', '.join(map(_label, performance))} "
           f"(bars) and on the worst difference between groups of {', '.join(map(_label, criteria))} "
           "(points with intervals)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{encoded}'>"


def _label(name: str) -> str:
    return str(name).replace("_", " ")


def _number(value: Any) -> str:
    return f"{float(value):.3f}" if _finite(value) else "—"


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _finite(value: Any) -> bool:
    try:
        return value is not None and value is not pd.NA and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
