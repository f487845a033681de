"""The examples in docstrings run and give what they show."""

import doctest

import auditkit._audit


def test_audit_docstring_example_runs():
    failures, tried = doctest.testmod(auditkit._audit, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 3
    assert failures == 0
