"""Policies are checked when the spec is built: finite thresholds, known keys, at least one entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit import AuditSpec, InputError, cli
from auditkit.fairness.policy import load_policy

RULE = "demographic_parity_ratio"


@pytest.mark.parametrize(("settings", "message"), [
    ({"min": float("nan")}, "min must be a finite number; got nan (float)"),
    ({"max": float("inf")}, "max must be a finite number; got inf (float)"),
    ({"min": float("-inf")}, "min must be a finite number; got -inf (float)"),
    ({"min": "0.8"}, "min must be a finite number; got '0.8' (str)"),
    ({"min": True}, "min must be a finite number; got True (bool)"),
    ({"min": None}, "min must be a finite number; got None"),
    ({"min": [0.8]}, "min must be a finite number; got [0.8] (list)"),
    ({"min": 0.8, "severity": 3}, "severity must be one of low, medium, high; got 3 (int)"),
    ({"min": 0.8, "method": "pairwise"}, "method must be one of between_groups, to_reference; got 'pairwise' (str)"),
    ({"min": 0.8, "basis": ["ci"]}, "basis must be one of estimate, ci; got ['ci'] (list)"),
    ({"min": 0.8, "groupings": []}, "groupings must be a list of grouping names, e.g. [sex, race]; got [] (list)"),
    ({"min": 0.8, "groupings": [1]}, "groupings must be a list of grouping names, e.g. [sex, race]; got [1] (list)"),
    ({"min": 0.8, "groupings": {"sex": 1}},
     "groupings must be a list of grouping names, e.g. [sex, race]; got {'sex': 1} (dict)"),
])
def test_bad_rule_values_are_named(settings, message):
    with pytest.raises(InputError) as error:
        load_policy({RULE: settings}, "binary")
    assert str(error.value) == f"policy entry '{RULE}': {message}"


@pytest.mark.parametrize(("policy", "message"), [
    ({RULE: {"min": 0.9, "max": 0.8}}, f"policy entry '{RULE}': min (0.9) is above max (0.8), so no value could pass"),
    ({RULE: {"min": 0.8, "sevrity": "high", 2: 1}},
     f"policy entry '{RULE}' has unknown key(s) sevrity, 2; allowed: basis, groupings, max, method, min, severity"),
    ({RULE: 0.8}, f"policy entry '{RULE}' needs a threshold, e.g. {{max: 0.1}} or {{min: 0.8}}; got 0.8"),
    ({}, "policy has no entries, so no check could fail; expected at least one, e.g. demographic_parity_ratio: "
         "{min: 0.8}"),
    ({1: {"max": 0.1}}, "policy entry 1 is not a disparity of a binary audit; known: "),
])
def test_bad_policies_are_one_line(policy, message):
    with pytest.raises(InputError) as error:
        load_policy(policy, "binary")
    assert str(error.value).startswith(message)


def test_integer_thresholds_stay_as_written():
    (rule,) = load_policy({RULE: {"min": 1, "max": 1}}, "binary")
    assert rule.threshold() == {"max": 1, "min": 1} and isinstance(rule.min, int)


def test_policy_is_checked_when_the_spec_is_built():
    with pytest.raises(InputError, match=r"^policy entry 'demographic_parity_ratio': min must be a finite number"):
        AuditSpec(data="adult", policy={RULE: {"min": float("nan")}})
    with pytest.raises(InputError, match=r"^policy entry 'demographic_parity_ratio' names grouping\(s\) race; "
                                         r"this audit has: sex$"):
        AuditSpec(data="adult", sensitive=["sex"], policy={RULE: {"min": 0.8, "groupings": ["race"]}})


# ---- policy files through the CLI: exit 2, one line naming the file


def _audit(tmp_path: Path, csv_path: str, policy: Path, capsys) -> tuple[int, str]:
    code = cli.main(["audit", "-q", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--predictions", "decision", "--steps", "fairness", "--out", str(tmp_path / "out"),
                     "--no-report", "--policy", str(policy), "--fail-on", "high"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    (f"{RULE}: {{min: .nan}}\n", f"policy entry '{RULE}': min must be a finite number; got nan (float)"),
    (f"{RULE}: {{max: .inf}}\n", f"policy entry '{RULE}': max must be a finite number; got inf (float)"),
    (f"{RULE}: {{min: 0.8, colour: red}}\n",
     f"policy entry '{RULE}' has unknown key(s) colour; allowed: basis, groupings, max, method, min, severity"),
    ("{}\n", "policy has no entries, so no check could fail; expected at least one, e.g. "
             "demographic_parity_ratio: {min: 0.8}"),
])
def test_bad_policy_file_with_fail_on_exits_2(tmp_path, csv_path, capsys, content, message):
    policy = tmp_path / "policy.yaml"
    policy.write_text(content)
    code, err = _audit(tmp_path, csv_path, policy, capsys)
    assert code == 2
    assert err == f"auditkit: error: policy file {policy}: {message}\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"", " is empty; expected a mapping such as demographic_parity_ratio: {min: 0.8}"),
    (b"# every check commented out\n# demographic_parity_ratio: {min: 0.8}\n",
     " is empty; expected a mapping such as demographic_parity_ratio: {min: 0.8}"),
    (f"{RULE}: {{min: 0.8}}\n{RULE}: {{min: 0.9}}\n".encode(),
     f": key '{RULE}' appears twice (on lines 1 and 2); each key may appear once"),
    (f"# r\xe9gle\n{RULE}: {{min: 0.8}}\n".encode("latin-1"),
     " is not UTF-8 text (byte 0xe9 at position 3); save it as UTF-8"),
    (("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))).encode(),
     " is refused: its aliases (*name) expand it to more than 2,000,000 values and characters"),
])
def test_unreadable_policy_file_exits_2(tmp_path, csv_path, capsys, content, message):
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(content)
    code, err = _audit(tmp_path, csv_path, policy, capsys)
    assert code == 2
    assert err == f"auditkit: error: policy file {policy}{message}\n"


def test_valid_policy_still_gates(tmp_path, csv_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"{RULE}: {{min: 1, severity: high}}\n")
    code, _ = _audit(tmp_path, csv_path, policy, capsys)
    assert code == 3
    checks = json.loads((tmp_path / "out" / "audit.json").read_text())["checks"]
    assert checks["policy"][0]["min"] == 1 and checks["results"][0]["threshold"] == {"min": 1}
