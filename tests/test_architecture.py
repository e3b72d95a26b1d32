"""The architecture is checked by machine: import contracts, the diagram, the layout, module size."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import architecture
from tests.conftest import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_MODULE_LINES = 400


def _python_packages() -> list[str]:
    """Top-level directories of the checkout that are Python packages of the product."""
    return sorted(
        p.parent.name
        for p in PROJECT_ROOT.glob("*/__init__.py")
        if p.parent.name not in ("tests", "benchmarks")
    )


def test_every_package_is_in_a_layer() -> None:
    assert sorted(architecture.top_level_packages()) == _python_packages()


def test_the_diagram_in_the_docs_is_the_one_the_code_draws() -> None:
    text = architecture.ARCHITECTURE_DOC.read_text(encoding="utf-8")
    assert architecture.generated_block(text) == architecture.diagram(), (
        "docs/architecture.md is out of date: run `python -m tests.architecture --write`"
    )


def test_arrows_point_down_the_layers() -> None:
    rank = {name: n for n, layer in enumerate(architecture.layers()) for name in layer}
    upward = [(a, b) for a, b in architecture.arrows() if rank[a] >= rank[b]]
    assert upward == []


def _code_references(text: str) -> list[str]:
    packages = "|".join(architecture.top_level_packages())
    return sorted(set(re.findall(rf"`((?:{packages})(?:\.[A-Za-z_]\w*)+)`", text)))


def _resolve(reference: str) -> object:
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(reference)


def test_every_name_the_architecture_doc_mentions_exists() -> None:
    text = architecture.ARCHITECTURE_DOC.read_text(encoding="utf-8")
    references = _code_references(text)
    assert len(references) > 20
    missing = []
    for reference in references:
        try:
            _resolve(reference)
        except (ModuleNotFoundError, AttributeError):
            missing.append(reference)
    assert missing == []


def _readme_layout() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readme_layout_matches_the_tree() -> None:
    listed = re.findall(r"^(\S+)/", _readme_layout(), re.M)
    expected = [*(name for layer in architecture.layers() for name in layer), "tests", "benchmarks", "docs"]
    assert sorted(listed) == sorted(expected)
    nested = re.findall(r"^  (\S+?)(?:/|\.py)\s", _readme_layout(), re.M)
    assert nested, "the layout names the subpackages of the domain"
    for top, block in re.findall(r"^(\S+)/[^\n]*\n((?:  [^\n]*\n)*)", _readme_layout(), re.M):
        for name in re.findall(r"^  (\S+?)/?\s", block, re.M):
            assert (PROJECT_ROOT / top / name).exists(), f"README lists {top}/{name}, which does not exist"


def _product_modules() -> list[Path]:
    return [path for package in _python_packages() for path in (PROJECT_ROOT / package).rglob("*.py")]


def test_no_import_by_name_goes_around_the_contracts() -> None:
    """import-linter sees import statements only; an import by name would slip past it."""
    pattern = re.compile(r"\b(import_module|__import__|importlib\.util)\b")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in _product_modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_every_module_of_the_services_and_the_core_is_documented() -> None:
    """A newcomer finds each service module and each part of the core in the docs."""
    docs = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8") + architecture.ARCHITECTURE_DOC.read_text(
        encoding="utf-8"
    )
    services = [p.stem for p in (PROJECT_ROOT / "services").glob("*.py") if p.stem != "__init__"]
    core = [
        p.name for p in (PROJECT_ROOT / "ledger").iterdir() if p.is_dir() and (p / "__init__.py").exists()
    ]
    missing = [f"services.{name}" for name in services if f"services.{name}" not in docs]
    missing += [f"ledger.{name}" for name in core if f"ledger.{name}" not in docs]
    assert missing == []


def test_no_module_is_over_the_limit() -> None:
    """The rule is for the product's packages; tests and benchmarks are not counted."""
    over = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in _product_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert over == {}


# -- the contracts catch a backward import ------------------------------------------------------

BACKWARD_IMPORTS = [
    ("ledger/errors.py", "import reports.errors"),  # the core depending on its PDF edge
    ("ledger/scoring/assess.py", "import policies.loader"),  # scoring <-> policies
    ("policies/evaluate.py", "import governance.record"),  # policy calling back up
    ("services/log.py", "import store.ledger_store"),  # the application on its SQL driver
    ("governance/state.py", "import cli.main"),  # the domain on the command line
    ("ledger/tlog/merkle.py", "import sqlalchemy"),  # SQL in the domain
    ("policies/model.py", "import fastapi"),  # a web framework in the domain
    ("services/decisions.py", "import sqlite3"),  # SQL by the back door
    ("ledger/clock.py", "def later():\n    import reports"),  # an import inside a function
    ("governance/record.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import api"),
    ("store/read.py", "import reports.errors"),  # siblings in one layer stay independent
    ("api/app.py", "import cli.main"),  # the two doors stand side by side
    ("cli/main.py", "import api.app"),
    ("api/deps.py", "import web.sessions"),  # the API on the web app built over it
    ("web/app.py", "import cli.main"),  # the web app and the command line stay two doors
]


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    for package in _python_packages():
        shutil.copytree(PROJECT_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_contracts_hold_on_the_tree(tree_copy: Path) -> None:
    result = _lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("module", "statement"), BACKWARD_IMPORTS)
def test_a_backward_import_breaks_a_contract(tree_copy: Path, module: str, statement: str) -> None:
    path = tree_copy / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{statement}  # noqa\n", encoding="utf-8")
    try:
        result = _lint_imports(tree_copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    importer, imported = module.split("/")[0], statement.split()[-1].split(".")[0]
    assert importer in result.stdout and imported in result.stdout
    assert "BROKEN" in result.stdout
