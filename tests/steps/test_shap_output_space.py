"""SHAP output space: what the values add up to, named and checked in that space.

Log-link regressors (Poisson, gamma, Tweedie) are explained in log space by TreeSHAP and the
linear explainer; classifiers in log-odds or probability. Additivity and the group gaps are
compared in the same space, within a tolerance relative to the output scale and the model's
float precision (float32 models such as XGBoost accumulate rounding errors of ~1e-7 per tree).
"""

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from _explain_fixtures import one_openmp_thread
from scipy.special import logit
from scipy.stats import gmean
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor
from sklearn.svm import LinearSVC

from auditkit import AuditSpec, InputError, build_context
from auditkit.explain.shap_output import OutputSpace, additivity
from auditkit.explain.shap_values import build_shap_engine
from auditkit.report.explain_views import shap_summary_html
from auditkit.steps.shap_step import ShapStep


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    yield from one_openmp_thread()


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Counts (log-linear in a, c, sex), prices ~3,500, a binary and a three-class outcome."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=n)
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["male"] = (sex == "m").astype(float)
    frame["sex"] = sex
    frame["count"] = rng.poisson(np.exp(2 + 0.5 * frame["a"] - 0.3 * frame["c"] + 0.4 * frame["male"])).astype(float)
    frame["price"] = 3500 + 800 * frame["a"] + 300 * frame["b"] ** 2 + 200 * frame["male"] + rng.normal(0, 100, n)
    frame["approved"] = (frame["a"] + rng.normal(size=n) > 0).astype(int)
    frame["grade"] = np.digitize(frame["a"] + rng.normal(size=n), [-0.5, 0.5])
    return frame


FEATURES = ["a", "b", "c", "male"]


def _hgb(loss):
    return HistGradientBoostingRegressor(loss=loss, max_iter=30, random_state=0)


# model, target, positive class index, expected (explainer, space, link),
# and the explained output computed independently from what the model reports.
CASES = {
    "hgb poisson": (_hgb("poisson"), "count", None, ("tree", "log of the prediction", "log"),
                    lambda m, X: np.log(m.predict(X))),
    "hgb gamma": (_hgb("gamma"), "price", None, ("tree", "log of the prediction", "log"),
                  lambda m, X: np.log(m.predict(X))),
    "hgb squared error": (_hgb("squared_error"), "price", None, ("tree", "prediction", "identity"),
                          lambda m, X: m.predict(X)),
    "glm poisson": (PoissonRegressor(), "count", None, ("linear", "log of the prediction", "log"),
                    lambda m, X: np.log(m.predict(X))),
    "ols": (LinearRegression(), "price", None, ("linear", "prediction", "identity"), lambda m, X: m.predict(X)),
    "forest regressor": (RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0), "price", None,
                         ("tree", "prediction", "identity"), lambda m, X: m.predict(X)),
    "boosted classifier": (HistGradientBoostingClassifier(max_iter=20, random_state=0), "approved", 1,
                           ("tree", "log-odds", "logit"), lambda m, X: logit(m.predict_proba(X)[:, 1])),
    "negative class": (HistGradientBoostingClassifier(max_iter=20, random_state=0), "approved", 0,
                       ("tree", "log-odds", "logit"), lambda m, X: logit(m.predict_proba(X)[:, 0])),
    "forest classifier": (RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0), "approved", 1,
                          ("tree", "probability", "identity"), lambda m, X: m.predict_proba(X)[:, 1]),
    "logistic": (LogisticRegression(), "approved", 1, ("linear", "log-odds", "logit"),
                 lambda m, X: logit(m.predict_proba(X)[:, 1])),
    "multinomial": (LogisticRegression(), "grade", 2, ("linear", "raw margin", "softmax"),
                    lambda m, X: m.decision_function(X)[:, 2]),
    "linear svm": (LinearSVC(), "approved", 1, ("linear", "raw margin", "identity"),
                   lambda m, X: m.decision_function(X)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_output_space_is_named_and_additivity_holds_in_it(case):
    model, target, pos, expected, explained = CASES[case]
    data = _frame()
    X = data[FEATURES]
    model.fit(X, data[target])
    label = None if pos is None else model.classes_[pos]
    engine = build_shap_engine(model, X.iloc[:100], label)
    attribution = engine.explain(X)
    assert (engine.explainer, engine.output.space, engine.output.link) == expected
    np.testing.assert_allclose(attribution.output, explained(model, X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(attribution.values.sum(axis=1) + attribution.base_value, explained(model, X),
                               rtol=1e-9, atol=1e-9)
    assert attribution.additivity(engine.output.precision)["holds"]


@pytest.mark.parametrize(("objective", "space"), [("poisson", "log of the prediction"),
                                                  ("tweedie", "log of the prediction"),
                                                  ("regression", "prediction")])
def test_lightgbm_objectives_are_explained_before_the_link(objective, space):
    lightgbm = pytest.importorskip("lightgbm")
    data = _frame()
    X = data[FEATURES]
    model = lightgbm.LGBMRegressor(objective=objective, n_estimators=30, verbose=-1, n_jobs=1).fit(X, data["count"])
    engine = build_shap_engine(model, X.iloc[:100])
    attribution = engine.explain(X)
    reported = model.predict(X)
    assert engine.output.space == space
    np.testing.assert_allclose(attribution.output, np.log(reported) if "log" in space else reported, rtol=1e-9)
    assert attribution.additivity(engine.output.precision)["holds"]


def _model_context(tmp_path, model, target, **spec):
    data = _frame(600)
    model.fit(data[FEATURES], data[target])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    return build_context(AuditSpec(data=data[[*FEATURES, "sex", target]], target=target, sensitive=["sex"],
                                   model=str(path), trust_model=True, **spec))


@pytest.fixture(scope="module")
def poisson_audit(tmp_path_factory):
    ctx = _model_context(tmp_path_factory.mktemp("poisson"), _hgb("poisson"), "count", task="regression")
    return ctx, ShapStep().run(ctx)


def test_log_link_regressor_additivity_holds_in_log_space(poisson_audit):
    _, result = poisson_audit
    summary = result.payload["shap"]
    assert summary["output_space"] == "log of the prediction"
    assert {k: summary["output"][k] for k in ("space", "link", "model_output", "precision")} == {
        "space": "log of the prediction", "link": "log", "model_output": "predict", "precision": "float64"}
    assert summary["additivity"]["holds"] and summary["additivity"]["max_rel_error"] < 1e-12
    assert not any(f.id == "shap.additivity" for f in result.findings)
    (stated,) = [f for f in result.findings if f.id == "shap.output_space"]
    assert stated.message.startswith("SHAP values are in log of the prediction space, not in the units of the "
                                     "model's predict. A row's SHAP values plus the base value add up to the log "
                                     "of the model's prediction")


def test_log_link_group_gap_is_decomposed_in_log_space(poisson_audit):
    ctx, result = poisson_audit
    (view,) = result.payload["group_attributions"]
    (gap,) = view["gaps"]
    prediction = ctx.model.predict(ctx.X)
    sex = ctx.sensitive["sex"].to_numpy()
    group, reference = gap["group"], gap["reference"]
    log_gap = np.log(prediction[sex == group]).mean() - np.log(prediction[sex == reference]).mean()
    assert view["output_space"] == "log of the prediction"
    assert gap["gap"] == pytest.approx(log_gap, abs=1e-12)
    assert sum(c["contribution"] for c in gap["contributions"]) == pytest.approx(log_gap, abs=1e-9)
    (finding,) = [f for f in result.findings if f.id == "shap.group_gap.sex"]
    ratio = gmean(prediction[sex == group]) / gmean(prediction[sex == reference])
    assert finding.evidence["geometric_mean_ratio"] == pytest.approx(ratio, rel=1e-9)
    assert f"their geometric mean prediction is {ratio:.3g} times the reference's" in finding.message


def test_report_states_the_space_and_that_additivity_holds(poisson_audit):
    _, result = poisson_audit
    html = shap_summary_html(result.payload["shap"])
    assert "values are in <b>log of the prediction</b> space. A row&#x27;s SHAP values plus the base value add up " \
           "to the log of the model&#x27;s prediction" in html
    assert "SHAP values satisfy additivity: max |sum + base − output| = " in html
    assert "for a model computing in float64" in html


# -- the tolerance: relative to the output scale and the model's precision --------------------------------


def test_float32_model_passes_where_an_absolute_tolerance_failed(tmp_path):
    data = _frame(600)
    model = LinearRegression().fit(data[FEATURES].astype(np.float32), data["price"].astype(np.float32))
    frame = data[[*FEATURES, "sex", "price"]].astype({c: np.float32 for c in FEATURES})
    path = tmp_path / "ols32.skops"
    sio.dump(model, path)
    ctx = build_context(AuditSpec(data=frame, target="price", sensitive=["sex"], model=str(path),
                                  task="regression"))
    add = ShapStep().run(ctx).payload["shap"]["additivity"]
    # float32 predictions of ~3,500 are off by up to ~2e-4 from the explainer's float64 sum
    assert add["precision"] == "float32" and add["max_abs_error"] > 1e-5
    assert add["holds"] and add["max_rel_error"] < 1e-6
    assert add["rtol"] == pytest.approx(1000 * np.finfo(np.float32).eps)
    assert add["tolerance"] == pytest.approx(add["atol"] + add["rtol"] * add["scale"])


@pytest.mark.parametrize(("estimator", "target", "space"), [
    ("XGBClassifier", "approved", "log-odds"),
    ("XGBRegressor", "price", "prediction"),
])
def test_xgboost_float32_models_hold_additivity(estimator, target, space):
    xgboost = pytest.importorskip("xgboost")
    data = _frame(600)
    X = data[FEATURES]
    model = getattr(xgboost, estimator)(n_estimators=500, n_jobs=1, random_state=0).fit(X, data[target])
    engine = build_shap_engine(model, X.iloc[:100], 1 if target == "approved" else None)
    attribution = engine.explain(X)
    add = attribution.additivity(engine.output.precision)
    assert (engine.output.space, engine.output.precision) == (space, "float32")
    assert add["max_abs_error"] > 1e-5  # over the old absolute tolerance
    assert add["holds"]


def _perturbed(attribution, how: str):
    values, base, output = attribution.values.copy(), attribution.base_value, attribution.output.copy()
    scale = np.abs(output).max()
    if how == "base value dropped":
        base = 0.0
    elif how == "one feature doubled":
        values[:, 0] *= 2
    elif how == "one row off by 0.1% of the scale":
        values[3, 1] += 1e-3 * scale
    elif how == "output in another space":
        output = np.exp(output) if np.abs(output).max() < 50 else np.log(output)
    elif how == "SHAP values 1% too large":
        values *= 1.01
    return values, base, output


PERTURBATIONS = ["base value dropped", "one feature doubled", "one row off by 0.1% of the scale",
                 "output in another space", "SHAP values 1% too large"]


@pytest.fixture(scope="module")
def poisson_attribution():
    data = _frame()
    X = data[FEATURES]
    model = _hgb("poisson").fit(X, data["count"])
    return build_shap_engine(model, X.iloc[:100]).explain(X)


@pytest.mark.parametrize("how", PERTURBATIONS)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_a_wrong_explanation_still_fails_the_check(poisson_attribution, how, precision):
    attribution = poisson_attribution
    assert additivity(attribution.values, attribution.base_value, attribution.output, precision)["holds"]
    check = additivity(*_perturbed(attribution, how), precision)
    assert not check["holds"]
    assert check["max_rel_error"] > 5 * check["rtol"]


def test_broken_explanation_of_a_float32_model_is_a_high_finding(tmp_path, monkeypatch):
    import dataclasses

    data = _frame(600)
    model = LinearRegression().fit(data[FEATURES].astype(np.float32), data["price"].astype(np.float32))
    path = tmp_path / "ols32.skops"
    sio.dump(model, path)
    frame = data[[*FEATURES, "sex", "price"]].astype({c: np.float32 for c in FEATURES})
    ctx = build_context(AuditSpec(data=frame, target="price", sensitive=["sex"], model=str(path), task="regression"))
    engine = ShapStep().engine(ctx)

    def slightly_wrong(X, seeds):  # 0.1% of the price scale on one feature: small, but not rounding
        values, base, output = engine._compute(X, seeds)
        values = np.array(values, dtype=float)
        values[:, 0] += 3.5
        return values, base, output

    monkeypatch.setattr(ShapStep, "engine", lambda self, ctx: dataclasses.replace(engine, _compute=slightly_wrong))
    result = ShapStep().run(ctx)
    (finding,) = [f for f in result.findings if f.id == "shap.additivity"]
    assert finding.severity == "high"
    assert "(prediction): max |sum + base − output| = 3.5" in finding.message
    assert "for a float32 model" in finding.message


@pytest.mark.parametrize(("precision", "rtol"), [("float32", 1000 * np.finfo(np.float32).eps), ("float64", 1e-9)])
def test_default_relative_tolerance_follows_the_precision(precision, rtol):
    assert OutputSpace("prediction", "identity", "predict", precision).rtol == pytest.approx(rtol)


def test_tolerance_scales_with_the_largest_term():
    values = np.array([[3000.0, -2990.0], [1.0, 1.0]])
    check = additivity(values, 500.0, values.sum(axis=1) + 500.0 + [0.2, 0.0], "float32")
    assert check["scale"] == 500.0 + 5990.0  # |base| + sum |SHAP| of the first row
    assert check["holds"] and check["max_abs_error"] == pytest.approx(0.2)
    assert not additivity(values, 500.0, values.sum(axis=1) + 500.0 + [2.0, 0.0], "float32")["holds"]


def test_user_relative_tolerance_is_used_and_recorded(poisson_audit):
    ctx, _ = poisson_audit
    add = ShapStep(additivity_rtol=1e-3).run(ctx).payload["shap"]["additivity"]
    assert add["rtol"] == 1e-3 and add["tolerance"] == pytest.approx(add["atol"] + 1e-3 * add["scale"])


@pytest.mark.parametrize("bad", [0, -1e-4, 1.5, "1e-4", float("nan"), True])
def test_bad_relative_tolerance_is_an_input_error(poisson_audit, bad):
    ctx, _ = poisson_audit
    with pytest.raises(InputError, match=r"^shap step: additivity_rtol must be a number above 0 and below 1; got "):
        ShapStep(additivity_rtol=bad).run(ctx)


@pytest.mark.parametrize(("model", "target", "stated"), [
    (_hgb("gamma"), "price", True),  # log of the prediction
    (LogisticRegression(), "grade", True),  # softmax margin: not in predict_proba's units
    (LinearSVC(), "approved", False),  # the decision function itself
    (HistGradientBoostingClassifier(max_iter=10), "approved", False),  # log-odds: stated in the summary
    (_hgb("squared_error"), "price", False),
])
def test_a_finding_says_when_values_are_not_in_the_models_units(tmp_path, model, target, stated):
    task = {"price": "regression", "grade": "multiclass"}.get(target, "binary")
    result = ShapStep().run(_model_context(tmp_path, model, target, task=task))
    assert any(f.id == "shap.output_space" for f in result.findings) == stated
