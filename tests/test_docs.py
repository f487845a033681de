"""The examples in docstrings run and give what they show."""

import doctest

import auditkit.runner


def test_audit_docstring_example_runs():
    failures, tried = doctest.testmod(auditkit.runner, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 3
    assert failures == 0
