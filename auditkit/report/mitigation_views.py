"""The mitigation section of a report: how the options were fitted and measured, and their numbers.

Everything is read from the ``mitigation`` section of ``audit.json``; the plot is
``result.plot.mitigation()`` (:mod:`auditkit.report.plots_mitigation`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditkit.report.html_tables import interval_text
from auditkit.report.html_tables import table_html as _table_html
from auditkit.report.summary import esc

__all__ = ["by_group_frame", "method_html", "mitigation_html", "options_frame"]

HEADLINE = (("accuracy", "accuracy"), ("balanced_accuracy", "balanced accuracy"),
            ("demographic_parity_difference", "demographic parity difference"),
            ("equalized_odds_difference", "equalized odds difference"))
RATES = (("selection_rate", "selection rate"), ("true_positive_rate", "true positive rate"),
         ("false_positive_rate", "false positive rate"))


def method_html(section: dict[str, Any]) -> str:
    """One paragraph: which feature, how the rows were split, where each method learnt.

    Examples
    --------
    >>> settings = {"sensitive_feature": "sex", "split": {"fitting_rows": 100, "evaluation_rows": 100,
    ...             "stratified_by": "outcome and group", "seed": 7}, "ci_level": 0.95, "n_boot": 200,
    ...             "reductions_trained_on": "reference model's training rows"}
    >>> print(method_html({"settings": settings}))  # doctest: +NORMALIZE_WHITESPACE
    <p>Mitigation for <b>sex</b>. The audited rows were split at random (seed 7, keeping the shares of each
    outcome and group) into 100 rows on which ThresholdOptimizer learnt its thresholds and 100 held-out rows on
    which every option is measured; ExponentiatedGradient trained on the reference model's training rows. The
    intervals are 95% paired bootstrap intervals (200 resamples). Measured on half the rows, the unmitigated
    model's numbers differ somewhat from the fairness section's.</p>
    """
    settings = section["settings"]
    split = settings["split"]
    kept = {"outcome and group": ", keeping the shares of each outcome and group",
            "outcome": ", keeping the share of each outcome"}.get(split["stratified_by"], "")
    level = (f" The intervals are {settings['ci_level']:.0%} paired bootstrap intervals ({settings['n_boot']:,} "
             "resamples)." if settings.get("n_boot") else "")
    reductions = settings.get("reductions_trained_on")
    trained = "" if not reductions else (f"; ExponentiatedGradient trained on the {reductions}"
                                         if reductions != "fitting part" else
                                         "; ExponentiatedGradient trained on the same rows, as did the estimator "
                                         "refitted without a constraint that it is compared with")
    return (f"<p>Mitigation for <b>{esc(settings['sensitive_feature'])}</b>. The audited rows were split at random "
            f"(seed {split['seed']}{kept}) into {split['fitting_rows']:,} rows on which ThresholdOptimizer learnt its "
            f"thresholds and {split['evaluation_rows']:,} held-out rows on which every option is measured{trained}."
            f"{level} Measured on {_share(settings)} the rows, the unmitigated model's numbers differ somewhat from "
            "the fairness section's.</p>")


def _share(settings: dict[str, Any]) -> str:
    share = settings.get("evaluation_share", 0.5)
    return "half" if share == 0.5 else f"{share:.0%} of"


def options_frame(section: dict[str, Any]) -> pd.DataFrame:
    """One row per evaluated option: accuracy and disparities with their intervals, and the change in accuracy.

    Examples
    --------
    >>> option = {"label": "Unmitigated", "status": "evaluated", "metrics": {"accuracy": 0.85},
    ...           "ci": {"accuracy": [0.84, 0.86]}}
    >>> row = options_frame({"options": [option]}).to_dict("records")[0]
    >>> row["option"], row["accuracy"], row["accuracy CI"]
    ('Unmitigated', 0.85, '0.840\\xa0to\\xa00.860')
    """
    rows = []
    for option in section.get("options", []):
        if option["status"] != "evaluated":
            continue
        row: dict[str, Any] = {"option": option["label"]}
        for key, words in HEADLINE:
            row[words] = option["metrics"].get(key)
            row[f"{words} CI"] = interval_text(*(option.get("ci", {}).get(key) or (None, None)))
        change = option.get("change", {}).get("accuracy")
        row["change in accuracy"] = change
        row["change CI"] = interval_text(*(option.get("change_ci", {}).get("accuracy") or (None, None)))
        rows.append(row)
    return pd.DataFrame.from_records(rows)


def by_group_frame(section: dict[str, Any]) -> pd.DataFrame:
    """One row per option and group: size and the rates with their intervals.

    Examples
    --------
    >>> row = {"option": "unmitigated", "group": {"sex": "f"}, "n": 40, "metrics": {"selection_rate": 0.2},
    ...        "ci": {"selection_rate": [0.1, 0.3]}}
    >>> section = {"options": [{"option": "unmitigated", "label": "Unmitigated"}], "by_group": [row]}
    >>> list(by_group_frame(section).to_dict("records")[0].values())[:5]
    ['Unmitigated', 'f', 40, 0.2, '0.100\\xa0to\\xa00.300']
    """
    labels = {o["option"]: o["label"] for o in section.get("options", [])}
    rows = []
    for row in section.get("by_group", []):
        record: dict[str, Any] = {"option": labels.get(row["option"], row["option"]),
                                  "group": ", ".join(str(v) for v in row["group"].values()), "n": row["n"]}
        for key, words in RATES:
            record[words] = row["metrics"].get(key)
            record[f"{words} CI"] = interval_text(*(row.get("ci", {}).get(key) or (None, None)))
        rows.append(record)
    return pd.DataFrame.from_records(rows)


def mitigation_html(doc: dict[str, Any]) -> str:
    """The method paragraph, the options table, the options not evaluated and why, and the rates by group.

    Examples
    --------
    >>> mitigation_html({"mitigation": {}})
    ''
    """
    section = doc.get("mitigation") or {}
    if not section.get("options"):
        return ""
    skipped = [o for o in section["options"] if o["status"] != "evaluated"]
    not_run = "".join(f"<li>{esc(o['label'])}: {esc(o['reason'])}</li>" for o in skipped)
    return (method_html(section) + _table_html(options_frame(section))
            + (f"<p>Not evaluated:</p><ul>{not_run}</ul>" if not_run else "")
            + f"<h3>Rates by {esc(section['settings']['sensitive_feature'])} under each option</h3>"
            + _table_html(by_group_frame(section)))
