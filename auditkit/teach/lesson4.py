"""Lesson 4, explaining a model with SHAP: the bank's model, its SHAP values as a table, and the checkers.

The story continues lesson 1: the bank replaces its model by gradient-boosted trees that are given
every column of the Adult data, ``sex`` and ``race`` included. :func:`load_rows` gives a seeded
sample of the documented training rows to train it on and a seeded sample of the documented test
rows to audit; :func:`make_model` the untrained model. The lesson trains and audits it in the
notebook; :func:`lesson_audit` does the same once (cached), for the checkers' defaults and the tests.

SHAP values of this model are in **log-odds** of earning over $50K: a row's SHAP values plus
the base value add up to the model's log-odds for that row (additivity). Every checker takes the
audit the student works on (``result=``, default the lesson's) and computes its answer from it.

Examples
--------
>>> from auditkit.teach import lesson4
>>> training, audited = lesson4.load_rows()
>>> len(training), len(audited), audited.columns[-1]
(8000, 500, 'income')
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.exceptions import InputError
from auditkit.teach.checks import answer_near, check_number
from auditkit.teach.feedback import NOT_YET, Feedback
from auditkit.text import show

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from auditkit.result import AuditResult

FEATURES = ("age", "workclass", "education", "education_num", "marital_status", "occupation", "relationship", "race",
            "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country")
"""The model's inputs: every feature column of the Adult data, ``sex`` and ``race`` included."""
TARGET, POSITIVE_LABEL = "income", ">50K"
TRAINING_ROWS, AUDITED_ROWS, SEED = 8000, 500, 0
"""Rows sampled (seeded) from the documented training and test rows of Adult."""


@functools.cache
def _rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    from auditkit import datasets

    columns = [*FEATURES, TARGET]
    training = datasets.load("adult", split="train").frame.sample(TRAINING_ROWS, random_state=SEED)[columns]
    audited = datasets.load("adult", split="test").frame.sample(AUDITED_ROWS, random_state=SEED)[columns]
    return training, audited


def load_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(training, audited)``: seeded samples of Adult's documented training and test rows (fresh copies).

    Returns
    -------
    tuple of DataFrame
        8,000 training rows and 500 audited rows, each with the columns :data:`FEATURES` and
        ``income`` (``">50K"`` or ``"<=50K"``), indexed by their row in the Adult data.

    Examples
    --------
    >>> training, audited = load_rows()
    >>> sorted(audited["income"].unique()), bool(training.index.intersection(audited.index).empty)
    (['<=50K', '>50K'], True)
    """
    training, audited = _rows()
    return training.copy(), audited.copy()


def make_model() -> Pipeline:
    """The bank's model, not yet trained: categories one-hot encoded, then gradient-boosted trees.

    Examples
    --------
    >>> [name for name, _ in make_model().steps]
    ['columntransformer', 'histgradientboostingclassifier']
    """
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    categories = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex",
                  "native_country"]
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories),
                                     remainder="passthrough", verbose_feature_names_out=False)
    return make_pipeline(encode, HistGradientBoostingClassifier(max_iter=100, random_state=SEED))


@dataclass(frozen=True)
class LessonAudit:
    """The lesson's trained model, the rows it was trained on and audited on, and the audit.

    Examples
    --------
    >>> lesson = lesson_audit()
    >>> lesson.result.step("shap").payload["shap"]["output_space"]
    'log-odds'
    """

    training: pd.DataFrame
    audited: pd.DataFrame
    model: Any
    result: AuditResult


@functools.cache
def lesson_audit() -> LessonAudit:
    """The model and audit the notebook makes (trained and audited once, then cached).

    Examples
    --------
    >>> lesson_audit().result.table("shap", "gap_decomposition.sex")["group"].unique().tolist()
    ['Female']
    """
    import auditkit

    training, audited = load_rows()
    model = make_model().fit(training[list(FEATURES)], training[TARGET])
    result = auditkit.audit(data=audited, model=model, target=TARGET, positive_label=POSITIVE_LABEL,
                            sensitive=["sex"], steps=["performance", "shap"], data_name="Adult: 500 test rows",
                            progress=False)
    return LessonAudit(training, audited, model, result)


def shap_values(result: AuditResult | None = None) -> pd.DataFrame:
    """The SHAP values of an audit: one row per explained row (labelled as in the audited data), one column a feature.

    Whole-number row labels come back as integers (``audit.json`` stores them as text).

    Examples
    --------
    >>> values = shap_values()
    >>> values.shape, values.columns[:3].tolist()
    ((500, 13), ['age', 'workclass', 'education'])
    """
    result = _result(result)
    artifacts = result.step("shap").artifacts
    ids = artifacts["rows"]["row_id"].astype(str)
    index = pd.Index(ids.astype(int) if ids.str.fullmatch(r"-?\d+").all() else ids, name="row")
    return pd.DataFrame(artifacts["values"].to_numpy(), index=index, columns=artifacts["values"].columns)


def base_value(result: AuditResult | None = None) -> float:
    """The base value of an audit's SHAP values: where every row's explanation starts (log-odds here).

    Examples
    --------
    >>> round(base_value(), 2) == round(lesson_audit().result.step("shap").payload["shap"]["base_value"], 2)
    True
    """
    return float(_result(result).step("shap").payload["shap"]["base_value"])


def check_importance(answer: Any, feature: str = "age", *, result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the global importance of ``feature``: the mean absolute SHAP value over the explained rows?

    Examples
    --------
    >>> check_importance(0.0).status
    'not yet'
    """
    importance = _result(result).table("shap", "global_importance").set_index("feature")["mean_abs_shap"]
    _check_feature(feature, result)
    expected, rank = float(importance[feature]), importance.index.get_loc(feature) + 1
    title = f"Global importance of {feature}"
    hint = (f"Take the column {feature} of the SHAP values (one value per person), drop the signs with .abs(), "
            "then take the mean.")
    signed = float(shap_values(result)[feature].mean())
    if answer_near(answer, signed) and not answer_near(answer, expected):
        return Feedback(NOT_YET, "that is the mean of the SHAP values with their signs: the pushes up and down "
                        "cancel out. Importance is about size, whatever the direction.", hint, title)
    why = (f"on average the SHAP value of {feature} is {expected:.3f} log-odds away from zero: {_ranked(rank)} of "
           f"the {len(importance)} features.")
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def check_probability(answer: Any, row: Any, *, result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the probability of earning over $50K that the row's SHAP values add up to?

    The expected answer is ``1 / (1 + exp(-(base value + sum of the row's SHAP values)))``; by
    additivity it is the model's own probability for the row.

    Examples
    --------
    >>> row = shap_values().index[0]
    >>> check_probability(0.5, row).hint[:41]
    'Add the base value and all the SHAP value'
    """
    values = shap_values(result)
    if row not in values.index:
        raise InputError(f"row must be the label of an explained row (e.g. {show(values.index[0])}); got {show(row)}")
    base, total = base_value(result), float(values.loc[row].sum())
    log_odds = base + total
    expected = _logistic(log_odds)
    title = "Probability from the SHAP values"
    hint = ("Add the base value and all the SHAP values of the row: that gives the model's log-odds. Then turn "
            "log-odds into a probability: p = 1 / (1 + exp(-log_odds)).")
    if not answer_near(answer, expected):
        mistakes = [(log_odds, "that is the log-odds; turn it into a probability (a number between 0 and 1)."),
                    (_logistic(total), "the SHAP values alone leave out where the explanation starts: the base "
                                       "value."),
                    (1 - expected, "that is the probability of the other outcome (earning $50K or less).")]
        for value, message in mistakes:
            if answer_near(answer, value):
                return Feedback(NOT_YET, message, hint, title)
    side = "above" if expected >= 0.5 else "below"
    why = (f"base value {base:.3f} plus SHAP values {total:+.3f} gives {log_odds:.3f} log-odds, a probability of "
           f"{expected:.1%}: {side} one half, so the model says {'yes' if expected >= 0.5 else 'no'}.")
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def check_gap_part(answer: Any, feature: str = "marital_status", *, grouping: str = "sex", group: str = "Female",
                   result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the part of ``feature`` in the gap in mean log-odds between ``group`` and the reference group?

    The part is the mean SHAP value of ``feature`` over the explained rows of ``group`` minus its
    mean over the rows of the reference group (as the audit's ``gap_decomposition`` table has it).

    Examples
    --------
    >>> check_gap_part(...).status
    'no answer'
    """
    gap = _gap(result, grouping, group)
    parts = {c["feature"]: c["contribution"] for c in gap["contributions"]}
    _check_feature(feature, result)
    expected, reference = float(parts[feature]), gap["reference"]
    title = f"Part of {feature} in the gap"
    hint = (f"Average the SHAP values of {feature} over the rows of {grouping} {group} and over the rows of "
            f"{grouping} {reference} (each row's {grouping} is in the audited data), then subtract the second "
            "mean from the first.")
    if answer_near(answer, -expected) and not answer_near(answer, expected):
        return Feedback(NOT_YET, f"the size may be right, but the gap runs the other way: the mean for {group} "
                        f"minus the mean for {reference}.", hint, title)
    direction = "lower" if expected < 0 else "higher"
    why = (f"on average the SHAP value of {feature} is {abs(expected):.2f} log-odds {direction} for {grouping} "
           f"{group} than for {grouping} {reference}: {expected / gap['gap']:.0%} of the whole gap of "
           f"{gap['gap']:+.2f} log-odds.")
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def check_direct_share(answer: Any, *, grouping: str = "sex", group: str = "Female",
                       result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the share of the gap between ``group`` and the reference group that the column ``grouping``
    itself accounts for (its part divided by the whole gap)?

    Examples
    --------
    >>> check_direct_share(14).message
    '14 looks like a percentage; give the share as a number between 0 and 1.'
    """
    gap = _gap(result, grouping, group)
    parts = {c["feature"]: c["contribution"] for c in gap["contributions"]}
    if grouping not in parts:
        raise InputError(f"the column {grouping} is not an input of the model: it has no part in the gap")
    direct, whole = float(parts[grouping]), float(gap["gap"])
    expected = direct / whole
    title = f"Share of the gap through the column {grouping}"
    hint = (f"Take the part of the feature {grouping} in the gap (in the table above) and divide it by the whole gap "
            f"in mean log-odds between {grouping} {group} and {grouping} {gap['reference']}.")
    if not answer_near(answer, expected):
        if answer_near(answer, direct):
            return Feedback(NOT_YET, "that is the part itself, in log-odds; the share divides it by the whole gap.",
                            hint, title)
        if answer_near(answer, 1 - expected):
            return Feedback(NOT_YET, f"that is the share of every column but {grouping}.", hint, title)
    why = (f"the column {grouping} accounts for {direct:+.2f} of the {whole:+.2f} log-odds gap ({expected:.0%}); "
           f"the other {1 - expected:.0%} comes through the other columns.")
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def _result(result: AuditResult | None) -> AuditResult:
    return lesson_audit().result if result is None else result


def _check_feature(feature: str, result: AuditResult | None) -> None:
    features = _result(result).step("shap").artifacts["values"].columns
    if feature not in features:
        raise InputError(f"feature must be an input of the model ({', '.join(features)}); got {show(feature)}")


def _gap(result: AuditResult | None, grouping: str, group: str) -> dict:
    views = {v["sensitive_feature"]: v for v in _result(result).step("shap").payload["group_attributions"]}
    if grouping not in views:
        raise InputError(f"grouping must be a sensitive feature of the audit ({', '.join(views)}); "
                         f"got {show(grouping)}")
    gaps = {g["group"]: g for g in views[grouping]["gaps"]}
    if group not in gaps:
        raise InputError(f"group must be a group of {grouping} with a decomposed gap ({', '.join(gaps) or 'none'}); "
                         f"got {show(group)}")
    return gaps[group]


def _logistic(log_odds: float) -> float:
    return 1 / (1 + math.exp(-log_odds))


def _ranked(rank: int) -> str:
    """``"the most important"``, ``"the third most important"``, ``"the 7th most important"``."""
    words = {1: "", 2: "second ", 3: "third ", 4: "fourth ", 5: "fifth "}
    return f"the {words.get(rank, f'{rank}th ')}most important"
