"""The CLI and its output folder: checked before the audit, one run at a time, no code run from it, quiet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

QUICK = ["--steps", "data_overview,performance,fairness"]
CLI = [sys.executable, "-m", "auditkit.cli"]


def run_cli(*args: str | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def previous_audit(out: Path) -> None:
    """A folder with the outputs of an earlier audit and a file of the user's."""
    (out / "artifacts").mkdir(parents=True)
    (out / "audit.json").write_text('{"schema_version": "1", "old": true}\n')
    (out / "report.ipynb").write_text("old report")
    (out / "report.html").write_text("old report")
    (out / "artifacts" / "shap__values.parquet").write_text("old artifact")
    (out / "notes.txt").write_text("mine")


def bad_out_dirs(tmp_path: Path) -> dict[str, tuple[str | bytes, str]]:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    read_only = tmp_path / "read_only"
    read_only.mkdir(mode=0o555)
    non_utf8 = os.fsencode(tmp_path) + b"/caf\xe9"
    return {
        "a file": (str(a_file), f"output folder {a_file} is a file; expected a folder (existing or to be created)"),
        "under a file": (str(a_file / "out"),
                         f"output folder {a_file / 'out'} cannot be created: {a_file} is a file, not a folder"),
        "read-only": (str(read_only / "out"), f"output folder {read_only / 'out'} cannot be created: "
                      f"{read_only} is not writable"),
        "non-UTF-8 name": (non_utf8, f"output folder name {tmp_path}/caf\\xe9 is not valid UTF-8; "
                           "choose a name in UTF-8"),
    }


@pytest.mark.parametrize("case", ["a file", "under a file", "read-only", "non-UTF-8 name"])
def test_a_bad_out_is_refused_before_the_audit_runs(case, tmp_path):
    out, message = bad_out_dirs(tmp_path)[case]
    if case == "read-only" and os.access(tmp_path / "read_only", os.W_OK):
        pytest.skip("running as root: a read-only folder is writable")
    before = sorted(tmp_path.rglob("*"))
    # The data file does not exist either: the one error shown is about --out, so it was checked first.
    result = subprocess.run([*CLI, "audit", "--data", str(tmp_path / "nope.csv"), "--target", "y", "--out", out],
                            capture_output=True, timeout=600)
    assert result.returncode == 2
    assert result.stderr.decode("utf-8", errors="backslashreplace") == f"auditkit: error: {message}\n"
    assert sorted(tmp_path.rglob("*")) == before


# Runs the real CLI with audit() replaced by a wait on stdin: the run holds its output folder
# for as long as the test needs, then the test interrupts it as Ctrl-C would.
HELD_RUN = """
import sys
from auditkit import runner as _audit
from auditkit import cli

def waiting_audit(spec, **options):
    print("auditing", flush=True)
    sys.stdin.readline()

_audit.audit = waiting_audit
sys.exit(cli.main(sys.argv[1:]))
"""


def sigint_as_in_a_terminal() -> None:
    """Run in the child before it starts: Ctrl-C's default action, as a terminal gives it.

    A process started in the background by a non-interactive shell (``cmd &``, as CI scripts do) inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler; these tests are about a terminal's Ctrl-C.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_second_run_on_the_same_out_is_refused_and_ctrl_c_interrupts_the_first(tmp_path, csv_path):
    out = tmp_path / "out"
    previous_audit(out)
    before = snapshot(out)
    first = subprocess.Popen([sys.executable, "-c", HELD_RUN, "audit", "--data", "german", "--out", str(out)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, preexec_fn=sigint_as_in_a_terminal)
    try:
        assert first.stdout.readline() == "auditing\n"
        second = run_cli("audit", "-q", "--data", csv_path, "--target", "approved", "--sensitive", "sex",
                         "--predictions", "decision", "--out", str(out), "--no-report", *QUICK)
        assert second.returncode == 2
        assert second.stderr == (f"auditkit: error: output folder {out} is in use by another auditkit run "
                                 f"(pid {first.pid}); wait for it to finish or choose another output folder\n")
        os.killpg(first.pid, signal.SIGINT)
        _, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130
    assert err == "auditkit: interrupted\n"
    assert snapshot(out) == before  # and no lock or staging folder left


def test_report_kernel_imports_nothing_from_out_and_q_is_silent(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    marker = out / "PLANTED_CODE_RAN"
    for module in ("auditkit", "pandas", "matplotlib"):
        (out / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write('{module}')\n")
    result = run_cli("audit", "-q", "--data", "german", "--sample", "300", *QUICK, "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "out/report.html\n"
    assert result.stderr == ""  # no kernel log ("running over TCP without encryption"), no progress
    assert not marker.exists()
    assert "Fairness by group" in (out / "report.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json", "auditkit.py", "matplotlib.py", "model_card.md", "pandas.py", "report.html", "report.ipynb"]


def _new_audit_in(out) -> bool:
    """Whether ``out/audit.json`` is the new audit's: not the previous one's, nor missing (a commit first removes the
    previous outputs, then moves the new ones in, ``audit.json`` last: a reader may look in between)."""
    try:
        return "old" not in json.loads((out / "audit.json").read_text())
    except FileNotFoundError:
        return False


def test_ctrl_c_while_the_report_renders_leaves_the_new_audit_without_a_report(tmp_path):
    out = tmp_path / "out"
    previous_audit(out)
    run = subprocess.Popen([*CLI, "audit", "-q", "--data", "german", "--sample", "300", *QUICK, "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                           preexec_fn=sigint_as_in_a_terminal)
    try:
        while not _new_audit_in(out):  # the report starts once the new one is in
            assert run.poll() is None, run.stderr.read()
            time.sleep(0.05)
        os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
        _, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130
    assert err == "auditkit: interrupted\n"
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["audit.json", "model_card.md", "notes.txt"]
    assert json.loads((out / "audit.json").read_text())["dataset"]["name"] == "german"  # the new audit
