"""skops files: skops' defaults plus a documented allow-list load with no flag; other types only when trusted by name.

(auditkit/io/skops_files.py; the trust_types setting and the --trust-type flag.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from auditkit import AuditSpec, build_context, datasets
from auditkit.cli import main
from auditkit.exceptions import InputError, ModelLoadError
from auditkit.io.skops_files import KNOWN_RISKS, SAFE_TYPES, load_skops, untrusted_types

GERMAN = datasets.load("german")
NUMERIC = ["duration_months", "credit_amount", "age"]
TEXT = ["checking_account_status", "purpose"]
TREE = "sklearn.tree._tree.Tree"
TREE_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
SELECTOR = "sklearn.compose._column_transformer.make_column_selector"


def fitted(final, prep=None):
    prep = prep or ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), TEXT),
                                      ("numbers", StandardScaler(), NUMERIC)])
    return Pipeline([("prep", prep), ("model", final)]).fit(GERMAN.frame, GERMAN.frame["credit_risk"])


def dumped(model, tmp_path, name="model.skops"):
    sio.dump(model, tmp_path / name)
    return tmp_path / name


ORDINARY = {
    "one-hot + scaler + logistic regression": lambda: fitted(LogisticRegression()),
    "a numpy dtype object: OrdinalEncoder(dtype=np.dtype('int64'))": lambda: fitted(
        LogisticRegression(),
        ColumnTransformer([("text", OrdinalEncoder(dtype=np.dtype("int64")), TEXT),
                           ("numbers", StandardScaler(), NUMERIC)])),
}


@pytest.mark.parametrize("make", ORDINARY.values(), ids=ORDINARY.keys())
def test_an_ordinary_pipeline_loads_with_no_flag(tmp_path, make):
    model = make()
    path = dumped(model, tmp_path)
    ctx = build_context(AuditSpec(data="german", model=str(path)))
    assert ctx.y_pred.tolist() == (model.predict(ctx.X) == "good").astype(int).tolist()


def test_numpy_dtype_is_on_the_allow_list_because_skops_reports_it():
    model = fitted(LogisticRegression(), ColumnTransformer([("text", OrdinalEncoder(dtype=np.dtype("int64")), TEXT)]))
    assert sio.get_untrusted_types(data=sio.dumps(model)) == ["numpy.dtype"]  # what skops alone would refuse
    assert list(SAFE_TYPES) == ["numpy.dtype"] and all(len(reason) > 100 for reason in SAFE_TYPES.values())


def test_tree_storage_is_not_trusted_without_being_named():
    assert TREE not in SAFE_TYPES and TREE_PREDICTOR not in SAFE_TYPES
    assert set(KNOWN_RISKS) == {TREE, TREE_PREDICTOR}


TREES = {
    "RandomForest": (lambda: fitted(RandomForestClassifier(20, max_depth=5, random_state=0)), TREE,
                     "trees of decision trees, forests and gradient boosting"),
    "HistGradientBoosting": (lambda: fitted(HistGradientBoostingClassifier(max_iter=10)), TREE_PREDICTOR,
                             "trees of histogram gradient boosting"),
}


@pytest.mark.parametrize("name", TREES)
def test_tree_models_are_refused_naming_the_type_and_the_setting_that_trusts_it(tmp_path, name):
    make, kind, holds = TREES[name]
    path = dumped(make(), tmp_path)
    with pytest.raises(ModelLoadError) as error:
        build_context(AuditSpec(data="german", model=str(path)))
    assert str(error.value) == (
        f"model.skops holds a type that is not trusted by default: {kind} ({holds}; skops: a crafted file can crash "
        f"the process at predict); if you trust where the file comes from, pass trust_types=['{kind}'] "
        "(trust_model=True trusts every type in it)")


@pytest.mark.parametrize("name", TREES)
def test_tree_models_load_when_their_type_is_trusted_by_name(tmp_path, name):
    make, kind, _ = TREES[name]
    model = make()
    path = dumped(model, tmp_path)
    ctx = build_context(AuditSpec(data="german", model=str(path), trust_types=[kind]))
    assert ctx.y_pred.tolist() == (model.predict(ctx.X) == "good").astype(int).tolist()
    assert ctx.y_score.tolist() == model.predict_proba(ctx.X)[:, 1].tolist()


def test_the_command_line_names_the_trust_type_flag_and_takes_it(tmp_path, capsys):
    path = dumped(TREES["RandomForest"][0](), tmp_path)
    base = ["audit", "--data", "german", "--model", str(path), "--steps", "performance", "--no-report", "-q"]
    assert main([*base, "--out", str(tmp_path / "refused")]) == 2
    assert f"pass --trust-type {TREE} (--trust-model trusts every type in it)" in capsys.readouterr().err
    assert main([*base, "--trust-type", TREE, "--out", str(tmp_path / "trusted")]) == 0


# Columns chosen by a selector object: a type skops does not trust by default (and auditkit does not list).
BY_PATTERN = ColumnTransformer([("numbers", StandardScaler(), make_column_selector(pattern="^(duration_months|age)$"))])


def test_an_unknown_type_is_refused_with_its_name_until_trusted(tmp_path):
    path = dumped(fitted(LogisticRegression(), BY_PATTERN), tmp_path)
    refused = rf"^model\.skops holds a type that is not trusted by default: {SELECTOR}; "
    with pytest.raises(ModelLoadError, match=refused):
        load_skops(path)
    assert type(load_skops(path, trust_types=[SELECTOR])).__name__ == "Pipeline"


def test_trusting_one_type_leaves_the_others_refused(tmp_path):
    path = dumped(fitted(RandomForestClassifier(5, max_depth=3, random_state=0), BY_PATTERN), tmp_path)
    assert untrusted_types(path) == sorted([SELECTOR, TREE])
    with pytest.raises(ModelLoadError) as error:
        load_skops(path, trust_types=[TREE])
    assert str(error.value).startswith(f"model.skops holds a type that is not trusted by default: {SELECTOR}; ")
    assert f"pass trust_types=['{SELECTOR}']" in str(error.value)
    assert type(load_skops(path, trust_types=[TREE, SELECTOR])).__name__ == "Pipeline"
    assert type(load_skops(path, trust=True)).__name__ == "Pipeline"


def test_several_refused_types_are_named_together(tmp_path):
    path = dumped(fitted(RandomForestClassifier(5, max_depth=3, random_state=0), BY_PATTERN), tmp_path)
    with pytest.raises(ModelLoadError) as error:
        load_skops(path)
    assert str(error.value).startswith(f"model.skops holds types that are not trusted by default: {SELECTOR}, {TREE} (")
    assert f"pass trust_types={[SELECTOR, TREE]!r}" in str(error.value)


@pytest.mark.parametrize(("given", "message"), [
    ({"trust_types": "sklearn.tree._tree.Tree"}, None),  # one name is a one-element list
    ({"trust_types": [TREE, TREE]}, "trust_types must be a list of type names, e.g. [sklearn.tree._tree.Tree]; got "),
    ({"trust_types": [3]}, "trust_types must be a list of type names, e.g. [sklearn.tree._tree.Tree]; got [3] (list)"),
])
def test_trust_types_are_checked_when_the_spec_is_built(given, message):
    if message is None:
        assert AuditSpec(data="german", model="m.skops", **given).trust_types == [TREE]
        return
    with pytest.raises(InputError) as error:
        AuditSpec(data="german", model="m.skops", **given)
    assert str(error.value).startswith(message)


def test_trust_types_apply_to_a_model_file_only():
    model = LogisticRegression().fit(pd.DataFrame({"x": [0.0, 1.0]}), [0, 1])
    with pytest.raises(InputError, match=r"^trust_types= applies to a model file; this model was given in memory$"):
        AuditSpec(data="german", model=model, trust_types=[TREE])
