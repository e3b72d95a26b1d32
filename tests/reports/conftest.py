"""A demo ledger and its three reports, built once per session through the CLI."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.main import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def rledger(*args: str | Path) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return Run(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Demo:
    home: Path
    key: Path  # the verifier key file
    reports: dict[str, Path]

    def cli(self, *args: str | Path) -> Run:
        return rledger("--home", self.home, *args)


REPORT_ARGS = {
    "release": ["report", "release", "support-summarizer@1.1"],
    "audit": ["report", "audit", "--from", "2000-01-01", "--to", "2999-12-31"],
    "scorecard": ["report", "scorecard", "--model", "support-summarizer"],
}


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    home = tmp_path_factory.mktemp("reports") / "demo"
    built = rledger("demo", "--dir", home)
    assert built.code == 0, built.err
    out = home.parent / "pdf"
    out.mkdir()
    reports = {}
    for name, args in REPORT_ARGS.items():
        target = out / f"{name}.pdf"
        run = rledger("--home", home, *args, "--out", target)
        assert run.code == 0, run.err
        reports[name] = target
    return Demo(home, home / "verifier.key", reports)
