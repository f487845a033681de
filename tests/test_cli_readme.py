"""The README's CLI reference agrees with the parser: every option of ``auditkit audit`` is described in its
section, every option the section names exists, and the exit statuses it promises are the ones ``main`` returns."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from auditkit import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*[a-z]")


def _section(title: str) -> str:
    """The README's ``## title`` section, its ``###`` subsections included."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _long_options(command: argparse.ArgumentParser) -> set[str]:
    return {o for a in command._actions for o in a.option_strings if o.startswith("--") and o != "--help"}


def test_the_audit_section_describes_every_audit_option():
    section = _section("Auditing your own data")
    options = _long_options(_commands()["audit"]) - {"--quiet"}  # written -q there
    assert sorted(o for o in options if not re.search(rf"(?<![\w-]){o}(?![\w-])", section)) == []
    assert re.search(r"`-q`", section)


def test_every_option_the_audit_section_names_exists():
    known = set().union(*(_long_options(command) for command in _commands().values()))
    assert sorted(set(FLAG.findall(_section("Auditing your own data"))) - known) == []


@pytest.mark.parametrize("status", [0, 1, 2, 3, 130])
def test_the_readme_states_each_exit_status(status):
    assert f"**{status}**" in _section("Auditing your own data")
