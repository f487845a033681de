"""Tools for step authors: check that a new step keeps the :class:`~auditkit.steps.Step` contract.

>>> from auditkit.steps import PerformanceStep
>>> results = check_step(PerformanceStep)
>>> sorted(results), results["reference"].section
(['predictions', 'reference'], 'performance')
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from typing import Any

import numpy as np
import pandas as pd

from auditkit.context import AuditContext, build_context
from auditkit.exceptions import InputError, StepError
from auditkit.registry import check_step_class
from auditkit.result import Finding, StepResult, to_jsonable
from auditkit.runner import run_step
from auditkit.spec import AuditSpec

MODES = ("reference", "predictions")
COPIED = ("frame", "X", "y_true", "y_pred", "y_score", "sensitive", "X_train", "train_frame", "provenance")
MAX_LISTED = 8  # problems of one kind shown in the message


def small_context(mode: str = "reference", *, sample: int = 90, seed: int = 0, steps: list | None = None,
                  step_options: dict[str, dict[str, Any]] | None = None) -> AuditContext:
    """A small audit context of the bundled German credit data, for testing a step's ``run``.

    Parameters
    ----------
    mode : {"reference", "predictions"}, default "reference"
        ``"reference"``: a reference model trained on german's documented training part, held-out rows audited
        (``ctx.model`` set). ``"predictions"``: the same rows with the model's decisions and
        scores as columns of the data (``prediction``, ``score``) and no model.
    sample : int, default 90
        Rows audited: a seeded sample of german's 300 held-out rows (all of them from 300 on).
    seed : int, default 0
    steps, step_options : optional
        As in :class:`~auditkit.spec.AuditSpec` (what ``ctx.spec`` holds).

    Examples
    --------
    >>> ctx = small_context("predictions")
    >>> ctx.mode, ctx.model is None, ctx.sensitive_features
    ('predictions', True, ['sex', 'age_group'])
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    base = _base_context(mode, int(sample), int(seed))
    spec = dataclasses.replace(base.spec, steps=steps, step_options=step_options or {})
    # Copies of the data, a fresh cache: a step that breaks the rules cannot spoil the next check.
    data = {name: copy.deepcopy(getattr(base, name)) for name in COPIED}
    return dataclasses.replace(base, spec=spec, **data)


@functools.lru_cache(maxsize=4)
def _base_context(mode: str, sample: int, seed: int) -> AuditContext:
    """Built once per mode, sample and seed (contexts are never mutated; each use gets a fresh cache)."""
    reference = build_context(AuditSpec(data="german", sample=sample, seed=seed))
    if mode == "reference":
        return reference
    frame = reference.frame.assign(prediction=np.asarray(reference.labels, dtype=object)[reference.y_pred],
                                   score=reference.y_score)
    return build_context(AuditSpec(data=frame, target=reference.target, positive_label=reference.positive_label,
                                   sensitive=reference.sensitive_features, predictions="prediction",
                                   scores="score", seed=seed))


def check_step(step: Any, *, modes: tuple[str, ...] = MODES, sample: int = 90, seed: int = 0,
               step_options: dict[str, dict[str, Any]] | None = None) -> dict[str, StepResult]:
    """Check that a step keeps the :class:`~auditkit.steps.Step` contract; run it before registering it.

    Checks the class (a dataclass with ``name``, ``section``, ``run``), that ``constraints``
    declare every setting in field order, that ``get_params`` rebuilds an equal step, and, on a
    :func:`small_context` of each mode, that ``run`` (run twice, as an audit runs it) returns a
    :class:`~auditkit.result.StepResult` of the step's name and declared section, whose payload and
    finding evidence are JSON data, whose findings are the step's own (``step`` and id
    ``"<name>.<kind>"``, unique ids), whose tables and artifacts are DataFrames, that it leaves
    the context as it found it, and that the same seed gives the same payload, tables and findings.

    Parameters
    ----------
    step : Step subclass or instance
        A class is built with its defaults.
    modes : tuple of {"reference", "predictions"}, default both
        Audits the step is run in (a step that needs a model is skipped without one, as in an audit).
    sample, seed : int
        See :func:`small_context`.
    step_options : dict, optional
        Settings of *other* steps this step reads from ``ctx.spec`` (e.g. the ``lime`` settings
        the agreement step uses).

    Returns
    -------
    dict of str to StepResult
        The first result of each mode.

    Raises
    ------
    AssertionError
        Naming every problem found.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from auditkit.steps import Step
    >>> @dataclass
    ... class RowCount(Step):
    ...     name = "row_count"
    ...     section = "row_count"
    ...     def run(self, ctx):
    ...         return self.result(payload={"rows": ctx.n_rows})
    >>> {mode: result.payload for mode, result in check_step(RowCount).items()}
    {'reference': {'rows': 90}, 'predictions': {'rows': 90}}
    >>> @dataclass
    ... class GroupNames(Step):
    ...     sorted_names: bool = True
    ...     name = "group_names"
    ...     section = "group_names"
    ...     def run(self, ctx):
    ...         return self.result(payload={"columns": set(ctx.sensitive_features)})
    >>> check_step(GroupNames, modes=("predictions",))
    Traceback (most recent call last):
    ...
    AssertionError: check_step(GroupNames) found 2 problem(s):
    - setting 'sorted_names' has no constraints (add it to GroupNames.constraints)
    - predictions audit: payload['columns'] is a set, not JSON data
    """
    cls = step if isinstance(step, type) else type(step)
    try:
        check_step_class(cls)
    except InputError as exc:
        raise AssertionError(f"check_step({cls.__qualname__}): {exc}") from None
    instance = _instance(step)
    problems = _settings_problems(cls) + _params_problems(instance)
    results = {}
    for mode in modes:
        ctx, fresh = (small_context(mode, sample=sample, seed=seed, steps=[instance], step_options=step_options)
                      for _ in range(2))
        first, found = _run_twice(instance, ctx, fresh)
        problems += [f"{mode} audit: {problem}" for problem in found]
        results[mode] = first
    if problems:
        listing = "\n".join(f"- {p}" for p in problems)
        raise AssertionError(f"check_step({cls.__qualname__}) found {len(problems)} problem(s):\n{listing}")
    return results


def _instance(step: Any) -> Any:
    if not isinstance(step, type):
        return step
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        raise AssertionError(f"check_step({step.__qualname__}): the step cannot be built with its defaults: "
                             f"{type(exc).__name__}: {exc}") from exc


def _settings_problems(cls: type) -> list[str]:
    fields = [f.name for f in dataclasses.fields(cls)]
    declared = list(getattr(cls, "constraints", {}))
    problems = [f"setting '{name}' has no constraints (add it to {cls.__name__}.constraints)"
                for name in fields if name not in declared]
    problems += [f"constraints name '{name}', which is not a setting (a dataclass field)"
                 for name in declared if name not in fields]
    if not problems and declared != fields:
        problems.append(f"constraints are not in field order: {', '.join(declared)}; fields: {', '.join(fields)}")
    return problems


def _params_problems(step: Any) -> list[str]:
    params = step.get_params()
    fields = [f.name for f in dataclasses.fields(step)]
    if list(params) != fields:
        return [f"get_params() returns {', '.join(params)}; expected every setting: {', '.join(fields)}"]
    try:
        rebuilt = type(step)(**params)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return [f"{type(step).__name__}(**get_params()) fails: {type(exc).__name__}: {exc}"]
    if rebuilt != step:
        return [f"{type(step).__name__}(**get_params()) builds a different step: {rebuilt!r} != {step!r}"]
    return []


def _run_twice(step: Any, ctx: AuditContext, fresh: AuditContext) -> tuple[StepResult, list[str]]:
    """Run ``step`` on ``ctx`` and on ``fresh`` (the same audit, as a second run would build it)."""
    before = _snapshot(ctx)
    first = _run(step, ctx)
    problems = _result_problems(step, first)
    problems += [f"run changed the context: {what}" for what in _changed(before, ctx)]
    problems += _difference(first, _run(step, fresh))
    return first, problems


def _run(step: Any, ctx: AuditContext) -> StepResult:
    try:
        return run_step(step, ctx, errors="raise")
    except StepError as exc:
        raise AssertionError(f"check_step({type(step).__qualname__}) in a {ctx.mode} audit: {exc}") from exc


def _result_problems(step: Any, result: StepResult) -> list[str]:
    problems = _not_json(result.payload, "payload")
    for kind in ("tables", "artifacts"):
        frames = getattr(result, kind)
        problems += [f"{kind}[{name!r}] is a {type(frame).__name__}, not a DataFrame"
                     for name, frame in frames.items() if not isinstance(frame, pd.DataFrame)]
    ids = [f.id for f in result.findings if isinstance(f, Finding)]
    problems += [f"finding id {i!r} appears {ids.count(i)} times" for i in sorted(set(ids)) if ids.count(i) > 1]
    for finding in result.findings:
        problems += _finding_problems(step, finding)
    return problems


def _finding_problems(step: Any, finding: Any) -> list[str]:
    if not isinstance(finding, Finding):
        return [f"findings hold a {type(finding).__name__}, not a Finding"]
    problems = []
    if finding.step != step.name:
        problems.append(f"finding {finding.id!r} names step {finding.step!r}, not {step.name!r}")
    if not finding.id.startswith(f"{step.name}.") or finding.id == f"{step.name}.":
        problems.append(f"finding id {finding.id!r} does not have the form '{step.name}.<kind>'")
    if not isinstance(finding.message, str) or not finding.message.strip():
        problems.append(f"finding {finding.id!r} has no message")
    return problems + _not_json(finding.evidence, f"finding {finding.id!r} evidence")


def _not_json(value: Any, where: str) -> list[str]:
    """Where ``value`` holds something JSON cannot carry (``to_jsonable`` would write its ``str()``)."""
    problems = _walk(value, where)
    more = [f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
    return problems[:MAX_LISTED] + more


def _walk(value: Any, where: str) -> list[str]:
    if isinstance(value, dict):
        out = [f"{where} has the key {k!r} ({type(k).__name__}); keys must be text" for k in value
               if not isinstance(k, str)]
        return out + [p for k, v in value.items() for p in _walk(v, f"{where}[{k!r}]")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _walk(v, f"{where}[{i}]")]
    if isinstance(value, np.ndarray):
        return [] if value.dtype.kind in "biuf" else [f"{where} is an array of {value.dtype}"]
    if value is None or value is pd.NA or isinstance(value, str | bool | int | float | np.bool_ | np.number):
        return []
    return [f"{where} is a {type(value).__name__}, not JSON data"]


def _snapshot(ctx: AuditContext) -> dict[str, Any]:
    parts = {"frame": ctx.frame, "X": ctx.X, "sensitive": ctx.sensitive, "X_train": ctx.X_train,
             "train_frame": ctx.train_frame,
             "y_true": ctx.y_true, "y_pred": ctx.y_pred, "y_score": ctx.y_score, "provenance": ctx.provenance}
    return {name: _copy(value) for name, value in parts.items()}


def _copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | np.ndarray):
        return value.copy()
    return json.dumps(to_jsonable(value), sort_keys=True) if value is not None else None


def _changed(before: dict[str, Any], ctx: AuditContext) -> list[str]:
    now = _snapshot(ctx)
    changed = []
    for name, old in before.items():
        new = now[name]
        if isinstance(old, pd.DataFrame):
            same = old.equals(new) and list(old.columns) == list(new.columns)
        elif isinstance(old, np.ndarray):
            same = np.array_equal(old, new, equal_nan=old.dtype.kind == "f")
        else:
            same = old == new
        if not same:
            changed.append(f"ctx.{name}")
    return changed


def _difference(first: StepResult, again: StepResult) -> list[str]:
    """What differs between two runs with the same seed."""
    problems = []
    if _json(first.payload) != _json(again.payload):
        problems.append("the payload differs between two runs with the same seed (draw random numbers "
                        "from ctx.rng(salt))")
    if [f.to_dict() for f in first.findings] != [f.to_dict() for f in again.findings]:
        problems.append("the findings differ between two runs with the same seed")
    for kind in ("tables", "artifacts"):
        one, two = getattr(first, kind), getattr(again, kind)
        if list(one) != list(two) or any(not _same_frame(one[k], two[k]) for k in one):
            problems.append(f"the {kind} differ between two runs with the same seed")
    return problems


def _same_frame(one: Any, two: Any) -> bool:
    return isinstance(one, pd.DataFrame) and isinstance(two, pd.DataFrame) and one.equals(two)


def _json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True)
