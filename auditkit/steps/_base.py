"""The shape every audit step shares: :class:`Step`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from auditkit.params import Interval, check_all
from auditkit.result import Finding, StepResult

if TYPE_CHECKING:
    import pandas as pd

    from auditkit.context import AuditContext

# Forms shared by several steps' settings.
COUNT = Interval(int, 1)
RESAMPLES = Interval(int, 0, 100_000)  # percentile intervals gain nothing beyond
LEVEL = Interval(float, 0, 1, closed="neither")
SHARE = Interval(float, 0, 1)


class Step:
    """Base class of every audit step: keyword settings in, one :class:`~auditkit.result.StepResult` out.

    A step is a ``@dataclass`` subclass. Its **fields are its settings** (explicit keyword
    arguments with defaults, no logic in ``__init__``), so a step can be listed, validated and
    written to ``audit.json`` as its name and :meth:`get_params`. Register it with
    :func:`auditkit.register_step` (or the ``auditkit.steps`` entry-point group) to name it in
    ``steps=[...]``, ``step_options`` and YAML specs; an instance can also be passed directly,
    ``steps=[MyStep(threshold=0.2), "fairness"]``. Check it with
    :func:`auditkit.testing.check_step`.

    Attributes
    ----------
    name : str
        The step's name (an identifier): its key in ``step_options``, the ``step`` of its
        findings and the prefix of their ids (``"<name>.<kind>"``).
    section : str
        The top-level key of ``audit.json`` its payload is merged into. The known sections
        (``data``, ``performance``, ``fairness``, ``explanations``, ``checks``) come first;
        any other is written under its own key, after them, in the order the steps ran.
    needs_model : bool, default False
        True when the step calls the model (explanations). In an audit of existing
        decisions (no model) such a step does not run: the audit records one ``info``
        finding, ``"<name>.needs_model"``, instead.
    constraints : dict of str to list
        Every setting (field) mapped to the forms it accepts (:mod:`auditkit.params`:
        ``Interval``, ``Options``, ``Boolean``, ``None`` for "may be None", ...), in field
        order. They are checked when the step is built, and again when a spec holding the
        step is built, so a bad setting is an :class:`~auditkit.exceptions.InputError` of
        the form ``<name> step: <setting> must be <expected>; got <value> (<type>)``
        before any step runs.

    Notes
    -----
    ``run(ctx)`` receives the frozen :class:`~auditkit.context.AuditContext` and returns a
    :class:`~auditkit.result.StepResult` (use :meth:`result`) with:

    * ``payload``: JSON-serialisable (plain types, numpy scalars, NaN are converted) and
      identical between two runs with the same inputs and seed;
    * ``tables``: tidy DataFrames for notebooks; ``findings``: :class:`~auditkit.result.Finding`
      objects with ``step=self.name`` and ids ``"<name>.<kind>[.<subject>]"``;
    * ``artifacts``: large tables saved beside ``audit.json`` but not in it.

    A step never mutates the context (nor its frames and arrays); draws every random number
    from ``ctx.rng("<name>.<use>")`` (seeded by the audit seed, never the global state);
    shares expensive work with other steps through ``ctx.cache.get_or_compute(key, fn)``
    (computed once per audit); raises :class:`~auditkit.exceptions.InputError` for bad
    input; and lets any other error propagate: the audit records it as an ``error`` finding
    with its traceback (``errors="record"``) or raises it (``errors="raise"``).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from auditkit.params import Interval
    >>> @dataclass
    ... class PositiveShare(Step):
    ...     '''Share of positive decisions, flagged when above ``limit``.'''
    ...     limit: float = 0.5
    ...     name = "positive_share"
    ...     section = "positive_share"
    ...     constraints = {"limit": [Interval(float, 0, 1)]}
    ...     def run(self, ctx):
    ...         share = float(ctx.y_pred.mean())
    ...         findings = [self.finding("high", "share", f"{share:.0%} positive")] if share > self.limit else []
    ...         return self.result(payload={"share": share}, findings=findings)
    >>> PositiveShare(limit=0.4).get_params()
    {'limit': 0.4}
    >>> PositiveShare(limit=2)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: positive_share step: limit must be a number from 0 to 1; got 2 (int)
    """

    name: ClassVar[str]
    section: ClassVar[str]
    needs_model: ClassVar[bool] = False
    constraints: ClassVar[dict[str, list]] = {}

    def __post_init__(self) -> None:
        self.validate_settings()

    def validate_settings(self) -> None:
        """Raise :class:`~auditkit.exceptions.InputError` unless every setting meets its constraints."""
        check_all(self, self.constraints, prefix=f"{self.name} step: ")

    def run(self, ctx: AuditContext) -> StepResult:  # pragma: no cover - interface
        """Analyse ``ctx`` and return the step's result (see the class notes)."""
        raise NotImplementedError

    @staticmethod
    def tables_from_payload(payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """The step's tidy tables, built from its ``audit.json`` payload alone.

        ``run`` builds its ``StepResult.tables`` with it, and ``AuditResult.from_json`` rebuilds
        the tables of a saved audit with it, so both give the same frames. Names are plain
        identifiers (``sex``, ``sex*race``, ``disparities``); an interval of a value ``m`` is
        two columns ``m_ci_low`` and ``m_ci_high`` (see :mod:`auditkit.report.tables`).
        """
        return {}

    def check_sensitive(self, sensitive: list[str]) -> None:
        """Raise :class:`InputError` when a setting names a column that is not in ``sensitive``."""

    def get_params(self) -> dict[str, Any]:
        """The step's settings, as recorded in ``audit.json``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def result(self, payload: dict[str, Any] | None = None, tables: dict[str, pd.DataFrame] | None = None,
               findings: list[Finding] | None = None, artifacts: dict[str, pd.DataFrame] | None = None) -> StepResult:
        """A :class:`StepResult` of this step (its name and section filled in)."""
        return StepResult(name=self.name, section=self.section, payload=payload or {}, tables=tables or {},
                          findings=findings or [], artifacts=artifacts or {})

    def finding(self, severity: str, kind: str, message: str, evidence: dict[str, Any] | None = None) -> Finding:
        """A :class:`Finding` of this step with id ``"<name>.<kind>"``."""
        return Finding(id=f"{self.name}.{kind}", step=self.name, severity=severity, message=message,
                       evidence=evidence or {})
