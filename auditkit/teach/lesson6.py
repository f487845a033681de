"""Lesson 6, mitigation and its trade-offs: the lesson's audit and its exercise checkers.

The story continues lesson 1: a bank decides who gets an offer with a model that is not given
``sex`` or ``race`` (auditkit's reference model, trained without them). The ``mitigation`` step
tries fairlearn's ``ThresholdOptimizer`` for demographic parity and for equalized odds by sex,
and measures each option on held-out rows with the fairness step's metrics and intervals.
:data:`AUDIT` holds the audit's settings, which the lesson's notebook writes out in full.

Every checker reads its expected answer from the audit it is given (``result=``, default the
lesson's, run once per process by :func:`load_result`), never from a number written down.

Examples
--------
>>> from auditkit.teach import lesson6
>>> result = lesson6.load_result()
>>> result.table("mitigation", "options")["option"].tolist()
['unmitigated', 'threshold_optimizer.demographic_parity', 'threshold_optimizer.equalized_odds']
>>> lesson6.check_accuracy_cost(0.5).status
'not yet'
"""

from __future__ import annotations

import copy
import functools
import numbers
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.exceptions import InputError
from auditkit.teach.checks import check_choice, check_items, check_number, is_unanswered
from auditkit.teach.feedback import NOT_YET, Feedback
from auditkit.text import plain, show

if TYPE_CHECKING:
    from auditkit.result import AuditResult

AUDIT: dict[str, Any] = {"data": "adult", "exclude": ["sex", "race"], "sensitive": ["sex"], "steps": ["mitigation"],
                         "step_options": {"mitigation": {"methods": ["threshold_optimizer"]}}, "seed": 0}
"""The settings of the lesson's audit: ``auditkit.audit(**AUDIT)``."""
PARITY_OPTION = "threshold_optimizer.demographic_parity"
"""The option most exercises ask about."""
DISPARITIES = {"demographic_parity": "demographic_parity_difference", "equalized_odds": "equalized_odds_difference"}
LESS_OFTEN, MORE_OFTEN = "Female", "Male"
"""The groups of ``sex`` the unmitigated model selects less and more often (checked by :func:`check_levelling`)."""
LEVELLING = ("more women", "fewer men", "both", "neither")
"""The answers of the exercise "how does the option reach equal selection rates?"."""


@functools.cache
def _lesson_result() -> AuditResult:
    import auditkit

    return auditkit.audit(**copy.deepcopy(AUDIT), progress=False)


def load_result() -> AuditResult:
    """The lesson's audit, ``auditkit.audit(**AUDIT)``: run once per process (about 10 s), then kept.

    Examples
    --------
    >>> load_result().step("mitigation").payload["settings"]["sensitive_feature"]
    'sex'
    """
    return _lesson_result()


def options_table(result: AuditResult | None = None) -> pd.DataFrame:
    """The mitigation step's ``options`` table, indexed by option, with only the evaluated options.

    Examples
    --------
    >>> options_table().loc["unmitigated", "kind"]
    'none'
    """
    table = (load_result() if result is None else result).table("mitigation", "options")
    return table[table["status"] == "evaluated"].set_index("option")


def check_accuracy_cost(answer: Any, option: str = PARITY_OPTION, *, result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the accuracy ``option`` loses: the unmitigated model's accuracy minus the option's (a share)?

    Examples
    --------
    >>> check_accuracy_cost(...).status
    'no answer'
    """
    options = options_table(result)
    row = _option_row(options, option)
    before = float(options.loc[row["baseline"], "accuracy"])
    cost = before - float(row["accuracy"])
    title = "Cost in accuracy"
    hint = ("In the options table, subtract the option's accuracy from the unmitigated model's accuracy (both are "
            "shares of the held-out rows decided right).")
    if _is_number(answer) and abs(float(answer) + cost) <= 0.002 < abs(cost):
        return Feedback(NOT_YET, "that is the option's accuracy minus the unmitigated model's; a cost is what is "
                                 "lost, so subtract the other way round.", hint, title)
    low, high = (-100 * float(row[f"accuracy_change_ci_{end}"]) for end in ("high", "low"))
    why = (f"{row['label']} decides {float(row['accuracy']):.1%} of the held-out rows right, against {before:.1%} for "
           f"the unmitigated model: {100 * cost:.1f} points of accuracy (95% CI of the cost {low:.1f} to {high:.1f} "
           "points).")
    return check_number(answer, cost, tol=0.002, why=why, hint=hint, exercise=title)


def check_levelling(answer: Any, option: str = PARITY_OPTION, *, result: AuditResult | None = None) -> Feedback:
    """Does ``answer`` say how ``option`` changes the selection rates: "more women", "fewer men", "both" or "neither"?

    "more women" when only women's selection rate rises, "fewer men" when only men's falls,
    "both" when both happen, "neither" otherwise; read from the ``by_group`` table.

    Examples
    --------
    >>> check_levelling("maybe").message
    "'maybe' is not one of the options: 'more women', 'fewer men', 'both', 'neither'."
    """
    rates = selection_rates(result)
    label = options_table(result).loc[_known(option, rates.index), "label"]
    women_up = rates.loc[option, LESS_OFTEN] > rates.loc["unmitigated", LESS_OFTEN]
    men_down = rates.loc[option, MORE_OFTEN] < rates.loc["unmitigated", MORE_OFTEN]
    expected = {(True, True): "both", (True, False): "more women", (False, True): "fewer men"}.get(
        (bool(women_up), bool(men_down)), "neither")
    why = (f"under {label}, women's selection rate goes from {rates.loc['unmitigated', LESS_OFTEN]:.1%} to "
           f"{rates.loc[option, LESS_OFTEN]:.1%} and men's from {rates.loc['unmitigated', MORE_OFTEN]:.1%} to "
           f"{rates.loc[option, MORE_OFTEN]:.1%}.")
    hint = ("Compare each group's selection rate under the option with its rate under the unmitigated model "
            "(the table of selection rates by option and sex).")
    return check_choice(answer, expected, LEVELLING, why=why, hint=hint, exercise="Levelling")


def check_other_criterion(answer: Any, option: str = PARITY_OPTION, *,
                          result: AuditResult | None = None) -> Feedback:
    """Does ``answer`` ("larger" or "smaller") say how ``option`` changes the disparity of the criterion it ignores?

    ``option`` enforces one criterion (demographic parity or equalized odds); the answer is about
    the other one's difference, compared with the unmitigated model's.

    Examples
    --------
    >>> check_other_criterion("equal").message
    "'equal' is not one of the options: 'larger', 'smaller'."
    """
    options = options_table(result)
    row = _option_row(options, option)
    other = next(criterion for criterion in DISPARITIES if criterion != row["criterion"])
    name = DISPARITIES[other]
    before, after = float(options.loc[row["baseline"], name]), float(row[name])
    expected = "larger" if after > before else "smaller"
    words = other.replace("_", " ")
    why = (f"under {row['label']}, the {words} difference goes from {before:.2f} (unmitigated) to {after:.2f}: "
           "enforcing one criterion moves the groups on the other too, and not always closer.")
    hint = f"Compare the column {name} of the option's row with the unmitigated model's row in the options table."
    return check_choice(answer, expected, ["larger", "smaller"], why=why, hint=hint,
                        exercise="The other criterion")


def check_pareto_front(answer: Any, criterion: str = "equalized_odds", *,
                       result: AuditResult | None = None) -> Feedback:
    """Does ``answer`` name exactly the options on the Pareto front of accuracy against ``criterion``'s disparity?

    An option is on the front when no other option has at most its disparity and at least its
    accuracy (and is better in one of the two); read from the step's ``pareto_optimal`` column.

    Examples
    --------
    >>> check_pareto_front(["no such option"]).message.startswith("'no such option' is not one of the options")
    True
    """
    if criterion not in DISPARITIES:
        raise InputError(f"criterion must be one of {', '.join(DISPARITIES)}; got {show(criterion)}")
    options = options_table(result)
    name = DISPARITIES[criterion]
    front = [key for key, flags in options["pareto_optimal"].items() if name in flags.split(", ")]
    beaten = [key for key in options.index if key not in front]
    why = (f"{_listed(options, front)} {'is' if len(front) == 1 else 'are'} on the front"
           + (f"; {_listed(options, beaten)} {'is' if len(beaten) == 1 else 'are'} beaten: another option has at "
              "most the same disparity and at least the same accuracy." if beaten else
              ": no option is beaten by another on both accuracy and disparity."))
    hint = (f"Look at the {criterion.replace('_', ' ')} panel of the plot (or the columns accuracy and {name} of the "
            "options table): an option is off the front when another option is at least as accurate and at most as "
            "far apart. Use the names in the column option.")
    return check_items(answer, front, allowed=list(options.index), noun="option", why=why, hint=hint,
                       exercise=f"Pareto front ({criterion.replace('_', ' ')})")


def selection_rates(result: AuditResult | None = None) -> pd.DataFrame:
    """Selection rate of each group of ``sex`` under each evaluated option: one row per option, one column per group.

    Examples
    --------
    >>> selection_rates().columns.tolist()
    ['Female', 'Male']
    """
    by_group = (load_result() if result is None else result).table("mitigation", "by_group")
    rates = by_group.pivot(index="option", columns="sex", values="selection_rate")
    order = [key for key in options_table(result).index if key in rates.index]
    return rates.loc[order].rename_axis(columns=None)


def _option_row(options: pd.DataFrame, option: str) -> pd.Series:
    row = options.loc[_known(option, options.index)]
    if not isinstance(row["baseline"], str):
        raise InputError(f"option must be a mitigation, not a point of comparison; got {show(option)}")
    return row


def _known(option: str, known: pd.Index) -> str:
    if option not in known:
        raise InputError(f"option must be one of {', '.join(known)}; got {show(option)}")
    return option


def _listed(options: pd.DataFrame, keys: list[str]) -> str:
    labels = [str(options.loc[key, "label"]) for key in keys]
    return ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0] if labels else "no option"


def _is_number(value: Any) -> bool:
    value = plain(value)
    return not is_unanswered(value) and isinstance(value, numbers.Real) and not isinstance(value, bool)
