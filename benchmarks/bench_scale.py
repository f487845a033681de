"""Scale: a predictions-only audit of 10k, 100k and 1M rows (10M with ``--ten-million``), stage by stage, and the
libraries a user would otherwise call on the same 1M rows, in the same run.

Data (seeded, :func:`make_frame`): two sensitive columns, ``sex`` (2 values) x ``race`` (10 values) = 20
intersections; 10 numeric features ``x0..x9``; 5 categorical features ``c0..c4`` (3 to 20 levels); a 0/1
``label``; a continuous probability ``score`` (every row its own value: the case where score metrics are binned);
a 0/1 ``decision`` (``score > 0.5``). Written to CSV and Parquet in a temporary folder.

The audit: ``steps=["data_overview", "data_bias", "performance", "fairness"]`` with ``predictions="decision"``,
``scores="score"``, default settings (1,000 bootstrap resamples), seed 0, no report. Each audit runs in a fresh
subprocess (``--child``): the data read and the context built (``build_context``: read + context), then each step
(``run_step``), with wall seconds (``time.perf_counter``) and CPU seconds (``time.process_time``: every thread of
the process) per stage. Peak memory is the child's peak resident set size (``VmHWM`` of ``/proc/self/status``, which
starts afresh at exec; ``ru_maxrss`` would carry the parent's peak over), imports included; the resident size after
importing auditkit and the in-memory size of the frame (``DataFrame.memory_usage(deep=True)``) are given beside it.

Beside it on the 1M rows (Parquet, read once), in this process:

* fairlearn ``MetricFrame`` point estimates, no bootstrap: the 9 rates of a binary audit on ``decision`` and ROC AUC
  and Brier score on ``score``, by sex x race -- against auditkit's fairness step without resamples (it also does
  sex and race alone, disparities, tests, the calibration table);
* fairlearn ``MetricFrame(n_boot=...)``: timed at a few resamples and extrapolated linearly to 1,000 (the work per
  resample is constant), as the output says -- against auditkit's fairness step with 1,000 resamples;
* pandas ``groupby`` of the confusion counts by sex x race -- against auditkit's counts (group codes + counts);
* Aequitas ``Group().get_crosstabs`` (sex, race and sex x race), run by ``/work/bench-venv/bin/python`` (a separate
  virtual environment, so Aequitas' pins do not touch the project's) when it is installed there -- against
  auditkit's fairness step without resamples.

The score metrics of the 1M audit are binned (1M distinct scores); the output gives their bins and the bound on the
error of every resampled value, and the largest error measured on a few explicit row resamples.

Run: ``python benchmarks/bench_scale.py [--ten-million] [--sizes 10000 100000] [--out FILE]``
(writes ``benchmarks/results/scale.json`` unless ``--out`` names another file).
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

SIZES = (10_000, 100_000, 1_000_000)
TEN_MILLION = 10_000_000
COMPARE_AT = 1_000_000
STEPS = ["data_overview", "data_bias", "performance", "fairness"]
N_BOOT = 1000
FAIRLEARN_N_BOOT = 2
SEED = 0
AEQUITAS_PYTHON = Path("/work/bench-venv/bin/python")
RESULTS = Path(__file__).parent / "results" / "scale.json"
RACES = ("white", "black", "asian", "hispanic", "native", "pacific", "arab", "mixed", "other", "unknown")
RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
         "true_negative_rate", "precision", "negative_predictive_value", "accuracy", "balanced_accuracy")


def make_frame(n: int, seed: int = SEED) -> pd.DataFrame:
    """The synthetic audit data of ``n`` rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"]), n, p=[0.45, 0.55])
    race = rng.choice(np.array(RACES), n, p=[0.4, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03])
    x = rng.normal(size=(n, 10))
    frame = pd.DataFrame({"sex": sex, "race": race} | {f"x{i}": x[:, i] for i in range(10)})
    for i, levels in enumerate((3, 5, 8, 12, 20)):
        frame[f"c{i}"] = np.char.add(f"c{i}_", rng.integers(0, levels, n).astype(str))
    logit = (x[:, :4] @ np.array([0.8, -0.5, 0.3, 0.2]) + 0.4 * (sex == "male") - 0.3 * (race == "black")
             + 0.1 * (frame["c0"].to_numpy() == "c0_1") - 0.6)
    frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    frame["score"] = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.7, n) + 0.2 * (sex == "male"))))
    frame["decision"] = (frame["score"] > 0.5).astype(np.int8)
    return frame


def write_data(n: int, folder: Path) -> dict[str, Path]:
    """The data in Parquet, and in CSV too up to :data:`COMPARE_AT` rows (larger sizes are audited from Parquet)."""
    frame = make_frame(n)
    paths = {"parquet": folder / f"scale_{n}.parquet"} | ({"csv": folder / f"scale_{n}.csv"} if n <= COMPARE_AT else {})
    if "csv" in paths:
        frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    return paths


IMPORTS = "import auditkit, auditkit.runner, pyarrow.parquet, scipy.stats, sklearn.metrics"


def imports_rss_mb() -> float:
    """Resident size of a fresh process that imported everything the audit imports (auditkit, pandas, Arrow,
    SciPy, scikit-learn): the part of the peak that does not depend on the rows."""
    code = f"{IMPORTS}\nfrom pathlib import Path\nprint([l for l in Path('/proc/self/status').read_text().splitlines()"
    code += " if l.startswith('VmRSS:')][0].split()[1])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def spec_for(data) -> object:
    from auditkit import AuditSpec

    return AuditSpec(data=data, target="label", sensitive=["sex", "race"], predictions="decision", scores="score",
                     steps=STEPS, seed=SEED)


def child(path: str) -> dict:
    """One audit in this (fresh) process: seconds per stage, peak memory."""
    def rss_mb(field: str = "VmHWM") -> float:
        """Peak (VmHWM) or current (VmRSS) resident size of this process since its exec, in MB."""
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: includes the parent's

    load_before = os.getloadavg()[0]
    from auditkit import build_context
    from auditkit.runner import run_step

    after_import = rss_mb("VmRSS")
    spec = spec_for(path)
    stages = {}
    wall, cpu = time.perf_counter(), time.process_time()
    ctx = build_context(spec)
    stages["read + context"] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    fairness = None
    for step in spec.build_steps():
        wall, cpu = time.perf_counter(), time.process_time()
        result = run_step(step, ctx, errors="raise")
        stages[step.name] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        if step.name == "fairness":
            fairness = result.payload["settings"].get("score_statistics")
    total = {k: sum(s[k] for s in stages.values()) for k in ("wall", "cpu")}
    return {"stages": stages, "total": total, "peak_rss_mb": rss_mb(), "rss_after_import_mb": after_import,
            "frame_mb": float(ctx.frame.memory_usage(deep=True).sum() / 2**20),
            "score_statistics": fairness, "load_average_1min": [load_before, os.getloadavg()[0]]}


def run_child(path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(func, *args) -> tuple[dict, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = func(*args)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}, out


def fairlearn_frames(frame: pd.DataFrame, n_boot: int | None) -> list:
    from fairlearn import metrics as fm
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        brier_score_loss,
        precision_score,
        roc_auc_score,
    )

    def npv(y_true, y_hat):
        negatives = y_hat == 0
        return float(np.mean(y_true[negatives] == 0)) if negatives.any() else float("nan")

    rates = {"selection_rate": fm.selection_rate, "true_positive_rate": fm.true_positive_rate,
             "false_positive_rate": fm.false_positive_rate, "false_negative_rate": fm.false_negative_rate,
             "true_negative_rate": fm.true_negative_rate,
             "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
             "negative_predictive_value": npv, "accuracy": accuracy_score,
             "balanced_accuracy": balanced_accuracy_score}
    boot = {} if n_boot is None else {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": SEED}
    sensitive = frame[["sex", "race"]]
    y = frame["label"].to_numpy()
    return [fm.MetricFrame(metrics=rates, y_true=y, y_pred=frame["decision"].to_numpy(),
                           sensitive_features=sensitive, **boot),
            fm.MetricFrame(metrics={"roc_auc": roc_auc_score, "brier_score": brier_score_loss}, y_true=y,
                           y_pred=frame["score"].to_numpy(), sensitive_features=sensitive, **boot)]


def pandas_counts(frame: pd.DataFrame) -> pd.DataFrame:
    cell = frame["label"].astype(int) * 2 + frame["decision"].astype(int)  # 0 tn, 1 fp, 2 fn, 3 tp
    return frame.assign(cell=cell).groupby(["sex", "race", "cell"], observed=True).size().unstack(fill_value=0)


def auditkit_counts(ctx) -> np.ndarray:
    from auditkit.stats.counts import confusion_cells, group_codes, group_counts

    codes, keys = group_codes(ctx.sensitive, ("sex", "race"))
    return group_counts(codes, confusion_cells(ctx.y_true, ctx.y_pred), len(keys))


def fairness_step(ctx, n_boot: int):
    from auditkit.runner import run_step
    from auditkit.steps import FairnessStep

    return run_step(FairnessStep(n_boot=n_boot), ctx, errors="raise")


AEQUITAS_SCRIPT = """
import json, sys, time, pandas as pd
from aequitas.group import Group
frame = pd.read_csv(sys.argv[1], usecols=["sex", "race", "label", "decision"])
frame = frame.rename(columns={"label": "label_value", "decision": "score"})
frame["sex_race"] = frame["sex"] + " x " + frame["race"]
frame[["sex", "race", "sex_race"]] = frame[["sex", "race", "sex_race"]].astype(str)
wall, cpu = time.perf_counter(), time.process_time()
table, _ = Group().get_crosstabs(frame, attr_cols=["sex", "race", "sex_race"])
seconds = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
import aequitas
print(json.dumps({"seconds": seconds, "rows": len(table), "version": getattr(aequitas, "__version__", "?")}))
"""


def aequitas(csv: Path) -> dict:
    if not AEQUITAS_PYTHON.exists():
        return {"available": False, "why": f"no {AEQUITAS_PYTHON} (pip install aequitas into a separate venv)"}
    done = subprocess.run([str(AEQUITAS_PYTHON), "-c", AEQUITAS_SCRIPT, str(csv)], capture_output=True, text=True)
    if done.returncode != 0:
        return {"available": False, "why": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return {"available": True, **json.loads(done.stdout.strip().splitlines()[-1])}


def measured_auc_error(ctx, n_resamples: int = 3) -> dict:
    """The binned score statistics of the audit against the exact AUC of the same explicit row resamples."""
    from auditkit.fairness.score_cells import ScoreStatistics, bins_for
    from auditkit.fairness.scores import weighted_auc
    from auditkit.stats.bootstrap import row_multiplicities
    from auditkit.stats.counts import partition

    parts = partition(ctx.sensitive, [("sex", "race")])
    y, score = ctx.y_true.astype(np.int64), ctx.y_score
    stats = ScoreStatistics.of(parts.fine_codes, parts.n_fine, parts.members, y, score,
                               bins_for(parts.n_fine, len(y)))
    cell = np.searchsorted(stats.cells, (parts.fine_codes * stats.bins.n_bins + stats.bins.of_row) * 2 + y)
    errors, bounds = [], []
    for weights in row_multiplicities(len(y), n_resamples, np.random.default_rng(SEED)):
        for w in weights:
            counts = np.bincount(cell, weights=w, minlength=len(stats.cells))[None]
            metrics, bound = stats.metrics(counts, probabilities=False)
            exact = [weighted_auc(y[chosen], score[chosen], w[None, chosen])[0]
                     for chosen in (parts.fine_codes == g for g in range(parts.n_fine))]
            errors.append(float(np.nanmax(np.abs(metrics[0]["roc_auc"][0] - np.array(exact)))))
            bounds.append(float(np.nanmax(bound[0]["roc_auc"])))
    return {"row_resamples": n_resamples, "groups": parts.n_fine, "bins": stats.bins.n_bins,
            "largest_error": max(errors), "largest_bound": max(bounds)}


def compare(paths: dict[str, Path]) -> dict:
    from auditkit import build_context

    frame = pd.read_parquet(paths["parquet"])
    ctx = build_context(spec_for(frame))
    out = {"load_average_1min_start": os.getloadavg()[0]}
    out["auditkit_fairness_step_no_resamples"], _ = timed(fairness_step, ctx, 0)
    out["auditkit_fairness_step_1000_resamples"], _ = timed(fairness_step, ctx, N_BOOT)
    out["auditkit_counts"], ours = timed(auditkit_counts, ctx)
    out["pandas_groupby_counts"], theirs = timed(pandas_counts, frame)
    assert np.array_equal(np.sort(ours.sum(axis=0)), np.sort(theirs.sum(axis=0).to_numpy()))
    out["fairlearn_point"], _ = timed(fairlearn_frames, frame, None)
    boot, _ = timed(fairlearn_frames, frame, FAIRLEARN_N_BOOT)
    per_resample = {k: max(boot[k] - out["fairlearn_point"][k], 0.0) / FAIRLEARN_N_BOOT for k in boot}
    out["fairlearn_bootstrap"] = {
        "timed": boot, "n_boot_timed": FAIRLEARN_N_BOOT, "per_resample": per_resample,
        "extrapolated_to_1000": {k: out["fairlearn_point"][k] + N_BOOT * per_resample[k] for k in boot},
        "extrapolation": f"no-bootstrap time + {N_BOOT} x per-resample time measured at n_boot={FAIRLEARN_N_BOOT}"}
    out["aequitas_get_crosstabs"] = aequitas(paths["csv"])
    out["score_auc_error"] = measured_auc_error(ctx)
    out["load_average_1min_end"] = os.getloadavg()[0]
    out["ratios"] = ratios(out)
    return out


def ratios(out: dict) -> dict:
    """How many times longer (wall) the other library took than auditkit doing the corresponding work."""
    ratio = {
        "fairlearn_point / auditkit_fairness_no_resamples":
            out["fairlearn_point"]["wall"] / out["auditkit_fairness_step_no_resamples"]["wall"],
        "fairlearn_bootstrap_1000 (extrapolated) / auditkit_fairness_1000":
            out["fairlearn_bootstrap"]["extrapolated_to_1000"]["wall"]
            / out["auditkit_fairness_step_1000_resamples"]["wall"],
        "pandas_groupby / auditkit_counts": out["pandas_groupby_counts"]["wall"] / out["auditkit_counts"]["wall"],
    }
    if out["aequitas_get_crosstabs"].get("available"):
        ratio["aequitas_get_crosstabs / auditkit_fairness_no_resamples"] = (
            out["aequitas_get_crosstabs"]["seconds"]["wall"] / out["auditkit_fairness_step_no_resamples"]["wall"])
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--ten-million", action="store_true", help="also audit 10,000,000 rows (Parquet only)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--no-compare", action="store_true", help="skip the libraries at 1M rows")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return
    result = {"steps": STEPS, "n_boot": N_BOOT, "audits": [], "machine": machine(),
              "imports_rss_mb": imports_rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        sizes = list(args.sizes) + ([TEN_MILLION] if args.ten_million else [])
        for n in sizes:
            paths = write_data(n, Path(tmp))
            for fmt in sorted(paths):
                audit = {"rows": n, "format": fmt, "file_mb": paths[fmt].stat().st_size / 2**20,
                         **run_child(paths[fmt])}
                audit["peak_over_imports_per_frame"] = ((audit["peak_rss_mb"] - result["imports_rss_mb"])
                                                        / audit["frame_mb"])
                result["audits"].append(audit)
                print_audit(audit, flush=True)
            if n == COMPARE_AT and not args.no_compare:
                result["libraries_at_1m"] = compare(paths)
                print(json.dumps(result["libraries_at_1m"], indent=1), flush=True)
            for path in paths.values():
                path.unlink()
    result["versions"] = versions()
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def print_audit(audit: dict, flush: bool = True) -> None:
    stages = ", ".join(f"{k} {v['wall']:.2f}s (cpu {v['cpu']:.2f})" for k, v in audit["stages"].items())
    total = audit["total"]
    print(f"{audit['rows']:>10,} {audit['format']:<8} total {total['wall']:.1f}s (cpu {total['cpu']:.1f}) "
          f"peak {audit['peak_rss_mb']:.0f} MB (frame {audit['frame_mb']:.0f} MB) | {stages} "
          f"| load {audit['load_average_1min']}", flush=flush)


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("auditkit", "fairlearn", "numpy", "pandas", "scikit-learn",
                                                      "pyarrow")}


if __name__ == "__main__":
    main()
