"""Run every side-by-side benchmark in this folder (``bench_*.py``), one after another.

Each benchmark times auditkit and the library a user would otherwise call in the same run,
prints a table with the ratio, and writes its numbers to ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    failures = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
