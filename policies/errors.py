"""Errors of the ``policies`` package; they subclass the ledger's so the boundaries catch them.

PolicyError
├── PolicyFileError   the file does not parse or validate; carries the line and the field
└── PolicyCaseError   a policy test case file is malformed
"""

from __future__ import annotations

from ledger.errors import InputError


class PolicyError(InputError):
    """Root of policy errors."""


class PolicyFileError(PolicyError):
    def __init__(self, problem: str, *, field: str = "", line: int | None = None, source: str = "") -> None:
        self.problem = problem
        self.field = field
        self.line = line
        where = source or "policy"
        if line is not None:
            where += f":{line}"
        text = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        super().__init__(text)


class PolicyCaseError(PolicyError):
    pass
