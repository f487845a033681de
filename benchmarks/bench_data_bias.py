"""Reading and the data_bias step at scale: auditkit against a direct pandas crosstab + SciPy per column pair.

Synthetic data (seeded), ``--rows`` rows (default 1,000,000): two sensitive columns
(``sex`` with 2 values, ``race`` with 10: 20 intersections), 10 numeric and 5 categorical
features (one of each a planted proxy of ``race``; missing values in two of them, more often
in one group), a 0/1 label with a base-rate gap, 0/1 decisions and a score column. Written
once to CSV (and Parquet) under the system's temporary folder and reused.

Each measurement runs in a fresh Python process, so its peak memory is its own:

* ``read``: ``read_data`` + ``build_context`` of a predictions-and-scores audit of the file;
* ``data_bias``: the whole :class:`~auditkit.steps.DataBiasStep` (representation, base rates,
  missingness, proxies with Cramér's V CIs from 500 resamples, mutual information and the
  single-column guess), after reading as above;
* ``read_projected``: reading the Parquet file for an audit whose steps read only the named
  columns (performance and fairness): only those columns are read;
* ``crosstab``: what a user would otherwise write for the proxy part alone -- a
  ``pandas.crosstab`` per (sensitive column, feature) pair, numeric features cut into deciles
  with ``pandas.qcut``, and ``scipy.stats.contingency.association`` (Cramér's V, no bias
  correction, no CI) on each table.

Reported per stage: wall seconds, CPU seconds of the process, the 1-minute load average when
it finished (the machine is shared: wall time grows with the load, CPU time much less), peak
resident memory, the memory taken after the imports, and the frame's own size.

Run: ``python benchmarks/bench_data_bias.py [--rows N] [--label NAME]``. Results are merged into
``benchmarks/results/data_bias.json`` under ``NAME`` (default ``after``), so a run against an
older checkout (``PYTHONPATH=/path/to/old python benchmarks/bench_data_bias.py --label before``)
sits next to the current one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results" / "data_bias.json"
DATA_DIR = Path(tempfile.gettempdir()) / "auditkit-bench"
SEED = 0
N_BOOT = 500
SENSITIVE = ["sex", "race"]
RACES = [f"race_{k}" for k in range(10)]


def make_frame(n_rows: int, seed: int = SEED) -> pd.DataFrame:
    """The synthetic audit table described in the module docstring."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n_rows, p=[0.45, 0.55])
    race_code = rng.choice(10, n_rows, p=np.array([30, 20, 12, 10, 8, 6, 5, 4, 3, 2]) / 100)
    data: dict[str, object] = {"sex": sex, "race": np.array(RACES)[race_code]}
    for k in range(10):
        data[f"x{k}"] = rng.normal(size=n_rows).round(4)
    data["x0"] = rng.integers(18, 90, n_rows)  # age-like integers
    data["x1"] = (race_code + rng.normal(scale=2.0, size=n_rows)).round(3)  # numeric proxy of race
    income = rng.lognormal(10, 1, n_rows).round(2)
    data["x2"] = np.where(rng.random(n_rows) < np.where(sex == "Female", 0.08, 0.02), np.nan, income)
    levels = {"c0": 12, "c1": 8, "c2": 14, "c3": 5, "c4": 6}
    for name, k in levels.items():
        data[name] = np.array([f"{name}_{i}" for i in range(k)])[rng.integers(0, k, n_rows)]
    region = np.where(rng.random(n_rows) < 0.7, race_code, rng.integers(0, 12, n_rows))
    data["c0"] = np.array([f"region_{i}" for i in range(12)])[region]  # categorical proxy of race
    data["c4"] = np.where(rng.random(n_rows) < 0.03, None, data["c4"])
    logit = -0.5 + 0.4 * (sex == "Male") - 0.08 * race_code + 0.5 * data["x3"]
    p = 1 / (1 + np.exp(-logit))
    data["label"] = (rng.random(n_rows) < p).astype(int)
    score = np.clip(p + rng.normal(scale=0.15, size=n_rows), 0, 1).round(4)
    data["score"] = score
    data["decision"] = (score >= 0.5).astype(int)
    return pd.DataFrame(data)


def data_file(n_rows: int, kind: str) -> Path:
    """The CSV or Parquet file of ``n_rows`` rows, written on first use."""
    path = DATA_DIR / f"synthetic-{n_rows}.{kind}"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        frame = make_frame(n_rows)
        partial = path.with_suffix(".partial")
        frame.to_csv(partial, index=False) if kind == "csv" else frame.to_parquet(partial, index=False)
        partial.rename(path)
    return path


def _spec(path: Path, **settings):
    from auditkit import AuditSpec

    return AuditSpec(data=str(path), target="label", positive_label=1, sensitive=SENSITIVE, predictions="decision",
                     scores="score", seed=SEED, **settings)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(func, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    return out, {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3),
                 "load_average_1min": round(os.getloadavg()[0], 2)}


def measure(stage: str, path: Path) -> dict:
    """One stage in this process (call in a fresh process, see :func:`main`)."""
    import auditkit  # noqa: F401 - imports counted before the stage, not in it
    from auditkit.context import build_context
    from auditkit.io.data import read_data
    from auditkit.steps import DataBiasStep

    out = {"rss_after_imports_mb": round(_rss_mb(), 1)}
    if stage == "crosstab":
        frame = pd.read_csv(path)
        out.update(_timed(crosstab_proxies, frame)[1])
    elif stage == "read_projected":  # an audit whose steps read only the named columns (Parquet projection)
        from auditkit.io.projection import columns_used

        columns = columns_used(_spec(path, steps=["performance", "fairness"]))
        loaded, out["read"] = _timed(read_data, str(path), columns=columns)
        out["columns_read"] = loaded.read.get("columns_read")
        out["frame_mb"] = round(loaded.frame.memory_usage(deep=True).sum() / 2**20, 1)
    else:
        loaded, timing = _timed(read_data, str(path))
        out["read"] = timing
        ctx, timing = _timed(build_context, _spec(path), loaded=loaded)
        out["context"] = timing
        out["frame_mb"] = round(ctx.frame.memory_usage(deep=True).sum() / 2**20, 1)
        out["peak_rss_after_read_mb"] = round(_peak_mb(), 1)
        if stage == "data_bias":
            del loaded
            _, timing = _timed(DataBiasStep(n_boot=N_BOOT).run, ctx)
            out["data_bias"] = timing
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    out["peak_over_frame"] = round(out["peak_rss_mb"] / out["frame_mb"], 2) if "frame_mb" in out else None
    out["peak_above_imports_over_frame"] = (round((out["peak_rss_mb"] - out["rss_after_imports_mb"])
                                                  / out["frame_mb"], 2) if "frame_mb" in out else None)
    return out


def crosstab_proxies(frame: pd.DataFrame) -> list[float]:
    """Cramér's V of every (sensitive, feature) pair with pandas.crosstab and scipy (no CI)."""
    from scipy.stats.contingency import association

    values = []
    features = [c for c in frame.columns if c not in {*SENSITIVE, "label", "decision", "score"}]
    for sensitive in SENSITIVE:
        for column in features:
            levels = frame[column]
            if pd.api.types.is_numeric_dtype(levels) and levels.nunique() > 10:
                levels = pd.qcut(levels, 10, duplicates="drop")
            table = pd.crosstab(levels.astype(str), frame[sensitive])
            values.append(float(association(table.to_numpy(), method="cramer")))
    return values


def _run_stage(stage: str, rows: int, kind: str) -> dict:
    command = [sys.executable, __file__, "--rows", str(rows), "--stage", stage, "--kind", kind]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--label", default="after")
    parser.add_argument("--before", action="store_true", help="auditkit on PYTHONPATH predates column projection")
    parser.add_argument("--skip-crosstab", action="store_true", help="leave out the slow pandas/SciPy comparison")
    parser.add_argument("--stage", choices=["read", "read_projected", "data_bias", "crosstab"])
    parser.add_argument("--kind", choices=["csv", "parquet"], default="csv")
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(measure(args.stage, data_file(args.rows, args.kind))))
        return
    run = {"rows": args.rows, "n_boot": N_BOOT, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    for kind in ("csv", "parquet"):
        data_file(args.rows, kind)
        run[f"read_{kind}"] = _run_stage("read", args.rows, kind)
    if not args.before:
        run["read_parquet_projected"] = _run_stage("read_projected", args.rows, "parquet")
    run["data_bias"] = _run_stage("data_bias", args.rows, "csv")
    if not args.skip_crosstab:
        run["crosstab_scipy"] = _run_stage("crosstab", args.rows, "csv")
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results[f"{args.label} ({args.rows} rows)"] = run
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
