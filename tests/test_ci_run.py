"""``.ci/run`` installs headless Chromium (so the report's browser tests run in CI), then runs ``make test``.

The script runs with a stand-in ``PATH``: fake ``apt-get``, ``sudo``, ``id`` and ``make`` that record
what they are asked; nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _run_ci(tmp_path: Path, *, uid: int, sudo: bool) -> tuple[subprocess.CompletedProcess, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("dirname", "env", "true", "chmod"):
        os.symlink(shutil.which(name), bin_dir / name)
    _tool(bin_dir, "python3", "echo Python 3.11.9")
    _tool(bin_dir, "id", f"echo {uid}")
    _tool(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\n'
                              f'case "$*" in *install*) printf "#!/bin/sh\\n" > {bin_dir}/chromium; '
                              f"chmod +x {bin_dir}/chromium;; esac")
    if sudo:
        _tool(bin_dir, "sudo", f'echo "sudo $*" >> {log}\nshift\nexec "$@"')
    _tool(bin_dir, "make", f'echo "make $* AUDITKIT_REQUIRE_CHROMIUM=$AUDITKIT_REQUIRE_CHROMIUM" >> {log}')
    done = subprocess.run([shutil.which("bash"), str(ROOT / ".ci" / "run")], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, timeout=60, check=False)
    return done, log.read_text() if log.exists() else ""


@pytest.mark.parametrize(("uid", "sudo"), [(0, False), (1000, True)])
def test_ci_installs_chromium_and_requires_the_browser_tests(tmp_path, uid, sudo):
    done, calls = _run_ci(tmp_path, uid=uid, sudo=sudo)
    assert done.returncode == 0, done.stderr
    assert "apt-get update -qq" in calls
    assert "apt-get install -y -qq --no-install-recommends chromium" in calls
    assert ("sudo -n" in calls) == sudo
    assert calls.rstrip().endswith("make test AUDITKIT_REQUIRE_CHROMIUM=1")


def test_ci_warns_and_runs_the_tests_when_it_cannot_install_chromium(tmp_path):
    done, calls = _run_ci(tmp_path, uid=1000, sudo=False)
    assert done.returncode == 0, done.stderr
    assert "apt-get" not in calls
    assert "WARNING: headless Chromium is not installed and could not be" in done.stderr
    assert calls.rstrip().endswith("make test AUDITKIT_REQUIRE_CHROMIUM=")
