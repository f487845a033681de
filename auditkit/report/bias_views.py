"""Report views for the bias half of an audit (disparities, uncertainty, data bias, checks).

Only formatting: every number comes from ``audit.json``. The ``*_frame`` functions return
tidy DataFrames (tested on their own); :func:`show` displays them as escaped HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.report.bias_tables import SAME_GAP_NOTE, calibration_table, comparisons_html, disparities_html
from auditkit.report.figure_cache import plot_html
from auditkit.report.views import esc, groupings_in, plain_html, table_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

MAX_PROXY_ROWS = 15


def _group(group: dict | None) -> str:
    return "" if not group else ", ".join(f"{k}={v}" for k, v in group.items())


def _lo(ci: list | None) -> float | None:
    return None if not ci else ci[0]


def _hi(ci: list | None) -> float | None:
    return None if not ci else ci[1]


def _gap(record: dict) -> str:
    """The pair of groups whose signed gap the disparity's interval is about (older audits: empty)."""
    gap = record.get("gap")
    if not gap:
        return ""
    if gap["second"] is None:
        return f"{gap['metric']} of {_group(gap['first'])}"
    sign = " / " if record["measure"] == "ratio" else " − "
    return f"{gap['metric']}: {_group(gap['first'])}{sign}{_group(gap['second'])}"


def _left_out(record: dict) -> str:
    return "; ".join(f"{e['metric']} of {_group(e['group'])} (from {e['denominator']})"
                     for e in record.get("excluded", []))


def disparities_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Headline disparities with their intervals, one row per grouping, criterion, measure and method.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> disparities_frame(doc).columns.tolist()[:5]
    ['grouping', 'disparity', 'method', 'reference', 'groups compared']
    """
    rows = [{"grouping": d["grouping"], **({"class": d["class"]} if "class" in d else {}),
             "disparity": d["name"], "method": d["method"].replace("_", " "), "reference": _group(d["reference"]),
             "groups compared": d["n_groups_compared"], "value": d["value"], "ci lower": _lo(d["ci"]),
             "ci upper": _hi(d["ci"]), "interval of": _gap(d), "left out (too few rows)": _left_out(d)}
            for d in doc.get("fairness", {}).get("disparities", [])]
    return pd.DataFrame(rows)


def comparisons_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Each group against the reference group, with intervals and corrected p-values.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> comparisons_frame(doc).columns.tolist()[:5]
    ['grouping', 'metric', 'group', 'n', 'value']
    """
    rows = [{"grouping": c["grouping"], **({"class": c["class"]} if "class" in c else {}), "metric": c["metric"],
             "group": _group(c["group"]), "n": c["n"], "value": c["value"], "reference": _group(c["reference"]),
             "reference value": c["reference_value"], "difference": c["difference"],
             "diff. ci lower": _lo(c["difference_ci"]), "diff. ci upper": _hi(c["difference_ci"]),
             "ratio": c["ratio"], "test": c["test"], "p": c["p_value"], "adjusted p": c.get("p_adjusted"),
             "significant": c.get("significant")}
            for c in doc.get("fairness", {}).get("comparisons", [])]
    return pd.DataFrame(rows)


def calibration_frames(doc: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Calibration tables (observed positive rate against mean score, by score bin), per grouping.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> tables = calibration_frames(doc)
    >>> list(tables), tables["group"].columns.tolist()[:4]
    (['group'], ['group', 'bin_lower', 'bin_upper', 'n'])
    """
    return {name: pd.DataFrame(rows) for name, rows in doc.get("fairness", {}).get("calibration", {}).items()}


def _bias(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("data", {}).get("bias", {})


def representation_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Rows and share of rows of every group, against the reference shares where given.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> representation_frame(doc).iloc[:, :3].values.tolist()
    [['group', 'group=A', 150], ['group', 'group=B', 150]]
    """
    rows = [{"grouping": r["grouping"], "group": _group(r["group"]), "n": r["n"], "share": r["share"],
             "ci lower": _lo(r["share_ci"]), "ci upper": _hi(r["share_ci"]),
             **({"reference share": r["reference_share"], "ratio to reference": r["ratio_to_reference"]}
                if "reference_share" in r else {})}
            for r in _bias(doc).get("representation", [])]
    return pd.DataFrame(rows)


def base_rates_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The recorded outcome by group (positive share, class shares or mean), with intervals.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> base_rates_frame(doc).columns.tolist()[:4]
    ['grouping', 'group', 'n', 'base rate']
    """
    rows = []
    for r in _bias(doc).get("base_rates", []):
        value = "mean_target" if "mean_target" in r else "base_rate"
        rows.append({"grouping": r["grouping"], **({"class": r["class"]} if "class" in r else {}),
                     "group": _group(r["group"]), "n": r["n"], value.replace("_", " "): r[value],
                     "ci lower": _lo(r["ci"]), "ci upper": _hi(r["ci"]), "small group": r["small_group"]})
    return pd.DataFrame(rows)


def missingness_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per sensitive feature and column with missing values: the gap between groups and its test.

    Examples
    --------
    >>> import auditkit
    >>> frame = auditkit.datasets.make_biased(300, seed=0).frame.assign(decision=1)
    >>> frame.loc[frame.index[:60], "x1"] = None  # missing for 60 rows, mostly of one group
    >>> doc = auditkit.audit(data=frame, target="label", sensitive=["group"], predictions="decision",
    ...                      steps=["data_bias"], progress=False).to_dict()
    >>> missingness_frame(doc).columns.tolist()[:4]
    ['sensitive feature', 'column', 'highest', 'highest rate']
    """
    rows = [{"sensitive feature": t["feature"], "column": t["column"],
             "highest": None if t["highest"] is None else f"{t['highest']['group']}",
             "highest rate": None if t["highest"] is None else t["highest"]["missing_rate"],
             "lowest": None if t["lowest"] is None else f"{t['lowest']['group']}",
             "lowest rate": None if t["lowest"] is None else t["lowest"]["missing_rate"],
             "difference": t["difference"], "adjusted p": t["p_adjusted"]}
            for t in _bias(doc).get("missingness_tests", [])]
    return pd.DataFrame(rows)


def proxies_frame(doc: dict[str, Any], limit: int = MAX_PROXY_ROWS) -> pd.DataFrame:
    """The strongest proxies (Cramér's V with interval, mutual information, predictive power).

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> proxies_frame(doc, limit=2).iloc[:, :3].round(3).values.tolist()
    [['group', 'proxy', 0.82], ['group', 'x0', 0.184]]
    """
    rows = [{"sensitive feature": p["sensitive_feature"], "column": p["feature"], "Cramér's V": p["cramers_v"],
             "ci lower": _lo(p["cramers_v_ci"]), "ci upper": _hi(p["cramers_v_ci"]),
             "mutual information (bits)": p["mutual_information_bits"], "share of entropy": p["entropy_share"],
             "balanced accuracy": p["balanced_accuracy"], "chance": p["chance_balanced_accuracy"],
             "levels": p["n_levels"], "kind": p["kind"]}
            for p in _bias(doc).get("proxies", [])[:limit]]
    return pd.DataFrame(rows)


def checks_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The policy checks: threshold, observed value, interval and status of each.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> checks_frame(doc)[["check", "status"]].values.tolist()
    [['demographic_parity_ratio[group]', 'failed']]
    """
    rows = [{"check": c["name"], "status": c["status"], "severity": c["severity"],
             "threshold": ", ".join(f"{k} {v:g}" for k, v in c["threshold"].items()), "basis": c["basis"],
             "observed": c["observed"], "ci lower": _lo(c["ci"]), "ci upper": _hi(c["ci"]),
             "compared value": c["compared_value"]}
            for c in doc.get("checks", {}).get("results", [])]
    return pd.DataFrame(rows)


SECTIONS = (
    ("Policy checks", "Each threshold of the policy, checked on the audit's disparities. A check that cannot be "
     "evaluated does not pass.", checks_frame),
    ("Disparities", "One number per fairness criterion: the gap between the best- and worst-off groups "
     "(difference: max − min, ratio: min / max) and against the reference group, over groups with enough rows. "
     "A rate resting on too few rows of its own (e.g. a true positive rate from a handful of actual positives) "
     "is left out and named. The confidence interval is that of the signed gap between the two groups named "
     "under 'interval of' (the same interval as their comparison below), so it can reach below 0 (above 1 for "
     "a ratio): then the data do not show which group is better off. " + SAME_GAP_NOTE, disparities_frame),
    ("Each group against the reference", "Differences with bootstrap intervals and p-values corrected for the "
     "number of comparisons made. 'significant' means unlikely to be chance after that correction.",
     comparisons_frame),
    ("Representation", "How many rows each group has (and the expected share, when a reference distribution was "
     "given).", representation_frame),
    ("Outcome by group in the data", "The recorded outcome by group, before any model.", base_rates_frame),
    ("Missing values by group", "For each column with missing values: the groups where it is missing most and "
     "least often.", missingness_frame),
    ("Proxies of sensitive features", "Columns that reveal a sensitive feature, strongest first: Cramér's V "
     "(0 unrelated, 1 identical), mutual information, and how well the column alone guesses the sensitive "
     "value (balanced accuracy, against chance).", proxies_frame),
)


def show(doc: dict[str, Any], result: AuditResult | None = None) -> None:
    """Display the bias sections of ``doc`` in a notebook (nothing when the audit has none).

    With ``result`` (the same audit, e.g. :func:`auditkit.report.views.load_result`), the
    disparities and calibration are also drawn, by ``result.plot``.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> show(doc)  # outside a notebook, IPython prints what it would display
    <IPython.core.display.HTML object>
    """
    from IPython.display import HTML, display

    display(HTML(plain_html(bias_html(doc, result))))


def bias_html(doc: dict[str, Any], result: AuditResult | None = None) -> str:
    """The bias sections as one escaped HTML fragment (empty sections are left out), with plots given ``result``.

    Examples
    --------
    >>> from auditkit.examples import biased_audit
    >>> doc = biased_audit().to_dict()  # decisions and scores by group, with a demographic parity policy
    >>> html = bias_html(doc)
    >>> html.count("<table"), html.count("<details"), "Proxies" in html  # calibration: 20 rows, 10 folded
    (8, 1, True)
    """
    parts = []
    for title, prose, build in SECTIONS:
        frame = build(doc)
        if frame.empty:
            continue
        shown = _SHOWN.get(build)
        parts.append(f"<h3>{esc(title)}</h3><p>{esc(prose)}</p>" + (shown(doc) if shown else table_html(frame)))
        if build is disparities_frame and result is not None:
            parts.append(plot_html(result, "disparities", "Horizontal bar chart of the disparities between groups, "
                                   "with their confidence intervals"))
    parts += _calibration_parts(doc, result)
    return "\n".join(parts)


def _calibration_parts(doc: dict[str, Any], result: AuditResult | None) -> list[str]:
    """Per grouping: the reliability plot (given ``result``) and the calibration table, folded when long."""
    names = {" × ".join(g): g for g in groupings_in(doc)}
    level = f"{doc.get('fairness', {}).get('settings', {}).get('ci_level', 0.95):.0%} CI"
    parts = []
    for name, rows in doc.get("fairness", {}).get("calibration", {}).items():
        if not rows:
            continue
        parts.append(f"<h3>Calibration by {esc(name)}</h3><p>{esc(CALIBRATION_PROSE)}</p>")
        if result is not None and name in names:
            parts.append(plot_html(result, "calibration", calibration_alt, names[name]))
        parts.append(table_html(calibration_table(rows, level)))
    return parts


def calibration_alt(fig: Figure) -> str:
    """What a calibration figure is, for its alternative text: one plot, or one small plot per group.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> calibration_alt(fig)
    "Reliability plot, one line per group, with the diagonal of perfect calibration and each bin's interval"
    >>> plt.close(fig)
    """
    what = "Reliability plot, one line per group" if len(fig.axes) == 1 else \
        "Reliability plots, one small plot per group"
    return f"{what}, with the diagonal of perfect calibration and each bin's interval"


CALIBRATION_PROSE = ("Within each score bin, the share of rows that were actually positive against the average "
                     "score: for a well calibrated score they match in every group (the points lie on the diagonal). "
                     "The vertical lines are Wilson intervals of each bin's share: a bin of few rows is uncertain.")
_SHOWN = {disparities_frame: disparities_html, comparisons_frame: comparisons_html}
