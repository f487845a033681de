"""What a checker says about an answer: right (and why), or not yet (and a hint, never the answer)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from auditkit.exceptions import InputError

RIGHT, NOT_YET, NO_ANSWER = "right", "not yet", "no answer"
_MARKS = {RIGHT: "✓ Right", NOT_YET: "✗ Not yet", NO_ANSWER: "… No answer yet"}
_COLOURS = {RIGHT: ("#1b5e20", "#e8f5e9"), NOT_YET: ("#8a4b00", "#fff4e0"), NO_ANSWER: ("#37474f", "#eceff1")}


@dataclass(frozen=True)
class Feedback:
    """The verdict on one exercise, shown as a coloured box in JupyterLab and as one line of text elsewhere.

    A checker returns one; nothing is raised for a wrong answer, so a notebook runs to the end
    (under papermill too) whatever the answers. ``bool(feedback)`` is True for a right answer.

    Attributes
    ----------
    status : {"right", "not yet", "no answer"}
    message : str
        Why the answer is right, or what is wrong with it (never the expected answer).
    hint : str
        What to try next; empty for a right answer.
    exercise : str
        The exercise's short title, shown first.

    Examples
    --------
    >>> Feedback("right", "a rate is a share of the group.", exercise="Selection rate")
    Selection rate: ✓ Right: a rate is a share of the group.
    >>> wrong = Feedback("not yet", "0.5 is not it.", hint="Count only the women.")
    >>> bool(wrong), str(wrong)
    (False, '✗ Not yet: 0.5 is not it. Hint: Count only the women.')
    """

    status: str
    message: str
    hint: str = ""
    exercise: str = ""

    def __post_init__(self) -> None:
        if self.status not in _MARKS:
            raise InputError(f"status must be one of {', '.join(_MARKS)}; got {self.status!r}")

    @property
    def correct(self) -> bool:
        """True when the answer is right."""
        return self.status == RIGHT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        title = f"{self.exercise}: " if self.exercise else ""
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{title}{_MARKS[self.status]}: {self.message}{hint}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        ink, paper = _COLOURS[self.status]
        title = f"<strong>{html.escape(self.exercise)}</strong> &mdash; " if self.exercise else ""
        hint = f"<br><em>Hint:</em> {html.escape(self.hint)}" if self.hint else ""
        return (f'<div class="auditkit-feedback auditkit-feedback-{self.status.replace(" ", "-")}" '
                f'style="border-left:5px solid {ink};background:{paper};color:#111;padding:0.5em 0.9em;'
                f'margin:0.4em 0;font-family:sans-serif;line-height:1.45">'
                f'{title}<strong style="color:{ink}">{html.escape(_MARKS[self.status])}:</strong> '
                f"{html.escape(self.message)}{hint}</div>")
