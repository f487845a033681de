"""Views of an ``audit.json`` for notebooks and the HTML report.

Only formatting happens here: every number shown was computed by a step. Every string
that comes from data or models is HTML-escaped, and shown as plain text: in plots
(drawn by ``result.plot``, :mod:`auditkit.report.plots`) and in notebooks, whose front ends
would typeset ``$...$`` in HTML outputs as TeX (:func:`plain_html`). Plots are shown as
``<img>`` with alternative text (:func:`figure_html`).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.report import html_tables
from auditkit.report.card_metadata import model_kind, model_name
from auditkit.report.summary import NO_TEX, SEVERITY_COLOURS, SEVERITY_ORDER, esc
from auditkit.result import AuditResult, load_audit_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SCREEN_DPI = 100  # a figure inch is 100 px on screen: a 8-inch plot fits the report's ~960 px column
PRINT_SCALE = 1.5  # pixels in the PNG per pixel shown



def load(audit_dir: str | Path) -> dict[str, Any]:
    """Load ``audit_dir/audit.json``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(200, seed=0).frame.assign(decision=1)
    >>> spec = auditkit.AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                           steps=["performance"])
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> _ = auditkit.audit_to_dir(spec, out, report=False, progress=False)
    >>> load(out)["dataset"]["n_rows"]
    200
    """
    return load_audit_json(Path(audit_dir) / "audit.json")


def plain_html(fragment: str) -> str:
    """``fragment`` in a block that notebook front ends do not typeset: a ``$`` in data stays a dollar.

    Examples
    --------
    >>> plain_html("<p>costs $5</p>")
    "<div class='tex2jax_ignore mathjax_ignore'><p>costs $5</p></div>"
    """
    return f"<div class='{NO_TEX}'>{fragment}</div>"


def table_html(frame: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as escaped HTML that fits the page (see :mod:`auditkit.report.html_tables`).

    Floats are rounded to ``digits`` decimals, p-values shown as ``< 0.001``, wide tables split
    over several tables, long ones folded.

    Examples
    --------
    >>> import pandas as pd
    >>> print(table_html(pd.DataFrame({"rate": [0.12345]})))
    <div class='auditkit-table tex2jax_ignore mathjax_ignore'><table class="dataframe auditkit">
    <thead><tr><th>rate</th></tr></thead>
    <tbody>
    <tr><td>0.123</td></tr>
    </tbody></table></div>
    """
    return html_tables.table_html(frame, digits)


def header_html(doc: dict[str, Any]) -> str:
    """The report's header: what was audited, by name (the data, its rows, target and groups; the model).

    Hashes, versions, seed and times are in :func:`auditkit.report.context_views.provenance_html`; the
    model's and the data's details in :func:`auditkit.report.context_views.context_html`.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> "existing decisions in column <code>decision</code>" in header_html(doc)
    True
    """
    ds, prov = doc["dataset"], doc["provenance"]
    model = prov.get("model") or {}
    name, kind = model_name(doc), model_kind(doc)
    shown = f"<b>{esc(name)}</b>" + ("" if not kind or kind == name else f" ({esc(kind)})")
    excluded = f", without {esc(', '.join(model['excluded']))}" if model.get("excluded") else ""
    model_text = {
        "reference": f"reference model {shown} trained on a seeded split{excluded}; "
                     f"{esc(model.get('test_rows'))} held-out rows audited",
        "model": f"model {shown}",
        "predictions": f"existing decisions in column <code>{esc(ds['spec'].get('predictions'))}</code>",
    }[ds.get("mode", "reference")]
    rows = [
        ("Dataset", f"{esc(ds['name'])} — {esc(ds['n_rows'])} rows audited"),
        ("Target", f"<code>{esc(ds['target'])}</code>, positive outcome = {esc(repr(ds['positive_label']))}"),
        ("Sensitive features", esc(", ".join(ds["sensitive_features"]))),
        ("What is audited", model_text),
    ]
    cell = "style='text-align:left'"
    body = "".join(f"<tr><th {cell}>{k}</th><td {cell}>{v}</td></tr>" for k, v in rows)
    return f"<table class='auditkit-header {NO_TEX}'>{body}</table>"


def findings_html(doc: dict[str, Any]) -> str:
    """The audit's findings as an HTML list, most severe first.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> findings_html(doc).count("<li")
    9
    """
    rank = {severity: r for r, severity in enumerate(SEVERITY_ORDER)}
    findings = sorted(doc.get("findings", []), key=lambda f: rank.get(f["severity"], len(rank)))
    if not findings:
        return "<p>No findings.</p>"
    items = []
    for f in findings:
        colour = SEVERITY_COLOURS.get(f["severity"], "#000")
        items.append(
            f"<li><span style='color:{colour};font-weight:bold'>{esc(f['severity'].upper())}</span> "
            f"<small>[{esc(f['step'])}]</small> {esc(f['message'])}</li>"
        )
    return f"<ul class='auditkit-findings {NO_TEX}'>" + "".join(items) + "</ul>"


def performance_table(doc: dict[str, Any]) -> pd.DataFrame:
    """The overall performance metrics as a two-column table.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> performance_table(doc).head(3)
                   metric   value
    0                   n     300
    1      selection_rate  0.5000
    2  true_positive_rate  0.6708
    """
    overall = doc.get("performance", {}).get("overall", {})
    return pd.DataFrame({"metric": list(overall), "value": [format_number(v) for v in overall.values()]})


def format_number(value: Any, digits: int = 4) -> str:
    """Integers as integers, floats rounded, None as 'undefined'.

    Examples
    --------
    >>> format_number(3), format_number(0.123456), format_number(None), format_number(0.5, digits=2)
    ('3', '0.1235', 'undefined', '0.50')
    """
    if value is None:
        return "undefined"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 10):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def score_statistics_note(doc: dict[str, Any]) -> str:
    """One sentence on how the score metrics by group were computed, and the bound on their resamples ('' without).

    Examples
    --------
    >>> stats = {"method": "binned", "distinct_scores": 10000, "bins": 819, "auc_error_bound": 0.00049,
    ...          "brier_error_bound": 0.0003}
    >>> doc = {"fairness": {"settings": {"score_statistics": stats}}}
    >>> score_statistics_note(doc).split(": ")[1]
    'each resampled ROC AUC is within 0.00049 of the exact value for the same resample, the Brier score within 0.0003.'
    >>> exact = {"method": "exact", "distinct_scores": 11}
    >>> score_statistics_note({"fairness": {"settings": {"score_statistics": exact}}})
    'Score metrics by group and their intervals are exact (from the 11 distinct scores).'
    """
    stats = doc.get("fairness", {}).get("settings", {}).get("score_statistics")
    if not stats:
        return ""
    if stats.get("method") == "exact":
        return (f"Score metrics by group and their intervals are exact (from the {stats.get('distinct_scores', 0):,} "
                "distinct scores).")
    bounds = [f"{name} within {stats[key]:.2g}" for name, key in (
        ("ROC AUC is", "auc_error_bound"), ("the Brier score", "brier_error_bound"),
        ("calibration in the large", "calibration_error_bound")) if stats.get(key) is not None]
    where = f"in {stats.get('bins', 0):,} bins (of {stats.get('distinct_scores', 0):,} distinct scores)"
    if not bounds:
        return f"Score metrics by group are exact; their intervals would come from the scores {where}."
    return (f"Score metrics by group are exact; their intervals come from the scores {where}: each resampled "
            f"{bounds[0]} of the exact value for the same resample" + "".join(f", {b}" for b in bounds[1:]) + ".")


def by_group_frame(doc: dict[str, Any], features: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The ``fairness.by_group`` rows as one tidy frame (one row per group).

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> by_group_frame(doc, ("group",))[["group", "n", "selection_rate"]].round(3).values.tolist()
    [['group=A', 150, 0.373], ['group=B', 150, 0.627]]
    """
    records = []
    for row in doc.get("fairness", {}).get("by_group", []):
        keys = tuple(row["group"])
        if features is not None and keys != tuple(features):
            continue
        record = {"grouping": " × ".join(keys), "group": ", ".join(f"{k}={v}" for k, v in row["group"].items())}
        if "class" in row:
            record["class"] = row["class"]
        record.update({"n": row["n"], **row["metrics"], "small_group": row.get("small_group", False)})
        records.append(record)
    return pd.DataFrame.from_records(records)


def groupings_in(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    """The groupings (tuples of sensitive features) that ``fairness.by_group`` has rows for.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> groupings_in(doc)
    [('group',)]
    """
    seen: list[tuple[str, ...]] = []
    for row in doc.get("fairness", {}).get("by_group", []):
        keys = tuple(row["group"])
        if keys not in seen:
            seen.append(keys)
    return seen


def load_result(audit_dir: str | Path) -> AuditResult:
    """The audit saved in ``audit_dir`` (``audit.json`` and its artifacts), for ``result.plot``.

    Examples
    --------
    >>> import tempfile, auditkit
    >>> from auditkit.report.render import write_audit
    >>> result = auditkit.audit(data="german", sample=300, seed=1, steps=["fairness"])
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_audit(result, folder)
    >>> load_result(folder).table("fairness", "sex").equals(result.table("fairness", "sex"))
    True
    """
    return AuditResult.from_json(audit_dir)


def figure_html(fig: Figure, alt: str) -> str:
    """``fig`` as an ``<img>`` (embedded PNG) with alternative text ``alt``, in a block left untypeset.

    The PNG has :data:`PRINT_SCALE` times the pixels it is shown with, so that it prints sharp. A figure
    laid out by matplotlib's constrained layout (every figure of :mod:`auditkit.report.plots`) is saved
    whole: the layout has already fitted its text inside the canvas, with a small margin, so cropping to
    the drawn artists (``bbox_inches="tight"``: one more pass over every artist's extent) changes nothing
    but 0.06 inch of white border. Any other figure is cropped to what it draws.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 3))
    >>> html = figure_html(fig, 'Bars of "rates" by <group>')
    >>> html.split(" src=")[0]
    "<div class='tex2jax_ignore mathjax_ignore'><img alt='Bars of &quot;rates&quot; by &lt;group&gt;'"
    >>> "' width='" in html  # shown at 100 px per figure inch (bounding box tight), PNG 1.5 times as wide
    True
    """
    png = laid_out_png(fig) if laid_out(fig) else _png(fig, bbox_inches="tight")
    width = round(int.from_bytes(png[16:20], "big") / PRINT_SCALE)  # the PNG header's width, in pixels
    encoded = base64.b64encode(png).decode("ascii")
    return plain_html(f"<img alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{encoded}' "
                      f"width='{width}' style='max-width:100%;height:auto'/>")


def _png(fig: Figure, **options: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=SCREEN_DPI * PRINT_SCALE, **options)
    return buffer.getvalue()


def laid_out_png(fig: Figure) -> bytes:
    """The PNG of a figure laid out by its layout engine, drawn once: the same bytes as ``fig.savefig``, less CPU.

    matplotlib's ``savefig`` draws such a figure twice: a first pass with drawing switched off, only to
    run the layout, then the real one. Here the layout engine runs by itself at the PNG's resolution and is
    switched off for the real pass (as ``savefig`` does after its first pass); the figure gets its layout
    engine and resolution back afterwards. About a sixth of the report's figure drawing.

    Examples
    --------
    >>> import io, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    >>> _ = ax.set_title("rates"), ax.plot([0, 1], [0, 1], label="a"), ax.legend()
    >>> buffer = io.BytesIO()
    >>> fig.savefig(buffer, format="png", dpi=SCREEN_DPI * PRINT_SCALE)
    >>> laid_out_png(fig) == buffer.getvalue(), laid_out(fig), fig.dpi
    (True, True, 100.0)
    """
    engine, dpi = fig.get_layout_engine(), fig.dpi
    fig.set_dpi(SCREEN_DPI * PRINT_SCALE)
    try:
        engine.execute(fig)
        fig.set_layout_engine("none")
        return _png(fig)
    finally:
        fig.set_layout_engine(engine)
        fig.set_dpi(dpi)


def laid_out(fig: Figure) -> bool:
    """Whether matplotlib's constrained layout places ``fig``'s artists (it keeps them inside the canvas).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> laid_out(plt.figure(layout="constrained")), laid_out(plt.figure())
    (True, False)
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    return isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def plot_alt(fig: Figure, what: str) -> str:
    """Alternative text of a plot: what kind of plot, its title and axes (as drawn; a figure's own title first).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set(title="Rates by sex", ylabel="rate")
    >>> plot_alt(fig, "Bar chart")
    'Bar chart. Rates by sex. Vertical axis: rate.'
    """
    ax = fig.axes[0]
    parts = [what, (fig.get_suptitle() or ax.get_title()).replace("\n", " ")]
    parts += [f"{name} axis: {label}" for name, label in (("Horizontal", fig.get_supxlabel() or ax.get_xlabel()),
                                                           ("Vertical", fig.get_supylabel() or ax.get_ylabel()))
              if label]
    return ". ".join(p for p in parts if p) + "."


def show_figure(fig: Figure, what: str) -> None:
    """Display ``fig`` in a notebook as an image with alternative text (see :func:`plot_alt`).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set(title="Rates by sex")
    >>> show_figure(fig, "Bar chart")  # outside a notebook, IPython prints what it would show
    <IPython.core.display.HTML object>
    >>> plt.close(fig)
    """
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, plot_alt(fig, what))))
