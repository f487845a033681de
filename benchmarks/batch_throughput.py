"""Batch throughput: 8 audits on 1 vs 2 Dask worker processes, and the saving from sharing the data work.

Eight scikit-learn models (logistic regressions, trees, a histogram gradient boosting, each a Pipeline
with one-hot categoricals) are trained on a seeded 5,000-row sample of Adult and saved with skops. The
batch audits each of them on a seeded sample of all of Adult (``split: all``; ``--rows``, default 20,000) with the steps
``data_overview, data_bias, performance, fairness`` (report rendering off, so the numbers measure the
batch engine rather than the notebook kernel). Timed, wall clock, each once on a fresh output folder:

* ``workers=1`` and ``workers=2`` (a LocalCluster of worker processes, start-up included);
* ``workers=2`` with the shared data work switched off (every audit reads the data and runs the data-only
  steps itself), against the same batch with it on.

Run: ``python benchmarks/batch_throughput.py [--rows N]`` (writes ``benchmarks/results/batch_throughput.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "batch_throughput.json"
STEPS = ["data_overview", "data_bias", "performance", "fairness"]


def make_models(folder: Path) -> dict[str, dict]:
    """Eight fitted pipelines on Adult, saved with skops; the plan's ``models`` part."""
    import pandas as pd
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    import auditkit

    adult = auditkit.datasets.load("adult")
    frame = adult.frame.sample(5000, random_state=0)
    X, y = frame[adult.feature_names], frame[adult.target_name]
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    estimators = {
        **{f"logreg_c{c}": LogisticRegression(C=c, max_iter=500) for c in (0.01, 0.1, 1, 10)},
        **{f"tree_d{d}": DecisionTreeClassifier(max_depth=d, random_state=0) for d in (3, 5, 8)},
        "hgb": HistGradientBoostingClassifier(random_state=0),
    }
    models = {}
    for name, estimator in estimators.items():
        encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
                                         (StandardScaler(), numeric))
        model = make_pipeline(encode, estimator).fit(X, y)
        path = folder / f"{name}.skops"
        sio.dump(model, path)
        models[name] = {"path": str(path), "trust_model": True}
    return models


def timed_batch(plan: dict, out: Path, workers: int, share: bool = True) -> tuple[float, list[str]]:
    from auditkit.batch import batch, run

    original = run._submit_shared
    if not share:
        run._submit_shared = lambda client, audits: {}
    try:
        started = time.perf_counter()
        summary = batch(plan, out=out, workers=workers, progress=False)
        return time.perf_counter() - started, summary["status"].tolist()
    finally:
        run._submit_shared = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="auditkit-batch-bench-"))
    plan = {"defaults": {"seed": 0, "split": "all", "sample": args.rows, "steps": STEPS, "report": False},
            "datasets": {"adult": {"data": "adult"}}, "models": make_models(folder), "audits": "all"}
    runs = {}
    for label, workers, share in (("1 worker", 1, True), ("2 workers", 2, True),
                                  ("2 workers, data work not shared", 2, False)):
        seconds, statuses = timed_batch(plan, folder / label.replace(" ", "_").replace(",", ""), workers, share)
        runs[label] = round(seconds, 2)
        print(f"{label}: {seconds:.1f} s ({statuses.count('ok')}/{len(statuses)} ok)", flush=True)
    results = {
        "audits": len(plan["models"]), "rows": args.rows, "steps": STEPS, "seconds": runs,
        "speedup_2_vs_1_workers": round(runs["1 worker"] / runs["2 workers"], 2),
        "saving_from_shared_data_work": round(1 - runs["2 workers"] / runs["2 workers, data work not shared"], 3),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
