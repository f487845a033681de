"""Which rows SHAP explains: at most shap_rows, stratified by sensitive group, seeded, weighted back, stated.

(auditkit/explain/shap_sample.py; the shap_rows setting and --shap-rows; the budget in audit.json.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from auditkit import AuditSpec, audit, build_context
from auditkit.cli import build_parser, spec_from_args
from auditkit.explain.shap_sample import (
    DEFAULT_SHAP_ROWS,
    MIN_AUTO_ROWS,
    SECONDS_BUDGET,
    TREESHAP_STEPS_PER_SECOND,
    automatic_rows,
    stratified_rows,
    treeshap_cost,
)
from auditkit.explain.shap_values import build_shap_engine, import_shap
from auditkit.steps import ShapStep


def skewed_groups(n: int = 5000, seed: int = 1) -> pd.DataFrame:
    """Two sensitive features, one with groups of 1% and 0.5%, as in Adult's race."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"sex": rng.choice(["female", "male"], n, p=[0.33, 0.67]),
                         "race": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.855, 0.1, 0.03, 0.01, 0.005])})


@pytest.mark.parametrize("limit", [7, 12, 50, 200, 1000])
def test_every_group_of_every_feature_is_in_the_sample(limit):
    groups = skewed_groups()
    sample = stratified_rows(groups, limit, np.random.default_rng(0), floor=30)
    assert len(sample.positions) == limit and len(set(sample.positions.tolist())) == limit
    for feature in groups.columns:
        assert set(groups[feature].iloc[sample.positions]) == set(groups[feature])


def test_each_stratum_gets_its_floor_when_the_budget_allows():
    groups = skewed_groups()
    sample = stratified_rows(groups, 1000, np.random.default_rng(0), floor=30)
    strata = groups.astype(str).agg("|".join, axis=1)
    taken, sizes = strata.iloc[sample.positions].value_counts(), strata.value_counts()
    assert all(taken[s] >= min(30, sizes[s]) for s in sizes.index)


def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    groups = skewed_groups()
    first = stratified_rows(groups, 300, np.random.default_rng([0, 7]), floor=30)
    again = stratified_rows(groups, 300, np.random.default_rng([0, 7]), floor=30)
    other = stratified_rows(groups, 300, np.random.default_rng([1, 7]), floor=30)
    assert np.array_equal(first.positions, again.positions) and np.array_equal(first.weights, again.weights)
    assert not np.array_equal(first.positions, other.positions)


def test_weighted_means_over_the_sample_are_the_means_over_all_rows_for_what_is_constant_in_a_stratum():
    groups = skewed_groups()
    strata, _ = pd.factorize(groups.astype(str).agg("|".join, axis=1))
    value = np.random.default_rng(3).normal(size=strata.max() + 1)[strata]  # one value per stratum
    sample = stratified_rows(groups, 150, np.random.default_rng(0), floor=30)
    assert sample.weights.sum() == pytest.approx(len(groups))
    assert np.average(value[sample.positions], weights=sample.weights) == pytest.approx(value.mean(), abs=1e-12)
    for group in groups["race"].unique():
        inside = (groups["race"] == group).to_numpy()
        picked = inside[sample.positions]
        assert np.average(value[sample.positions][picked], weights=sample.weights[picked]) == pytest.approx(
            value[inside].mean(), abs=1e-12)


def test_every_row_is_explained_within_the_budget():
    groups = skewed_groups(100)
    sample = stratified_rows(groups, 100, np.random.default_rng(0), floor=30)
    assert sample.positions.tolist() == list(range(100)) and set(sample.weights.tolist()) == {1.0}


def test_treeshap_cost_counts_leaves_by_their_depth():
    X = np.arange(8.0).reshape(-1, 1)
    tree = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 0, 1, 0, 1, 0, 1])
    parsed = import_shap().TreeExplainer(tree).model
    depth = {0: 0}
    for node in range(tree.tree_.node_count):
        for child in (tree.tree_.children_left[node], tree.tree_.children_right[node]):
            if child >= 0:
                depth[child] = depth[node] + 1
    by_hand = sum((depth[n] + 1) ** 2 for n in range(tree.tree_.node_count) if tree.tree_.children_left[n] < 0)
    assert treeshap_cost(parsed) == by_hand


def test_the_default_budget_shrinks_for_a_model_whose_treeshap_is_slow():
    assert automatic_rows(None) == DEFAULT_SHAP_ROWS
    cheap = SECONDS_BUDGET * TREESHAP_STEPS_PER_SECOND / DEFAULT_SHAP_ROWS
    assert automatic_rows(cheap) == DEFAULT_SHAP_ROWS
    assert automatic_rows(cheap * 4) == DEFAULT_SHAP_ROWS // 4
    assert automatic_rows(cheap * 10**6) == MIN_AUTO_ROWS


def test_the_engine_estimates_the_cost_of_a_forest():
    ctx = build_context(AuditSpec(data="german", sample=300, seed=0))
    model = ctx.model
    forest = RandomForestClassifier(30, random_state=0)
    forest.fit(model[:-1].transform(ctx.X_train), model.predict(ctx.X_train))
    model.steps[-1] = ("classifier", forest)
    engine = build_shap_engine(model, ctx.X_train.iloc[:20], ctx.positive_label)
    assert engine.explainer == "tree"
    assert engine.cost_per_row == treeshap_cost(import_shap().TreeExplainer(forest).model) > 0
    linear = build_shap_engine(_logistic(ctx), ctx.X_train.iloc[:20], ctx.positive_label)
    assert linear.explainer == "linear" and linear.cost_per_row is None


def _logistic(ctx):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from auditkit import datasets

    model = clone(ctx.model)
    model.steps[-1] = ("classifier", LogisticRegression(max_iter=500))
    return model.fit(ctx.X_train, datasets.load("german").frame.loc[ctx.X_train.index, "credit_risk"])


# --- in an audit: the setting, the flag, what audit.json states -----------------------------------------------------


@pytest.fixture(scope="module")
def adult_sample():
    """An audit of 3,000 Adult rows whose SHAP explains 150 of the ~900 held-out rows, and its context."""
    settings = {"data": "adult", "sample": 3000, "seed": 4}
    return audit(**settings, shap_rows=150, steps=["shap"]), build_context(AuditSpec(**settings))


def test_shap_rows_sets_the_budget_and_audit_json_states_it(adult_sample):
    result, ctx = adult_sample
    budget = result.to_dict()["explanations"]["shap"]["budget"]
    assert (budget["rows_explained"], budget["max_rows"], budget["max_rows_from"]) == (150, 150, "shap_rows")
    assert budget["rows_sampled"] and budget["stratified_by"] == ["sex", "race"]
    for feature in ("sex", "race"):
        counts = budget["rows_by_group"][feature]
        assert {row["group"] for row in counts} == set(ctx.sensitive[feature])
        assert all(row["rows_explained"] >= 1 for row in counts)
        assert sum(row["rows_explained"] for row in counts) == 150
        assert sum(row["rows_audited"] for row in counts) == ctx.n_rows
    finding = next(f for f in result.findings if f.id == "shap.budget")
    assert finding.message.startswith(
        f"SHAP values were computed with the tree explainer for 150 of {ctx.n_rows:,} audited rows (a seeded sample "
        "stratified by sex × race, means weighted back to the audited rows; at most 150 rows, shap_rows)")


def test_the_same_seed_explains_the_same_rows_in_an_audit():
    first = audit(data="german", seed=3, shap_rows=40, steps=["shap"])
    again = audit(data="german", seed=3, shap_rows=40, steps=["shap"])
    other = audit(data="german", seed=5, shap_rows=40, steps=["shap"])
    ids = [first.step("shap").artifacts["rows"]["row_id"].tolist() for first in (first, again, other)]
    assert ids[0] == ids[1] and ids[0] != ids[2]
    assert first.step("shap").payload == again.step("shap").payload


def test_the_default_is_the_automatic_budget():
    result = audit(data="german", steps=["shap"])
    budget = result.step("shap").payload["shap"]["budget"]
    assert budget["max_rows_from"] == "automatic" and budget["max_rows"] == DEFAULT_SHAP_ROWS
    assert budget["rows_explained"] == budget["rows_audited"] and not budget["rows_sampled"]
    assert budget["seconds_per_row"] > 0


def test_the_step_max_rows_wins_over_shap_rows():
    result = audit(data="german", shap_rows=50, steps=[ShapStep(max_rows=30)])
    budget = result.step("shap").payload["shap"]["budget"]
    assert (budget["rows_explained"], budget["max_rows_from"]) == (30, "max_rows")


def test_group_means_are_weighted_back_to_the_audited_rows(adult_sample):
    result, ctx = adult_sample
    step = result.step("shap")
    values, rows = step.artifacts["values"], step.artifacts["rows"]
    positions = ctx.X.index.get_indexer([int(r) for r in rows["row_id"]])
    strata = ctx.sensitive.astype(str).agg("|".join, axis=1)
    sizes = strata.value_counts()
    taken = strata.iloc[positions].value_counts()
    weights = (sizes[strata.iloc[positions]].to_numpy() / taken[strata.iloc[positions]].to_numpy())
    view = next(v for v in step.payload["group_attributions"] if v["sensitive_feature"] == "race")
    for group in view["groups"]:
        inside = (ctx.sensitive["race"].iloc[positions] == group["group"]).to_numpy()
        expected = np.average(values["age"].to_numpy()[inside], weights=weights[inside])
        assert group["mean_shap"]["age"] == pytest.approx(expected, rel=1e-9)
    overall = np.average(values.abs().to_numpy(), axis=0, weights=weights)
    importance = {r["feature"]: r["mean_abs_shap"] for r in step.payload["global_importance"]}
    assert importance["age"] == pytest.approx(overall[list(values.columns).index("age")], rel=1e-9)


@pytest.mark.parametrize(("given", "message"), [
    (0, "shap_rows must be an integer, at least 1; got 0 (int)"),
    (12.5, "shap_rows must be an integer, at least 1; got 12.5 (float)"),
])
def test_shap_rows_is_checked(given, message):
    with pytest.raises(ValueError) as error:
        AuditSpec(data="german", shap_rows=given)
    assert str(error.value) == message


def test_the_flag_sets_shap_rows():
    args = build_parser().parse_args(["audit", "--data", "german", "--shap-rows", "250"])
    assert spec_from_args(args).shap_rows == 250
