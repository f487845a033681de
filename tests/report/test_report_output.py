"""Writing an audit's outputs: atomic files, one audit per folder, a lock, failed reports marked."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from auditkit import runner as _audit
from auditkit.exceptions import InputError, ReportError
from auditkit.report import output_folder as _output
from auditkit.report.render import render_report, write_audit
from auditkit.result import AuditResult, StepResult
from auditkit.spec import AuditSpec

# Writes one audit into a folder, optionally with the size of every file it writes capped
# (RLIMIT_FSIZE): a write past the cap fails mid-way with EFBIG, as a full disk fails with ENOSPC.
WRITER = """
import resource, signal, sys
import numpy as np, pandas as pd
from auditkit.report.render import write_audit
from auditkit.result import AuditResult, StepResult

out, tag, big, cap = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
n_json, n_table = (20_000, 10) if big == "audit.json" else (10, 200_000)
table = pd.DataFrame({"value": np.random.default_rng(0).normal(size=n_table)})
step = StepResult(name="shap", section="explanations", payload={"rows": [tag] * n_json}, artifacts={"values": table})
result = AuditResult(provenance={"run": tag}, dataset={"name": tag}, steps=[step])
if cap:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
write_audit(result, out)
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def small_result(tag: str, artifacts: dict[str, pd.DataFrame] | None = None) -> AuditResult:
    step = StepResult(name="shap", section="explanations", payload={"tag": tag}, artifacts=artifacts or {})
    return AuditResult(provenance={"run": tag}, dataset={"name": tag}, steps=[step])


def old_audit(out: Path) -> None:
    """A folder holding a previous audit (with a report) and files that are not auditkit's."""
    write_audit(small_result("old", {"values": pd.DataFrame({"v": [1.0]})}), out)
    for name in ("report.ipynb", "report.html", "model_card.md"):
        (out / name).write_text(f"old {name}")
    (out / "notes.txt").write_text("mine")
    (out / "artifacts" / "my_table.parquet").write_text("mine")


@pytest.mark.parametrize("big", ["audit.json", "artifact"])
def test_a_write_failing_mid_way_leaves_the_previous_audit_intact(tmp_path, big):
    out = tmp_path / "out"
    old_audit(out)
    before = snapshot(out)
    capped = subprocess.run([sys.executable, "-B", "-c", WRITER, str(out), "new", big, "65536"],
                            capture_output=True, text=True)
    assert capped.returncode == 1
    assert "OSError: [Errno 27]" in capped.stderr and "File too large" in capped.stderr
    assert snapshot(out) == before  # byte-identical, and no temporary or staging file left behind
    uncapped = subprocess.run([sys.executable, "-B", "-c", WRITER, str(out), "new", big, "0"],
                              capture_output=True, text=True)
    assert uncapped.returncode == 0, uncapped.stderr  # the same write fits without the cap
    assert json.loads((out / "audit.json").read_text())["provenance"] == {"run": "new"}


class NoSpaceLeft:
    """A file object that writes half of what it is given, then fails as on a full disk (ENOSPC)."""

    def __init__(self, path, *args, **kwargs):
        self.handle = open(path, *args, **kwargs)  # noqa: SIM115 - closed in __exit__

    def write(self, text: str) -> int:
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def test_audit_json_survives_a_full_disk(tmp_path, monkeypatch):
    path = tmp_path / "audit.json"
    small_result("old").to_json(path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(_output, "open", NoSpaceLeft, raising=False)
    with pytest.raises(OSError, match="No space left on device"):
        small_result("new").to_json(path)
    assert snapshot(tmp_path) == before


def test_a_new_audit_replaces_every_output_of_the_previous_one_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    old_audit(out)
    (out / "report.failed.ipynb").write_text("old failed report")
    write_audit(small_result("new"), out)
    assert snapshot(out) == {
        "audit.json": (out / "audit.json").read_bytes(),
        "model_card.md": small_result("new").model_card().encode("utf-8"),
        "notes.txt": b"mine",
        "artifacts/my_table.parquet": b"mine",
    }
    assert json.loads((out / "audit.json").read_text())["provenance"] == {"run": "new"}


def test_artifacts_of_the_new_audit_replace_the_old_ones(tmp_path):
    out = tmp_path / "out"
    old_audit(out)
    (out / "artifacts" / "shap__rows.parquet").write_text("an old artifact this audit does not write")
    new_values = pd.DataFrame({"v": [2.0, 3.0]})
    write_audit(small_result("new", {"values": new_values}), out)
    assert sorted(p.name for p in (out / "artifacts").iterdir()) == ["my_table.parquet", "shap__values.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "artifacts" / "shap__values.parquet"), new_values)


def test_an_interrupted_audit_leaves_the_previous_outputs_as_they_were(tmp_path, monkeypatch):
    out = tmp_path / "out"
    old_audit(out)
    before = snapshot(out)

    def interrupted(spec, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(_audit, "audit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _audit.audit_to_dir(None, out)
    assert snapshot(out) == before


def test_a_failed_audit_does_not_leave_folders_it_created(tmp_path):
    out = tmp_path / "new" / "audit"
    with pytest.raises(InputError, match="data file not found"):
        _audit.audit_to_dir(AuditSpec(data=str(tmp_path / "nope.csv"), target="y"), out)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_use_is_refused(tmp_path):
    out = tmp_path / "out"
    with _output.OutputFolder(out):
        message = f"output folder {out} is in use by another auditkit run (pid {os.getpid()}); " \
                  "wait for it to finish or choose another output folder"
        with pytest.raises(InputError) as refused:
            write_audit(small_result("second"), out)
        assert str(refused.value) == message
        assert not (out / "audit.json").exists()
    write_audit(small_result("after"), out)
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "model_card.md"]  # the lock is gone with its run


def test_a_lock_left_by_a_dead_run_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / _output.LOCK_NAME).write_text(dead.stdout)
    write_audit(small_result("new"), out)
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "model_card.md"]


def test_a_report_that_fails_is_marked_failed_and_no_html_is_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "audit.json").write_text(json.dumps({"schema_version": "1", "provenance": {}, "dataset": {}}))
    with pytest.raises(ReportError, match="KeyError"):
        render_report(out, quiet=True)
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "report.failed.ipynb"]
    failed = (out / "report.failed.ipynb").read_text()
    assert "An Exception was encountered" in failed and "KeyError" in failed
