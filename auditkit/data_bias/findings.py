"""Plain-language findings of the data-bias step, each with the numbers behind it."""

from __future__ import annotations

from itertools import groupby

import numpy as np

from auditkit.result import Finding
from auditkit.stats.significance import adjust_pvalues
from auditkit.text import number, p_value, show

STEP = "data_bias"
UNDER_REPRESENTED = 0.8  # share / reference share below this is under-representation
BASE_RATE_GAP = 0.05  # smallest gap in positive share (or class share) worth a finding
RELATIVE_MEAN_GAP = 0.10  # smallest relative gap in mean target (regression)
MISSING_GAP = 0.05  # smallest gap in missing-value rates worth a finding
MEDIUM_GAP = 0.10


def _fmt_ci(ci: list) -> str:
    return "undefined" if ci[0] is None else f"{number(ci[0])} to {number(ci[1])}"


def _group(group: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items())


def missing_sensitive_findings(representation: list[dict]) -> list[Finding]:
    """A low finding per sensitive feature with missing values: they form a group of their own.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from auditkit.data_bias.analysis import representation
    >>> from auditkit.stats.missing_group import sensitive_frame
    >>> sensitive = sensitive_frame(pd.DataFrame({"sex": ["f", None, "m", "m"]}), ["sex"])
    >>> rows, _ = representation(sensitive, [("sex",)], {}, 0, np.random.default_rng(0), 0.95)
    >>> [f.id for f in missing_sensitive_findings(rows)]
    ['data_bias.missing_sensitive.sex']
    """
    out = []
    for row in representation:
        if len(row["group"]) == 1 and row.get("missing_group") and row["n"] > 0:
            feature, label = next(iter(row["group"].items()))
            out.append(Finding(
                id=f"{STEP}.missing_sensitive.{feature}", step=STEP, severity="low",
                message=(f"{row['n']} rows ({row['share']:.1%}) have no recorded {feature}. They are kept as a "
                         f"separate group called '{label}' in every table, not dropped, and apart from any value "
                         "written in the data (a category 'missing' stays a group of its own); people with a "
                         "missing value may differ from the others."),
                evidence={"feature": feature, "label": label, "n": row["n"], "share": row["share"],
                          "share_ci": row["share_ci"]},
            ))
    return out


def representation_findings(representation: list[dict], tests: list[dict], alpha: float) -> list[Finding]:
    """A medium finding per feature whose groups fall short of the reference shares (significantly).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from auditkit.data_bias.analysis import representation
    >>> sensitive = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 80})
    >>> rows, tests = representation(sensitive, [("sex",)], {"sex": {"f": 0.5, "m": 0.5}}, 0,
    ...                              np.random.default_rng(0), 0.95)
    >>> [(f.id, f.severity) for f in representation_findings(rows, tests, 0.05)]
    [('data_bias.under_represented.sex', 'medium')]
    """
    out = []
    for test in tests:
        feature = test["feature"]
        under = [r for r in representation if r["grouping"] == feature and r.get("ratio_to_reference") is not None
                 and r["ratio_to_reference"] < UNDER_REPRESENTED]
        if not under or test["p_value"] >= alpha:
            continue
        listing = "; ".join(f"{_group(r['group'])}: {r['share']:.1%} of rows ({_fmt_ci(r['share_ci'])}) against "
                            f"{r['reference_share']:.1%} expected" for r in under)
        out.append(Finding(
            id=f"{STEP}.under_represented.{feature}", step=STEP, severity="medium",
            message=(f"Some {feature} groups are under-represented compared with the reference distribution: "
                     f"{listing}. Conclusions about them rest on fewer people than they should "
                     f"(goodness-of-fit p {p_value(test['p_value'])})."),
            evidence={"groups": under, "test": test},
        ))
    return out


def base_rate_findings(rows: list[dict], tests: list[dict], task: str, alpha: float) -> list[Finding]:
    """A finding per grouping whose recorded outcome differs between groups (Holm-adjusted).

    Examples
    --------
    >>> import numpy as np
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> from auditkit.data_bias.analysis import base_rates
    >>> frame = datasets.make_biased(400, base_rate_gap=0.3, seed=0).frame.assign(decision=1)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> rows, tests = base_rates(ctx, [("group",)], 30, 0, np.random.default_rng(0), 0.95)
    >>> [(f.id, f.severity) for f in base_rate_findings(rows, tests, "binary", 0.05)]
    [('data_bias.base_rate_gap.group', 'medium')]
    """
    adjusted = adjust_pvalues([t["p_value"] for t in tests], "holm")
    out = []
    for test, p_adj in zip(tests, adjusted, strict=True):
        if p_adj is None or p_adj >= alpha:
            continue
        mine = [r for r in rows if r["grouping"] == test["grouping"] and not r["small_group"]]
        finding = _base_rate_finding(test, mine, task, p_adj)
        if finding is not None:
            out.append(finding)
    return out


def _base_rate_finding(test: dict, rows: list[dict], task: str, p_adj: float) -> Finding | None:
    value = "mean_target" if task == "regression" else "base_rate"
    key = lambda r: str(r.get("class", ""))  # noqa: E731
    worst = None
    for _, items in groupby(sorted(rows, key=key), key=key):
        items = [r for r in items if r[value] is not None]
        if len(items) < 2:
            continue
        low, high = min(items, key=lambda r: r[value]), max(items, key=lambda r: r[value])
        gap = high[value] - low[value]
        size = gap / abs(high[value]) if task == "regression" and high[value] else gap
        if worst is None or size > worst[0]:
            worst = (size, gap, low, high)
    threshold = RELATIVE_MEAN_GAP if task == "regression" else BASE_RATE_GAP
    if worst is None or worst[0] < threshold:
        return None
    size, gap, low, high = worst
    what = {"binary": "share of positive outcomes", "multiclass": f"share of class {show(high.get('class'))}",
            "regression": "average outcome"}[task]
    return Finding(
        id=f"{STEP}.base_rate_gap.{test['grouping']}", step=STEP,
        severity="medium" if size >= MEDIUM_GAP * (2 if task == "regression" else 1) else "low",
        message=(f"The recorded outcome itself differs by {test['grouping']}: the {what} is {number(high[value])} for "
                 f"{_group(high['group'])} ({_fmt_ci(high['ci'])}) but {number(low[value])} for {_group(low['group'])} "
                 f"({_fmt_ci(low['ci'])}); adjusted p {p_value(p_adj)}. A model trained on these labels will tend to "
                 "reproduce the gap. Whether it reflects real differences or how the labels were recorded cannot "
                 "be told from the data alone."),
        evidence={"grouping": test["grouping"], "gap": gap, "highest": high, "lowest": low,
                  "test": test["test"], "p_value": test["p_value"], "p_adjusted": p_adj},
    )


def missingness_findings(tests: list[dict], alpha: float) -> list[Finding]:
    """A finding per column that is missing more often for some groups (significantly).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from auditkit.data_bias.analysis import missingness
    >>> frame = pd.DataFrame({"income": [None] * 30 + [1.0] * 70 + [2.0] * 100, "sex": ["f"] * 100 + ["m"] * 100})
    >>> _, tests = missingness(frame, frame[["sex"]], ["income"], 30, 0, np.random.default_rng(0), 0.95)
    >>> [(f.id, f.severity) for f in missingness_findings(tests, 0.05)]
    [('data_bias.missingness_gap.sex.income', 'medium')]
    """
    out = []
    for test in tests:
        gap = test["difference"]
        if test["p_adjusted"] is None or test["p_adjusted"] >= alpha or gap is None or gap < MISSING_GAP:
            continue
        high, low = test["highest"], test["lowest"]
        out.append(Finding(
            id=f"{STEP}.missingness_gap.{test['feature']}.{test['column']}", step=STEP,
            severity="medium" if gap >= MEDIUM_GAP else "low",
            message=(f"Column {test['column']} is missing more often for some {test['feature']} groups: "
                     f"{high['missing_rate']:.1%} of {high['group']} rows against {low['missing_rate']:.1%} of "
                     f"{low['group']} rows (adjusted p {p_value(test['p_adjusted'])}). Filling or dropping missing "
                     "values then affects these groups differently."),
            evidence=test,
        ))
    return out


def proxy_findings(rows: list[dict], threshold: float) -> list[Finding]:
    """A finding per sensitive feature with columns whose Cramér's V reaches ``threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> from auditkit import datasets
    >>> from auditkit.data_bias.analysis import proxies
    >>> frame = datasets.make_biased(400, proxy_strength=0.9, seed=0).frame
    >>> rows, _ = proxies(frame, frame[["group"]], ["proxy", "noise0"], 0, np.random.default_rng(0), 0.95)
    >>> [(f.id, f.severity, [p["feature"] for p in f.evidence["proxies"]]) for f in proxy_findings(rows, 0.3)]
    [('data_bias.proxies.group', 'high', ['proxy'])]
    """
    out = []
    flagged = [r for r in rows if r["cramers_v"] is not None and r["cramers_v"] >= threshold]
    key = lambda r: r["sensitive_feature"]  # noqa: E731
    for feature, items in groupby(sorted(flagged, key=key), key=key):
        items = sorted(items, key=lambda r: -r["cramers_v"])
        listing = "; ".join(
            f"{r['feature']} (Cramér's V {r['cramers_v']:.2f}, {_fmt_ci(r['cramers_v_ci'])}; alone it guesses "
            f"{feature} with balanced accuracy {r['balanced_accuracy']:.2f} against "
            f"{r['chance_balanced_accuracy']:.2f} by chance)" for r in items)
        strongest = float(np.max([r["cramers_v"] for r in items]))
        out.append(Finding(
            id=f"{STEP}.proxies.{feature}", step=STEP, severity="high" if strongest >= 0.5 else "medium",
            message=(f"{len(items)} column(s) carry information about {feature}, so a model can pick up {feature} "
                     f"through them even when {feature} itself is not an input: {listing}. A column that is "
                     f"{feature} under another name (V near 1) should be treated as {feature}."),
            evidence={"sensitive_feature": feature, "threshold": threshold, "proxies": items},
        ))
    return out
