"""The Dask engine on a 2-worker LocalCluster against the in-memory engine, on the same partitioned Parquet rows.

Data: ``bench_scale.make_frame`` (two sensitive columns ``sex`` x ``race`` = 20 intersections, 10 numeric and 5
categorical features, a 0/1 ``label``, a continuous ``score``, a 0/1 ``decision``), written once per size as
``--partitions`` Parquet files of equal size (partition ``i`` is ``make_frame(n // partitions, seed=i)``), and the
same rows as one Parquet file (one row group per partition) for the in-memory engine.

The audit: the counts-based steps ``data_overview``, ``performance``, ``fairness`` (1,000 resamples) and with
``--data-bias`` ``data_bias`` (500 resamples, its default), on ``predictions="decision"``, seed 0, no report; with
``--scores`` also ``scores=`` a column of the scores rounded to 2 decimals (``score_2dp``, 101 distinct values,
added to every partition), since the Dask engine aggregates one cell per distinct (sensitive values, label,
decision, score) combination.

Each engine runs in a fresh subprocess (``--child``):

* in-memory: ``auditkit.audit(data=<one file>)``; wall (``perf_counter``) and CPU (``process_time``) seconds, and
  the process' peak resident set (``VmHWM``: imports and the whole frame included);
* Dask: a ``LocalCluster`` of 2 worker processes, 1 thread each (started and timed separately), then
  ``auditkit.audit(data="<folder>/part-*.parquet", engine="dask", scheduler=<its address>)``; wall seconds, the CPU
  seconds of the client process (which also runs the scheduler) and of each worker (``getrusage``, differences over
  the audit), the peak resident set of each worker over the audit (``VmHWM`` reset through
  ``/proc/self/clear_refs`` just before it) and of the client, and the compute time of every task by kind (from the
  scheduler's task stream) -- the per-partition cost the 1B-row projection multiplies.

Every timing records the 1-minute load average before and after (the machine has 2 cores shared with other work).

With ``--model``, the audit is of a model instead of the ``decision`` column: a logistic regression on ``x0..x9``
(a skops file in the data's folder), whose decisions and continuous probabilities the workers compute.

Run: ``python benchmarks/bench_dask.py [--sizes 1000000 10000000] [--partitions 20] [--scores] [--data-bias]
[--model] [--folder DIR]`` (writes ``benchmarks/results/dask.json``; ``--folder`` keeps the written partitions for
the next run).
The client's context rows (the cells it audits with their counts as weights) are recorded as ``client_rows``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import SEED, machine, make_frame, versions  # noqa: E402

SIZES = (1_000_000, 10_000_000)
PARTITIONS = 20
WORKERS = 2
N_BOOT = 1000
STEPS = ["data_overview", "performance", "fairness"]
RESULTS = Path(__file__).parent / "results" / "dask.json"
SCORE_COLUMN = "score_2dp"


def write_partitions(n: int, partitions: int, folder: Path, scores: bool) -> tuple[str, Path]:
    """``partitions`` Parquet files of ``n`` rows in all, and the same rows as one file: (pattern, file).

    Files written before in ``folder`` (a ``done`` marker) are reused.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / "whole.parquet"
    if (folder / "done").exists():
        return str(folder / "part-*.parquet"), whole
    writer = None
    for i in range(partitions):
        frame = make_frame(n // partitions, seed=SEED + i)
        if scores:
            frame[SCORE_COLUMN] = frame["score"].round(2)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, folder / f"part-{i:03d}.parquet")
        writer = writer or pq.ParquetWriter(whole, table.schema)
        writer.write_table(table)
    writer.close()
    (folder / "done").write_text(f"{n} rows, {partitions} partitions, scores={scores}\n")
    return str(folder / "part-*.parquet"), whole


def settings(scores: bool) -> dict:
    steps = STEPS + (["data_bias"] if os.environ.get("BENCH_DASK_DATA_BIAS") else [])
    audited = {"model": os.environ["BENCH_DASK_MODEL"]} if os.environ.get("BENCH_DASK_MODEL") else {
        "predictions": "decision", **({"scores": SCORE_COLUMN} if scores else {})}
    return {"target": "label", "sensitive": ["sex", "race"], "steps": steps, "seed": SEED,
            "step_options": {"fairness": {"n_boot": N_BOOT}}, "progress": False, **audited}


def write_model(folder: Path) -> Path:
    """A logistic regression on the ten numeric features (fitted on rows of another seed), as a skops file."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    path = folder / "model.skops"
    if not path.exists():
        rows = make_frame(50_000, seed=SEED + 999)
        columns = [f"x{i}" for i in range(10)]
        sio.dump(LogisticRegression().fit(rows[columns], rows["label"]), path)
    return path


def rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident size of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> float:
    """Start this process' VmHWM afresh (Linux >= 4.0); its resident size now, in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_mb("VmRSS")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_memory(path: str, scores: bool) -> dict:
    load = os.getloadavg()[0]
    import auditkit

    after_import = rss_mb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    audit = auditkit.audit(data=path, **settings(scores)).to_dict()
    _keep(audit, "memory")
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "peak_rss_mb": rss_mb(),
            "rss_after_import_mb": after_import, "load_average_1min": [load, os.getloadavg()[0]],
            "n_rows": audit["performance"]["overall"]["n"], "fairness": _headline(audit)}


def child_dask(pattern: str, scores: bool) -> dict:
    from distributed import Client, LocalCluster, get_task_stream

    import auditkit

    load = os.getloadavg()[0]
    wall = time.perf_counter()
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    started = time.perf_counter() - wall
    before = client.run(cpu_seconds)
    rss_before = client.run(reset_peak)
    client_cpu, client_rss = time.process_time(), reset_peak()
    contexts = _spy_contexts()
    wall = time.perf_counter()
    with get_task_stream(client) as stream:
        audit = auditkit.audit(data=pattern, engine="dask", scheduler=cluster.scheduler_address,
                               **settings(scores)).to_dict()
    elapsed = time.perf_counter() - wall
    client_cpu = time.process_time() - client_cpu
    _keep(audit, "dask")
    after, peaks = client.run(cpu_seconds), client.run(rss_mb)
    tasks = _task_seconds(stream.data)
    workers = [{"cpu": after[w] - before[w], "rss_before_mb": rss_before[w], "peak_rss_mb": peaks[w]}
               for w in sorted(after)]
    client.close()
    cluster.close()
    return {"wall": elapsed, "cluster_start_wall": started, "client_cpu": client_cpu,
            "client_rss_before_mb": client_rss, "client_peak_rss_mb": rss_mb(), "workers": workers,
            "cpu_all_processes": client_cpu + sum(w["cpu"] for w in workers), "tasks": tasks,
            "load_average_1min": [load, os.getloadavg()[0]], "n_rows": audit["performance"]["overall"]["n"],
            "client_rows": contexts[0], "partitions": audit["provenance"]["data_format"]["partitions"],
            "fairness": _headline(audit)}


def _spy_contexts() -> list[int]:
    """The rows of each audit context the client builds (the Dask engine's cells), filled as audits run."""
    from auditkit import runner

    rows: list[int] = []
    build = runner.build_context

    def counted(spec, *, loaded=None):
        ctx = build(spec, loaded=loaded)
        rows.append(len(ctx.frame))
        return ctx

    runner.build_context = counted
    return rows


def _task_seconds(records: list[dict]) -> dict[str, dict]:
    """Compute seconds and count of the tasks of each kind (key prefix)."""
    from dask.utils import key_split

    out: dict[str, dict] = defaultdict(lambda: {"tasks": 0, "seconds": 0.0})
    for record in records:
        prefix = key_split(record["key"])
        for part in record["startstops"]:
            if part["action"] == "compute":
                out[prefix]["seconds"] += part["stop"] - part["start"]
        out[prefix]["tasks"] += 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["seconds"]))


def _keep(audit: dict, kind: str) -> None:
    """Write ``audit`` to ``$BENCH_DASK_AUDITS/<kind>-<rows>.json`` when that variable names a folder (to compare)."""
    folder = os.environ.get("BENCH_DASK_AUDITS")
    if folder:
        path = Path(folder) / f"{kind}-{audit['dataset']['n_rows']}.json"
        path.write_text(json.dumps(audit, default=str), encoding="utf-8")


def _headline(audit: dict) -> dict:
    """A digest of the performance, fairness and data bias sections (the parent compares the audits themselves).

    Floats are rounded to 12 significant digits (sums of scores in another row order differ in their last bits, which
    may still cross a rounding boundary: ``same_numbers`` is :func:`compare_audits`');
    the proxies' balanced accuracy is left out (its folds follow the rows' order, which the Dask engine does not
    keep).
    """
    import hashlib

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "balanced_accuracy"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return float(f"{value:.12g}") if isinstance(value, float) else value

    sections = plain([audit["performance"], audit["fairness"], audit.get("data", {}).get("bias")])
    digest = hashlib.sha256(json.dumps(sections, sort_keys=True, default=str).encode()).hexdigest()
    return {"groups": len(audit["fairness"]["by_group"]), "sha256": digest}


def compare_audits(folder: Path, rows: int, rel: float = 1e-9) -> dict:
    """The two engines' performance, fairness and data bias sections compared: equal but for floats' last bits?

    ``same_numbers``: the same structure, counts and texts, every float within ``rel`` (sums of the same values in
    another order differ in their last bits; the proxies' balanced accuracy, whose folds follow the rows' order, is
    left out). Also the largest relative difference of a float and how many floats differ at all.
    """
    audits = [json.loads((folder / f"{kind}-{rows}.json").read_text(encoding="utf-8")) for kind in ("memory", "dask")]
    sections = [[a["performance"], a["fairness"], a.get("data", {}).get("bias")] for a in audits]
    found = {"other": 0, "floats": 0, "largest": 0.0}

    def walk(a, b):
        if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
            for key in a:
                if key != "balanced_accuracy":
                    walk(a[key], b[key])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for x, y in zip(a, b, strict=True):
                walk(x, y)
        elif isinstance(a, float) and isinstance(b, float) and a != b and not (a != a and b != b):
            found["floats"] += 1
            found["largest"] = max(found["largest"], abs(a - b) / max(abs(a), abs(b)))
        elif a != b and not (isinstance(a, float) and isinstance(b, float)):
            found["other"] += 1

    walk(*sections)
    return {"same_numbers": found["other"] == 0 and found["largest"] <= rel, "floats_differing": found["floats"],
            "largest_relative_difference": found["largest"], "other_differences": found["other"]}


def run_child(kind: str, path: str, scores: bool) -> dict:
    command = [sys.executable, __file__, "--child", kind, path] + (["--scores"] if scores else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(out.stdout.strip().splitlines()[-1])


PER_PARTITION = ("read_parquet", "partition_tables", "value_counts", "pair_tables", "sha256")  # one task a partition


def projection(run: dict, rows: int = 1_000_000_000, workers: int = 32) -> dict:
    """1B rows on ``workers`` workers, from the per-partition cost measured in ``run`` (partitions of the same size).

    Two estimates of a partition's cost: the compute seconds of its own tasks (wall seconds on a worker, stretched
    by the machine's load) and all worker CPU seconds divided by the partitions (an upper bound: it includes the
    trees that merge the partitions' tables, which grow with the distinct values, not the rows).
    """
    partition_rows = run["n_rows"] / run["partitions"]
    partitions = rows / partition_rows
    task_seconds = sum(t["seconds"] for k, t in run["tasks"].items() if k.lstrip("_") in PER_PARTITION)
    worker_cpu = sum(w["cpu"] for w in run["workers"])
    per_partition = {"task_seconds": task_seconds / run["partitions"], "worker_cpu": worker_cpu / run["partitions"]}
    return {"rows": rows, "workers": workers, "partition_rows": partition_rows, "partitions": partitions,
            "per_partition": per_partition,
            "worker_seconds": {k: v * partitions / workers for k, v in per_partition.items()},
            "client_rows": run.get("client_rows"), "client_peak_rss_mb": run["client_peak_rss_mb"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--partitions", type=int, default=PARTITIONS)
    parser.add_argument("--scores", action="store_true", help=f"also scores={SCORE_COLUMN} (2 decimals)")
    parser.add_argument("--data-bias", action="store_true", help="also the data_bias step")
    parser.add_argument("--model", action="store_true", help="audit a logistic regression's decisions and "
                                                             "probabilities (model=, computed on the workers) "
                                                             "instead of the decision column")
    parser.add_argument("--engines", nargs="+", choices=("memory", "dask"), default=["memory", "dask"],
                        help="run only these (a run's missing engine is null in the JSON)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--folder", type=Path, help="write the partitions here (and reuse them), not in a temporary "
                                                     "folder")
    args = parser.parse_args(argv)
    if args.data_bias:
        os.environ["BENCH_DASK_DATA_BIAS"] = "1"  # the children inherit it
    if not args.child and not os.environ.get("BENCH_DASK_AUDITS"):
        os.environ["BENCH_DASK_AUDITS"] = tempfile.mkdtemp(prefix="bench_dask_audits_")
    if args.child:
        kind, path = args.child
        print(json.dumps((child_dask if kind == "dask" else child_memory)(path, args.scores)))
        return
    result = {"steps": settings(args.scores)["steps"], "n_boot": N_BOOT, "workers": WORKERS,
              "scores": SCORE_COLUMN if args.scores else None,
              "model": "LogisticRegression on x0..x9 (model=, probabilities)" if args.model else None,
              "runs": [], "machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            wall = time.perf_counter()
            folder = (args.folder or Path(tmp)) / f"{n}-{args.partitions}{'-scores' if args.scores else ''}"
            pattern, whole = write_partitions(n, args.partitions, folder, args.scores)
            if args.model:
                os.environ["BENCH_DASK_MODEL"] = str(write_model(folder))  # the children inherit it
            print(f"{n:,} rows written in {time.perf_counter() - wall:.0f}s", flush=True)
            memory = run_child("memory", str(whole), args.scores) if "memory" in args.engines else None
            print("memory", json.dumps(memory), flush=True)
            dask = run_child("dask", pattern, args.scores) if "dask" in args.engines else None
            print("dask", json.dumps(dask), flush=True)
            run = {"rows": n, "partitions": args.partitions, "memory": memory, "dask": dask}
            if memory and dask:
                run.update(compare_audits(Path(os.environ["BENCH_DASK_AUDITS"]), n),
                           same_digest_12_digits=memory["fairness"] == dask["fairness"],
                           ratio_wall=dask["wall"] / memory["wall"],
                           ratio_cpu=dask["cpu_all_processes"] / memory["cpu"])
            result["runs"].append(run)
    if result["runs"][-1]["dask"]:
        result["projection_1b"] = projection(result["runs"][-1]["dask"])
    result["versions"] = {**versions(), **_dask_versions()}
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result.get("projection_1b"), indent=1))


def _dask_versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("dask", "distributed")}


if __name__ == "__main__":
    main()
