"""Lesson 7, writing it up: the audit report, the model card, and what an auditor must say about uncertainty.

The lesson audits auditkit's reference model on the bundled German credit data (300 held-out
applicants: small groups, wide intervals) and writes the audit to a folder with its report and
model card; a second audit, of the COMPAS decisions by race and sex, has groups so small that
some rates are 0 or 1. :data:`AUDIT` and :data:`COMPAS_AUDIT` hold their settings; the lesson's
notebook writes them out in full.

Every checker reads its expected answer from the audit it is given (``result=``, default the
lesson's, run once per process by :func:`load_result` or :func:`load_compas_result`), never from a
number written down.

Examples
--------
>>> from auditkit.teach import lesson7
>>> claims = lesson7.claims()
>>> claims.index.tolist()
['A', 'B', 'C', 'D', 'E']
>>> lesson7.check_supported_claims(["A", "B", "C", "D", "E"]).status
'not yet'
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditkit.exceptions import InputError
from auditkit.report.scorecard import DEFAULT_MAX_DIFFERENCE, STATUSES, scorecard_rows
from auditkit.teach.checks import check_choice, check_items, check_number
from auditkit.teach.feedback import Feedback
from auditkit.text import show

if TYPE_CHECKING:
    from auditkit.result import AuditResult

AUDIT: dict[str, Any] = {"data": "german", "steps": ["performance", "fairness"], "seed": 0}
"""The lesson's audit of German credit: the fairness numbers of ``audit_to_dir(..., report="bias")`` too."""
COMPAS_AUDIT: dict[str, Any] = {"data": "compas", "predictions": "compas_high_risk", "sensitive": ["race", "sex"],
                                "steps": ["fairness"], "seed": 0}
"""The lesson's audit of the COMPAS decisions by race and sex (and their intersection)."""
JUDGED = ("pass", "fail", "uncertain", "undefined")
"""The scorecard's statuses a default rule gives (see :mod:`auditkit.report.scorecard`)."""


@dataclass(frozen=True)
class Claim:
    """A sentence an auditor might write, and how an audit's intervals decide whether it is supported.

    Attributes
    ----------
    letter, text : str
    grouping : str
        The table the claim reads (a sensitive feature).
    group : str
        The group it is about (for a gap: the group said to be lower).
    metric : str
        The rate it is about.
    kind : {"above", "below", "lower", "equal"}
        ``above``/``below``: the group's rate is above/below ``bound``; ``lower``: the group's rate
        is below the reference group's; ``equal``: the group's rate equals the reference group's.
    bound : float or None

    Examples
    --------
    >>> Claim("X", "More than half of the men are approved.", "sex", "male", "selection_rate", "above", 0.5).kind
    'above'
    """

    letter: str
    text: str
    grouping: str
    group: str
    metric: str
    kind: str
    bound: float | None = None


CLAIMS = (
    Claim("A", "The model approves men more often than women.", "sex", "female", "selection_rate", "lower"),
    Claim("B", "The model approves women and men at the same rate.", "sex", "female", "selection_rate", "equal"),
    Claim("C", "More than 70% of the men are approved.", "sex", "male", "selection_rate", "above", 0.7),
    Claim("D", "Fewer than 80% of the women are approved.", "sex", "female", "selection_rate", "below", 0.8),
    Claim("E", "The model decides right for more than 70% of the applicants aged 25 and over.", "age_group",
          "25_and_over", "accuracy", "above", 0.7),
)
"""The claims of the lesson's exercise, about the German credit audit (approved: predicted a good credit risk)."""


@functools.cache
def _audit(name: str) -> AuditResult:
    import auditkit

    return auditkit.audit(**copy.deepcopy({"german": AUDIT, "compas": COMPAS_AUDIT}[name]), progress=False)


def load_result() -> AuditResult:
    """The lesson's audit of German credit, ``auditkit.audit(**AUDIT)``: run once per process (a few seconds).

    Examples
    --------
    >>> load_result().table("fairness", "sex")["n"].tolist()
    [91, 209]
    """
    return _audit("german")


def load_compas_result() -> AuditResult:
    """The lesson's audit of the COMPAS decisions, ``auditkit.audit(**COMPAS_AUDIT)``: run once per process.

    Examples
    --------
    >>> "race*sex" in load_compas_result().tables("fairness")
    True
    """
    return _audit("compas")


def claims() -> pd.DataFrame:
    """The claims of the exercise, one row per letter.

    Examples
    --------
    >>> claims().loc["B", "claim"]
    'The model approves women and men at the same rate.'
    """
    return pd.DataFrame({"claim": [c.text for c in CLAIMS]}, index=pd.Index([c.letter for c in CLAIMS], name="letter"))


def claim_verdicts(result: AuditResult | None = None) -> pd.DataFrame:
    """Whether the audit's intervals support each claim, and why.

    A claim that a rate is above (below) a bound is supported when the rate's whole interval is
    above (below) it; a claim that one group's rate is lower than another's when the interval of
    their difference (the ``comparisons`` table) lies below 0; no interval supports a claim that
    two rates are equal (it can only show that they are close).

    Returns
    -------
    DataFrame
        Indexed by letter: ``claim``, ``supported`` (bool) and ``why``.

    Examples
    --------
    >>> bool(claim_verdicts().loc["B", "supported"])
    False
    """
    result = load_result() if result is None else result
    rows = []
    for claim in CLAIMS:
        supported, why = _JUDGES[claim.kind](claim, result)
        rows.append({"letter": claim.letter, "claim": claim.text, "supported": bool(supported), "why": why})
    return pd.DataFrame(rows).set_index("letter")


def scorecard_table(result: AuditResult | None = None) -> pd.DataFrame:
    """The report's scorecard as a table: one row per grouping and criterion, with the gap, its interval and status.

    The rows of :func:`auditkit.report.scorecard.scorecard_rows`, judged as the report judges them.

    Examples
    --------
    >>> scorecard_table().columns.tolist()
    ['grouping', 'criterion', 'largest_gap', 'ci_low', 'ci_high', 'status', 'judged_against']
    """
    result = load_result() if result is None else result
    rows = [{"grouping": r.grouping, "criterion": r.name, "largest_gap": r.value, "ci_low": r.ci[0], "ci_high": r.ci[1],
             "status": r.status, "judged_against": r.rule} for r in scorecard_rows(result.to_dict())]
    return pd.DataFrame(rows).astype({"largest_gap": float, "ci_low": float, "ci_high": float})


def check_supported_claims(answer: Any, *, result: AuditResult | None = None) -> Feedback:
    """Does ``answer`` name exactly the letters of the claims the audit's intervals support?

    Examples
    --------
    >>> check_supported_claims("F").message
    "'F' is not one of the claims: 'A', 'B', 'C', 'D', 'E'."
    """
    verdicts = claim_verdicts(result)
    supported = verdicts.index[verdicts["supported"]].tolist()
    why = " ".join(f"{letter}: {'supported' if row.supported else 'not supported'}, {row.why}"
                   for letter, row in verdicts.iterrows())
    hint = ("For each claim, find the interval of the number it is about: a group's rate in its table (sex, "
            "age_group), or a difference between two groups in the comparisons table. A claim is supported only when "
            "the whole interval is on its side.")
    return check_items(answer, supported, allowed=verdicts.index.tolist(), noun="claim", why=why, hint=hint,
                       exercise="Claims the intervals support")


def check_scorecard_status(answer: Any, grouping: str = "age_group", criterion: str = "demographic_parity", *,
                           result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the scorecard's status of ``criterion`` by ``grouping`` ("pass", "fail", "uncertain", ...)?

    The status is the scorecard's own (:func:`auditkit.report.scorecard.scorecard_rows`), judged by
    the default rule: at most :data:`~auditkit.report.scorecard.DEFAULT_MAX_DIFFERENCE`.

    Examples
    --------
    >>> check_scorecard_status("maybe").message
    "'maybe' is not one of the options: 'pass', 'fail', 'uncertain', 'undefined'."
    """
    result = load_result() if result is None else result
    rows = {(r.grouping, r.criterion): r for r in scorecard_rows(result.to_dict())}
    if (grouping, criterion) not in rows:
        known = ", ".join(f"{g}/{c}" for g, c in rows)
        raise InputError(f"grouping and criterion must name a scorecard row ({known}); got "
                         f"{show(grouping)}/{show(criterion)}")
    row = rows[(grouping, criterion)]
    limit = DEFAULT_MAX_DIFFERENCE
    if row.value is None:
        why = "fewer than two groups have enough rows to compare: the gap is undefined, neither a pass nor a fail."
    else:
        low, high = row.ci
        why = (f"the {row.name} difference by {grouping} is {row.value:.3f} with 95% interval {low:.3f} to "
               f"{high:.3f}: " + {"pass": f"all of it at or below {limit:g}.",
                                  "fail": f"all of it above {limit:g}.",
                                  "uncertain": f"it reaches both sides of {limit:g}, so the data cannot tell "
                                               "whether the criterion is met."}.get(row.status, row.rule))
    hint = (f"In the disparities table, find the {criterion}_difference by {grouping} (between groups) and its "
            f"interval. The rule: fail when the whole interval is above {limit:g}, pass when all of it is at or below, "
            "uncertain when it straddles it, undefined when there is no value.")
    title = f"Scorecard: {criterion.replace('_', ' ')} by {grouping}"
    return check_choice(answer, row.status, [s for s in JUDGED if s in STATUSES], why=why, hint=hint,
                        exercise=title)


def check_actual_positives(answer: Any, group: dict[str, str] | None = None, *,
                           result: AuditResult | None = None) -> Feedback:
    """Is ``answer`` the number of actual positives (people who did reoffend) behind ``group``'s true positive rate?

    ``group`` names one group of the race × sex table of the COMPAS audit; default Native American women.

    Examples
    --------
    >>> check_actual_positives(4).status
    'not yet'
    """
    group = group or {"race": "Native American", "sex": "Female"}
    result = load_compas_result() if result is None else result
    table = result.table("fairness", "*".join(group))
    mask = pd.Series(True, index=table.index)
    for column, value in group.items():
        mask &= table[column].astype(str) == value
    if mask.sum() != 1:
        raise InputError(f"group must name one row of the {' × '.join(group)} table; got {show(group)}")
    row = table[mask].iloc[0]
    positives = int(row["tp"] + row["fn"])
    named = ", ".join(group.values())
    record = next(r for r in result.to_dict()["fairness"]["by_group"] if r["group"] == group)
    method = (record.get("ci_method") or {}).get("true_positive_rate", "percentile bootstrap")
    why = (f"{int(row['tp'])} of the {positives} people of the group {named} who reoffended were labelled high risk: "
           f"a true positive rate of {row['true_positive_rate']:.2f} resting on {positives} people. Its 95% interval "
           f"({method}) runs from {row['true_positive_rate_ci_low']:.2f} to {row['true_positive_rate_ci_high']:.2f}.")
    hint = ("A true positive rate is a share of the people whose true outcome is positive: in the group's row, those "
            "the decision got right (tp) and those it missed (fn).")
    return check_number(answer, positives, tol=0, why=why, hint=hint, exercise=f"What the rate rests on ({named})")


def card_sections(card: str) -> dict[str, str]:
    """The sections of a model card (``result.model_card()``) by heading, each as markdown with its heading.

    The YAML front matter (the card's numbers for machines) is left out.

    Examples
    --------
    >>> sections = card_sections("---\\na: 1\\n---\\n\\n# Card\\n\\nText.\\n\\n## Intended use\\n\\nTo learn.\\n")
    >>> list(sections), sections["Intended use"]
    (['Intended use'], '## Intended use\\n\\nTo learn.')
    """
    body = card.split("\n---\n", 1)[1] if card.startswith("---\n") else card
    parts = body.split("\n## ")[1:]
    return {part.split("\n", 1)[0].strip(): f"## {part.strip()}" for part in parts}


def _row(result: AuditResult, claim: Claim) -> pd.Series:
    table = result.table("fairness", claim.grouping)
    return table[table[claim.grouping].astype(str) == claim.group].iloc[0]


def _bound(claim: Claim, result: AuditResult) -> tuple[bool, str]:
    row = _row(result, claim)
    low, high = float(row[f"{claim.metric}_ci_low"]), float(row[f"{claim.metric}_ci_high"])
    inside = low > claim.bound if claim.kind == "above" else high < claim.bound
    side = "above" if claim.kind == "above" else "below"
    return inside, (f"the interval of {claim.metric} ({low:.3f} to {high:.3f}) is "
                    f"{'all' if inside else 'not all'} {side} {claim.bound:g}.")


def _difference(claim: Claim, result: AuditResult) -> tuple[float, float]:
    """The interval of the claim's group's rate minus the other group's (the comparisons table, either way round)."""
    table = result.table("fairness", "comparisons")
    label = f"{claim.grouping}={claim.group}"
    mine = table[(table["grouping"] == claim.grouping) & (table["metric"] == claim.metric)]
    if (mine["group"] == label).any():
        row = mine[mine["group"] == label].iloc[0]
        return float(row["difference_ci_low"]), float(row["difference_ci_high"])
    row = mine[mine["reference"] == label].iloc[0]  # the group is the reference: the difference the other way round
    return -float(row["difference_ci_high"]), -float(row["difference_ci_low"])


def _lower(claim: Claim, result: AuditResult) -> tuple[bool, str]:
    low, high = _difference(claim, result)
    return high < 0, (f"the interval of the difference ({low:.3f} to {high:.3f}) "
                      f"{'lies below 0.' if high < 0 else 'includes 0.' if low <= 0 else 'lies above 0.'}")


def _equal(claim: Claim, result: AuditResult) -> tuple[bool, str]:
    low, high = _difference(claim, result)
    return False, (f"an interval ({low:.3f} to {high:.3f}) can show at most that a difference is small, never that "
                   "it is 0.")


_JUDGES: dict[str, Callable[[Claim, AuditResult], tuple[bool, str]]] = {
    "above": _bound, "below": _bound, "lower": _lower, "equal": _equal}
