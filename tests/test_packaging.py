"""What a plain (non-editable) install must carry besides Python modules."""

from __future__ import annotations

import tomllib

from tests.conftest import PROJECT_ROOT


def test_data_files_are_declared_as_package_data() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    declared = config["tool"]["setuptools"]["package-data"]
    needed = {
        "policies": ["default.yaml", "schema.json"],
        "ledger.demo": ["01-support-summarizer-1.1.yaml"],
        "reports": ["report.css", "LiberationSans-Regular.ttf"],
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
