"""Policy: thresholds on disparities turned into pass/fail checks (the CI gate of an audit).

A policy is a YAML file (or mapping) with one entry per disparity::

    demographic_parity_difference: {max: 0.1, severity: high}
    demographic_parity_ratio: {min: 0.8}
    equalized_odds_difference: {max: 0.1, method: to_reference, basis: ci, groupings: [sex]}

Each entry is checked for every grouping of the audit (or those listed in ``groupings``)
and, for multiclass audits, every class. ``method`` is ``between_groups`` (default) or
``to_reference``; ``basis`` is ``estimate`` (default: the point estimate must meet the
threshold) or ``ci`` (the unfavourable end of the confidence interval must meet it: pass
only when confident). A check whose value is undefined does not pass.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from auditkit.exceptions import InputError
from auditkit.fairness.tables import policy_tables
from auditkit.io.yaml_files import read_yaml_mapping
from auditkit.params import Interval, ListOf, Options, Text, show, validate
from auditkit.registry import POLICY_STEP
from auditkit.result import Finding, StepResult
from auditkit.stats.counts import grouping_name, groupings
from auditkit.stats.disparities import check_names
from auditkit.text import number
from auditkit.text import show as show_value

STEP = POLICY_STEP
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
EXAMPLE = "demographic_parity_ratio: {min: 0.8}"
RULE_CONSTRAINTS = {
    "max": [Interval(float)],
    "min": [Interval(float)],
    "severity": [Options(tuple(SEVERITY_RANK))],
    "method": [Options(("between_groups", "to_reference"))],
    "basis": [Options(("estimate", "ci"))],
    "groupings": [ListOf(Text("a grouping name"), "a list of grouping names, e.g. [sex, race]", min_items=1)],
}


@dataclass(frozen=True)
class Rule:
    """One policy entry.

    Examples
    --------
    >>> [rule] = load_policy({"demographic_parity_ratio": {"min": 0.8}}, "binary")
    >>> rule
    Rule(metric='demographic_parity_ratio', max=None, min=0.8, severity='high', method='between_groups',
         basis='estimate', groupings=None)
    >>> rule.threshold()
    {'min': 0.8}
    """

    metric: str
    max: float | None = None
    min: float | None = None
    severity: str = "high"
    method: str = "between_groups"
    basis: str = "estimate"
    groupings: tuple[str, ...] | None = None

    def threshold(self) -> dict[str, float]:
        return {k: v for k, v in (("max", self.max), ("min", self.min)) if v is not None}


def load_policy(policy: Any, task: str, extra_metrics: Sequence[str] = ()) -> list[Rule] | None:
    """Read and validate a policy (path or mapping); None when there is none.

    ``extra_metrics`` names the fairness step's user metrics, whose disparities
    (``<name>_difference``, ``<name>_ratio``) a policy may set thresholds on too.

    Raises
    ------
    InputError
        Naming the entry and what is wrong with it; also for a policy without entries
        (a gate that checks nothing would always pass).

    Examples
    --------
    >>> load_policy({"demographic_parity_difference": {"max": 0.1, "basis": "ci"}}, "binary")
    [Rule(metric='demographic_parity_difference', max=0.1, min=None, severity='high', method='between_groups',
          basis='ci', groupings=None)]
    >>> load_policy({"accuracy": {"max": 0.1}}, "binary")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: policy entry 'accuracy' is not a disparity of a binary audit;
    known: demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference, ...
    """
    if policy is None:
        return None
    if isinstance(policy, Mapping):
        return _rules(policy, task, extra_metrics)
    if not isinstance(policy, str | os.PathLike):
        raise InputError(f"policy must be a YAML file path or a mapping such as {{{EXAMPLE}}}; "
                         f"got {show(policy)} ({type(policy).__name__})")
    mapping = read_yaml_mapping(policy, role="policy", example=EXAMPLE)
    try:
        return _rules(mapping, task, extra_metrics)
    except InputError as exc:
        raise InputError(f"policy file {os.fspath(policy)}: {exc}") from None


def _rules(mapping: Mapping, task: str, extra_metrics: Sequence[str] = ()) -> list[Rule]:
    if not mapping:
        raise InputError(f"policy has no entries, so no check could fail; expected at least one, e.g. {EXAMPLE}")
    known = check_names(task, extra_metrics)
    rules = []
    for metric, settings in mapping.items():
        if metric not in known:
            raise InputError(f"policy entry {show(metric)} is not a disparity of a {task} audit; "
                             f"known: {', '.join(known)}")
        rules.append(_rule(metric, settings))
    return rules


def _rule(metric: str, settings: Any) -> Rule:
    if not isinstance(settings, Mapping) or not settings.keys() & {"max", "min"}:
        raise InputError(f"policy entry '{metric}' needs a threshold, e.g. {{max: 0.1}} or {{min: 0.8}}; "
                         f"got {show(settings)}")
    unknown = [str(key) for key in settings if key not in RULE_CONSTRAINTS]
    if unknown:
        raise InputError(f"policy entry '{metric}' has unknown key(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(sorted(RULE_CONSTRAINTS))}")
    settings = dict(settings)
    if isinstance(settings.get("groupings"), str):
        settings["groupings"] = [settings["groupings"]]
    for key, value in settings.items():
        validate(f"policy entry '{metric}': {key}", value, RULE_CONSTRAINTS[key])
    if "max" in settings and "min" in settings and settings["min"] > settings["max"]:
        raise InputError(f"policy entry '{metric}': min ({show(settings['min'])}) is above max "
                         f"({show(settings['max'])}), so no value could pass")
    names = settings.pop("groupings", None)
    bounds = {k: _plain_number(settings.pop(k)) for k in ("max", "min") if k in settings}
    return Rule(metric=metric, **bounds, **settings, groupings=None if names is None else tuple(names))


def _plain_number(value: Any) -> int | float:
    """A threshold as a Python number, as written (``1`` stays ``1``; numpy scalars become plain)."""
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def check_groupings(rules: list[Rule] | None, sensitive: list[str]) -> None:
    """Raise InputError when a rule names a grouping the audit does not have.

    Examples
    --------
    >>> rules = load_policy({"demographic_parity_ratio": {"min": 0.8, "groupings": ["race"]}}, "binary")
    >>> check_groupings(rules, ["sex"])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: policy entry 'demographic_parity_ratio' names grouping(s) race; this audit has: sex
    """
    available = [grouping_name(g) for g in groupings(sensitive, True)]
    for rule in rules or []:
        unknown = [g for g in rule.groupings or () if g not in available]
        if unknown:
            raise InputError(f"policy entry '{rule.metric}' names grouping(s) {', '.join(unknown)}; "
                             f"this audit has: {', '.join(available)}")


def evaluate_policy(rules: list[Rule], disparities: list[dict], level: float = 0.95) -> StepResult:
    """Check every rule against the fairness disparities; failed checks are also findings.

    Examples
    --------
    >>> from auditkit.examples import fairness_output
    >>> output = fairness_output()  # decisions by group on 400 rows; the proxy favours group B
    >>> [result] = output.results
    >>> rules = load_policy({"demographic_parity_ratio": {"min": 0.8}}, "binary")
    >>> checks = evaluate_policy(rules, output.disparities)
    >>> checks.payload["passed"], [(c["name"], c["status"], round(c["observed"], 3)) for c in checks.payload["results"]]
    (False, [('demographic_parity_ratio[group]', 'failed', 0.583)])
    """
    results = [check for rule in rules for check in _checks(rule, disparities)]
    findings = [_finding(c, level) for c in results if c["status"] != "passed"]
    payload = {"policy": [asdict(r) for r in rules], "results": results,
               "passed": all(c["status"] == "passed" for c in results),
               "n_failed": sum(c["status"] != "passed" for c in results)}
    return StepResult(name=STEP, section="checks", payload=payload, tables=policy_tables(payload), findings=findings)


def _checks(rule: Rule, disparities: list[dict]) -> list[dict]:
    matching = [d for d in disparities if d["name"] == rule.metric and d["method"] == rule.method
                and (rule.groupings is None or d["grouping"] in rule.groupings)]
    if not matching:
        return [_check(rule, None)]
    return [_check(rule, d) for d in matching]


def _check(rule: Rule, record: dict | None) -> dict:
    observed = None if record is None else record["value"]
    ci = [None, None] if record is None else record["ci"]
    # With basis "ci" a maximum is judged on the upper end and a minimum on the lower end.
    upper, lower = (ci[1], ci[0]) if rule.basis == "ci" else (observed, observed)
    compared = upper if rule.max is not None and rule.min is None else lower if rule.max is None else observed
    passed = None
    if not (rule.max is not None and upper is None) and not (rule.min is not None and lower is None):
        passed = (rule.max is None or upper <= rule.max) and (rule.min is None or lower >= rule.min)
    name = rule.metric if record is None else f"{rule.metric}[{record['grouping']}]"
    check = {"name": name + (f"[class={record['class']}]" if record and "class" in record else ""),
             "metric": rule.metric, "grouping": None if record is None else record["grouping"],
             "method": rule.method, "basis": rule.basis, "threshold": rule.threshold(), "observed": observed,
             "ci": ci, "compared_value": compared, "passed": passed,
             "status": "undefined" if passed is None else "passed" if passed else "failed", "severity": rule.severity}
    if record is not None and "class" in record:
        check["class"] = record["class"]
    if record is not None and record.get("excluded"):
        check["excluded"] = record["excluded"]  # rates left out for too few rows (fairness.too_few)
    return check


def _finding(check: dict, level: float) -> Finding:
    what = f"{check['metric'].replace('_', ' ')}" + (f" by {check['grouping']}" if check["grouping"] else "")
    if "class" in check:
        what += f" (class {show_value(check['class'])})"
    limit = " and ".join(f"{'at most' if k == 'max' else 'at least'} {v:g}" for k, v in check["threshold"].items())
    if check["status"] == "undefined":
        message = (f"Policy check could not be evaluated: {what} is undefined here (for example, fewer than two "
                   f"groups are large enough to compare, or the fairness step did not run). The policy requires "
                   f"{limit}; a check that cannot be evaluated does not pass.{_excluded_text(check)}")
    else:
        ci = check["ci"]
        ci_text = f" ({level:.0%} CI {number(ci[0])} to {number(ci[1])})" if ci[0] is not None else ""
        basis = (f"; the policy judges the unfavourable end of the interval, {number(check['compared_value'])}"
                 if check["basis"] == "ci" else "")
        message = (f"Policy check failed: {what} is {number(check['observed'])}{ci_text}; "
                   f"the policy requires {limit}{basis}.{_excluded_text(check)}")
    return Finding(id=f"{STEP}.{check['name']}", step=STEP, severity=check["severity"], message=message,
                   evidence=check)


def _excluded_text(check: dict) -> str:
    left_out = check.get("excluded", [])
    if not left_out:
        return ""
    listing = "; ".join(f"{e['metric']} of {', '.join(f'{k}={v}' for k, v in e['group'].items())} "
                        f"(denominator {e['denominator']})" for e in left_out)
    return f" Left out for resting on too few rows: {listing}."


def failing_checks(doc: dict, fail_on: str) -> list[dict]:
    """Checks of an ``audit.json`` document that did not pass, at or above severity ``fail_on``.

    Examples
    --------
    >>> doc = {"checks": {"results": [{"name": "a", "status": "failed", "severity": "medium"},
    ...                               {"name": "b", "status": "failed", "severity": "low"},
    ...                               {"name": "c", "status": "passed", "severity": "high"}]}}
    >>> [c["name"] for c in failing_checks(doc, "medium")]
    ['a']
    """
    rank = SEVERITY_RANK[fail_on]
    results = doc.get("checks", {}).get("results", [])
    return [c for c in results if c["status"] != "passed" and SEVERITY_RANK[c["severity"]] >= rank]
