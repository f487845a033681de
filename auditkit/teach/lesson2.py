"""Lesson 2, the COMPAS debate: the data, ProPublica's published figures, the tables and the checkers.

ProPublica (Angwin et al., 2016) found that COMPAS's "Medium" or "High" risk label wrongly
flagged Black defendants who did not reoffend about twice as often as white ones; Northpointe
answered that a given score means the same risk of reoffending whatever the race. Both are
true of the same data: Chouldechova (2017) and Kleinberg, Mullainathan and Raghavan (2016)
showed that when base rates differ, a score cannot be calibrated within groups and have equal
error rates too (unless it predicts perfectly). This module gives the lesson its data and
the tables that show it; every checker computes its answer from the data.

Examples
--------
>>> from auditkit.teach import lesson2
>>> compas = lesson2.load_compas()
>>> sorted(compas["race"].unique()), len(compas)
(['African-American', 'Caucasian'], 6150)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.report.plots_base import axes_for, label_axes, legend_beside
from auditkit.stats.bootstrap import wilson_interval
from auditkit.teach.checks import check_choice, check_number
from auditkit.teach.feedback import Feedback
from auditkit.text import show

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult

RACES = ("African-American", "Caucasian")
"""The two groups ProPublica compared (6,150 of the 7,214 rows)."""
CUTOFF = 5
"""ProPublica's "high risk": a decile score of 5 or more (``score_text`` Medium or High)."""
COLUMNS = ["sex", "age", "race", "priors_count", "c_charge_degree", "decile_score", "score_text",
           "compas_high_risk", "two_year_recid"]
PUBLISHED = {
    ("false_positive_rate", "African-American"): 0.4485,
    ("false_positive_rate", "Caucasian"): 0.2345,
    ("false_negative_rate", "African-American"): 0.2799,
    ("false_negative_rate", "Caucasian"): 0.4772,
}
"""ProPublica's published error rates of the Medium/High label (Larson et al., 2016, "How we analyzed the
COMPAS recidivism algorithm": 44.85%, 23.45%, 27.99%, 47.72%)."""


def load_compas(filtered: bool = False) -> pd.DataFrame:
    """The COMPAS rows of African-American and Caucasian defendants, with the columns the lesson uses.

    Parameters
    ----------
    filtered : bool, default False
        Keep only the rows that pass ProPublica's analysis filter
        (:func:`auditkit.datasets.propublica_filter`: screening within 30 days of the arrest, ...).
        ProPublica's published error rates are those of all rows (``False``).

    Returns
    -------
    DataFrame
        ``sex``, ``age``, ``race``, ``priors_count``, ``c_charge_degree``, ``decile_score`` (1-10),
        ``score_text``, ``compas_high_risk`` (1 for a decile score of 5 or more) and
        ``two_year_recid`` (1 when re-arrested within two years: the outcome).

    Examples
    --------
    >>> len(load_compas(filtered=True))
    5278
    """
    from auditkit import datasets

    frame = datasets.load("compas").frame
    if filtered:
        frame = datasets.propublica_filter(frame)
    return frame.loc[frame["race"].isin(RACES), COLUMNS].reset_index(drop=True)


def compare_with_propublica(result: AuditResult) -> pd.DataFrame:
    """ProPublica's published error rates next to the audit's, with the audit's 95% intervals.

    Parameters
    ----------
    result : AuditResult
        An audit of ``compas_high_risk`` against ``two_year_recid`` with ``race`` as a sensitive feature.

    Returns
    -------
    DataFrame
        One row per rate and group: ``metric``, ``race``, ``published``, ``audit``,
        ``audit_ci_low``, ``audit_ci_high`` and ``difference`` (audit minus published).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data=load_compas(), predictions="compas_high_risk", target="two_year_recid",
    ...                         sensitive=["race"], steps=["fairness"], progress=False)
    >>> bool(compare_with_propublica(result)["difference"].abs().max() < 0.0001)
    True
    """
    table = result.table("fairness", "race").set_index("race")
    rows = []
    for (metric, race), published in PUBLISHED.items():
        if race not in table.index:
            raise InputError(f"the audit has no group race={race!r}; audit race with the rows of {', '.join(RACES)}")
        audited = table.loc[race]
        rows.append({"metric": metric, "race": race, "published": published, "audit": audited[metric],
                     "audit_ci_low": audited[f"{metric}_ci_low"], "audit_ci_high": audited[f"{metric}_ci_high"],
                     "difference": audited[metric] - published})
    return pd.DataFrame(rows)


def reoffence_by_score(data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of defendants re-arrested within two years, by decile score and race, with 95% Wilson intervals.

    If the score is calibrated within groups, the two races' shares are close at every score.

    Examples
    --------
    >>> table = reoffence_by_score()
    >>> table.columns.tolist()
    ['decile_score', 'race', 'n', 'reoffended', 'rate', 'ci_low', 'ci_high']
    """
    data = load_compas() if data is None else data
    counts = (data.groupby(["decile_score", "race"], observed=True)["two_year_recid"]
              .agg(n="size", reoffended="sum").reset_index())
    counts["rate"] = counts["reoffended"] / counts["n"]
    counts["ci_low"], counts["ci_high"] = wilson_interval(counts["reoffended"].to_numpy(), counts["n"].to_numpy())
    return counts


def plot_reoffence_by_score(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The table of :func:`reoffence_by_score` as one line per race, with interval bars.

    Examples
    --------
    >>> fig = plot_reoffence_by_score(reoffence_by_score())
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['African-American', 'Caucasian']
    """
    fig, ax = axes_for(ax, (6.5, 3.6))
    for offset, (race, rows) in zip((-0.08, 0.08), table.groupby("race", sort=True), strict=False):
        x = rows["decile_score"].to_numpy() + offset
        ax.errorbar(x, rows["rate"], yerr=[rows["rate"] - rows["ci_low"], rows["ci_high"] - rows["rate"]],
                    marker="o", capsize=2, linewidth=1.2, label=str(race))
    ax.set_xticks(range(1, 11))
    ax.set_ylim(0, 1)
    label_axes(ax, "Re-arrested within two years, by COMPAS decile score", "decile score",
               "share re-arrested (95% CI)")
    legend_beside(ax, "race")
    return fig


def error_rates_by_cutoff(data: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each race and cutoff 1-10 ("high risk" = decile score at or above it): the label's rates.

    Returns
    -------
    DataFrame
        ``race``, ``cutoff``, ``selection_rate``, ``false_positive_rate``, ``false_negative_rate``
        and ``precision`` (the share of those labelled high risk who were re-arrested).

    Examples
    --------
    >>> table = error_rates_by_cutoff()
    >>> row = table[(table["race"] == "Caucasian") & (table["cutoff"] == 5)].iloc[0]
    >>> round(float(row["false_positive_rate"]), 4), round(float(row["false_negative_rate"]), 4)
    (0.2345, 0.4772)
    """
    data = load_compas() if data is None else data
    rows = []
    for race, group in data.groupby("race", observed=True):
        outcome = group["two_year_recid"].to_numpy() == 1
        for cutoff in range(1, 11):
            flagged = group["decile_score"].to_numpy() >= cutoff
            rows.append({"race": race, "cutoff": cutoff, "selection_rate": flagged.mean(),
                         "false_positive_rate": flagged[~outcome].mean(),
                         "false_negative_rate": (~flagged[outcome]).mean(),
                         "precision": outcome[flagged].mean() if flagged.any() else np.nan})
    return pd.DataFrame(rows)


def implied_false_positive_rate(base_rate: float, precision: float, false_negative_rate: float) -> float:
    """The false positive rate that a base rate, a precision and a false negative rate leave possible.

    Chouldechova (2017, eq. 2.6): ``FPR = p / (1 - p) * (1 - PPV) / PPV * (1 - FNR)``, with ``p``
    the base rate and ``PPV`` the precision. It is an identity: if two groups have the same
    precision and the same false negative rate but different base rates, their false positive
    rates must differ.

    Examples
    --------
    >>> round(implied_false_positive_rate(0.5, 0.6, 0.3), 4)
    0.4667
    """
    return base_rate / (1 - base_rate) * (1 - precision) / precision * (1 - false_negative_rate)


def check_false_positive_rate(answer: Any, race: str = "African-American") -> Feedback:
    """Is ``answer`` the share of defendants of ``race`` who were not re-arrested but were labelled high risk?

    Examples
    --------
    >>> check_false_positive_rate(0.2).status
    'not yet'
    """
    flagged, innocent, rate = _share_labelled(race, re_arrested=0, high_risk=1)
    why = (f"{flagged:,} of the {innocent:,} {race} defendants who were not re-arrested had been labelled Medium or "
           f"High risk: {rate:.1%}.")
    hint = ("Keep the defendants of the group who were NOT re-arrested (two_year_recid == 0); the false positive "
            "rate is the share of them labelled high risk (compas_high_risk == 1).")
    return check_number(answer, rate, why=why, hint=hint, exercise=f"False positive rate ({race})")


def check_false_negative_rate(answer: Any, race: str = "Caucasian") -> Feedback:
    """Is ``answer`` the share of re-arrested defendants of ``race`` who had been labelled low risk?

    Examples
    --------
    >>> check_false_negative_rate("0.5").message
    "got the text '0.5'; give a number (without quotes)."
    """
    missed, rearrested, rate = _share_labelled(race, re_arrested=1, high_risk=0)
    why = (f"{missed:,} of the {rearrested:,} {race} defendants who were re-arrested had been labelled Low risk: "
           f"{rate:.1%}.")
    hint = ("Keep the defendants of the group who WERE re-arrested (two_year_recid == 1); the false negative rate "
            "is the share of them labelled low risk (compas_high_risk == 0).")
    return check_number(answer, rate, why=why, hint=hint, exercise=f"False negative rate ({race})")


def _share_labelled(race: str, *, re_arrested: int, high_risk: int) -> tuple[int, int, float]:
    """Of the defendants of ``race`` with ``two_year_recid == re_arrested``: how many have ``compas_high_risk ==
    high_risk``, how many there are, and the share."""
    rows = _rows_of(race)
    kept = rows.loc[rows["two_year_recid"] == re_arrested, "compas_high_risk"] == high_risk
    return int(kept.sum()), len(kept), float(kept.mean())


def check_implied_false_positive_rate(answer: Any, race: str = "Caucasian") -> Feedback:
    """Is ``answer`` the false positive rate that Chouldechova's identity gives from the group's other rates?

    Examples
    --------
    >>> check_implied_false_positive_rate(...).status
    'no answer'
    """
    rows = _rows_of(race)
    outcome, flagged = rows["two_year_recid"] == 1, rows["compas_high_risk"] == 1
    implied = implied_false_positive_rate(outcome.mean(), outcome[flagged].mean(), (~flagged[outcome]).mean())
    why = (f"p / (1 - p) * (1 - PPV) / PPV * (1 - FNR) = {implied:.4f}, exactly the false positive rate measured "
           f"for {race} defendants: the identity always holds.")
    hint = ("Take base_rate (p), precision (PPV) and false_negative_rate (FNR) of the group from the audit's race "
            "table and put them in p / (1 - p) * (1 - PPV) / PPV * (1 - FNR).")
    return check_number(answer, implied, tol=0.001, why=why, hint=hint,
                        exercise=f"Chouldechova's identity ({race})")


def check_equalising_cutoff(answer: Any) -> Feedback:
    """Is ``answer`` the cutoff for African-American defendants whose false positive rate is closest to
    the Caucasian defendants' at ProPublica's cutoff (5)?

    Examples
    --------
    >>> check_equalising_cutoff(5).status
    'not yet'
    """
    rates = error_rates_by_cutoff().set_index(["race", "cutoff"])
    target = rates.loc[("Caucasian", CUTOFF), "false_positive_rate"]
    gaps = (rates.loc["African-American", "false_positive_rate"] - target).abs()
    best = int(gaps.idxmin())
    chosen = rates.loc[("African-American", best)]
    why = (f"at cutoff {best}, {chosen['false_positive_rate']:.1%} of African-American defendants who were not "
           f"re-arrested are labelled high risk, against {target:.1%} of Caucasian ones at cutoff {CUTOFF}.")
    hint = ("In the table of error_rates_by_cutoff, find the Caucasian false_positive_rate at cutoff 5, then the "
            "African-American cutoff whose false_positive_rate is nearest to it.")
    return check_choice(answer, best, list(range(1, 11)), why=why, hint=hint, exercise="Equal false positive rates")


def check_what_breaks(answer: Any) -> Feedback:
    """Is ``answer`` the criterion that breaks when the false positive rates are equalised with two cutoffs?

    The options are ``"false negative rates"``, ``"precision"`` and ``"nothing"``; the expected
    one is the criterion whose gap between the races grows most, computed from the data.

    Examples
    --------
    >>> check_what_breaks("everything").message
    "'everything' is not one of the options: 'false negative rates', 'precision', 'nothing'."
    """
    rates = error_rates_by_cutoff().set_index(["race", "cutoff"])
    fpr = rates.loc["African-American", "false_positive_rate"]
    best = int((fpr - rates.loc[("Caucasian", CUTOFF), "false_positive_rate"]).abs().idxmin())
    reference = rates.loc[("Caucasian", CUTOFF)]
    before, after = rates.loc[("African-American", CUTOFF)], rates.loc[("African-American", best)]
    growth = {"false negative rates": abs(after["false_negative_rate"] - reference["false_negative_rate"])
              - abs(before["false_negative_rate"] - reference["false_negative_rate"]),
              "precision": abs(after["precision"] - reference["precision"])
              - abs(before["precision"] - reference["precision"])}
    broken = max(growth, key=growth.get) if max(growth.values()) > 0.02 else "nothing"
    why = (f"with cutoffs {best} and {CUTOFF}, a high-risk label means a {after['precision']:.0%} chance of "
           f"re-arrest for an African-American defendant and {reference['precision']:.0%} for a Caucasian one: "
           "the label no longer means the same thing for both groups (it was "
           f"{before['precision']:.0%} against {reference['precision']:.0%}).")
    hint = ("Compare, at the two cutoffs, each column of error_rates_by_cutoff between the races: which gap grew, "
            "which shrank?")
    return check_choice(answer, broken, ["false negative rates", "precision", "nothing"], why=why, hint=hint,
                        exercise="What equal error rates cost")


def _rows_of(race: str) -> pd.DataFrame:
    if race not in RACES:
        raise InputError(f"race must be one of {', '.join(RACES)}; got {show(race)}")
    data = load_compas()
    return data[data["race"] == race]
