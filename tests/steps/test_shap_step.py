"""SHAP step: explainer choice, additivity, exact values, feature mapping, group gaps."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from _explain_fixtures import loan_context, loans, one_openmp_thread
from scipy.special import logit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditkit import AuditSpec, InputError, build_context
from auditkit.explain.group_attributions import gap_decomposition, group_means, reference_group
from auditkit.explain.shap_values import build_shap_engine, choose_explainer
from auditkit.runner import run_step
from auditkit.stats.missing_group import MISSING_GROUP
from auditkit.steps.shap_step import ShapStep


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    yield from one_openmp_thread()


@pytest.fixture(scope="module")
def ctx():
    return loan_context()


@pytest.fixture(scope="module")
def step_result(ctx):
    return ShapStep().run(ctx)


@pytest.mark.parametrize(("estimator", "expected"), [
    (HistGradientBoostingClassifier(), "tree"),
    (RandomForestClassifier(), "tree"),
    (LogisticRegression(), "linear"),
    (KNeighborsClassifier(), "permutation"),
    (MLPClassifier(), "permutation"),
])
def test_explainer_choice(estimator, expected):
    assert choose_explainer(estimator) == expected


def test_native_categorical_boosting_goes_model_agnostic():
    X = pd.DataFrame({"c": pd.Categorical(["a", "b", "a", "b"] * 10), "x": np.arange(40.0)})
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=3).fit(X, [0, 1] * 20)
    assert choose_explainer(model) == "permutation"


def test_tree_additivity_in_log_odds_through_the_pipeline(ctx):
    engine = build_shap_engine(ctx.model, ctx.X_train, ctx.positive_label)
    attribution = engine.explain(ctx.X)
    assert (engine.explainer, engine.output_space) == ("tree", "log-odds")
    # The output checked against is the model's own: logit of its probability.
    np.testing.assert_allclose(attribution.output, logit(ctx.y_score), atol=1e-9)
    assert attribution.additivity_error.max() < 1e-10


def test_one_hot_attributions_are_summed_per_original_column(ctx):
    import shap

    # One-hot encodes [region, sex] (3 + 2 dummies), then passes income, debt, noise.
    encode = ColumnTransformer([("categorical", OneHotEncoder(sparse_output=False), ["region", "sex"]),
                                ("numeric", "passthrough", ["income", "debt", "noise"])])
    model = Pipeline([("preprocess", encode), ("classifier", HistGradientBoostingClassifier(max_iter=20))])
    model.fit(ctx.X_train, ctx.model.predict(ctx.X_train))
    prep, final = model[:-1], model[-1]
    raw = shap.TreeExplainer(final).shap_values(prep.transform(ctx.X))
    engine = build_shap_engine(model, ctx.X_train, ctx.positive_label)
    values = engine.explain(ctx.X).values
    assert engine.features == ["income", "debt", "region", "sex", "noise"]
    np.testing.assert_allclose(values[:, 2], raw[:, 0:3].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(values[:, 3], raw[:, 3:5].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(values[:, [0, 1, 4]], raw[:, 5:8], atol=1e-12)


def test_permutation_explainer_is_additive_in_probability(ctx):
    engine = build_shap_engine(ctx.model, ctx.X_train.iloc[:20], ctx.positive_label, explainer="permutation")
    attribution = engine.explain(ctx.X.iloc[:4], seeds=np.arange(4))
    assert (engine.explainer, engine.output_space, engine.background_rows) == ("permutation", "probability", 20)
    np.testing.assert_allclose(attribution.output, ctx.y_score[:4], atol=1e-12)
    assert attribution.additivity_error.max() < 1e-10


def test_permutation_codes_categories_missing_from_the_background(ctx):
    background = ctx.X_train[ctx.X_train["region"] == "north"].iloc[:5]
    rows = ctx.X[ctx.X["region"] != "north"].iloc[:2]
    engine = build_shap_engine(ctx.model, background, 1, explainer="permutation", rows=rows)
    attribution = engine.explain(rows, seeds=np.arange(2))
    np.testing.assert_allclose(attribution.output, ctx.model.predict_proba(rows)[:, 1], atol=1e-12)
    assert attribution.additivity_error.max() < 1e-10


def test_forest_explains_probability_additively():
    data = loans(300)
    X, y = data[["income", "debt", "noise"]], data["approved"]
    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    attribution = build_shap_engine(forest, X, positive_label=1).explain(X)
    np.testing.assert_allclose(attribution.output, forest.predict_proba(X)[:, 1])
    assert attribution.additivity_error.max() < 1e-10


def test_linear_values_are_exact_shapley_values():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])  # independent features
    y = (X["a"] - 2 * X["b"] + rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    background = X.iloc[:250]  # more than the 100 rows shap would subsample by default
    engine = build_shap_engine(model, background, positive_label=1)
    attribution = engine.explain(X.iloc[250:])
    expected = model.coef_[0] * (X.iloc[250:].to_numpy() - background.to_numpy().mean(axis=0))
    assert engine.explainer == "linear"
    np.testing.assert_allclose(attribution.values, expected, atol=1e-12)
    assert attribution.base_value == pytest.approx(model.intercept_[0] + model.coef_[0] @ background.mean())
    assert attribution.additivity_error.max() < 1e-10


def test_negative_class_as_positive_label_flips_the_sign():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    y = np.where(X["a"] > 0, "yes", "no")
    model = LogisticRegression().fit(X, y)
    yes = build_shap_engine(model, X, positive_label="yes").explain(X)
    no = build_shap_engine(model, X, positive_label="no").explain(X)
    np.testing.assert_allclose(no.values, -yes.values)
    np.testing.assert_allclose(no.output, logit(model.predict_proba(X)[:, 0]), atol=1e-9)
    assert no.additivity_error.max() < 1e-10


@pytest.mark.parametrize("explainer", ["tree", "permutation"])
def test_a_feature_the_model_ignores_gets_zero(explainer):
    data = loans(300)
    X, y = data[["income", "debt", "region", "noise"]], data["approved"]
    prep = ColumnTransformer([("cat", OneHotEncoder(), ["region"]), ("num", "passthrough", ["income", "debt"]),
                              ("ignored", "drop", ["noise"])])
    model = Pipeline([("prep", prep), ("clf", HistGradientBoostingClassifier(max_iter=20))]).fit(X, y)
    engine = build_shap_engine(model, X.iloc[:20], 1, explainer=explainer)
    values = engine.explain(X.iloc[:6], seeds=np.arange(6)).values
    assert engine.explainer == explainer
    assert np.abs(values[:, 3]).max() < 1e-12
    assert np.abs(values[:, :3]).max() > 1e-3


def test_unmappable_preprocessing_falls_back_to_permutation():
    from sklearn.decomposition import PCA

    data = loans(200)
    X, y = data[["income", "debt", "noise"]], data["approved"]
    model = Pipeline([("pca", PCA(n_components=2)), ("clf", LogisticRegression())]).fit(X, y)
    engine = build_shap_engine(model, X.iloc[:10], 1)
    assert engine.explainer == "permutation"
    assert "PCA" in engine.fallback_reason
    assert engine.explain(X.iloc[:3], seeds=np.arange(3)).additivity_error.max() < 1e-10


def test_gap_decomposition_sums_to_the_observed_gap(ctx, step_result):
    view = step_result.payload["group_attributions"][0]
    (gap,) = view["gaps"]
    assert (gap["group"], gap["reference"]) == ("female", "male")  # male is the larger group
    scores = logit(ctx.y_score)
    sex = ctx.sensitive["sex"].to_numpy()
    observed = scores[sex == "female"].mean() - scores[sex == "male"].mean()
    assert gap["gap"] == pytest.approx(observed, abs=1e-9)
    assert sum(c["contribution"] for c in gap["contributions"]) == pytest.approx(observed, abs=1e-9)
    assert abs(gap["residual"]) < 1e-9


def test_group_means_and_gap_on_hand_made_values():
    values = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, -2.0]])
    means = group_means(values, values.sum(axis=1) + 10, ["b", "a", "a"], ["x", "y"])
    assert means.groups == ["a", "b"] and means.n.tolist() == [2, 1]
    np.testing.assert_allclose(means.mean_shap, [[4.0, 0.0], [1.0, 0.0]])
    part = gap_decomposition(means, "b", "a")
    assert part["gap"] == pytest.approx(-3.0)
    assert part["contributions"] == [{"feature": "x", "contribution": -3.0}, {"feature": "y", "contribution": 0.0}]
    assert reference_group(means) == "a" and reference_group(means, preferred="b") == "b"


def test_step_payload_names_original_columns(ctx, step_result):
    payload = step_result.payload
    importance = payload["global_importance"]
    assert sorted(r["feature"] for r in importance) == sorted(ctx.X.columns)
    scores = [r["mean_abs_shap"] for r in importance]
    assert scores == sorted(scores, reverse=True)
    summary = payload["shap"]
    assert summary["budget"]["rows_explained"] == ctx.n_rows and not summary["budget"]["rows_sampled"]
    assert summary["additivity"]["holds"] and summary["additivity"]["max_abs_error"] < 1e-10
    assert summary["encoded_columns"]["region"] == 1 and summary["explained_class"] == "1"
    values = step_result.artifacts["values"]
    assert list(values.columns) == list(ctx.X.columns) and len(values) == ctx.n_rows
    lookup = {d["feature"]: d["mean_abs_shap"] for d in importance}
    np.testing.assert_allclose(values.abs().mean().to_numpy(), [lookup[c] for c in ctx.X.columns])


def test_model_agnostic_budget_is_a_seeded_sample(ctx):
    step = ShapStep(explainer="permutation", agnostic_max_rows=5, background_size=10, n_permutations=2)
    first = step.run(ctx)
    again = ShapStep(**step.get_params()).run(loan_context())
    budget = first.payload["shap"]["budget"]
    assert budget["rows_explained"] == 5 and budget["rows_sampled"] and budget["background_rows"] == 10
    assert first.payload["shap"]["additivity"]["max_abs_error"] < 1e-10
    assert first.payload == again.payload
    assert any(f.id == "shap.budget" for f in first.findings)


def test_broken_additivity_is_a_high_finding(ctx, monkeypatch):
    ctx = dataclasses.replace(ctx)  # an empty cache: no SHAP values from other tests
    engine = ShapStep().engine(ctx)
    def without_base(X, seeds):
        values, _, output = engine._compute(X, seeds)
        return values, 0.0, output

    broken = dataclasses.replace(engine, _compute=without_base)
    monkeypatch.setattr(ShapStep, "engine", lambda self, ctx: broken)
    result = ShapStep().run(ctx)
    assert not result.payload["shap"]["additivity"]["holds"]
    (finding,) = [f for f in result.findings if f.id == "shap.additivity"]
    assert finding.severity == "high"


def test_predictions_only_audit_gets_an_info_finding():
    frame = loans(100)
    frame["decision"] = (frame["income"] > 55).astype(int)
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="decision"))
    result = run_step(ShapStep(), ctx)
    assert [f.severity for f in result.findings] == ["info"] and not result.payload


def test_bad_option_is_an_input_error(ctx):
    with pytest.raises(InputError, match="shap step: explainer must be one of auto, tree, linear, permutation"):
        ShapStep(explainer="deep").run(ctx)


def test_missing_group_is_never_the_default_reference():
    values = np.zeros((5, 1))
    means = group_means(values, np.arange(5.0), [MISSING_GROUP] * 3 + ["a", "b"], ["x"])
    assert reference_group(means) == "a"
    assert reference_group(means, preferred=MISSING_GROUP) == MISSING_GROUP
    assert reference_group(means, preferred="not there") == "a"
