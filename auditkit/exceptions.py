"""The one exception hierarchy of auditkit.

Every error a user can cause is an :class:`InputError` (also a ``ValueError``); the CLI
turns those into exit status 2 with a one-line message. Anything else is a bug or an
environment failure (exit status 1).
"""

from __future__ import annotations


class AuditkitError(Exception):
    """Root of every error raised by auditkit."""


class InputError(AuditkitError, ValueError):
    """The user's input (data, spec, model, options) cannot be audited as given."""


class DatasetNotFoundError(InputError):
    """A bundled dataset name that does not exist."""


class ColumnNotFoundError(InputError):
    """A column named in the spec is not in the data."""

    def __init__(self, column: str, role: str, available: list[str]) -> None:
        self.column = column
        self.role = role
        self.available = list(available)
        shown = ", ".join(self.available[:20]) + (", ..." if len(self.available) > 20 else "")
        super().__init__(f"{role} column '{column}' is not in the data. Available columns: {shown}")


TASK_HINT = "; for more than two classes pass --task multiclass, for a numeric outcome --task regression"


class TargetNotBinaryError(InputError):
    """The target (or predictions) column does not have exactly two values."""

    def __init__(self, column: str, values: list[object]) -> None:
        self.column = column
        self.values = values
        shown = ", ".join(_show(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")
        hint = TASK_HINT if len(values) > 2 else ""
        super().__init__(
            f"column '{column}' must be binary for a classification audit, "
            f"but it has {len(values)} distinct values: {shown}{hint}"
        )


class DataReadError(InputError):
    """A data file that is missing or cannot be parsed."""


class ModelLoadError(InputError):
    """A model file that cannot be loaded, or may not be loaded without an explicit opt-in."""


class ModelPredictionError(InputError):
    """The model raised while predicting, or returns what the audit cannot read (wrong task, labels, shape, NaN)."""


class StepError(AuditkitError):
    """An audit step failed; carries the step name and the original error."""

    def __init__(self, step: str, error: BaseException) -> None:
        self.step = step
        self.error = error
        super().__init__(f"step '{step}' failed: {type(error).__name__}: {error}")


def _show(value: object) -> str:
    """A value as a user typed it: strings quoted, numbers plain (never ``np.int64(0)``)."""
    return repr(value) if isinstance(value, str) else str(value)
