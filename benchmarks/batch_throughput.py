"""Batch throughput: 8 audits on 1 vs 2 Dask workers, the saving from shared data work, the report's overhead.

Eight scikit-learn models (logistic regressions, trees, a histogram gradient boosting, each a Pipeline
with one-hot categoricals) are trained on a seeded 5,000-row sample of Adult and saved with skops. Each
audit runs on a seeded sample of all of Adult (``split: all``; ``--rows``, default all 48,842) with the steps of
the bias report (``data_overview, data_bias, performance, fairness``); ``--samples K`` audits every model on K
seeded samples (K datasets of the plan, each with its own shared data work): 8 x K audits. Wall-clock times, each
on a fresh output folder:

1. Batches without reports (the batch engine, not the notebook kernel): 1 and 2 worker processes (a
   LocalCluster, start-up included), each with the shared data work on and off.
2. Shared data work in one process (no Dask, so no scheduling noise): the shared task's CPU seconds, and
   each audit's with and without it; the difference is what sharing saves per audit.
3. One audit through the report path against the library: ``auditkit.audit`` (the library),
   ``audit_to_dir(report=False)`` (+ audit.json and the model card), ``audit_to_dir(report="bias")`` (+ the
   report notebook run by papermill and exported to HTML), and papermill running the bias report notebook
   with the audit's settings (the notebook-first path: the kernel runs the audit itself).

The load average (1 minute) is recorded before and after each part: on a shared machine, compare runs
only at a similar load. Part 1 also records CPU seconds: of each worker process (start-up, imports and its
audits, read on the worker before the cluster closes) and of this process (client, scheduler, the batch's
index page). Other work on the machine stretches wall-clock times but hardly the CPU seconds of each process,
so ``speedup_2_vs_1_workers_from_cpu`` (the one worker's CPU over the busiest of the two workers' CPU) estimates
the speedup the batch would show on idle cores; it leaves out cluster start-up and shut-down and the time
between tasks, which both runs have.

Each batch of part 1 also records its ``timeline`` (seconds from the batch's start, from the workers' task
stream): the client's work before the cluster, the cluster's start, the wait for each worker's first task
(its auditkit imports), each worker's tasks, busy time, gaps between tasks and idle tail, and the time from
the last task's end to the batch's return (cluster shut-down, summary and index page).

Run: ``python benchmarks/batch_throughput.py --parts 1`` (8 audits of all rows, 1 and 2 workers, shared and
not, best of 2; about 4 minutes on idle cores); ``--sharing on`` runs the shared-data batches only,
``--samples 2`` 16 audits. Results are added to ``benchmarks/results/batch_throughput.json`` (``--results``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _process_cpu() -> float:
    """CPU seconds (user + system) of the calling process."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_batch(plan: dict, out: Path, workers: int, share: bool = True) -> tuple[float, list[str], dict, dict]:
    """Seconds of one batch (cluster start-up included), the audits' statuses, CPU seconds by process, its timeline."""
    from contextlib import contextmanager

    from distributed import get_task_stream

    from auditkit.batch import batch, run

    original, original_client = run._submit_shared, run._client
    workers_cpu: dict[str, float] = {}
    marks: dict[str, float] = {}
    stream: list[dict] = []
    processes: dict[str, float] = {}

    @contextmanager
    def measured_client(*args):
        marks["cluster_requested"] = time.time()
        with original_client(*args) as client:
            marks["cluster_up"] = time.time()
            processes.update(client.run(_process_started))
            try:
                with get_task_stream(client) as tasks:
                    yield client
                stream.extend(tasks.data)
                marks["last_result"] = time.time()
            finally:
                workers_cpu.update(client.run(_process_cpu))
        marks["cluster_closed"] = time.time()

    if not share:
        run._submit_shared = lambda *args: {}
    run._client = measured_client
    try:
        started, started_cpu, marks["start"] = time.perf_counter(), _process_cpu(), time.time()
        summary = batch(plan, out=out, workers=workers, progress=False)
        seconds, client_cpu = time.perf_counter() - started, _process_cpu() - started_cpu
        marks["end"] = time.time()
    finally:
        run._submit_shared, run._client = original, original_client
    cpu = {"workers": sorted(round(value, 2) for value in workers_cpu.values()), "client": round(client_cpu, 2)}
    return seconds, summary["status"].tolist(), cpu, timeline(marks, processes, stream)


def _process_started() -> float:
    """When the calling process started (seconds since the epoch)."""
    import psutil

    return psutil.Process().create_time()


def timeline(marks: dict[str, float], processes: dict[str, float], stream: list[dict]) -> dict:
    """Where a batch's wall-clock time went, in seconds from its start (the task stream of its workers).

    ``before_cluster``: the client's work before it starts the cluster (plan, audit keys); ``cluster_start``:
    LocalCluster and client up; ``to_first_task``: from then to the first task's start on each worker; per
    worker its tasks (``[name, start, end]``), ``busy`` (sum of task times), ``gaps`` (idle between its tasks)
    and ``tail`` (idle from its last task's end to the batch's last); ``after_last_task``: from the last
    task's end to the batch's return (results, cluster shut-down, summary and index page).
    """
    start = marks["start"]
    by_worker: dict[str, list[tuple[str, float, float]]] = {}
    for task in stream:
        spans = [s for s in task.get("startstops", ()) if s.get("action") == "compute"]
        if spans:
            name = str(task["key"]).rsplit("-", 1)[0]
            by_worker.setdefault(task["worker"], []).append((name, spans[0]["start"] - start,
                                                             spans[-1]["stop"] - start))
    last_end = max((end for tasks in by_worker.values() for _, _, end in tasks), default=marks["end"] - start)
    workers = {}
    for number, (address, tasks) in enumerate(sorted(by_worker.items(), key=lambda item: min(t[1] for t in item[1]))):
        tasks.sort(key=lambda task: task[1])
        busy = sum(end - begin for _, begin, end in tasks)
        workers[f"worker {number + 1}"] = {
            "process_started": round(processes.get(address, start) - start, 2),
            "first_task_start": round(tasks[0][1], 2), "busy": round(busy, 2),
            "gaps": round(tasks[-1][2] - tasks[0][1] - busy, 2), "tail": round(last_end - tasks[-1][2], 2),
            "tasks": [[name, round(begin, 2), round(end, 2)] for name, begin, end in tasks]}
    cluster_up = marks["cluster_up"] - start
    first_starts = [w["first_task_start"] for w in workers.values()]
    return {
        "before_cluster": round(marks["cluster_requested"] - start, 2),
        "cluster_start": round(marks["cluster_up"] - marks["cluster_requested"], 2),
        "to_first_task": [round(first - cluster_up, 2) for first in first_starts],
        "last_task_end": round(last_end, 2),
        "after_last_task": round(marks["end"] - start - last_end, 2),
        "cluster_shut_down": round(marks["cluster_closed"] - marks["last_result"], 2),
        "total": round(marks["end"] - start, 2), "workers": workers}


def batch_runs(plan: dict, folder: Path, repeats: int, sharing: tuple[bool, ...] = (True, False)) -> dict:
    """Part 1: the batch on 1 and 2 workers, shared data work on and off."""
    runs: dict[str, list[float]] = {}
    cpus: dict[str, list[dict]] = {}
    timelines: dict[str, list[dict]] = {}
    loads = [load()]
    for repeat in range(repeats):
        for workers in (1, 2):
            for share in sharing:
                label = f"{workers} worker{'s' if workers > 1 else ''}, {'shared' if share else 'not shared'}"
                out = folder / f"batch-{workers}-{share}-{repeat}"
                seconds, statuses, cpu, line = timed_batch(plan, out, workers, share)
                assert statuses.count("ok") == len(statuses), statuses
                runs.setdefault(label, []).append(round(seconds, 2))
                cpus.setdefault(label, []).append(cpu)
                timelines.setdefault(label, []).append(line)
                loads.append(load())
                print(f"{label}: {seconds:.1f} s, CPU s {cpu} (load {loads[-1]})", flush=True)
    best = {label: min(times) for label, times in runs.items()}
    busiest = {label: min(max(cpu["workers"]) for cpu in runs_cpu) for label, runs_cpu in cpus.items()}
    return {
        "seconds": runs, "best_seconds": best, "load_average_1min": loads, "cpu_seconds": cpus,
        "busiest_worker_cpu_seconds_best": busiest, "timeline": timelines,
        "speedup_2_vs_1_workers_from_cpu": _ratio(busiest, "1 worker, shared", "2 workers, shared"),
        "speedup_2_vs_1_workers_not_shared_from_cpu": _ratio(busiest, "1 worker, not shared", "2 workers, not shared"),
        "speedup_2_vs_1_workers": _ratio(best, "1 worker, shared", "2 workers, shared"),
        "speedup_2_vs_1_workers_not_shared": _ratio(best, "1 worker, not shared", "2 workers, not shared"),
        "saving_from_sharing_1_worker": _saving(best, "1 worker, shared", "1 worker, not shared"),
        "saving_from_sharing_2_workers": _saving(best, "2 workers, shared", "2 workers, not shared"),
    }


def _ratio(values: dict[str, float], over: str, under: str) -> float | None:
    """``values[over] / values[under]`` (None when either run was left out)."""
    return round(values[over] / values[under], 2) if over in values and under in values else None


def _saving(values: dict[str, float], shared: str, not_shared: str) -> float | None:
    """The fraction of the time saved by sharing (None when either run was left out)."""
    ratio = _ratio(values, shared, not_shared)
    return None if ratio is None else round(1 - values[shared] / values[not_shared], 3)


def _spec(name: str, model: dict, rows: int):
    from auditkit import AuditSpec

    return AuditSpec(data="adult", model=model["path"], trust_model=True, model_name=name, sample=rows,
                     split="all", seed=0, steps=STEPS)


def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _cpu_seconds(call) -> float:
    started = time.process_time()
    call()
    return time.process_time() - started


def sharing_in_one_process(models: dict, rows: int) -> dict:
    """Part 2: the shared task's CPU seconds, and each audit's with and without its result (one process)."""
    import pickle

    import auditkit
    from auditkit.batch import prepare_shared

    specs = [_spec(name, model, rows) for name, model in models.items()]
    loads = [load()]
    started = time.process_time()
    shared = prepare_shared(specs[0])
    prepare = time.process_time() - started
    payload = pickle.dumps(shared)
    unpickle = _cpu_seconds(lambda: pickle.loads(payload))
    solo, with_shared = [], []
    for spec in specs:
        solo.append(_cpu_seconds(lambda spec=spec: auditkit.audit(spec, progress=False)))
        with_shared.append(_cpu_seconds(lambda spec=spec: auditkit.audit(spec, shared=shared, progress=False)))
    loads.append(load())
    savings = [a - b for a, b in zip(solo, with_shared, strict=True)]
    return {
        "seconds_are": "CPU seconds of this process",
        "shared_task_seconds": round(prepare, 2), "shared_result_mb": round(len(payload) / 1e6, 1),
        "shared_result_unpickle_seconds": round(unpickle, 3),
        "audit_seconds_solo": [round(s, 2) for s in solo],
        "audit_seconds_with_shared": [round(s, 2) for s in with_shared],
        "saving_per_audit_seconds_median": round(statistics.median(savings), 2),
        "saving_per_audit_fraction_median": round(statistics.median(s / t for s, t in zip(savings, solo,
                                                                                        strict=True)), 3),
        "load_average_1min": loads,
    }


def notebook_overhead(name: str, model: dict, rows: int, folder: Path, repeats: int) -> dict:
    """Part 3: one audit through the library, audit_to_dir with and without a report, and plain papermill."""
    import papermill

    import auditkit
    from auditkit.report import notebook_path

    spec = _spec(name, model, rows)
    parameters = {"data": "adult", "model": model["path"], "model_name": name, "sample": rows, "split": "all",
                  "seed": 0, "steps": ",".join(STEPS)}
    paths = {
        "library: auditkit.audit": lambda i: auditkit.audit(spec, progress=False),
        "audit_to_dir(report=False)": lambda i: auditkit.audit_to_dir(spec, folder / f"plain-{i}", report=False,
                                                                      progress=False),
        "audit_to_dir(report='bias')": lambda i: auditkit.audit_to_dir(spec, folder / f"bias-{i}", report="bias",
                                                                       progress=False, quiet=True),
        "papermill bias_report.ipynb (audit in the kernel)": lambda i: papermill.execute_notebook(
            str(notebook_path("bias")), str(folder / f"notebook-{i}.ipynb"), parameters=parameters,
            progress_bar=False, log_output=False, cwd=str(folder)),
    }
    seconds: dict[str, list[float]] = {label: [] for label in paths}
    loads = [load()]
    for repeat in range(repeats):
        for label, call in paths.items():
            seconds[label].append(round(_seconds(lambda call=call, repeat=repeat: call(repeat)), 2))
            print(f"{label}: {seconds[label][-1]:.1f} s", flush=True)
        loads.append(load())
    best = {label: min(times) for label, times in seconds.items()}
    library = best["library: auditkit.audit"]
    return {"seconds": seconds, "best_seconds": best,
            "overhead_seconds_vs_library": {label: round(t - library, 2) for label, t in best.items()},
            "load_average_1min": loads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48_842)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (comma-separated: 1, 2, 3)")
    parser.add_argument("--results", default=str(RESULTS), help="the JSON file the results are added to")
    parser.add_argument("--sharing", choices=("both", "on", "off"), default="both",
                        help="part 1 with the shared data work on, off or both")
    parser.add_argument("--samples", type=int, default=1,
                        help="seeded samples of Adult (datasets of the plan): audits = 8 models x samples")
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    folder = Path(tempfile.mkdtemp(prefix="auditkit-batch-bench-"))
    models = make_models(folder)
    datasets = {f"adult_s{seed}" if args.samples > 1 else "adult": {"data": "adult", "seed": seed}
                for seed in range(args.samples)}
    plan = {"defaults": {"seed": 0, "split": "all", "sample": args.rows, "steps": STEPS, "report": False},
            "datasets": datasets, "models": models, "audits": "all"}
    results_path = Path(args.results)
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else {}
    results.update({"models": len(models), "steps": STEPS, "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}})
    label = f"{args.rows} rows" + (f", {len(models) * args.samples} audits ({args.samples} samples)"
                                   if args.samples > 1 else "")
    run = results.setdefault("runs", {}).setdefault(label, {})  # parts of other runs are kept
    run["audits"] = len(models) * args.samples
    stamp = {"repeats": args.repeats, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    if 1 in parts:
        sharing = {"both": (True, False), "on": (True,), "off": (False,)}[args.sharing]
        run["batch"] = {**stamp, **batch_runs(plan, folder, args.repeats, sharing)}
    if 2 in parts:
        run["sharing_one_process"] = {**stamp, **sharing_in_one_process(models, args.rows)}
    if 3 in parts:
        # a logistic regression: its skops file loads without trust, as the notebook's parameters have no trust
        run["report_overhead"] = {**stamp, **notebook_overhead("logreg_c1", models["logreg_c1"], args.rows, folder,
                                                               args.repeats)}
    results_path.parent.mkdir(exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
