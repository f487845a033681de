"""Library messages name Python parameters; the CLI prints them with its options (auditkit/cli.py::as_flags)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit import AuditSpec, audit, cli
from auditkit.engine import ENGINE_CONSTRAINTS
from auditkit.exceptions import InputError
from auditkit.report.notebooks import REPORT_SETTINGS

PACKAGE = Path(auditkit.__file__).parent
CLI_FLAG = re.compile(r"(?<![\w-])--(?!help-notebook\b)[a-z]")  # papermill's own flag may be named


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module (f-string parts included) that is not a docstring."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_library_message_names_a_command_line_option():
    found = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
             for path in sorted(PACKAGE.rglob("*.py"))
             if path.name != "cli.py" and "argparse.ArgumentParser(" not in path.read_text()  # a CLI names its flags
             for line, text in _message_strings(path) if CLI_FLAG.search(text)]
    assert found == []


@pytest.mark.parametrize(("library", "command_line"), [
    ("no target column given; pass target=COLUMN", "no target column given; pass --target COLUMN"),
    ("cannot tell which value of target 'y' is the positive outcome; pass positive_label=VALUE (values: 'a', 'b')",
     "cannot tell which value of target 'y' is the positive outcome; pass --positive-label VALUE (values: 'a', 'b')"),
    ("no sensitive feature given; pass sensitive=[COLUMN, ...]",
     "no sensitive feature given; pass --sensitive COLUMN (repeat it for several)"),
    ("scores=COLUMN needs predictions=COLUMN (scores of existing decisions)",
     "--scores COLUMN needs --predictions COLUMN (scores of existing decisions)"),
    ("pass either model= or predictions=, not both", "pass either --model or --predictions, not both"),
    ("for more than two classes pass task='multiclass', for a numeric outcome task='regression'",
     "for more than two classes pass --task multiclass, for a numeric outcome --task regression"),
    ("inspect them and pass trust_model=True to load anyway", "inspect them and pass --trust-model to load anyway"),
    ("pass its encoding, e.g. encoding='latin-1' (or 'cp1252' ...)", "pass its encoding, e.g. --encoding latin-1 "
                                                                      "(or 'cp1252' ...)"),
    ("leave out encoding= to read it as UTF-16 LE", "leave out --encoding to read it as UTF-16 LE"),
    ("pass features=[COLUMN, ...] naming", "pass --features COLUMN (repeat it for several) naming"),
    ("exclude=['sex', 'race']", "--exclude sex --exclude race"),
    ("steps=['performance', 'fairness']", "--steps performance,fairness"),
    ("data_name='loans' and model_name=credit-v2", "--data-name loans and --model-name credit-v2"),
    ("out_dir= is required", "--out is required"),
    ("step_options={fairness: 1}; min_group_size=3", "step_options={fairness: 1}; min_group_size=3"),  # no option
    ("the value 'a=b' of column 'x=1'", "the value 'a=b' of column 'x=1'"),  # quoted data is left alone
])
def test_parameters_become_options(library, command_line):
    assert cli.as_flags(library) == command_line


def test_every_translated_parameter_is_an_option_of_audit():
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command")
    audit_options = {flag for action in commands.choices["audit"]._actions for flag in action.option_strings}
    assert {cli.flag_of(name) for name in cli.CLI_PARAMETERS} <= audit_options
    settings = set(AuditSpec.__dataclass_fields__) | {"out_dir"} | set(REPORT_SETTINGS)  # audit_to_dir's own too
    settings |= set(ENGINE_CONSTRAINTS)  # audit()'s engine= and scheduler=
    assert cli.CLI_PARAMETERS <= settings


def _library_and_cli_messages(frame: pd.DataFrame, tmp_path: Path, settings: dict,
                              args: list[str]) -> tuple[str, list[str]]:
    with pytest.raises(InputError) as refused:
        audit(data=frame, steps=["performance"], **settings)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return str(refused.value), [str(path), *args]


@pytest.mark.parametrize(("settings", "args", "library", "command_line"), [
    ({"sensitive": ["sex"]}, ["--sensitive", "sex"], "pass target=COLUMN", "pass --target COLUMN"),
    ({"target": "approved"}, ["--target", "approved"], "pass sensitive=[COLUMN, ...]",
     "pass --sensitive COLUMN (repeat it for several)"),
    ({"target": "region", "sensitive": ["sex"], "positive_label": "north"},
     ["--target", "region", "--sensitive", "sex", "--positive-label", "north"],
     "pass task='multiclass', for a numeric outcome task='regression'",
     "pass --task multiclass, for a numeric outcome --task regression"),
    ({"target": "approved", "sensitive": ["sex"], "predictions": "score"},
     ["--target", "approved", "--sensitive", "sex", "--predictions", "score"],
     "pass it as scores=COLUMN together with predictions=COLUMN of decisions",
     "pass it as --scores COLUMN together with --predictions COLUMN of decisions"),
])
def test_the_same_problem_names_a_parameter_in_python_and_an_option_on_the_command_line(
        frame, tmp_path, capsys, settings, args, library, command_line):
    message, cli_args = _library_and_cli_messages(frame, tmp_path, settings, args)
    assert library in message and "--" not in message
    code = cli.main(["audit", "-q", "--data", *cli_args, "--no-report", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"auditkit: error: {cli.as_flags(message)}\n"
    assert command_line in err


def test_the_new_options_reach_the_spec():
    args = cli.build_parser().parse_args(["audit", "--data", "german", "--exclude", "sex", "--exclude",
                                          "personal_status_sex", "--data-name", "German credit",
                                          "--model-name", "reference GBM"])
    spec = cli.spec_from_args(args)
    assert (spec.exclude, spec.features, spec.data_name, spec.model_name) == (
        ["sex", "personal_status_sex"], None, "German credit", "reference GBM")
    features = cli.spec_from_args(cli.build_parser().parse_args(["audit", "--data", "german", "--features", "age"]))
    assert features.features == ["age"]
