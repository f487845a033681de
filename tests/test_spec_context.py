"""The spec's free-text context (intended_use, limitations): checked, recorded in audit.json, given by the CLI."""

from __future__ import annotations

import json

import pytest

import auditkit
from auditkit import AuditSpec, cli
from auditkit.exceptions import InputError
from auditkit.result import AuditResult

USE = "Screening <b>loan</b> applications\n\nfor a human reviewer."
LIMITS = "Trained on 1990s data & never validated on self-employed applicants."


@pytest.mark.parametrize("setting", ["intended_use", "limitations"])
@pytest.mark.parametrize(("value", "shown"), [("", "'' (str)"), ("   \n", "'   \\n' (str)"), (3, "3 (int)"),
                                              (["x"], "['x'] (list)")])
def test_context_text_must_say_something(setting, value, shown):
    with pytest.raises(InputError) as refused:
        AuditSpec(data="german", **{setting: value})
    assert str(refused.value) == f"{setting} must be a text (not empty); got {shown}"


@pytest.mark.parametrize("mode", [{}, {"predictions": "compas_high_risk"}])
def test_context_text_is_recorded_in_audit_json_as_written(mode, tmp_path):
    data = "compas" if mode else "german"
    auditkit.audit_to_dir(out_dir=tmp_path, data=data, sample=200, steps=["performance"], report=False,
                          progress=False, intended_use=USE, limitations=LIMITS, **mode)
    doc = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    assert (doc["dataset"]["spec"]["intended_use"], doc["dataset"]["spec"]["limitations"]) == (USE, LIMITS)
    assert AuditResult.from_json(tmp_path).to_dict()["dataset"]["spec"]["intended_use"] == USE


def test_context_text_is_optional_and_recorded_as_null():
    spec = AuditSpec(data="german")
    assert (spec.to_dict()["intended_use"], spec.to_dict()["limitations"]) == (None, None)


def test_context_text_comes_from_yaml(tmp_path):
    path = tmp_path / "audit.yaml"
    path.write_text("data: german\nintended_use: |\n  Teaching.\n  Only teaching.\nlimitations: Old data.\n")
    spec = AuditSpec.from_yaml(path)
    assert (spec.intended_use, spec.limitations) == ("Teaching.\nOnly teaching.\n", "Old data.")


def test_the_cli_passes_context_text_to_the_spec():
    args = cli.build_parser().parse_args(["audit", "--data", "german", "--intended-use", USE, "--limitations", LIMITS])
    spec = cli.spec_from_args(args)
    assert (spec.intended_use, spec.limitations) == (USE, LIMITS)
    assert cli.as_flags("intended_use= and limitations=") == "--intended-use and --limitations"
