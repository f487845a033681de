"""The shape every audit step shares."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..context import AuditContext
    from ..result import StepResult


class Step:
    """Base class: subclasses are dataclasses whose fields are the step's settings."""

    name: ClassVar[str]
    section: ClassVar[str]

    def run(self, ctx: AuditContext) -> StepResult:  # pragma: no cover - interface
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """The step's settings, as recorded in ``audit.json``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
