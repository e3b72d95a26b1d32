"""What a plain (non-editable) install must carry besides Python modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"


def test_data_files_are_declared_as_package_data() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    declared = config["tool"]["setuptools"]["package-data"]
    needed = {
        "policies": ["default.yaml", "schema.json"],
        "cli.demo": ["01-support-summarizer-1.1.yaml"],
        "reports": ["report.css", "LiberationSans-Regular.ttf"],
        "web": ["base.html", "keystore.js", "style.css"],
    }
    for package, files in needed.items():
        root = PROJECT_ROOT.joinpath(*package.split("."))
        patterns = declared.get(package, [])
        for name in files:
            found = [p for p in root.rglob(name)]
            assert found, f"{name} is missing from {package}"
            relative = found[0].relative_to(root).as_posix()
            assert any(found[0].relative_to(root).match(pattern) for pattern in patterns), (
                f"{package}/{relative} is not covered by package-data {patterns}"
            )


def test_the_new_packages_data_is_declared() -> None:
    """What `rledger examples` and `/docs` read at run time, declared for a non-editable install."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    declared = config["tool"]["setuptools"]["package-data"]
    assert declared["cli.examples"] == ["*.yaml"]
    assert "cases/*.yaml" in declared["policies"]
    assert any(dep.startswith("swagger-ui-py") for dep in config["project"]["dependencies"])


@pytest.mark.slow
def test_a_built_wheel_carries_the_examples_and_runs_the_shipped_cases(tmp_path: Path) -> None:
    """Build the wheel from a copy of the source (so nothing is written into the checkout),
    unpack it, and run `rledger examples` and `rledger policy test` from it, with the source
    tree out of reach: what a plain `pip install .` gives a user."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    packages = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package in (p for p in packages["packages"]["find"]["include"] if "*" not in p and "." not in p):
        shutil.copytree(
            PROJECT_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    dist = tmp_path / "dist"
    subprocess.run(
        [str(PYTHON), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("release_ledger-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(installed)
    for needed in (
        "policies/default.yaml",
        "policies/cases/01-seed-v1.1-canary.yaml",
        "cli/examples/release.yaml",
        "cli/examples/canary.yaml",
        "cli/examples/terms.yaml",
        "cli/demo/01-support-summarizer-1.1.yaml",
        "store/migrations/versions/v0003_api_idempotency.py",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed), "RLEDGER_CLOCK": "2026-11-20T09:00:00Z"}

    def rledger(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PYTHON), "-c", "import sys; from cli.main import main; sys.exit(main())", *args],
            cwd=run_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    located = subprocess.run(
        [str(PYTHON), "-c", "import ledger, policies; print(ledger.__file__, policies.__file__)"],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(PROJECT_ROOT) not in located and str(installed) in located, located
    written = rledger("examples", "--out", "ex")
    assert written.returncode == 0, written.stderr
    tested = rledger("policy", "test", "ex/default.yaml", "--cases", "ex/cases")
    shipped = len(list((PROJECT_ROOT / "policies" / "cases").glob("*.yaml")))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.rstrip().endswith(f"{shipped} passed, 0 failed")
    assert (run_dir / "ex" / "default.yaml").read_bytes() == (
        PROJECT_ROOT / "policies" / "default.yaml"
    ).read_bytes()
