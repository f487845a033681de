"""environment.yml and pyproject.toml must name the same packages with the same lower bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_ONLY = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_split(r) for r in requirements)


def _conda_requirements() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep["pip"])
            continue
        name, bound = _split(dep)
        if name not in CONDA_ONLY:
            conda[name] = bound
    return conda, pip


def test_environment_and_pyproject_name_the_same_packages():
    conda, _ = _conda_requirements()
    assert sorted(conda) == sorted(_pyproject_requirements())


def test_environment_and_pyproject_share_lower_bounds():
    conda, _ = _conda_requirements()
    assert conda == _pyproject_requirements()


def test_environment_installs_the_project_and_pins_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    _, pip = _conda_requirements()
    assert "-e ." in pip
    assert "python=3.11" in env["dependencies"]
    assert "conda-forge" in env["channels"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert "make test" in ci
