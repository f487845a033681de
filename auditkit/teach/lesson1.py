"""Lesson 1, what bias is and how to measure it: the lesson's data and its exercise checkers.

The story: a bank offers a premium credit card to the customers a model predicts to earn more
than $50K a year. The model is a logistic regression trained on a seeded half of the bundled
Adult data, **without** the columns ``sex`` and ``race``; :func:`load_offers` returns the other
half with the model's decision (``offer``) and the truth (``high_income``). Every checker
computes its expected answer from that data, never from a number written down.

Examples
--------
>>> from auditkit.teach import lesson1
>>> offers = lesson1.load_offers()
>>> bool(offers[["offer", "high_income"]].isin([0, 1]).all().all())
True
>>> lesson1.check_selection_rate(offers.loc[offers["sex"] == "Male", "offer"].mean(), group="Male").status
'right'
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.stats.bootstrap import wilson_interval
from auditkit.teach.checks import check_choice, check_number
from auditkit.teach.feedback import NOT_YET, Feedback
from auditkit.text import show

LEFT_OUT = ("sex", "race")
"""Columns the bank's model is not given (it may still pick up what they say from other columns)."""
HELD_OUT_SHARE = 0.5
SEED = 0


@functools.cache
def _offers() -> pd.DataFrame:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from auditkit import datasets

    adult = datasets.load("adult")
    frame, target = adult.frame, adult.target_name
    inputs = [c for c in adult.feature_names if c not in LEFT_OUT]
    categories = [c for c in inputs if not pd.api.types.is_numeric_dtype(frame[c])]
    numbers = [c for c in inputs if c not in categories]
    train, held_out = train_test_split(frame, test_size=HELD_OUT_SHARE, random_state=SEED, stratify=frame[target])
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categories), (StandardScaler(), numbers)),
        LogisticRegression(max_iter=1000),
    ).fit(train[inputs], train[target])
    offers = held_out[list(adult.feature_names)].copy()
    offers["high_income"] = (held_out[target] == adult.positive_label).astype(int)
    offers["offer"] = (model.predict(held_out[inputs]) == adult.positive_label).astype(int)
    return offers.reset_index(drop=True)


def load_offers() -> pd.DataFrame:
    """The lesson's data: half of the Adult rows, each with the bank's decision and the truth.

    Returns
    -------
    DataFrame
        One row per customer (24,421 rows): the Adult feature columns (``sex`` and ``race``
        included, for the audit), ``high_income`` (1 when the income is over $50K: the truth)
        and ``offer`` (1 when the model offers the card: the decision). A fresh copy each call.

    Examples
    --------
    >>> offers = load_offers()
    >>> len(offers), sorted(offers["sex"].unique())
    (24421, ['Female', 'Male'])
    """
    return _offers().copy()


def check_selection_rate(answer: Any, group: str = "Female") -> Feedback:
    """Is ``answer`` the share of customers of sex ``group`` who get the offer?

    Examples
    --------
    >>> check_selection_rate(0.5).status
    'not yet'
    """
    rows = _rows_of("sex", group)
    rate = float(rows["offer"].mean())
    why = f"{int(rows['offer'].sum()):,} of the {len(rows):,} {_people(group)} get the offer: {rate:.1%}."
    hint = ("The selection rate of a group is the share of its rows with a positive decision: keep the rows of "
            "the group, then take the mean of the 0/1 column offer.")
    return check_number(answer, rate, why=why, hint=hint, exercise=f"Selection rate ({group})")


def check_selection_rate_ratio(answer: Any) -> Feedback:
    """Is ``answer`` women's selection rate divided by men's (the "disparate impact" ratio)?

    Examples
    --------
    >>> check_selection_rate_ratio(1.0).hint
    "Compute each group's selection rate, then divide women's by men's."
    """
    women, men = (float(_rows_of("sex", sex)["offer"].mean()) for sex in ("Female", "Male"))
    ratio = women / men
    title, hint = "Ratio of selection rates", "Compute each group's selection rate, then divide women's by men's."
    if _is_number(answer) and abs(float(answer) - 1 / ratio) <= 0.05:
        return Feedback(NOT_YET, "that is men's rate divided by women's; divide the other way round.", hint, title)
    verdict = "far below" if ratio < 0.7 else "below" if ratio < 0.8 else "above"
    why = (f"women are offered the card {ratio:.2f} times as often as men: {verdict} the 0.8 of the "
           f"\"four-fifths rule\" that US employment regulators use as a rule of thumb.")
    return check_number(answer, ratio, tol=0.01, why=why, hint=hint, exercise=title)


def check_true_positive_rate(answer: Any, group: str = "Female") -> Feedback:
    """Is ``answer`` the share of high earners of sex ``group`` who get the offer (the true positive rate)?

    Examples
    --------
    >>> check_true_positive_rate(...).status
    'no answer'
    """
    deserving = _rows_of("sex", group).query("high_income == 1")
    rate = float(deserving["offer"].mean())
    why = (f"of the {len(deserving):,} {_people(group)} who earn over $50K, {int(deserving['offer'].sum()):,} get "
           f"the offer: {rate:.1%}. The model misses the others.")
    hint = ("Keep only the rows of the group whose truth is positive (high_income == 1), then take the share of "
            "them that got the offer.")
    return check_number(answer, rate, why=why, hint=hint, exercise=f"True positive rate ({group})")


def check_least_certain_group(answer: Any) -> Feedback:
    """Is ``answer`` the race group whose selection rate has the widest 95% confidence interval?

    The expected group is found with Wilson score intervals of each group's selection rate,
    computed here from the data (the audit's bootstrap intervals rank the groups the same way).

    Examples
    --------
    >>> check_least_certain_group("White").status
    'not yet'
    """
    widths = interval_widths()
    widest = widths.index[0]
    row, largest = widths.iloc[0], widths.index[-1]
    why = (f"only {int(row['n']):,} customers are in the group {widest}: its interval is {row['width']:.1%} wide, "
           f"against {widths.loc[largest, 'width']:.1%} for {largest} ({int(widths.loc[largest, 'n']):,} rows). "
           "A small group's rate could be quite different in new data.")
    hint = ("Compare selection_rate_ci_high minus selection_rate_ci_low across the rows of the race table. "
            "Which groups have the fewest rows?")
    return check_choice(answer, widest, list(widths.index), why=why, hint=hint,
                        exercise="Least certain selection rate")


def interval_widths(column: str = "race") -> pd.DataFrame:
    """Width of the 95% Wilson interval of each group's selection rate, widest first.

    Examples
    --------
    >>> interval_widths("sex").columns.tolist()
    ['n', 'selection_rate', 'width']
    """
    counts = _offers().groupby(column, observed=True)["offer"].agg(["size", "sum"])
    low, high = wilson_interval(counts["sum"].to_numpy(), counts["size"].to_numpy())
    table = pd.DataFrame({"n": counts["size"], "selection_rate": counts["sum"] / counts["size"],
                          "width": high - low}, index=counts.index.astype(str))
    return table.sort_values("width", ascending=False)


def _rows_of(column: str, group: str) -> pd.DataFrame:
    offers = _offers()
    present = sorted(offers[column].astype(str).unique())
    if group not in present:
        raise InputError(f"group must be a value of {column} ({', '.join(present)}); got {show(group)}")
    return offers[offers[column] == group]


def _people(sex: str) -> str:
    return {"Female": "women", "Male": "men"}.get(sex, f"customers of sex {sex}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) and np.isfinite(value)
