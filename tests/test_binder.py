"""Binder (repo2docker) builds the lessons' environment from environment.yml; nothing is downloaded at run time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
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


def _binder_links(text: str) -> list[str]:
    return re.findall(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\(([^)]+)\)", text)


def _repository() -> tuple[str, str]:
    """``(owner, name)`` of the project's public repository, as pyproject.toml names it (the one documented place)."""
    url = urlparse(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"])
    assert url.scheme == "https" and url.netloc == "github.com"
    owner, name = url.path.strip("/").removesuffix(".git").split("/")
    return owner, name


@pytest.mark.parametrize("document", ["README.md", "notebooks/lessons/README.md"])
def test_the_binder_badges_open_the_first_student_lesson_of_the_public_repository(document):
    owner, name = _repository()
    expected = (f"https://mybinder.org/v2/gh/{owner}/{name}/HEAD"
                "?urlpath=lab/tree/notebooks/lessons/student/01_measuring_bias.ipynb")
    links = _binder_links((ROOT / document).read_text())
    assert links == [expected], f"{document}: the badge should be [![Binder](https://mybinder.org/badge_logo.svg)]" \
                                f"({expected})"
    url = urlparse(links[0])
    target = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/")
    assert (ROOT / target).is_file()


def test_the_readme_says_where_the_badge_points():
    readme = (ROOT / "README.md").read_text()
    assert "the badge opens the project's public repository,\nnamed once as `Repository` under `[project.urls]` in " \
           "`pyproject.toml`" in readme


def test_postbuild_and_start_are_executable_in_a_clone():
    """Binder clones the repository: the executable bit it needs is the one git records, not the working tree's."""
    done = subprocess.run(["git", "ls-files", "-s", "postBuild", "start"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout:
        pytest.skip("not a git checkout")
    assert sorted(line.split()[0] for line in done.stdout.splitlines()) == ["100755", "100755"]


def test_postbuild_only_checks_and_warms_up():
    """Every command of postBuild runs offline: Python on auditkit (data, student versions) or matplotlib's cache."""
    commands = _commands(ROOT / "postBuild")
    assert commands[0] == "set -euo pipefail"
    for command in commands[1:]:
        assert re.fullmatch(r'python -(c "(from auditkit import|import matplotlib)[^"]*"|m auditkit\.[\w.]+ ?.*)',
                            command), command


def test_the_instructor_guide_covers_set_up_plans_and_regeneration():
    guide = (ROOT / "notebooks" / "lessons" / "README.md").read_text()
    for needed in ("conda env create -f environment.yml", "pip install -e .", "Binder", "make lessons",
                   "python -m auditkit.teach.student --check", "One 90-minute class", "A six-session course"):
        assert needed in guide, needed
