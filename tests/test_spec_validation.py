"""Every audit setting and step option is checked when the spec is built: real types, one message form.

Config files are read as bounded, safe YAML: no alias bombs, no repeated keys, UTF-8 only.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from auditkit import AuditSpec, InputError, audit, cli
from auditkit.registry import get_step, step_names

BILLION_LAUGHS = """\
data: adult
step_options:
  lime:
    row_ids:
      - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
      - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      - &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      - &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

# (settings, the whole message): each value is one a careless or hostile config file could hold.
WRONG_SETTINGS = [
    ({"trust_model": "false"}, "trust_model must be true or false; got 'false' (str)"),
    ({"trust_model": 0}, "trust_model must be true or false; got 0 (int)"),
    ({"positive_label": [1]}, "positive_label must be a single value (text, a number or true/false); got [1] (list)"),
    ({"positive_label": float("nan")},
     "positive_label must be a single value (text, a number or true/false); got nan (float)"),
    ({"sample": 12.7}, "sample must be an integer, at least 10; got 12.7 (float)"),
    ({"sample": "abc"}, "sample must be an integer, at least 10; got 'abc' (str)"),
    ({"sample": True}, "sample must be an integer, at least 10; got True (bool)"),
    ({"sample": 5}, "sample must be an integer, at least 10; got 5 (int)"),
    ({"sensitive": 5}, "sensitive must be a list of column names, each named once; got 5 (int)"),
    ({"sensitive": ["sex", 5]}, "sensitive must be a list of column names, each named once; got ['sex', 5] (list)"),
    ({"sensitive": ["sex", "sex"]},
     "sensitive must be a list of column names, each named once; got ['sex', 'sex'] (list)"),
    ({"steps": 5}, "steps must be a non-empty list of step names or steps (Step instances), each named once; "
                   "got 5 (int)"),
    ({"steps": []}, "steps must be a non-empty list of step names or steps (Step instances), each named once; "
                    "got [] (list)"),
    ({"steps": ["fairness", "fairness"]},
     "steps must be a non-empty list of step names or steps (Step instances), each named once; "
     "got ['fairness', 'fairness'] (list)"),
    ({"step_options": [1]},
     "step_options must be a mapping of step name to its options, e.g. {fairness: {n_boot: 500}}; got [1] (list)"),
    ({"step_options": {"fairness": 5}},
     "step_options must be a mapping of step name to its options, e.g. {fairness: {n_boot: 500}}; "
     "got {'fairness': 5} (dict)"),
    ({"target": ["y"]}, "target must be a column name (text); got ['y'] (list)"),
    ({"predictions": 3}, "predictions must be a column name (text); got 3 (int)"),
    ({"data": 5}, "data must be a DataFrame, a file path, a bundled dataset name (adult, compas, german) or an "
                  "auditkit.datasets.Dataset; got 5 (int)"),
    ({"data": ""}, "data must be a DataFrame, a file path, a bundled dataset name (adult, compas, german) or an "
                   "auditkit.datasets.Dataset; got '' (str)"),
    ({"model": ["m.skops"]}, "model must be a model file path (.skops, XGBoost .json/.ubj, LightGBM .txt, .onnx) or "
                             "a fitted estimator (an object with a predict method); got ['m.skops'] (list)"),
    ({"seed": 2**32}, "seed must be an integer from 0 to 4294967295; got 4294967296 (int)"),
    ({"seed": 10**400},
     "seed must be an integer from 0 to 4294967295; got 100000000000000000...0000000000000000000 (int)"),
    ({"seed": 1.5}, "seed must be an integer from 0 to 4294967295; got 1.5 (float)"),
    ({"seed": "7"}, "seed must be an integer from 0 to 4294967295; got '7' (str)"),
    ({"test_size": "0.3"}, "test_size must be a number above 0 and below 1; got '0.3' (str)"),
    ({"test_size": float("nan")}, "test_size must be a number above 0 and below 1; got nan (float)"),
    ({"test_size": 1}, "test_size must be a number above 0 and below 1; got 1 (int)"),
    ({"min_group_size": 2.5}, "min_group_size must be an integer, at least 1; got 2.5 (float)"),
    ({"min_group_size": 0}, "min_group_size must be an integer, at least 1; got 0 (int)"),
    ({"task": 5}, "task must be one of binary, multiclass, regression; got 5 (int)"),
    ({"task": ["binary"]}, "task must be one of binary, multiclass, regression; got ['binary'] (list)"),
    ({"reference_groups": ["sex"]},
     "reference_groups must be a mapping of sensitive column to one value, e.g. {sex: Male}; got ['sex'] (list)"),
    ({"reference_groups": {"sex": ["Male"]}},
     "reference_groups must be a mapping of sensitive column to one value, e.g. {sex: Male}; "
     "got {'sex': ['Male']} (dict)"),
    ({"policy": 5}, "policy must be a policy file path or a mapping of policy entries; got 5 (int)"),
]


@pytest.mark.parametrize(("settings", "message"), WRONG_SETTINGS, ids=[m.split(" ")[0] for _, m in WRONG_SETTINGS])
def test_wrong_setting_is_named_with_expected_and_given(settings, message):
    with pytest.raises(InputError) as error:
        AuditSpec(data="adult", **settings) if "data" not in settings else AuditSpec(**settings)
    assert str(error.value) == message


WRONG_STEP_OPTIONS = [
    ("fairness", {"ci_level": 2.0}, "fairness step: ci_level must be a number above 0 and below 1; got 2.0 (float)"),
    ("fairness", {"n_boot": -5}, "fairness step: n_boot must be an integer from 0 to 100000; got -5 (int)"),
    ("fairness", {"n_boot": 10.5}, "fairness step: n_boot must be an integer from 0 to 100000; got 10.5 (float)"),
    ("fairness", {"intersections": "no"}, "fairness step: intersections must be true or false; got 'no' (str)"),
    ("fairness", {"alpha": 0}, "fairness step: alpha must be a number above 0 and below 1; got 0 (int)"),
    ("fairness", {"correction": "bonferroni"},
     "fairness step: correction must be one of holm, bh; got 'bonferroni' (str)"),
    ("fairness", {"extra_metrics": ["f1"]},
     "fairness step: extra_metrics must be a mapping of name to a metric(y_true, y_pred) or its import path, "
     "e.g. {f1: 'sklearn.metrics:f1_score'}; got ['f1'] (list)"),
    ("fairness", {"min_group_size": 0}, "fairness step: min_group_size must be an integer, at least 1; got 0 (int)"),
    ("data_bias", {"proxy_threshold": 1.5},
     "data_bias step: proxy_threshold must be a number from 0 to 1; got 1.5 (float)"),
    ("data_bias", {"columns": "income"}, "data_bias step: columns must be a list of column names; got 'income' (str)"),
    ("data_bias", {"reference_distribution": {"sex": {"female": -0.5}}},
     "data_bias step: reference_distribution must be a mapping of sensitive column to {group: share}, "
     "e.g. {sex: {Female: 0.5, Male: 0.5}}; got {'sex': {'female': -0.5}} (dict)"),
    ("data_bias", {"reference_distribution": {"sex": {"female": 0, "male": 0.0}}},
     "data_bias step: reference_distribution for 'sex' must hold shares that add up to more than 0; "
     "got {'female': 0, 'male': 0.0}"),
    ("shap", {"explainer": "deep"},
     "shap step: explainer must be one of auto, tree, linear, permutation; got 'deep' (str)"),
    ("shap", {"max_rows": 0}, "shap step: max_rows must be an integer, at least 1; got 0 (int)"),
    ("shap", {"additivity_rtol": 2.0},
     "shap step: additivity_rtol must be a number above 0 and below 1; got 2.0 (float)"),
    ("shap", {"direct_use_share": "10%"}, "shap step: direct_use_share must be a number from 0 to 1; got '10%' (str)"),
    ("lime", {"discretize_continuous": "false"},
     "lime step: discretize_continuous must be true or false; got 'false' (str)"),
    ("lime", {"row_ids": "abc"}, "lime step: row_ids must be a list of row labels; got 'abc' (str)"),
    ("lime", {"repeats": 0}, "lime step: repeats must be an integer, at least 1; got 0 (int)"),
    ("lime", {"min_jaccard": 60}, "lime step: min_jaccard must be a number from 0 to 1; got 60 (int)"),
    ("agreement", {"k": 2.5}, "agreement step: k must be an integer, at least 1; got 2.5 (float)"),
    ("agreement", {"min_agreement": 1.5},
     "agreement step: min_agreement must be a number from 0 to 1; got 1.5 (float)"),
]


@pytest.mark.parametrize(("step", "options", "message"), WRONG_STEP_OPTIONS,
                         ids=[f"{s}-{next(iter(o))}" for s, o, _ in WRONG_STEP_OPTIONS])
def test_wrong_step_option_is_refused_when_the_spec_is_built(step, options, message):
    with pytest.raises(InputError) as error:
        AuditSpec(data="adult", step_options={step: options})
    assert str(error.value) == message
    with pytest.raises(InputError) as error:
        get_step(step)(**options)
    assert str(error.value) == message


def test_every_setting_declares_its_constraints():
    assert list(AuditSpec.constraints) == [f.name for f in dataclasses.fields(AuditSpec)]
    for name in step_names():
        step = get_step(name)
        assert list(step.constraints) == [f.name for f in dataclasses.fields(step)], name


@pytest.mark.parametrize("settings", [
    {"seed": 2**32 - 1}, {"seed": np.int64(3)}, {"sample": 10}, {"sample": np.int32(50)}, {"test_size": 0.5},
    {"positive_label": False}, {"positive_label": 1}, {"positive_label": "yes"}, {"positive_label": np.int64(1)},
    {"sensitive": ("sex", "race")}, {"steps": ("performance",)}, {"reference_groups": None},
    {"step_options": {"fairness": None, "lime": {"row_ids": [3, "a"]}}},
    {"step_options": {"fairness": {"extra_metrics": {"f1": "sklearn.metrics:f1_score", "acc": len}}}},
    {"trust_model": np.bool_(True)}, {"data": Path("loans.csv")},
])
def test_valid_settings_are_accepted(settings):
    AuditSpec(**{"data": "adult", **settings})


def test_a_single_name_is_a_one_element_list_for_steps_as_for_sensitive():
    spec = AuditSpec(data="adult", steps="performance", sensitive="sex")
    assert (spec.steps, spec.sensitive) == (["performance"], ["sex"])


def test_message_shows_numpy_values_as_written():
    from auditkit.params import Interval, validate

    with pytest.raises(InputError, match=r"^sample must be an integer, at least 10; got 3 \(int64\)$"):
        AuditSpec(data="adult", sample=np.int64(3))
    with pytest.raises(InputError, match=r"^x must be a finite number; got inf \(float\)$"):
        validate("x", float("inf"), [Interval(float)])


def test_seed_at_the_numpy_limit_draws_a_sample(csv_path):
    result = audit(data=csv_path, target="approved", sensitive=["sex"], predictions="decision", sample=50,
                   seed=2**32 - 1, steps=["performance"])
    assert result.provenance["seed"] == 2**32 - 1 and result.dataset["n_rows"] == 50


# ---- reference groups: the column when the spec is built, the value once the data is loaded


def test_reference_group_column_must_be_sensitive_when_the_spec_is_built():
    with pytest.raises(InputError, match=r"^reference_groups names race, which is not a sensitive feature "
                                         r"of this audit \(sex\)$"):
        AuditSpec(data="adult", sensitive=["sex"], reference_groups={"race": "White"})


@pytest.mark.parametrize(("settings", "message"), [
    ({"sensitive": ["sex"], "reference_groups": {"sex": "nobody"}},
     "reference_groups: sex='nobody' does not occur in the audited rows; sex has: female, male"),
    ({"reference_groups": {"region": "north"}},  # sensitive from a bundled dataset's datasheet
     "reference_groups names region, which is not a sensitive feature of this audit (race, sex)"),
    ({"step_options": {"data_bias": {"reference_distribution": {"region": {"north": 1.0}}}}},
     "reference_distribution names region, which is not a sensitive feature of this audit (race, sex)"),
])
def test_reference_settings_are_checked_against_the_data_before_any_step_runs(monkeypatch, frame, settings,
                                                                              message):
    ran = []
    for step in map(get_step, step_names()):
        monkeypatch.setattr(step, "run", lambda self, ctx: ran.append(self.name))
    data = ({"data": frame, "target": "approved", "predictions": "decision"} if "sensitive" in settings
            else {"data": "compas", "predictions": "is_recid", "sample": 100})
    with pytest.raises(InputError) as error:
        audit(**data, **settings, steps=["data_overview", "performance", "fairness", "data_bias"])
    assert str(error.value) == message
    assert ran == []


# ---- config files through the CLI: exit 2, one line


def _cli(tmp_path: Path, csv_path: str, config_text: str, capsys) -> tuple[int, str]:
    config = tmp_path / "audit.yaml"
    config.write_text(f"data: {csv_path}\ntarget: approved\nsensitive: [sex]\npredictions: decision\n"
                      f"steps: [performance]\n{config_text}")
    code = cli.main(["audit", "-q", "--config", str(config), "--out", str(tmp_path / "out"), "--no-report"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("config_text", "message"), [
    ("trust_model: 'false'\n", "trust_model must be true or false; got 'false' (str)"),
    ("sample: 12.7\n", "sample must be an integer, at least 10; got 12.7 (float)"),
    ("seed: 4294967296\n", "seed must be an integer from 0 to 4294967295; got 4294967296 (int)"),
    ("positive_label: [1]\n", "positive_label must be a single value (text, a number or true/false); got [1] (list)"),
    ("step_options: {fairness: {ci_level: 2.0}}\n",
     "fairness step: ci_level must be a number above 0 and below 1; got 2.0 (float)"),
    ("step_options: {fairness: {intersections: 'yes'}}\n",
     "fairness step: intersections must be true or false; got 'yes' (str)"),
    ("min_group_size: 2.5\n", "min_group_size must be an integer, at least 1; got 2.5 (float)"),
    ("1: x\nsensitve: [sex]\n", "unknown audit setting(s): 1, sensitve; expected some of: "),
])
def test_config_file_values_of_the_wrong_type_exit_2_with_one_line(tmp_path, csv_path, capsys, config_text,
                                                                   message):
    code, err = _cli(tmp_path, csv_path, config_text, capsys)
    assert code == 2
    assert err.startswith(f"auditkit: error: {message}") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_trust_model_as_text_does_not_load_untrusted_types(tmp_path, frame, csv_path, capsys):
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=3).fit(frame[["income", "debt"]], frame["approved"])
    sio.dump(model, tmp_path / "hgb.skops")
    config = tmp_path / "audit.yaml"
    config.write_text(f"data: {csv_path}\ntarget: approved\nsensitive: [sex]\nmodel: hgb.skops\n"
                      "trust_model: \"false\"\nsteps: [performance]\n")
    code = cli.main(["audit", "-q", "--config", str(config), "--out", str(tmp_path / "out"), "--no-report"])
    assert code == 2
    assert capsys.readouterr().err == "auditkit: error: trust_model must be true or false; got 'false' (str)\n"


# ---- the YAML itself


def _config(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "audit.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_billion_laughs_is_refused_before_it_expands(tmp_path):
    path = _config(tmp_path, BILLION_LAUGHS)
    with pytest.raises(InputError) as error:
        AuditSpec.from_yaml(path)
    assert str(error.value) == (f"config file {path} is refused: its aliases (*name) expand it to more than "
                                "2,000,000 values and characters")


def test_billion_laughs_exits_2_within_bounded_memory(tmp_path, csv_path):
    resource = pytest.importorskip("resource")
    path = _config(tmp_path, BILLION_LAUGHS.replace("data: adult", f"data: {csv_path}\ntarget: approved\n"
                                                    "sensitive: [sex]\npredictions: decision\nsteps: [performance]"))

    def limit_memory():  # the unfixed loader grew past 6 GB; keep a regression from hurting the machine
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    done = subprocess.run([sys.executable, "-m", "auditkit.cli", "audit", "--config", str(path), "--no-report",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          preexec_fn=limit_memory)
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr == (f"auditkit: error: config file {path} is refused: its aliases (*name) expand it to "
                           "more than 2,000,000 values and characters\n")


@pytest.mark.parametrize(("content", "message"), [
    ("data: adult\nseed: 1\nsample: 100\nseed: 2\n",
     "key 'seed' appears twice (on lines 2 and 4); each key may appear once"),
    ("data: adult\nstep_options:\n  fairness:\n    n_boot: 10\n    n_boot: 20\n",
     "key 'n_boot' appears twice (on lines 4 and 5); each key may appear once"),
    ("data: adult\nreference_groups: {sex: male, sex: female}\n",
     "key 'sex' appears twice (on line 2); each key may appear once"),
])
def test_duplicate_keys_are_named_with_their_lines(tmp_path, content, message):
    path = _config(tmp_path, content)
    with pytest.raises(InputError) as error:
        AuditSpec.from_yaml(path)
    assert str(error.value) == f"config file {path}: {message}"


def test_merge_keys_may_override_what_they_merge(tmp_path):
    path = _config(tmp_path, "data: adult\nstep_options:\n  fairness: &f {n_boot: 10, ci_level: 0.9}\n"
                             "  data_bias:\n    <<: *f\n    n_boot: 20\n")
    assert AuditSpec.from_yaml(path).step_options["data_bias"] == {"n_boot": 20, "ci_level": 0.9}


@pytest.mark.parametrize(("content", "message"), [
    ("data: caf\xe9.csv\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at position 9); save it as UTF-8"),
    ("data: adult\n".encode("utf-16"), "is not UTF-8 text (byte 0xff at position 0); save it as UTF-8"),
    ("data: adult\nsensitive: &s [sex, *s]\n",
     "is refused: an alias refers to a node that contains it (a recursive structure)"),
    ("data: " + "[" * 5000 + "]" * 5000 + "\n", "is refused: it is nested more than 64 levels deep"),
    (b"# nothing but a comment\n", "is empty; expected a mapping such as data: adult"),
    ("- data\n- adult\n", "must hold a mapping such as data: adult; got a list"),
    ("data: !!python/object:os.system {}\n",
     "is not valid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system' "
     "(line 1, column 7)"),
])
def test_unreadable_config_files_are_one_line(tmp_path, content, message):
    path = _config(tmp_path, content)
    with pytest.raises(InputError) as error:
        AuditSpec.from_yaml(path)
    assert str(error.value) == f"config file {path} {message}"


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    assert AuditSpec.from_yaml(_config(tmp_path, "\ufeffdata: adult\nseed: 3\n".encode())).seed == 3


def test_oversized_config_file_is_refused(tmp_path):
    from auditkit.io.yaml_files import MAX_FILE_BYTES

    path = _config(tmp_path, "data: adult\n" + "#" * MAX_FILE_BYTES + "\n")
    with pytest.raises(InputError, match=r"is larger than 1,000,000 bytes; expected a small settings file$"):
        AuditSpec.from_yaml(path)


def test_config_directory_is_named_as_such(tmp_path, capsys):
    assert cli.main(["audit", "--config", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"auditkit: error: config file {tmp_path} is a directory; expected a YAML file\n"


def test_docstring_examples_run():
    import doctest

    import auditkit.params
    import auditkit.spec

    for module in (auditkit.spec, auditkit.params):
        failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        assert tried >= 1 and failures == 0, module.__name__
