"""Start-up (issue 14): commands import only what they use. No timings here, only which
modules a fresh interpreter holds after ``rledger --help`` and ``rledger gate``; the wall
times are benchmarks/bench_startup.py's."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import click
import pytest

from cli.main import LAZY_COMMANDS, LazyGroup
from tests.cli.test_cli import DEMO_FILES, init_home, invoke
from tests.cli.test_cli import _clean_environment as _clean_environment

# Run the CLI in a fresh interpreter, then print which of the watched packages it imported.
PROBE = """
import json, sys
from cli.main import main
code = main(sys.argv[2:])
watched = json.loads(sys.argv[1])
loaded = [m for m in watched if m in sys.modules]
print("\\nPROBE " + json.dumps({"code": code, "loaded": loaded}))
"""
NEVER_FOR_GATE = ["fastapi", "starlette", "uvicorn", "weasyprint", "matplotlib", "pyhanko", "httpx"]
NEVER_FOR_HELP = [*NEVER_FOR_GATE, "jinja2", "pypdf", "sqlalchemy", "cli.release_cmds"]


def _probe(*args: object, watched: list[str]) -> tuple[int, list[str], str]:
    """(exit code, the watched modules imported, stdout) of ``rledger ARGS`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watched), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out, _, last = done.stdout.rpartition("\nPROBE ")
    assert last, done.stderr
    answer = json.loads(last)
    return answer["code"], answer["loaded"], out


def test_help_imports_no_command_module_and_no_heavy_library() -> None:
    code, loaded, out = _probe("--help", watched=["click", *NEVER_FOR_HELP])
    assert code == 0
    assert "gate        CI gate: exit 0 only if the release may be promoted now;..." in out
    assert loaded == ["click"]  # the probe sees imports: click is one


def test_gate_imports_no_web_pdf_or_chart_library(tmp_path: Path) -> None:
    team = init_home(tmp_path / "home")
    assert invoke(*team.submit(DEMO_FILES[0])) == 0
    code, loaded, out = _probe(
        "--home", team.home, "gate", "support-summarizer@1.1", watched=["cli.release_cmds", *NEVER_FOR_GATE]
    )
    assert code == 1  # it waits for an approval
    assert "support-summarizer@1.1: may NOT be promoted now" in out
    assert loaded == ["cli.release_cmds"]


def test_the_help_summaries_are_the_commands_own() -> None:
    """Each summary in cli.main.LAZY_COMMANDS is its command's help, shortened as click would."""
    group = LazyGroup("rledger")
    for name, (module, _, summary) in LAZY_COMMANDS.items():
        command = group.get_command(click.Context(group), name)  # loaded as `rledger NAME` loads it
        assert isinstance(command, click.Command)
        assert command.callback is not None and command.callback.__module__ == module
        assert command.name == name
        for limit in (30, 60, 1000):
            assert click.Command(name, help=summary).get_short_help_str(limit) == command.get_short_help_str(
                limit
            ), name


def test_every_command_module_is_registered() -> None:
    """A command added to a module's COMMANDS (or a new group) must be listed in LAZY_COMMANDS."""
    modules = {module for module, _, _ in LAZY_COMMANDS.values()}
    defined = set()
    for module in modules:
        loaded = import_module(module)
        for value in vars(loaded).values():
            own = isinstance(value, click.Command) and getattr(value.callback, "__module__", "") == module
            if own and not _is_subcommand(value, loaded):
                defined.add(value.name)
    assert defined == set(LAZY_COMMANDS)
    cli_dir = Path(__file__).resolve().parents[2] / "cli"
    command_modules = {f"cli.{p.stem}" for p in cli_dir.glob("*_cmd*.py")}
    assert command_modules == modules


def _is_subcommand(command: click.Command, module: object) -> bool:
    groups = [v for v in vars(module).values() if isinstance(v, click.Group)]
    return any(command in g.commands.values() for g in groups)


@pytest.mark.parametrize("width", [50, 80])
def test_help_lists_the_commands_as_click_would(width: int) -> None:
    """The listing from the summaries is what click prints with every command loaded."""
    group = LazyGroup("rledger")  # a fresh group: nothing loaded yet, so only summaries are used
    lazy = click.HelpFormatter(width=width)
    group.format_commands(click.Context(group), lazy)
    assert group.commands == {}
    loaded = {n: getattr(import_module(m), a) for n, (m, a, _) in LAZY_COMMANDS.items()}
    eager_group = click.Group("rledger", commands=loaded)
    eager = click.HelpFormatter(width=width)
    eager_group.format_commands(click.Context(eager_group), eager)
    assert lazy.getvalue() == eager.getvalue()
    assert "  gate  " in lazy.getvalue()
