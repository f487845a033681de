"""Data-column checks: a missing column lists every column and a close match; values show as written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit import cli
from auditkit.exceptions import ColumnNotFoundError, InputError, _show
from auditkit.io import validate as check

WIDE = pd.DataFrame({**{f"feature_{i:02d}": [1.0, 2.0] for i in range(30)}, "Sex": ["f", "m"], "y": [0, 1]})
WIDE_NAMES = ", ".join(f"'{c}'" for c in WIDE.columns)


def test_missing_column_lists_every_column():
    with pytest.raises(ColumnNotFoundError) as err:
        check.require_columns(WIDE, ["gender"], "sensitive")
    assert str(err.value) == f"sensitive column 'gender' is not in the data. Available columns: {WIDE_NAMES}"
    assert "'y'" in str(err.value) and err.value.available == list(WIDE.columns)


CLOSE_MATCHES = {
    "other case": (["Sex", "income", "y"], "sex", "; did you mean 'Sex'? "),
    "stray space": (["sex ", "income", "y"], "sex", "; did you mean 'sex '? "),
    "typo": (["sex", "income", "y"], "incme", "; did you mean 'income'? "),
    "nothing close": (["sex", "income", "y"], "zip_code", ". "),
}


@pytest.mark.parametrize("case", sorted(CLOSE_MATCHES))
def test_missing_column_suggests_a_close_match(case):
    columns, wanted, hint = CLOSE_MATCHES[case]
    frame = pd.DataFrame([[1] * len(columns)], columns=columns)
    shown = ", ".join(f"'{c}'" for c in columns)
    with pytest.raises(ColumnNotFoundError) as err:
        check.require_columns(frame, [wanted], "target")
    assert str(err.value) == f"target column '{wanted}' is not in the data{hint}Available columns: {shown}"


def test_every_missing_column_is_named_at_once():
    frame = pd.DataFrame({"income": [1.0], "debt": [2.0], "y": [0]})
    with pytest.raises(ColumnNotFoundError) as err:
        check.require_columns(frame, ["Income", "debt", "age_band"], "model feature")
    assert str(err.value) == (
        "model feature columns 'Income' (did you mean 'income'?), 'age_band' are not in the data. "
        "Available columns: 'income', 'debt', 'y'"
    )
    assert err.value.missing == ["Income", "age_band"] and err.value.column == "Income"


def test_cli_names_every_column_and_the_close_match(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    WIDE.to_csv(path, index=False)
    code = cli.main(["audit", "-q", "--data", str(path), "--target", "y", "--sensitive", "sex",
                     "--no-report", "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"auditkit: error: sensitive column 'sex' is not in the data; did you mean 'Sex'? "
        f"Available columns: {WIDE_NAMES}\n"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [(np.int64(1), "1"), (np.float64(0.5), "0.5"), (np.bool_(True), "True"), (np.str_("yes"), "'yes'"),
     ("yes", "'yes'"), (1, "1"), (None, "None")],
)
def test_values_show_as_written(value, shown):
    assert _show(value) == shown


# target values: (values, positive label given, message)
POSITIVE_LABEL_MESSAGES = {
    "integers": ([0, 1, 0], 2, "positive label 2 does not occur in target column 'y'; its values are: 0, 1"),
    "integers, label from the command line": (
        [0, 1, 0], "2", "positive label '2' does not occur in target column 'y'; its values are: 0, 1"),
    "floats": ([0.0, 1.0, 1.0], 2, "positive label 2 does not occur in target column 'y'; its values are: 0.0, 1.0"),
    "booleans": ([True, False, True], "yes",
                 "positive label 'yes' does not occur in target column 'y'; its values are: False, True"),
    "text": (["good", "bad", "good"], "fine",
             "positive label 'fine' does not occur in target column 'y'; its values are: 'bad', 'good'"),
}


@pytest.mark.parametrize("case", sorted(POSITIVE_LABEL_MESSAGES))
def test_unknown_positive_label_shows_the_values_as_written(case):
    values, given, message = POSITIVE_LABEL_MESSAGES[case]
    frame = pd.DataFrame({"y": values})
    with pytest.raises(InputError) as err:
        check.resolve_positive_label(frame, "y", given, None)
    assert str(err.value) == message


@pytest.mark.parametrize(("values", "shown"), [([1, 2, 1], "1, 2"), (["no", "yes"], "'no', 'yes'")])
def test_unclear_positive_label_shows_the_values_as_written(values, shown):
    with pytest.raises(InputError) as err:
        check.resolve_positive_label(pd.DataFrame({"y": values}), "y", None, None)
    assert str(err.value) == ("cannot tell which value of target 'y' is the positive outcome; pass "
                              f"positive_label=VALUE (values: {shown})")


def test_single_sensitive_group_is_named():
    values = pd.Series(["male", "male", None])
    with pytest.raises(InputError) as err:
        check.sensitive_values(values, "sex")
    assert str(err.value) == ("sensitive column 'sex' has 1 observed group(s) (1 missing values): 'male'; "
                              "comparing groups needs at least two")
