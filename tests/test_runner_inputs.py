"""What audit() and audit_to_dir() accept (auditkit/runner.py, spec.py, io/data.py, io/model_inputs.py).

data= a DataFrame, a bundled name, a path or a Dataset; audit_to_dir with the same keywords; data_name= and
model_name= in audit.json and the report header; features=/exclude= for the reference model; and messages
that name the parameter and the accepted types.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from auditkit import AuditSpec, audit, audit_to_dir, build_context, datasets
from auditkit.exceptions import ColumnNotFoundError, DataReadError, DatasetNotFoundError, InputError
from auditkit.report.views import header_html

QUICK = ["performance", "fairness"]
# Seed 0: german's documented held-out split (audited for data="german") is auditkit's own split of the same
# rows with seed 0 and test_size 0.3 (audited for the other forms), so every form audits the same rows.
GERMAN = {"seed": 0, "sample": 300, "steps": QUICK}
DATA_FORMS = ("data must be a DataFrame, a file path, a bundled dataset name (adult, compas, german) or an "
              "auditkit.datasets.Dataset; got ")


def without_times(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    del doc["provenance"]["started"], doc["provenance"]["finished"]
    return doc


def german_as_frame() -> dict:
    """The bundled German data as a plain DataFrame, with the settings its metadata would supply."""
    german = datasets.load("german")
    return {"data": german.frame, "target": german.target_name, "positive_label": german.positive_label,
            "sensitive": german.sensitive_features, "features": german.feature_names}


@pytest.fixture(scope="module")
def german_by_name() -> dict:
    return audit(data="german", **GERMAN).to_dict()


@pytest.mark.parametrize("form", ["Dataset", "DataFrame", "CSV file"])
def test_every_form_of_the_same_data_gives_the_same_audit(form, tmp_path, german_by_name):
    by_name = german_by_name
    if form == "Dataset":
        settings = {"data": datasets.load("german")}
    else:
        settings = german_as_frame()
        if form == "CSV file":
            path = tmp_path / "german.csv"
            settings["data"].to_csv(path, index=False)
            settings["data"] = path
    doc = audit(**settings, **GERMAN).to_dict()
    for section in ("performance", "fairness"):
        assert doc[section] == by_name[section]
    for key in ("target", "positive_label", "sensitive_features", "n_rows"):
        assert doc["dataset"][key] == by_name["dataset"][key]
    assert doc["provenance"]["model"]["features"] == by_name["provenance"]["model"]["features"]


def test_a_synthetic_dataset_supplies_its_target_label_and_sensitive_features():
    biased = datasets.make_biased(600, seed=3)
    doc = audit(data=biased, steps=QUICK).to_dict()
    assert (doc["dataset"]["name"], doc["dataset"]["target"], doc["dataset"]["positive_label"],
            doc["dataset"]["sensitive_features"]) == ("synthetic_biased", "label", 1, ["group"])
    assert doc["provenance"]["data_format"] == {"format": "Dataset"}
    assert doc["provenance"]["model"]["features"] == biased.feature_names


@pytest.mark.parametrize(("data", "shown"), [
    (7, "7 (int)"),
    (None, "None"),
    (["adult"], "['adult'] (list)"),
    (np.zeros(3), "array([0., 0., 0.]) (ndarray)"),
    (pd.Series([1, 2]), "0 1 1 2 dtype: int64 (Series)"),
])
def test_data_of_another_type_is_named_with_the_accepted_types(data, shown):
    with pytest.raises(InputError) as refused:
        audit(data=data)
    message = str(refused.value)
    assert message.startswith(DATA_FORMS) and "\n" not in message
    if shown is not None:
        assert message == DATA_FORMS + shown
    else:
        assert message.endswith("(Series)")


def test_a_name_too_long_for_the_file_system_is_bad_input_not_an_os_error():
    with pytest.raises(DataReadError, match=r"^cannot read data file 'x{20}.*': File name too long$"):
        audit(data="x" * 5000 + ".csv")
    with pytest.raises(DatasetNotFoundError):
        audit(data="x" * 5000)


def test_audit_to_dir_takes_the_keywords_of_audit(tmp_path, german_by_name):
    out = tmp_path / "german"
    written = audit_to_dir(out_dir=out, data="german", report=False, **GERMAN)
    assert sorted(path.name for path in out.iterdir()) == ["audit.json", "model_card.md"]
    on_disk = json.loads((out / "audit.json").read_text())
    assert without_times(on_disk) == without_times(written.to_dict())
    assert {k: v for k, v in on_disk.items() if k != "provenance"} == {
        k: v for k, v in german_by_name.items() if k != "provenance"}
    again = audit_to_dir(AuditSpec(data="german", **GERMAN), tmp_path / "spec", report=False)  # the spec form
    assert without_times(again.to_dict()) == without_times(on_disk)
    audit_to_dir(None, tmp_path / "none", data="german", report=False, **GERMAN)
    assert (tmp_path / "none" / "audit.json").is_file()


@pytest.mark.parametrize(("call", "message"), [
    (lambda out: audit_to_dir("reports/x", data="german"),
     "spec must be an AuditSpec or None; got 'reports/x' (str); pass the settings as keywords instead, e.g. "
     "data='german'"),
    (lambda out: audit_to_dir(AuditSpec(data="german"), out, seed=2),
     "pass either an AuditSpec or keyword settings, not both (got seed as keywords)"),
    (lambda out: audit_to_dir(data="german"), "out_dir= is required: the folder to write the audit to"),
    (lambda out: audit_to_dir(out_dir=out, data="german", sensitve=["sex"]),
     "unknown audit setting(s): sensitve; expected some of: "),
    (lambda out: audit_to_dir(out_dir=out), "the audit needs data= (" + DATA_FORMS.removeprefix("data must be ")
     .removesuffix("; got ") + ")"),
    (lambda out: audit("german"), "spec must be an AuditSpec or None; got 'german' (str); "),
], ids=["folder first", "spec and keywords", "no out_dir", "unknown keyword", "no data", "audit(name)"])
def test_a_wrong_call_is_one_input_error_naming_the_parameter(call, message, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError) as refused:
        call(out)
    assert str(refused.value).startswith(message.format(out=out))
    assert not out.exists()


def test_data_name_and_model_name_are_used_in_the_json_and_the_report_header():
    german = german_as_frame()
    doc = audit(**german, data_name="German credit (1994)", model_name="reference GBM", **GERMAN).to_dict()
    assert doc["dataset"]["name"] == "German credit (1994)"
    assert doc["provenance"]["model"]["name"] == "reference GBM"
    assert doc["dataset"]["spec"]["data"] == "German credit (1994)"
    header = header_html(doc)
    assert "German credit (1994)" in header and "reference model <b>reference GBM</b> (" in header
    assert "&lt;DataFrame&gt;" not in header


@pytest.mark.parametrize(("form", "name"), [("frame", "DataFrame"), ("bundled", "german"), ("Dataset", "german"),
                                            ("file", "credit.csv")])
def test_the_data_has_a_default_name(form, name, tmp_path):
    settings = german_as_frame()
    if form == "bundled":
        settings = {"data": "german"}
    elif form == "Dataset":
        settings = {"data": datasets.load("german")}
    elif form == "file":
        settings["data"].to_csv(tmp_path / "credit.csv", index=False)
        settings["data"] = tmp_path / "credit.csv"
    ctx = build_context(AuditSpec(**settings, sample=100))
    assert ctx.dataset_name == name


def test_the_spec_of_an_in_memory_audit_is_plain_json():
    class Rule:
        def predict(self, X):
            return np.ones(len(X), dtype=int)

    frame = pd.DataFrame({"y": [0, 1] * 20, "g": ["a", "b"] * 20})
    spec = AuditSpec(data=frame, model=Rule(), target="y", sensitive="g")
    plain = json.loads(json.dumps(spec.to_dict()))
    assert plain["data"] == "DataFrame"
    assert plain["model"] == f"{Rule.__module__}.{Rule.__qualname__}"
    named = AuditSpec(data=frame, model=Rule(), target="y", sensitive="g", data_name="loans", model_name="rule")
    assert (named.to_dict()["data"], named.to_dict()["model"]) == ("loans", "rule")


def test_two_reference_audits_of_the_same_frame_and_seed_are_identical():
    settings = {**german_as_frame(), **GERMAN}
    assert without_times(audit(**settings).to_dict()) == without_times(audit(**settings).to_dict())


def test_exclude_trains_the_reference_model_without_the_columns():
    german = datasets.load("german")
    ctx = build_context(AuditSpec(data="german", exclude=["sex", "personal_status_sex"], seed=1))
    expected = [c for c in german.feature_names if c != "sex"]
    assert list(ctx.X.columns) == expected
    assert list(ctx.model.feature_names_in_) == expected
    assert ctx.sensitive_features == ["sex", "age_group"]  # still audited by group
    doc = audit(data="german", exclude=["sex", "personal_status_sex"], **GERMAN).to_dict()
    assert doc["provenance"]["model"]["features"] == expected
    assert doc["provenance"]["model"]["excluded"] == ["sex", "personal_status_sex"]
    assert ", without sex, personal_status_sex;" in header_html(doc)


def test_unawareness_leaves_the_gap_that_a_proxy_carries():
    """Fairness through unawareness: without the group column the proxy keeps most of the selection-rate gap."""
    biased = datasets.make_biased(2000, label_bias=0.5, seed=0)

    def gap(exclude):
        table = audit(data=biased, exclude=exclude, steps=["fairness"]).table("fairness", "group")
        rates = table.set_index("group")["selection_rate"]
        return rates["A"] - rates["B"]

    aware, unaware, without_proxy = gap([]), gap(["group"]), gap(["group", "proxy"])
    assert aware > unaware > without_proxy > 0
    assert unaware > 0.25


def test_features_name_the_reference_model_inputs(frame):
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], features=["income", "debt"]))
    assert list(ctx.X.columns) == ["income", "debt"]
    assert list(ctx.model.feature_names_in_) == ["income", "debt"]


@pytest.mark.parametrize(("settings", "error", "message"), [
    ({"features": ["income", "debts"]}, ColumnNotFoundError,
     "features column 'debts' is not in the data; did you mean 'debt'? Available columns: "),
    ({"exclude": ["gender"]}, ColumnNotFoundError, "exclude column 'gender' is not in the data. Available columns: "),
    ({"features": ["income", "approved"]}, InputError,
     "features names the target 'approved'; the target is what the model predicts, not one of its inputs"),
    ({"exclude": ["approved"]}, InputError,
     "exclude names the target 'approved', which is never an input of the model; leave it out of exclude"),
    ({"exclude": ["income", "debt", "sex", "region", "score", "decision"]}, InputError,
     "exclude leaves no feature columns to train the reference model on (the features are 'income', 'debt', "
     "'sex', 'region', 'score', 'decision')"),
])
def test_wrong_features_or_exclude_are_named(frame, settings, error, message):
    with pytest.raises(error) as refused:
        build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], **settings))
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(("settings", "message"), [
    ({"features": ["a"], "exclude": ["b"]}, "pass either features= or exclude=, not both"),
    ({"features": []}, "features must be a non-empty list of column names, each named once; got [] (list)"),
    ({"exclude": ["a", "a"]}, "exclude must be a list of column names, each named once; got ['a', 'a'] (list)"),
    ({"predictions": "p", "features": ["a"]}, "features= applies to a model; an audit of predictions= has no model"),
    ({"predictions": "p", "exclude": ["a"]}, "exclude= applies to a model; an audit of predictions= has no model"),
    ({"predictions": "p", "model_name": "m"}, "model_name= applies to a model; an audit of predictions= has no model"),
    ({"model": "m.skops", "exclude": ["a"]},
     "exclude= applies to the reference model (an audit without model=); a given model takes the columns it was "
     "fitted on: pass features=[COLUMN, ...] to name them"),
    ({"data_name": ""}, "data_name must be a name (non-empty text); got '' (str)"),
    ({"model_name": 3}, "model_name must be a name (non-empty text); got 3 (int)"),
])
def test_settings_about_the_model_inputs_are_checked_with_the_spec(settings, message):
    with pytest.raises(InputError) as refused:
        AuditSpec(data="german", **settings)
    assert str(refused.value) == message


def test_a_single_feature_or_excluded_column_is_a_one_element_list():
    assert AuditSpec(data="german", exclude="sex").exclude == ["sex"]
    assert AuditSpec(data="german", features=("age",)).features == ["age"]
    assert AuditSpec(data="german", exclude=None).exclude == []


def test_the_readme_in_memory_example_runs(monkeypatch, tmp_path):
    """README's notebook section, run as written (with the quick steps, so the test stays fast)."""
    import functools
    import re
    from pathlib import Path

    import auditkit

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## In a notebook"):]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    # the README also draws a beeswarm: SHAP runs too
    monkeypatch.setattr(auditkit, "audit", functools.partial(auditkit.audit, steps=[*QUICK, "shap"]))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(blocks[0], namespace)  # noqa: S102 - the project's own README
    doc = namespace["result"].to_dict()
    assert doc["dataset"]["name"] == "German credit (test split)"
    assert doc["provenance"]["model"]["name"] == "logistic regression v1"
    assert doc["dataset"]["n_rows"] == 300 and doc["dataset"]["sensitive_features"] == ["sex", "age_group"]
    assert (tmp_path / "audit.json").is_file()
