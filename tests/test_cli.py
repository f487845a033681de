"""The CLI contract: outputs, exit codes, one-line errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from auditkit import cli

# Steps that need no explainer: the CLI contract tests do not need SHAP/LIME (tested in tests/steps).
QUICK = ["--steps", "data_overview,performance,fairness"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditkit.cli", *args], capture_output=True, text=True, timeout=600
    )


def audit_json(out: Path) -> dict:
    return json.loads((out / "audit.json").read_text())


def test_predictions_only_audit_writes_json(tmp_path, csv_path):
    out = tmp_path / "out"
    code = cli.main(["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--sensitive", "region", "--predictions", "decision", "--scores", "score",
                     "--out", str(out), "--no-report"])
    assert code == 0
    doc = audit_json(out)
    assert doc["schema_version"] == "1"
    assert doc["dataset"]["mode"] == "predictions"
    assert doc["dataset"]["n_rows"] == 400
    assert doc["provenance"]["model_sha256"] is None
    groups = [row["group"] for row in doc["fairness"]["by_group"]]
    assert {"sex": "female"} in groups
    assert {"sex": "male", "region": "north"} in groups


def test_bundled_dataset_defaults_apply(tmp_path):
    out = tmp_path / "german"
    assert cli.main(["audit", "--data", "german", "--sample", "300", *QUICK, "--out", str(out), "--no-report"]) == 0
    ds = audit_json(out)["dataset"]
    assert ds["target"] == "credit_risk"
    assert ds["positive_label"] == "good"
    assert ds["sensitive_features"] == ["sex", "age_group"]
    assert ds["mode"] == "reference"


def test_model_path_with_skops(tmp_path, frame, csv_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(frame[["income", "debt"]], frame["approved"])
    model_path = tmp_path / "model.skops"
    sio.dump(model, model_path)
    out = tmp_path / "out"
    code = cli.main(["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--model", str(model_path), "--out", str(out), "--no-report", *QUICK])
    assert code == 0
    doc = audit_json(out)
    assert doc["provenance"]["model_sha256"] and len(doc["provenance"]["model_sha256"]) == 64
    expected = model.predict(frame[["income", "debt"]]).mean()
    assert doc["performance"]["overall"]["selection_rate"] == pytest.approx(expected, abs=1e-12)


def test_untrusted_model_types_need_opt_in(tmp_path, frame, csv_path):
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=5).fit(frame[["income", "debt"]], frame["approved"])
    model_path = tmp_path / "hgb.skops"
    sio.dump(model, model_path)
    base = ["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
            "--model", str(model_path), "--no-report", *QUICK]
    refused = run_cli(*base, "--out", str(tmp_path / "a"))
    assert refused.returncode == 2
    assert "not trusted by default" in refused.stderr and "--trust-model" in refused.stderr
    assert cli.main([*base, "--trust-model", "--out", str(tmp_path / "b")]) == 0


def test_pickle_models_are_refused(tmp_path, csv_path, capsys):
    model_path = tmp_path / "model.pkl"
    model_path.write_bytes(b"not even a pickle")
    code = cli.main(["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--model", str(model_path), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "pickle/joblib models are not loaded" in capsys.readouterr().err


BAD_INPUTS = {
    "missing column": (["--target", "approved", "--sensitive", "gender"],
                       "sensitive column 'gender' is not in the data"),
    "missing target": (["--target", "outcome", "--sensitive", "sex"],
                       "target column 'outcome' is not in the data"),
    "non-binary target": (["--target", "region", "--positive-label", "north", "--sensitive", "sex"],
                          "column 'region' must be binary for a classification audit, but it has 3 distinct values"),
    "unknown positive label": (["--target", "approved", "--positive-label", "yes", "--sensitive", "sex"],
                               "positive label 'yes' does not occur in target column 'approved'"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(case, tmp_path, csv_path):
    args, message = BAD_INPUTS[case]
    result = run_cli("audit", "-q", "--data", csv_path, *args, "--out", str(tmp_path / "o"), "--no-report")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("auditkit: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_dataset_name_exits_2(tmp_path):
    result = run_cli("audit", "-q", "--data", "adlt", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "auditkit: error: Unknown dataset 'adlt'. Available bundled datasets: adult, compas, german."
    )


def test_unreadable_file_exits_2(tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"\x00\x01 this is not parquet")
    result = run_cli("audit", "-q", "--data", str(bad), "--target", "y", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"auditkit: error: could not read {bad}")
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(tmp_path):
    result = run_cli("audit", "--quiet", "--data", str(tmp_path / "nope.csv"), "--target", "y")
    assert result.returncode == 2
    assert result.stderr.strip() == f"auditkit: error: data file not found: {tmp_path / 'nope.csv'}"


def test_config_file_and_overrides(tmp_path, csv_path):
    config = tmp_path / "audit.yaml"
    config.write_text(f"data: {csv_path}\ntarget: approved\nsensitive: [region]\npredictions: decision\nseed: 3\n")
    out = tmp_path / "o"
    assert cli.main(["audit", "--config", str(config), "--seed", "5", "--out", str(out), "--no-report"]) == 0
    doc = audit_json(out)
    assert doc["provenance"]["seed"] == 5
    assert doc["dataset"]["sensitive_features"] == ["region"]


def test_unknown_config_key_is_named(tmp_path, capsys):
    config = tmp_path / "audit.yaml"
    config.write_text("data: adult\nsensitve: [sex]\n")
    assert cli.main(["audit", "--config", str(config)]) == 2
    assert "unknown audit setting(s): sensitve" in capsys.readouterr().err


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One ``auditkit audit`` in its own process: a sample of adult, every default step, the report rendered."""
    out = tmp_path_factory.mktemp("cli") / "report"
    return run_cli("audit", "--data", "adult", "--sample", "1500", "--seed", "7", "--out", str(out)), out


def test_same_inputs_and_seed_give_identical_json(tmp_path, reported):
    """Every default step, run again in this process and without the report: the same audit.json."""
    again = tmp_path / "again"
    assert cli.main(["audit", "--data", "adult", "--sample", "1500", "--seed", "7", "--out", str(again),
                     "--no-report"]) == 0
    assert reported[0].returncode == 0, reported[0].stderr
    docs = [audit_json(out) for out in (reported[1], again)]
    for doc in docs:
        for key in ("started", "finished"):
            doc["provenance"].pop(key)
    assert docs[0] == docs[1]


def test_different_seed_changes_the_split(tmp_path):
    """Data without a documented split (a file): the seed picks the rows held out from the reference model.

    (A bundled dataset keeps its documented held-out rows whatever the seed: tests/test_context_split.py.)
    """
    from auditkit import datasets

    path = tmp_path / "german.csv"
    datasets.load("german").frame.to_csv(path, index=False)
    rates = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        assert cli.main(["audit", "--data", str(path), "--target", "credit_risk", "--positive-label", "good",
                         "--sensitive", "sex", "--seed", seed, *QUICK, "--out", str(out), "--no-report"]) == 0
        doc = audit_json(out)
        rates.append([doc["performance"]["overall"]["accuracy"],
                      *(row["n"] for row in doc["data"]["overview"]["group_sizes"])])
    assert not np.allclose(rates[0], rates[1])


def test_end_to_end_report_on_a_sample(reported):
    result, out = reported
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("report.html")
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html
    assert "Fairness by group" in html
    assert "cdnjs" not in html and "src=\"http" not in html  # opens offline
    assert (out / "report.ipynb").exists()


def test_datasets_command_lists_bundled_names(capsys):
    assert cli.main(["datasets"]) == 0
    assert capsys.readouterr().out.split() == ["adult", "compas", "german"]


@pytest.mark.slow
def test_demo_writes_the_three_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 0
    for name in ("audit.json", "report.ipynb", "report.html"):
        assert (tmp_path / "reports" / "demo" / name).is_file()
    assert audit_json(tmp_path / "reports" / "demo")["dataset"]["n_rows"] >= 14000


def test_model_that_raises_exits_2(tmp_path, frame):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(frame[["income", "debt"]], frame["approved"])
    model_path = tmp_path / "model.skops"
    sio.dump(model, model_path)
    broken = frame.assign(debt="not a number")
    data = tmp_path / "broken.csv"
    broken.to_csv(data, index=False)
    result = run_cli("audit", "-q", "--data", str(data), "--target", "approved", "--sensitive", "sex",
                     "--model", str(model_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.startswith("auditkit: error: the model raised while predicting: ValueError")
    assert len(result.stderr.strip().splitlines()) == 1


def test_steps_option_limits_the_audit(tmp_path, csv_path):
    out = tmp_path / "o"
    assert cli.main(["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--predictions", "decision", "--steps", "performance", "--out", str(out), "--no-report"]) == 0
    doc = audit_json(out)
    assert "performance" in doc and "fairness" not in doc


def test_unknown_step_is_named(tmp_path, csv_path, capsys):
    assert cli.main(["audit", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                     "--steps", "fairness,shapp", "--out", str(tmp_path / "o")]) == 2
    assert "No step named 'shapp' (did you mean 'shap'?); available: " in capsys.readouterr().err


def test_usage_errors_are_one_line():
    result = subprocess.run([sys.executable, "-m", "auditkit.cli", "audit", "--data", "german", "--seed", "abc"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "auditkit: error: argument --seed: invalid int value: 'abc' (see 'auditkit audit --help')\n"


def test_invalid_yaml_is_one_line_with_its_position(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("data: [a\nb: c\n")
    assert cli.main(["audit", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    expected = "is not valid YAML: expected ',' or ']', but got ':' (line 2, column 2)"
    assert err.strip() == f"auditkit: error: config file {config} {expected}"
