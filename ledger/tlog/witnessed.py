"""A checkpoint note that carries witnesses' cosignatures, and the quorum a relying party asks.

A C2SP signed note may carry several signature lines; a witnessed checkpoint is the log's
note with each witness's cosignature/v1 line (ledger.tlog.cosignature) appended after the
log's own. Readers that know only the log key ignore the extra lines (ledger.tlog.note).

    note = with_cosignatures(plain_note, lines)
    found = check_quorum(note, verifiers, quorum)   # raises QuorumError when short
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.errors import FormatError, LedgerError, VerificationError
from ledger.tlog.cosignature import CosignatureVerifier


class QuorumError(VerificationError):
    """A checkpoint does not carry valid cosignatures from enough of the given witnesses."""


def split_note(note: str) -> tuple[str, list[str]]:
    """(body with its final newline, signature lines without theirs). Raises FormatError."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise FormatError("a signed note has a body, an empty line and signature lines")
    return note[: split + 1], note[split + 2 : -1].split("\n")


def with_cosignatures(note: str, lines: Iterable[str]) -> str:
    """``note`` with each cosignature line not already on it appended, in the order given."""
    _, present = split_note(note)
    added = [line.removesuffix("\n") for line in lines]
    fresh = [line for n, line in enumerate(added) if line not in present and line not in added[:n]]
    return note + "".join(line + "\n" for line in fresh)


@dataclass(frozen=True)
class Witnessed:
    """Which of the given witnesses cosigned a checkpoint body, and which did not."""

    verified: tuple[str, ...]  # witness key names, in the order given
    missing: tuple[str, ...]
    invalid: tuple[str, ...]  # a line claims the key but does not verify

    def summary(self, quorum: int) -> str:
        total = len(self.verified) + len(self.missing)
        text = f"cosigned by {len(self.verified)} of {total} given witnesses (quorum {quorum})"
        if self.missing:
            text += f"; missing: {', '.join(self.missing)}"
        if self.invalid:
            text += f"; not verifying: {', '.join(self.invalid)}"
        return text


def cosigners(body: str, lines: Sequence[str], verifiers: Sequence[CosignatureVerifier]) -> Witnessed:
    """Which ``verifiers`` have a valid cosignature/v1 among ``lines`` over ``body``.

    A line that claims a witness's name and key ID but does not verify counts as missing
    for that witness (and is named as not verifying); lines by unknown keys are ignored.
    """
    verified: list[str] = []
    missing: list[str] = []
    invalid: list[str] = []
    for verifier in verifiers:
        ok = False
        for line in lines:
            try:
                if not verifier.matches(line):
                    continue
                verifier.verify(line, body)
                ok = True
                break
            except LedgerError:
                invalid.append(verifier.name)
        (verified if ok else missing).append(verifier.name)
    return Witnessed(tuple(verified), tuple(missing), tuple(dict.fromkeys(invalid)))


def distinct(verifiers: Iterable[CosignatureVerifier]) -> list[CosignatureVerifier]:
    """The verifiers with duplicates (same name and key) dropped, so one key never counts twice."""
    return list(dict.fromkeys(verifiers))


def check_quorum(note: str, verifiers: Sequence[CosignatureVerifier], quorum: int) -> Witnessed:
    """``note``'s cosignatures from the distinct ``verifiers``; raises QuorumError unless at
    least ``quorum`` verify over its body, naming how many did and which were missing."""
    keys = distinct(verifiers)
    if not 1 <= quorum <= len(keys):
        raise FormatError(f"a quorum of {quorum} needs between 1 and {len(keys)} distinct witness keys")
    body, lines = split_note(note)
    found = cosigners(body, lines, keys)
    if len(found.verified) < quorum:
        raise QuorumError(f"the checkpoint is {found.summary(quorum)}")
    return found
