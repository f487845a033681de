"""The shape every audit step shares."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from auditkit.params import Interval, check_all

if TYPE_CHECKING:
    from auditkit.context import AuditContext
    from auditkit.result import StepResult

# Forms shared by several steps' settings.
COUNT = Interval(int, 1)
RESAMPLES = Interval(int, 0, 100_000)  # percentile intervals gain nothing beyond
LEVEL = Interval(float, 0, 1, closed="neither")
SHARE = Interval(float, 0, 1)


class Step:
    """Base class: subclasses are dataclasses whose fields are the step's settings.

    ``constraints`` maps every setting to the forms it accepts (see :mod:`auditkit.params`);
    they are checked when the step is built, so a bad option is an input error before any
    step runs.
    """

    name: ClassVar[str]
    section: ClassVar[str]
    constraints: ClassVar[dict[str, list]] = {}

    def __post_init__(self) -> None:
        check_all(self, self.constraints, prefix=f"{self.name} step: ")

    def run(self, ctx: AuditContext) -> StepResult:  # pragma: no cover - interface
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
