"""Policy files: thresholds on disparities as pass/fail checks, and the --fail-on exit status."""

from __future__ import annotations

import json

import pytest

from auditkit import audit, cli
from auditkit.exceptions import InputError
from auditkit.fairness.policy import evaluate_policy, failing_checks, load_policy

DISPARITIES = [
    {"grouping": "sex", "name": "demographic_parity_difference", "method": "between_groups", "value": 0.19,
     "ci": [0.15, 0.22]},
    {"grouping": "sex", "name": "demographic_parity_ratio", "method": "between_groups", "value": 0.85,
     "ci": [0.78, 0.91]},
    {"grouping": "race", "name": "demographic_parity_difference", "method": "between_groups", "value": 0.05,
     "ci": [0.01, 0.12]},
    {"grouping": "race", "name": "demographic_parity_ratio", "method": "between_groups", "value": None,
     "ci": [None, None]},
]


def checks(policy):
    return {c["name"]: c for c in evaluate_policy(load_policy(policy, "binary"), DISPARITIES).payload["results"]}


def test_max_and_min_thresholds_on_the_estimate():
    out = checks({"demographic_parity_difference": {"max": 0.1}, "demographic_parity_ratio": {"min": 0.8}})
    assert out["demographic_parity_difference[sex]"]["status"] == "failed"
    assert out["demographic_parity_difference[race]"]["status"] == "passed"
    assert out["demographic_parity_ratio[sex]"]["status"] == "passed"
    assert out["demographic_parity_difference[sex]"]["ci"] == [0.15, 0.22]


def test_ci_basis_passes_only_when_confident():
    out = checks({"demographic_parity_difference": {"max": 0.1, "basis": "ci"},
                  "demographic_parity_ratio": {"min": 0.8, "basis": "ci", "groupings": ["sex"]}})
    assert out["demographic_parity_difference[race]"]["status"] == "failed"  # upper end 0.12 > 0.1
    assert out["demographic_parity_difference[race]"]["compared_value"] == 0.12
    assert out["demographic_parity_ratio[sex]"]["status"] == "failed"  # lower end 0.78 < 0.8
    assert "demographic_parity_ratio[race]" not in out


def test_undefined_value_does_not_pass_and_is_a_finding():
    result = evaluate_policy(load_policy({"demographic_parity_ratio": {"min": 0.8, "severity": "low"}}, "binary"),
                             DISPARITIES)
    race = next(c for c in result.payload["results"] if c["grouping"] == "race")
    assert race["status"] == "undefined" and race["passed"] is None
    finding = next(f for f in result.findings if f.id == "policy.demographic_parity_ratio[race]")
    assert finding.severity == "low" and "does not pass" in finding.message
    assert result.payload["passed"] is False


def test_failed_check_is_a_finding_with_its_severity_and_numbers():
    result = evaluate_policy(load_policy({"demographic_parity_difference": {"max": 0.1, "severity": "medium"}},
                                         "binary"), DISPARITIES)
    finding = next(f for f in result.findings if f.id == "policy.demographic_parity_difference[sex]")
    assert finding.severity == "medium"
    assert finding.message == ("Policy check failed: demographic parity difference by sex is 0.19 (95% CI 0.15 to "
                               "0.22); the policy requires at most 0.1.")


@pytest.mark.parametrize(("policy", "message"), [
    ({"demographic_parity": {"max": 0.1}}, "policy entry 'demographic_parity' is not a disparity of a binary audit"),
    ({"demographic_parity_ratio": {"severity": "high"}}, "needs a threshold, e.g. {max: 0.1} or {min: 0.8}"),
    ({"demographic_parity_ratio": {"min": "high"}}, "min must be a finite number; got 'high' (str)"),
    ({"demographic_parity_ratio": {"min": 0.8, "severity": "fatal"}}, "severity must be one of low, medium, high"),
    ({"demographic_parity_ratio": {"min": 0.8, "colour": 1}}, "has unknown key(s) colour"),
])
def test_bad_policies_are_named(policy, message):
    with pytest.raises(InputError) as error:
        load_policy(policy, "binary")
    assert message in str(error.value)


def test_policy_file_and_unknown_grouping(tmp_path, frame):
    path = tmp_path / "policy.yaml"
    path.write_text("demographic_parity_difference: {max: 0.5}\nmae_ratio: {min: 0.5}\n")
    with pytest.raises(InputError, match="'mae_ratio' is not a disparity of a binary audit"):
        load_policy(str(path), "binary")
    with pytest.raises(InputError, match="names grouping\\(s\\) age; this audit has: sex, region, sex × region"):
        audit(data=frame, target="approved", sensitive=["sex", "region"], predictions="decision",
              steps=["fairness"], policy={"demographic_parity_difference": {"max": 0.1, "groupings": ["age"]}})


def test_failing_checks_by_severity():
    doc = {"checks": {"results": [{"status": "failed", "severity": "medium"}, {"status": "passed",
                                                                             "severity": "high"},
                                  {"status": "undefined", "severity": "low"}]}}
    assert len(failing_checks(doc, "low")) == 2
    assert len(failing_checks(doc, "medium")) == 1
    assert failing_checks(doc, "high") == []


def _cli(csv_path, out, *extra):
    return cli.main(["audit", "-q", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--predictions", "decision", "--out", str(out), "--no-report", *extra])


def test_fail_on_exits_3_when_a_check_fails(tmp_path, csv_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text("demographic_parity_difference: {max: 0.0001, severity: high}\n")
    assert _cli(csv_path, tmp_path / "a", "--policy", str(policy), "--fail-on", "high") == 3
    assert "policy check(s) at severity high or higher did not pass: demographic_parity_difference[sex]" in (
        capsys.readouterr().err)
    doc = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert doc["checks"]["results"][0]["status"] == "failed"
    assert any(f["id"] == "policy.demographic_parity_difference[sex]" for f in doc["findings"])


def test_fail_on_passes_below_the_level_and_when_checks_pass(tmp_path, csv_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text("demographic_parity_difference: {max: 0.0001, severity: low}\n")
    assert _cli(csv_path, tmp_path / "b", "--policy", str(strict), "--fail-on", "medium") == 0
    loose = tmp_path / "loose.yaml"
    loose.write_text("demographic_parity_difference: {max: 0.9}\n")
    assert _cli(csv_path, tmp_path / "c", "--policy", str(loose), "--fail-on", "low") == 0
    assert _cli(csv_path, tmp_path / "d", "--policy", str(strict)) == 0  # no gate without --fail-on


def test_fail_on_without_policy_is_bad_input(tmp_path, csv_path, capsys):
    assert _cli(csv_path, tmp_path / "e", "--fail-on", "high") == 2
    assert capsys.readouterr().err.strip() == (
        "auditkit: error: --fail-on needs a policy (--policy FILE or 'policy:' in the config): "
        "without one there are no checks that could fail")


def test_ci_basis_with_both_bounds_checks_each_end():
    from auditkit.fairness.policy import Rule, _check

    rule = Rule(metric="demographic_parity_ratio", min=0.8, max=1.0, basis="ci")
    record = {"name": "demographic_parity_ratio", "grouping": "sex", "value": 0.85, "ci": [0.5, 0.9]}
    assert _check(rule, record)["status"] == "failed"  # lower end 0.5 < 0.8
    record["ci"] = [0.82, 0.97]
    assert _check(rule, record)["status"] == "passed"


def test_a_single_grouping_may_be_given_as_a_string():
    from auditkit.fairness.policy import load_policy

    (rule,) = load_policy({"demographic_parity_difference": {"max": 0.1, "groupings": "sex"}}, "binary")
    assert rule.groupings == ("sex",)
