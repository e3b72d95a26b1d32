"""The one error hierarchy of the ``ledger`` package.

    LedgerError
    ├── InputError                 bad input from a user or a file; names the problem
    │   ├── DecisionInputError     a decision file that fails validation (names the field)
    │   ├── DuplicateDecisionError model@version already recorded
    │   └── BatchError             items of a batch refused before anything was written
    ├── NotFoundError              no such decision, entry, checkpoint or file
    │   └── AmbiguousIdError       a hash prefix that matches more than one decision
    ├── RefusedError               the policy, a role or the decision's state forbids this action
    │   └── SignatureRefusedError  a statement's signature is missing, wrong, or by an unknown key
    ├── FormatError                bytes that do not parse as the documented format
    ├── VerificationError          evidence does not verify; carries index, expected, actual
    └── StorageError               the database refused or is in the wrong state
        ├── NotInitializedError
        └── AlreadyInitializedError

Boundaries (the CLI, the HTTP API) catch ``LedgerError`` and translate it; anything
else escaping is a bug.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every error this package raises on purpose."""


class InputError(LedgerError):
    """Input from a user or a file was rejected."""


class DecisionInputError(InputError):
    """A decision file failed validation. ``field`` is a dotted path such as ``scores.cost``."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class DuplicateDecisionError(InputError):
    def __init__(self, model: str, version: str) -> None:
        self.model = model
        self.version = version
        super().__init__(f"a decision for {model}@{version} is already recorded")


class BatchError(InputError):
    """Items of a batch were refused, so none of the batch was written.

    ``problems`` is a list of ``(where, error)`` in batch order: ``where`` names the item (a
    file, ``FILE line N`` of a JSON Lines file, ``items[3]`` of an API request) and ``error``
    is the LedgerError that item raised. ``total`` is the batch's size. The message is one
    summary line, then one line per problem.
    """

    def __init__(self, problems: list[tuple[str, LedgerError]], total: int) -> None:
        self.problems = problems
        self.total = total
        self.summary = f"{len(problems)} of {total} decisions refused; nothing was recorded"
        super().__init__("\n".join([self.summary, *(f"  {where}: {error}" for where, error in problems)]))


class NotFoundError(LedgerError):
    """The thing asked for does not exist."""


class AmbiguousIdError(NotFoundError):
    def __init__(self, prefix: str, count: int) -> None:
        super().__init__(f"hash prefix {prefix!r} matches {count} decisions; give more digits")


class RefusedError(LedgerError):
    """The ledger refuses an action. ``rule`` names what refused it (a policy path or a check)."""

    def __init__(self, problem: str, *, rule: str = "") -> None:
        self.problem = problem
        self.rule = rule
        super().__init__(f"refused by {rule}: {problem}" if rule else f"refused: {problem}")


class SignatureRefusedError(RefusedError):
    pass


class FormatError(LedgerError):
    """Bytes that should follow a documented format (docs/formats.md) do not."""


class VerificationError(LedgerError):
    """Evidence failed to verify.

    ``index`` is the entry (or tree size, for checkpoints) where the first problem was
    found; ``expected`` and ``actual`` are the values that disagree, when there are two.
    """

    def __init__(
        self,
        problem: str,
        *,
        index: int | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        self.problem = problem
        self.index = index
        self.expected = expected
        self.actual = actual
        text = problem if index is None else f"entry {index}: {problem}"
        if expected is not None or actual is not None:
            text += f" (expected {expected}, actual {actual})"
        super().__init__(text)


class StorageError(LedgerError):
    """The database refused an operation or holds something unexpected."""


class NotInitializedError(StorageError):
    pass


class AlreadyInitializedError(StorageError):
    pass
