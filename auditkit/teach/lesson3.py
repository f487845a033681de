"""Lesson 3, bias in the data: synthetic data whose bias is planted and known, and the lesson's checkers.

:func:`load_data` makes the lesson's data with :func:`auditkit.datasets.make_biased`: group B is
under-represented, fewer of its members truly have a positive outcome (a base-rate gap), some of
its true positives were recorded as negative (label bias), and one column (``proxy``) follows
group membership. Because the truth is known row by row (``Dataset.truth``), the audit's
estimates can be set next to it. Every checker takes the dataset the student works on
(``data=``, default the lesson's) and computes its answer from it.

Examples
--------
>>> from auditkit.teach import lesson3
>>> ds = lesson3.load_data()
>>> ds.ground_truth["group_sizes"]
{'A': 2800, 'B': 1200}
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditkit.teach.checks import check_choice, check_columns, check_number
from auditkit.teach.feedback import Feedback

if TYPE_CHECKING:
    from auditkit.datasets import Dataset
    from auditkit.result import AuditResult

SETTINGS: dict[str, Any] = {"n_samples": 4000, "base_rate_gap": 0.2, "label_bias": 0.4, "proxy_strength": 0.8,
                            "group_proportion": 0.3, "seed": 7}
"""The arguments of :func:`auditkit.datasets.make_biased` that make the lesson's data."""
PROXY_CORRELATION = 0.3
"""A column whose correlation with membership of a group is at least this (in size) counts as a proxy."""
MODELS: dict[str, tuple[str, ...]] = {"with group": (), "without group": ("group",),
                                      "without group and proxy": ("group", "proxy")}
"""The reference models compared in the lesson: their name and the columns left out of their inputs."""


def load_data(**changes: Any) -> Dataset:
    """The lesson's data: ``make_biased(**SETTINGS)``, with any setting changed by keyword.

    Examples
    --------
    >>> load_data(label_bias=0.0).ground_truth["n_labels_flipped"]
    0
    """
    from auditkit.datasets import make_biased

    return make_biased(**{**SETTINGS, **changes})


def held_out_decisions(data: Dataset | None = None, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """The rows an audit of ``data`` holds out, with its reference model's decisions and the planted truth.

    The reference model is the one ``auditkit.audit(data=data, exclude=exclude)`` trains and audits
    (same split, same seed), trained on the *recorded* labels without the columns in ``exclude``;
    it is trained once per dataset and ``exclude`` (a dataset is not changed after it is made).

    Returns
    -------
    DataFrame
        The held-out rows of ``data.frame``, with ``decision`` (the model's 0/1 decision),
        ``true_label`` and ``label_flipped`` (from ``data.truth``).

    Examples
    --------
    >>> rows = held_out_decisions(exclude=["group"])
    >>> len(rows), {"decision", "true_label", "label"} <= set(rows.columns)
    (1200, True)
    """
    data = load_data() if data is None else data
    known = _DECIDED.setdefault(data, {})
    if tuple(exclude) not in known:
        known[tuple(exclude)] = _decide(data, exclude)
    return known[tuple(exclude)].copy()


_DECIDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Decisions already made for a dataset (by columns left out): the checkers ask again for the lesson's models."""


def _decide(data: Dataset, exclude: Sequence[str]) -> pd.DataFrame:
    from auditkit import AuditSpec, build_context

    ctx = build_context(AuditSpec(data=data, exclude=list(exclude), steps=["performance"]))
    return ctx.frame.join(data.truth).assign(decision=ctx.y_pred.astype(int))


def truth_next_to_audit(result: AuditResult, data: Dataset | None = None) -> pd.DataFrame:
    """The audit's estimates (share of each group, base rate) next to the truth planted in ``data``.

    Parameters
    ----------
    result : AuditResult
        An audit of ``data`` that ran the ``data_bias`` step.
    data : Dataset, optional
        The audited data (default: the lesson's).

    Returns
    -------
    DataFrame
        One row per group: ``share_planted``, the audit's ``share`` with its interval
        (``share_ci_low``, ``share_ci_high``), ``base_rate_true`` (before label bias, all rows),
        ``base_rate_recorded`` (the labels, all rows) and the audit's ``base_rate`` with its interval.

    Examples
    --------
    >>> import auditkit
    >>> ds = load_data()
    >>> result = auditkit.audit(data=ds, steps=["data_bias"], progress=False)
    >>> truth_next_to_audit(result, ds).columns.tolist()[:3]
    ['share_planted', 'share', 'share_ci_low']
    """
    data = load_data() if data is None else data
    truth = data.ground_truth
    proportion_b = truth["params"]["group_proportion"]
    planted = {truth["privileged_group"]: 1 - proportion_b, truth["disadvantaged_group"]: proportion_b}
    shares = _by_group(result.table("data_bias", "representation"), ["share", "share_ci_low", "share_ci_high"])
    rates = _by_group(result.table("data_bias", "base_rates"), ["base_rate", "base_rate_ci_low", "base_rate_ci_high"])
    table = pd.DataFrame({"share_planted": pd.Series(planted)}).join(shares)
    table["base_rate_true"] = pd.Series(truth["base_rate_true"])
    table["base_rate_recorded"] = pd.Series(truth["base_rate_observed"])
    return table.join(rates).rename_axis("group")


def compare_models(data: Dataset | None = None, models: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Each reference model's decisions by group, judged against the recorded and against the true labels.

    Parameters
    ----------
    data : Dataset, optional
        Default: the lesson's.
    models : mapping of str to list of str, optional
        Name of each model and the columns left out of its inputs; default :data:`MODELS`.

    Returns
    -------
    DataFrame
        One row per model: ``left_out``; the selection rate of A and B and their gap
        (``selection_rate_gap``, A minus B); the gap in true base rates on the same rows
        (``true_base_rate_gap``), which a model that only followed the truth would show; the false
        positive and false negative rates of group B measured with the recorded labels and with the
        true ones (``..._recorded``, ``..._true``).

    Examples
    --------
    >>> table = compare_models()
    >>> table.index.tolist()
    ['with group', 'without group', 'without group and proxy']
    """
    data = load_data() if data is None else data
    rows = {}
    for name, left_out in (MODELS if models is None else models).items():
        decided = held_out_decisions(data, left_out)
        a, b = (decided[decided["group"] == g] for g in ("A", "B"))
        rows[name] = {
            "left_out": ", ".join(left_out) or "nothing",
            "selection_rate_A": a["decision"].mean(), "selection_rate_B": b["decision"].mean(),
            "selection_rate_gap": a["decision"].mean() - b["decision"].mean(),
            "true_base_rate_gap": a["true_label"].mean() - b["true_label"].mean(),
            "false_positive_rate_B_recorded": _false_alarm_rate(b, "label"),
            "false_positive_rate_B_true": _false_alarm_rate(b, "true_label"),
            "false_negative_rate_B_recorded": _miss_rate(b, "label"),
            "false_negative_rate_B_true": _miss_rate(b, "true_label"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def check_share_of_group(answer: Any, group: str = "B", *, data: Dataset | None = None) -> Feedback:
    """Is ``answer`` the share of the rows of ``data`` that belong to ``group``?

    Examples
    --------
    >>> check_share_of_group(30).message
    '30 looks like a percentage; give the share as a number between 0 and 1.'
    """
    data = load_data() if data is None else data
    share = float((data.frame["group"] == group).mean())
    why = f"{int((data.frame['group'] == group).sum()):,} of the {len(data.frame):,} rows are in group {group}."
    hint = "Compare the column group with the group's name, then take the mean of the True/False values."
    return check_number(answer, share, why=why, hint=hint, exercise=f"Share of group {group}")


def check_label_bias_rate(answer: Any, *, data: Dataset | None = None) -> Feedback:
    """Is ``answer`` the share of the truly positive members of B whose recorded label is 0?

    Examples
    --------
    >>> check_label_bias_rate(0.0).status
    'not yet'
    """
    data = load_data() if data is None else data
    rows = data.frame.join(data.truth)
    positives = rows[(rows["group"] == "B") & (rows["true_label"] == 1)]
    rate = float((positives["label"] == 0).mean())
    planted = data.ground_truth["params"]["label_bias"]
    why = (f"{int((positives['label'] == 0).sum()):,} of the {len(positives):,} members of B whose true label is 1 "
           f"were recorded as 0: {rate:.1%} (the data was made with label_bias={planted}). Nothing in the recorded "
           "data shows which ones.")
    hint = ("Join data.truth to data.frame, keep the rows of group B whose true_label is 1, and take the share of "
            "them whose recorded label is 0.")
    return check_number(answer, rate, why=why, hint=hint, exercise="Label bias")


def check_false_positive_rate_b(answer: Any, *, data: Dataset | None = None,
                                exclude: Sequence[str] = ("group", "proxy")) -> Feedback:
    """Is ``answer`` the false positive rate of group B, against the true labels, of the model without ``exclude``?

    Examples
    --------
    >>> check_false_positive_rate_b(...).status
    'no answer'
    """
    data = load_data() if data is None else data
    b = held_out_decisions(data, exclude).query("group == 'B'")
    rate, recorded = _false_alarm_rate(b, "true_label"), _false_alarm_rate(b, "label")
    why = (f"of the {int((b['true_label'] == 0).sum())} held-out members of B whose true label is 0, {rate:.1%} get "
           f"a positive decision; counted with the recorded labels it looks like {recorded:.1%}, because the "
           "truly positive members of B recorded as 0 count as false alarms when the model gets them right.")
    hint = ("In the held-out rows, keep group B and true_label == 0; the false positive rate is the share of them "
            "whose decision is 1.")
    return check_number(answer, rate, why=why, hint=hint, exercise="False alarms against the truth")


def check_proxies(answer: Any, *, data: Dataset | None = None) -> Feedback:
    """Does ``answer`` name exactly the columns (other than ``group``) that follow group membership?

    A column counts when its correlation with membership of group B is at least 0.3 in size.

    Examples
    --------
    >>> check_proxies(["x0"]).message
    "'x0' does not belong. 1 column is missing."
    """
    data = load_data() if data is None else data
    is_b = (data.frame["group"] == data.ground_truth["disadvantaged_group"]).astype(float)
    numeric = data.frame.drop(columns=["group", data.target_name]).select_dtypes("number")
    correlation = numeric.corrwith(is_b)
    proxies = correlation[correlation.abs() >= PROXY_CORRELATION].index.tolist()
    shown = ", ".join(f"{name} ({correlation[name]:.2f})" for name in proxies)
    why = f"correlation with membership of B: {shown}; every other column is below {PROXY_CORRELATION}."
    hint = ("Look at the audit's proxies table (data_bias step): which columns carry most information about "
            "group? Or correlate each column with (data.frame['group'] == 'B').")
    return check_columns(answer, proxies, columns=data.frame.columns, why=why, hint=hint, exercise="Proxies")


def check_unawareness(answer: Any, *, data: Dataset | None = None) -> Feedback:
    """Is ``answer`` (``"yes"`` or ``"no"``) right to the question "does leaving group out close the gap"?

    "Yes" when the selection-rate gap of the model trained without ``group`` is nearer the true
    base-rate gap than the gap of the model trained with it; computed with :func:`compare_models`.

    Examples
    --------
    >>> check_unawareness("maybe").status
    'not yet'
    """
    data = load_data() if data is None else data
    table = compare_models(data, {name: MODELS[name] for name in ("with group", "without group")})
    aware, unaware = table.loc["with group"], table.loc["without group"]
    closes = abs(unaware["selection_rate_gap"] - unaware["true_base_rate_gap"]) < abs(
        unaware["selection_rate_gap"] - aware["selection_rate_gap"])
    why = (f"without group the selection-rate gap is {unaware['selection_rate_gap']:.2f}, with it "
           f"{aware['selection_rate_gap']:.2f}, and the true base rates differ by {unaware['true_base_rate_gap']:.2f}"
           + (": leaving group out removed most of the excess." if closes else
              ": the model still finds group through proxy, and learns the label bias from it."))
    hint = ("Compare selection_rate_gap of the models with and without group to true_base_rate_gap in "
            "compare_models(ds): which is the unaware model's gap nearer to?")
    return check_choice(answer, "yes" if closes else "no", ["yes", "no"], why=why, hint=hint,
                        exercise="Fairness through unawareness")


def _by_group(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A data_bias table of the grouping ``group``, indexed by the group's value (``"group=B"`` -> ``"B"``)."""
    rows = table[table["grouping"] == "group"]
    return rows.set_index(rows["group"].str.removeprefix("group="))[columns]


def _false_alarm_rate(rows: pd.DataFrame, label: str) -> float:
    negatives = rows[rows[label] == 0]
    return float((negatives["decision"] == 1).mean()) if len(negatives) else float(np.nan)


def _miss_rate(rows: pd.DataFrame, label: str) -> float:
    positives = rows[rows[label] == 1]
    return float((positives["decision"] == 0).mean()) if len(positives) else float(np.nan)
