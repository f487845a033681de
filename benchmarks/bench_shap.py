"""SHAP step against calling shap directly, and the explainer chosen per model family.

Same run, same model, same rows: the reference model of ``auditkit demo`` (one-hot +
HistGradientBoostingClassifier, trained on a seeded 70 % of Adult) explained on the whole
held-out split. "direct" is what a user would write: transform the rows with the fitted
ColumnTransformer and call ``shap.TreeExplainer(final_estimator).shap_values``. The step
does that plus the additivity check (one extra ``decision_function``), the mapping back to
original columns, the group view and the per-row artifacts. Timings are the minimum over
``REPEATS`` runs, alternating the two, after shap has been imported once.

Then, for each model family, ``ShapStep.run`` on the same rows: which explainer it chose,
how many rows it explained within its budget, its time, and the additivity error; for the
tree and linear families also the direct shap call on the same rows.

Run: ``python benchmarks/bench_shap.py`` (writes ``benchmarks/results/shap.json``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

REPEATS = 3
RESULTS = Path(__file__).parent / "results" / "shap.json"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def fresh_step_run(step, ctx):
    """Run the step without the per-audit cache (so the explainer is built inside the timing)."""
    from auditkit.explain import shap_values as _explain

    _explain._CACHE.clear()
    return step.run(ctx)


def direct_tree(model, X):
    import shap

    prep, final = model[:-1], model[-1]
    return shap.TreeExplainer(final).shap_values(prep.transform(X), check_additivity=False)


def direct_linear(model, X, background):
    import shap

    prep, final = model[:-1], model[-1]
    data = prep.transform(background)
    explainer = shap.LinearExplainer(final, shap.maskers.Independent(data, max_samples=len(data)))
    return explainer.shap_values(prep.transform(X))


def reference_comparison(ctx) -> dict:
    from auditkit.steps.shap_step import ShapStep

    step_times, direct_times = [], []
    for _ in range(REPEATS):
        seconds, raw = timed(lambda: direct_tree(ctx.model, ctx.X))
        direct_times.append(seconds)
        seconds, result = timed(lambda: fresh_step_run(ShapStep(max_rows=ctx.n_rows), ctx))  # every row, as direct
        step_times.append(seconds)
    summary = result.payload["shap"]
    ages = result.artifacts["values"]["age"].to_numpy()
    age_column = list(ctx.model[:-1].get_feature_names_out()).index("numeric__age")
    return {
        "rows": ctx.n_rows,
        "encoded_columns": int(raw.shape[1]),
        "original_columns": len(ctx.X.columns),
        "explainer": summary["explainer"],
        "step_seconds": min(step_times),
        "direct_seconds": min(direct_times),
        "ratio": min(step_times) / min(direct_times),
        "all_step_seconds": step_times,
        "all_direct_seconds": direct_times,
        "additivity_max_abs_error": summary["additivity"]["max_abs_error"],
        "max_abs_diff_vs_direct_age": float(np.abs(ages - raw[:, age_column]).max()),
    }


def family_models(X):
    """Untrained pipelines for each model family, all on the reference model's encoding."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in X.columns if X[c].dtype == object]
    numeric = [c for c in X.columns if c not in categorical]

    def pipe(final, scale=False):
        prep = ColumnTransformer([("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                                   categorical),
                                  ("numeric", StandardScaler() if scale else "passthrough", numeric)])
        return Pipeline([("preprocess", prep), ("classifier", final)])

    models = {
        "RandomForest (50 trees, depth 8)": pipe(RandomForestClassifier(50, max_depth=8, random_state=0, n_jobs=1)),
        "LogisticRegression": pipe(LogisticRegression(max_iter=2000), scale=True),
        "MLP (32 hidden)": pipe(MLPClassifier((32,), max_iter=40, random_state=0), scale=True),
    }
    for name, factory in optional_boosters().items():
        models[name] = pipe(factory())
    return models


def optional_boosters() -> dict:
    """XGBoost / LightGBM when installed (they are not auditkit dependencies)."""
    out = {}
    try:
        from xgboost import XGBClassifier

        out["XGBoost"] = lambda: XGBClassifier(n_estimators=100, max_depth=6, random_state=0, n_jobs=1)
    except ImportError:
        print("xgboost not installed: skipped")
    try:
        from lightgbm import LGBMClassifier

        out["LightGBM"] = lambda: LGBMClassifier(n_estimators=100, random_state=0, n_jobs=1, verbose=-1)
    except ImportError:
        print("lightgbm not installed: skipped")
    return out


def family_row(name, ctx, model, y_train) -> dict:
    from auditkit.io.model_outputs import predict_for_audit
    from auditkit.steps.shap_step import ShapStep, background_rows

    fit_seconds, _ = timed(lambda: model.fit(ctx.X_train, y_train))
    output = predict_for_audit(model, ctx.X, "binary", ctx.labels, ctx.target)
    family_ctx = dataclasses.replace(ctx, model=model, y_pred=output.y_pred, y_score=output.y_score,
                                     score_kind=output.score_kind)
    from auditkit.explain.shap_models import choose_explainer

    every_row = None if choose_explainer(model[-1]) == "permutation" else ctx.n_rows  # the rows the direct call takes
    seconds, result = timed(lambda: fresh_step_run(ShapStep(max_rows=every_row), family_ctx))
    summary = result.payload["shap"]
    direct = None
    if summary["explainer"] == "tree":
        direct, _ = timed(lambda: direct_tree(model, ctx.X))
    elif summary["explainer"] == "linear":
        direct, _ = timed(lambda: direct_linear(model, ctx.X, background_rows(family_ctx, 100)))
    return {
        "family": name,
        "final_estimator": summary["model"],
        "explainer": summary["explainer"],
        "output_space": summary["output_space"],
        "rows_explained": summary["budget"]["rows_explained"],
        "background_rows": summary["budget"]["background_rows"],
        "fit_seconds": fit_seconds,
        "step_seconds": seconds,
        "direct_seconds": direct,
        "ratio": seconds / direct if direct else None,
        "additivity_max_abs_error": summary["additivity"]["max_abs_error"],
    }


def main() -> None:
    import warnings

    import shap  # noqa: F401 - import once, outside every timing
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # the MLP is a timing subject only

    from auditkit import AuditSpec, build_context

    ctx = build_context(AuditSpec(data="adult"))
    print(f"Adult: {ctx.n_rows:,} held-out rows explained, {len(ctx.X_train):,} training rows", flush=True)
    reference = reference_comparison(ctx)
    families = [{
        "family": "HistGradientBoosting (reference model)", "final_estimator": "HistGradientBoostingClassifier",
        "explainer": reference["explainer"], "output_space": "log-odds", "rows_explained": reference["rows"],
        "background_rows": None, "fit_seconds": None, "step_seconds": reference["step_seconds"],
        "direct_seconds": reference["direct_seconds"], "ratio": reference["ratio"],
        "additivity_max_abs_error": reference["additivity_max_abs_error"],
    }]
    y_train = training_labels(ctx)
    for name, model in family_models(ctx.X).items():
        print(f"... {name}", flush=True)
        families.append(family_row(name, ctx, model, y_train))
    write_results(reference, families)


def training_labels(ctx):
    """Labels of the reference model's training rows (the context keeps their features only)."""
    from auditkit.datasets import load

    frame = load("adult").frame
    rows = frame.loc[ctx.X_train.index, ctx.X_train.columns].astype(object)
    train = ctx.X_train.astype(object)
    if not ((rows == train) | (rows.isna() & train.isna())).all().all():
        raise RuntimeError("the Adult rows do not line up with the reference model's training rows")
    return frame.loc[ctx.X_train.index, ctx.target]


def write_results(reference: dict, families: list[dict]) -> None:
    doc = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "repeats": REPEATS,
        "reference": reference,
        "families": families,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nReference model, {reference['rows']:,} rows x {reference['encoded_columns']} encoded columns "
          f"({reference['original_columns']} original):")
    print(f"  ShapStep.run {reference['step_seconds']:.2f} s | shap.TreeExplainer direct "
          f"{reference['direct_seconds']:.2f} s | ratio {reference['ratio']:.2f} | additivity max error "
          f"{reference['additivity_max_abs_error']:.1e} | max |step - direct| (age) "
          f"{reference['max_abs_diff_vs_direct_age']:.1e}")
    print(f"\n{'family':40} {'explainer':12} {'rows':>6} {'step s':>8} {'direct s':>9} {'ratio':>6} {'additivity':>10}")
    for row in families:
        direct = f"{row['direct_seconds']:.2f}" if row["direct_seconds"] else "-"
        ratio = f"{row['ratio']:.2f}" if row["ratio"] else "-"
        print(f"{row['family']:40} {row['explainer']:12} {row['rows_explained']:>6} {row['step_seconds']:>8.2f} "
              f"{direct:>9} {ratio:>6} {row['additivity_max_abs_error']:>10.1e}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
