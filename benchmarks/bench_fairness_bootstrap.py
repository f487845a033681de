"""Bootstrap confidence intervals by group: auditkit against fairlearn's MetricFrame(n_boot=...).

Same data, same run: all 48,842 rows of Adult, groups = sex x race (10 groups), the nine
rate metrics of a binary audit (selection rate, TPR, FPR, FNR, TNR, precision, NPV,
accuracy, balanced accuracy), percentile intervals at 2.5 % and 97.5 %.

The decisions audited are real model predictions, not the labels: out-of-fold predictions
of a logistic regression (one-hot categoricals, scaled numbers) from a seeded 2-fold
cross-fit, so every row has a prediction from a model that did not see it.

auditkit resamples the (group x confusion cell) counts -- a whole-data row bootstrap is
exactly a multinomial draw of those counts -- and computes every metric for every resample
at once. fairlearn resamples rows and calls each metric function per group and resample;
it is timed at a smaller ``n_boot`` and extrapolated linearly (the work per resample is
constant), as the output says.

Run: ``python benchmarks/bench_fairness_bootstrap.py`` (writes
``benchmarks/results/fairness_bootstrap.json``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_BOOT = 1000
FAIRLEARN_N_BOOT = 50
QUANTILES = [0.025, 0.975]
SEED = 0
REPEATS = 5
RESULTS = Path(__file__).parent / "results" / "fairness_bootstrap.json"
METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
           "true_negative_rate", "precision", "negative_predictive_value", "accuracy", "balanced_accuracy")


def load_data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Adult (all rows), its 0/1 labels, and out-of-fold logistic-regression predictions."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from auditkit import datasets

    adult = datasets.load("adult")
    frame = adult.frame
    y = (frame[adult.target_name] == adult.positive_label).to_numpy(dtype=int)
    X = frame[adult.feature_names]
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                              ("num", StandardScaler(), numeric)])
    model = make_pipeline(prep, LogisticRegression(max_iter=1000))
    X = X.astype({c: object for c in categorical}).fillna({c: "missing" for c in categorical})
    y_pred = cross_val_predict(model, X, y, cv=KFold(2, shuffle=True, random_state=SEED))
    return frame[["sex", "race"]].astype(str), y, y_pred


def auditkit_bootstrap(sensitive: pd.DataFrame, y: np.ndarray, y_pred: np.ndarray) -> dict:
    """Group codes, counts, 1,000 resamples, every rate, percentile intervals."""
    from auditkit.stats.bootstrap import percentile_interval, resample_counts
    from auditkit.stats.counts import confusion_cells, group_codes, group_counts, rates_from_counts

    codes, keys = group_codes(sensitive, ("sex", "race"))
    counts = group_counts(codes, confusion_cells(y, y_pred), len(keys))
    boot = rates_from_counts(resample_counts(counts, N_BOOT, np.random.default_rng(SEED)))
    point = rates_from_counts(counts)
    return {m: (point[m], *percentile_interval(boot[m], 0.95)) for m in METRICS} | {"keys": keys}


def fairlearn_frame(sensitive: pd.DataFrame, y: np.ndarray, y_pred: np.ndarray, n_boot: int | None):
    from fairlearn import metrics as fm
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_score

    def npv(y_true, y_hat):
        negatives = y_hat == 0
        return float(np.mean(y_true[negatives] == 0)) if negatives.any() else float("nan")

    functions = {
        "selection_rate": fm.selection_rate, "true_positive_rate": fm.true_positive_rate,
        "false_positive_rate": fm.false_positive_rate, "false_negative_rate": fm.false_negative_rate,
        "true_negative_rate": fm.true_negative_rate,
        "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
        "negative_predictive_value": npv, "accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score,
    }
    boot = {} if n_boot is None else {"n_boot": n_boot, "ci_quantiles": QUANTILES, "random_state": SEED}
    return fm.MetricFrame(metrics=functions, y_true=y, y_pred=y_pred, sensitive_features=sensitive, **boot)


def timed(func, *args, repeats: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = func(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def auditkit_step(sensitive: pd.DataFrame, y: np.ndarray, y_pred: np.ndarray) -> float:
    """The whole fairness step (3 groupings, disparities, tests, findings) on the same data, for context."""
    from auditkit import AuditSpec, build_context
    from auditkit.steps import FairnessStep

    data = sensitive.assign(label=y, decision=y_pred)
    ctx = build_context(AuditSpec(data=data, target="label", sensitive=["sex", "race"], predictions="decision",
                                  seed=SEED))
    seconds, _ = timed(FairnessStep(n_boot=N_BOOT).run, ctx, repeats=3)
    return seconds


def main() -> None:
    sensitive, y, y_pred = load_data()
    ours_s, ours = timed(auditkit_bootstrap, sensitive, y, y_pred, repeats=REPEATS)
    point_s, point_frame = timed(fairlearn_frame, sensitive, y, y_pred, None)
    boot_s, boot_frame = timed(fairlearn_frame, sensitive, y, y_pred, FAIRLEARN_N_BOOT)
    per_resample = max(boot_s - point_s, 0.0) / FAIRLEARN_N_BOOT
    fairlearn_s = point_s + N_BOOT * per_resample
    step_s = auditkit_step(sensitive, y, y_pred)
    by_group = point_frame.by_group
    index = [tuple(k) for k in ours["keys"].itertuples(index=False, name=None)]
    point_gap = max(float(np.nanmax(np.abs(by_group.loc[index, m].to_numpy() - ours[m][0]))) for m in METRICS)
    result = {
        "data": {"dataset": "adult", "rows": len(y), "groups": len(index), "grouping": "sex x race",
                 "metrics": list(METRICS), "decisions": "out-of-fold logistic regression, 2-fold, seed 0",
                 "selection_rate": float(y_pred.mean()), "accuracy": float((y == y_pred).mean())},
        "auditkit": {"n_boot": N_BOOT, "seconds_median_of_5": ours_s},
        "auditkit_fairness_step": {"n_boot": N_BOOT, "seconds_median_of_3": step_s,
                                   "what": "3 groupings (sex, race, sex x race), CIs, disparities, tests"},
        "fairlearn": {"n_boot_timed": FAIRLEARN_N_BOOT, "seconds_timed": boot_s, "seconds_without_bootstrap": point_s,
                      "seconds_per_resample": per_resample, "seconds_extrapolated_to_n_boot": fairlearn_s,
                      "extrapolation": f"no-bootstrap time + {N_BOOT} x per-resample time measured at n_boot="
                                       f"{FAIRLEARN_N_BOOT}"},
        "speedup_fairlearn_over_auditkit": fairlearn_s / ours_s,
        "max_abs_point_estimate_difference": point_gap,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1min": os.getloadavg()[0]},
        "versions": _versions(),
    }
    _print(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("auditkit", "fairlearn", "numpy", "pandas", "scikit-learn")}


def _print(result: dict) -> None:
    ours, theirs = result["auditkit"], result["fairlearn"]
    print(f"Adult, {result['data']['rows']} rows, {result['data']['groups']} groups (sex x race), "
          f"{len(METRICS)} rate metrics, {N_BOOT} bootstrap resamples, 95% percentile intervals")
    print(f"{'library':<34}{'seconds':>12}")
    print(f"{'auditkit (count resampling)':<34}{ours['seconds_median_of_5']:>12.3f}")
    print(f"{'auditkit FairnessStep (all of it)':<34}{result['auditkit_fairness_step']['seconds_median_of_3']:>12.3f}")
    print(f"{'fairlearn MetricFrame':<34}{theirs['seconds_extrapolated_to_n_boot']:>12.1f}   "
          f"(measured {theirs['seconds_timed']:.1f} s at n_boot={FAIRLEARN_N_BOOT}, extrapolated linearly)")
    print(f"fairlearn / auditkit: {result['speedup_fairlearn_over_auditkit']:.0f}x; "
          f"point estimates agree to {result['max_abs_point_estimate_difference']:.1e}")
    print(f"load average while running: {result['machine']['load_average_1min']:.2f} on "
          f"{result['machine']['cpus']} CPUs")


if __name__ == "__main__":
    main()
