"""The shape every audit step shares."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

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

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from auditkit import Step, StepResult
    >>> from auditkit.params import Interval
    >>> @dataclass
    ... class RowCount(Step):
    ...     '''Count the audited rows of each group.'''
    ...
    ...     min_rows: int = 1
    ...     name = "row_count"
    ...     section = "row_count"
    ...     constraints = {"min_rows": [Interval(int, 1)]}
    ...
    ...     def run(self, ctx):
    ...         counts = {f: ctx.sensitive[f].value_counts().to_dict() for f in ctx.sensitive_features}
    ...         return StepResult(name=self.name, section=self.section, payload={"counts": counts})
    >>> from auditkit import AuditSpec, build_context, datasets
    >>> frame = datasets.make_biased(400, seed=0).frame
    >>> frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    >>> ctx = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], predictions="decision"))
    >>> RowCount().run(ctx).payload, RowCount(min_rows=5).get_params()
    ({'counts': {'group': {'A': 200, 'B': 200}}}, {'min_rows': 5})
    >>> RowCount(min_rows=0)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: row_count step: min_rows must be an integer, at least 1; got 0 (int)
    """

    name: ClassVar[str]
    section: ClassVar[str]
    constraints: ClassVar[dict[str, list]] = {}

    def __post_init__(self) -> None:
        check_all(self, self.constraints, prefix=f"{self.name} step: ")

    def run(self, ctx: AuditContext) -> StepResult:  # pragma: no cover - interface
        raise NotImplementedError

    def check_sensitive(self, sensitive: list[str]) -> None:
        """Raise :class:`InputError` when a setting names a column that is not in ``sensitive``."""

    def get_params(self) -> dict[str, Any]:
        """The step's settings, as recorded in ``audit.json``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
