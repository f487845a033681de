"""``auditkit demo``: wall and CPU time of the whole command, where the time goes, and the load it ran under.

Each run is the command a user types (``python -m auditkit.cli demo``) in a fresh folder, as a child
process. Measured per run: wall seconds; CPU seconds of the command and every process it started (the
report kernel included: ``RUSAGE_CHILDREN``); the one-minute load average before and after (other work on
the machine; the demo's own threads count too once it runs); and a breakdown by stage, from the moment
each of the command's progress lines (``auditkit: running step shap``) reaches this script, in wall
seconds and in CPU seconds of the command's own process and of the processes it started (the report
kernel), read from ``/proc`` as each line arrives. The stage before the first line is the command's
start-up: Python, its imports and the report kernel's launch.

``--code DIR`` runs the auditkit found in ``DIR`` (e.g. a checkout of the main branch, for a *before*
figure); by default this checkout's. Results go to ``benchmarks/results/demo.json`` under ``--label``
(default ``after``), keeping the other labels' results.

Run: ``python benchmarks/bench_demo.py [--repeats N] [--code DIR] [--label NAME]``.
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

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "demo.json"
PREFIX = "auditkit: "


def load() -> float:
    return round(os.getloadavg()[0], 2)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of process ``pid`` and of its descendants (alive, or ended and waited for), from /proc.

    Linux only (0.0, 0.0 elsewhere). The first figure is ``pid``'s own; the second its descendants' (the
    report kernel), counting those that ended through their parents' ``cutime``/``cstime``.
    """
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, tuple[float, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        own = (int(fields[11]) + int(fields[12])) / tick
        times[child] = (own, (int(fields[13]) + int(fields[14])) / tick)
    if pid not in times:
        return 0.0, 0.0
    descendants, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        descendants += frontier
    own, waited = times[pid]
    return own, waited + sum(sum(times[child]) for child in descendants)


def one_run(code: Path) -> dict:
    """One ``auditkit demo`` in a fresh folder: wall, CPU, load, and seconds per stage."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("OMP_NUM_THREADS", None)
    folder = tempfile.mkdtemp(prefix="auditkit-demo-bench-")
    load_before, cpu_before = load(), children_cpu()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "auditkit.cli", "demo"], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks = [("start-up (python, imports, report kernel launched)", started, (0.0, 0.0))]
    last = (0.0, 0.0)
    for line in process.stderr:
        if line.startswith(PREFIX) and not line.startswith(PREFIX + "error"):
            last = tree_cpu(process.pid)
            marks.append((_stage(line[len(PREFIX):].strip()), time.monotonic(), last))
    status = process.wait()
    ended = time.monotonic()
    cpu_seconds = round(children_cpu() - cpu_before, 2)
    stages: dict[str, float] = {}
    stages_cpu: dict[str, list[float]] = {}
    ends = [*marks[1:], ("end", ended, last)]
    for (name, at, cpu_at), (_, until, cpu_until) in zip(marks, ends, strict=True):
        stages[name] = round(stages.get(name, 0.0) + until - at, 2)
        command, kernel = stages_cpu.get(name, [0.0, 0.0])
        stages_cpu[name] = [round(command + cpu_until[0] - cpu_at[0], 2), round(kernel + cpu_until[1] - cpu_at[1], 2)]
    html = Path(folder) / "reports" / "demo" / "report.html"
    return {"status": status, "wall_seconds": round(ended - started, 2),
            "cpu_seconds": cpu_seconds, "load_1min_before": load_before,
            "load_1min_after": load(), "report_html_bytes": html.stat().st_size if html.is_file() else None,
            "stages": stages, "stages_cpu_command_kernel": stages_cpu}


def _stage(message: str) -> str:
    """The stage a progress line starts: ``running step shap`` -> ``step shap``; the write lines end a stage."""
    if message.startswith("running step "):
        return "step " + message.removeprefix("running step ")
    if message.startswith("loading data"):
        return "data and reference model"
    if message.startswith("rendering"):
        return "report (papermill + HTML export)"
    if message.startswith("wrote") and message.endswith("audit.json"):
        return "audit.json and model card"
    return "other (" + message.split(":")[0] + ")"


def summary(runs: list[dict]) -> dict:
    walls = sorted(run["wall_seconds"] for run in runs)
    best = min(runs, key=lambda run: run["wall_seconds"])
    return {"best_wall_seconds": walls[0], "median_wall_seconds": walls[len(walls) // 2],
            "cpu_seconds_of_best": best["cpu_seconds"], "stages_of_best": best["stages"],
            "stages_cpu_command_kernel_of_best": best["stages_cpu_command_kernel"],
            "load_1min_of_best": [best["load_1min_before"], best["load_1min_after"]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--code", type=Path, default=HERE.parent, help="folder holding the auditkit package to run")
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    runs = []
    for i in range(args.repeats):
        run = one_run(args.code.resolve())
        runs.append(run)
        print(f"run {i + 1}: wall {run['wall_seconds']} s, cpu {run['cpu_seconds']} s, load "
              f"{run['load_1min_before']} -> {run['load_1min_after']}, exit {run['status']}", flush=True)
        print("      wall  cpu: command + kernel")
        for name, seconds in run["stages"].items():
            command, kernel = run["stages_cpu_command_kernel"][name]
            print(f"    {seconds:6.2f}  {command:6.2f} + {kernel:5.2f}  {name}")
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results.setdefault("machine", {"cpus": os.cpu_count(), "python": platform.python_version(),
                                   "platform": platform.platform()})
    results[args.label] = {"code": str(args.code), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                           "runs": runs, **summary(runs)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results[args.label].items() if k != "runs"}, indent=2))
    return 0 if all(run["status"] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
