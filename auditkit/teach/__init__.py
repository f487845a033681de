"""Teaching with auditkit: exercise checkers for the lessons in ``notebooks/lessons/``.

A checker compares a student's answer with the value it computes from the lesson's data and
returns a :class:`Feedback`: "right" with a short why, or "not yet" with a hint that never
gives the answer away. It shows as a coloured box in JupyterLab and as one line of text in a
terminal or a papermill run, and never raises for an answer, so a lesson always runs to the end.

* The core checkers (:func:`check_number`, :func:`check_choice`, :func:`check_columns`,
  :func:`check_items`, :func:`check_values`) serve any exercise.
* :func:`glossary` shows the words a lesson uses, one plain sentence each.
* ``teach.lesson1`` to ``teach.lesson7`` hold each lesson's data and its checkers
  (``teach.lesson1.check_selection_rate(answer)``).
* ``python -m auditkit.teach.student`` writes the student versions of the lessons from the
  instructor versions (see :mod:`auditkit.teach.student`).

Examples
--------
>>> from auditkit import teach
>>> teach.check_number(0.3, 0.3, why="three in ten.")
✓ Right: three in ten.
>>> bool(teach.check_number(0.5, 0.3, hint="Count only the group's rows."))
False
"""

from __future__ import annotations

from auditkit.teach import lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7
from auditkit.teach.checks import check_choice, check_columns, check_items, check_number, check_values
from auditkit.teach.feedback import Feedback
from auditkit.teach.glossary import glossary

__all__ = ["Feedback", "check_choice", "check_columns", "check_items", "check_number", "check_values", "glossary",
           "lesson1", "lesson2", "lesson3", "lesson4", "lesson5", "lesson6", "lesson7"]
