"""The README promises exactly two set-up commands, and CI runs the test one verbatim."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT


def _setup_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "rledger demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert _setup_commands()[1] in ci.splitlines()
