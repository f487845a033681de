"""Binder (repo2docker) builds the lessons' environment from environment.yml; nothing is downloaded at run time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOWNLOADERS = re.compile(r"\b(pip|conda|mamba|curl|wget|git)\b")


def _commands(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_repo2docker_reads_the_root_configuration():
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()  # else root files are ignored
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert {"pip": ["-e ."]} in env["dependencies"]  # a local requirement: the env is built with the repo copied


def test_postbuild_and_start_are_executable_scripts_that_download_nothing():
    for name in ("postBuild", "start"):
        path = ROOT / name
        assert os.access(path, os.X_OK), name
        assert path.read_text().startswith("#!/usr/bin/env bash\n")
        assert [c for c in _commands(path) if DOWNLOADERS.search(c)] == []
    assert _commands(ROOT / "start")[-1] == 'exec "$@"'
    assert 'export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"' in _commands(ROOT / "start")


@pytest.mark.slow  # ~35 s on a busy machine: loads every dataset and builds a font cache
def test_postbuild_runs(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT), "MPLCONFIGDIR": str(tmp_path)}
    done = subprocess.run(["bash", str(ROOT / "postBuild")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_binder_badge_opens_the_first_student_lesson():
    readme = (ROOT / "README.md").read_text()
    link = re.search(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\((?P<url>[^)]+)\)", readme)
    assert link
    url = urlparse(link["url"])
    assert url.netloc == "mybinder.org" and url.path.startswith("/v2/gh/")
    target = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/")
    assert (ROOT / target).is_file() and target == "notebooks/lessons/student/01_measuring_bias.ipynb"


def test_the_instructor_guide_covers_set_up_plans_and_regeneration():
    guide = (ROOT / "notebooks" / "lessons" / "README.md").read_text()
    for needed in ("conda env create -f environment.yml", "pip install -e .", "Binder", "make lessons",
                   "python -m auditkit.teach.student --check", "One 90-minute class", "A six-session course"):
        assert needed in guide, needed
