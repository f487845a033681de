import pytest

from auditkit import AuditSpec, InputError


def test_sensitive_string_becomes_list():
    assert AuditSpec(data="adult", sensitive="sex").sensitive == ["sex"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"seed": -1}, "seed must be an integer from 0 to 4294967295; got -1 (int)"),
        ({"test_size": 1.5}, "test_size must be a number above 0 and below 1; got 1.5 (float)"),
        ({"task": "ranking"}, "task must be one of"),
        ({"model": "m.skops", "predictions": "p"}, "pass either model= or predictions=, not both"),
        ({"steps": ["fairnes"]}, "No step named 'fairnes' (did you mean 'fairness'?); available: data_overview"),
        ({"scores": "s"}, "scores=COLUMN needs predictions=COLUMN"),
        ({"step_options": {"lime": {"n_instance": 3}}}, "unknown option(s) for step 'lime': n_instance"),
        ({"step_options": {"limes": {}}}, "step_options: no step named 'limes' (did you mean 'lime'?)"),
    ],
)
def test_invalid_settings_are_named(settings, message):
    with pytest.raises(InputError) as err:
        AuditSpec(data="adult", **settings)
    assert message in str(err.value)


def test_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        AuditSpec(data="adult", seed=-3)


def test_yaml_round_trip(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("data: german\nseed: 4\nsensitive: sex\n")
    spec = AuditSpec.from_yaml(path, seed=None, sample=200)
    assert (spec.data, spec.seed, spec.sensitive, spec.sample) == ("german", 4, ["sex"], 200)
    assert spec.to_dict()["data"] == "german"


def test_yaml_must_be_a_mapping(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="must hold a mapping"):
        AuditSpec.from_yaml(path)


def test_relative_paths_in_a_config_file_are_relative_to_it(tmp_path, monkeypatch):
    folder = tmp_path / "audits"
    folder.mkdir()
    (folder / "loans.csv").write_text("y,g\n1,a\n0,b\n")
    (folder / "policy.yaml").write_text("demographic_parity_ratio: {min: 0.8}\n")
    (folder / "spec.yaml").write_text("data: loans.csv\npolicy: policy.yaml\n")
    monkeypatch.chdir(tmp_path)
    spec = AuditSpec.from_yaml("audits/spec.yaml")
    assert spec.data == str(folder / "loans.csv")
    assert spec.policy == str(folder / "policy.yaml")
    assert AuditSpec.from_yaml(_write(folder / "named.yaml", "data: adult\n")).data == "adult"


def _write(path, text):
    path.write_text(text)
    return path
