"""Asking each configured witness what it holds for this log (online ``rledger verify``).

The database's own cosignature rows can be deleted with the entries they vouch for, so
online verification also asks the witnesses themselves, with C2SP tlog-witness
``add-checkpoint`` requests (the only question the protocol lets a client ask):

1. the latest stored checkpoint, with ``old`` = its own size and no proof. A witness at that
   size cosigns it again (200); any other answers 409 with the size it holds.
2. A witness holding a smaller size is asked again, with ``old`` = that size and a
   consistency proof (RFC 9162 section 2.1.4) from it to ours. It cosigns only if our
   history extends the one it cosigned; a 422 means it does not: a fork or a rewrite, even
   one with more entries than the witness has seen.

A witness holding a larger size means entries it cosigned are gone (truncation); the same
size with another root (409 naming our own size) means history was rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import LedgerError, VerificationError
from ledger.tlog.cosignature import CosignatureVerifier
from ledger.tlog.witnessed import QuorumError, split_note
from services.ports import LogStore, WitnessTransport
from services.witness_config import WitnessConfig, WitnessSite
from services.witnessing import SIZE_CONTENT_TYPE

ConsistencyHashes = Callable[[int, int], list[str]]
"""(old size, new size) -> the consistency proof's hashes, base64, in order."""


@dataclass(frozen=True)
class WitnessProbe:
    """What one configured witness says it holds for this log."""

    name: str
    size: int | None  # the size it has cosigned; None when it could not tell us
    ends_at: int  # the size of the database's latest checkpoint, which was sent
    problem: str | None = None  # unreachable, refused: why ``size`` is None
    extended: bool = False  # it held less, was shown our history extends it, and cosigned ours

    @property
    def line(self) -> str:
        if self.size is None:
            return f"witness {self.name}: {self.problem}"
        if self.size == self.ends_at:
            return f"witness {self.name}: holds size {self.size}, the database's latest checkpoint"
        if self.extended:
            return (
                f"witness {self.name}: held size {self.size}; the database's {self.ends_at} extends it "
                "(consistency proof accepted, now cosigned)"
            )
        behind = f"behind the database's {self.ends_at} (not a failure)"
        return f"witness {self.name}: holds size {self.size}, {behind}"


def probe_witnesses(
    store: LogStore,
    witnesses: WitnessConfig | None,
    transport: WitnessTransport,
    consistency: ConsistencyHashes,
    quorum: int | None = None,
) -> list[WitnessProbe]:
    """Ask each witness of ``witnesses`` what it holds, as the module docstring describes.

    Returns one WitnessProbe per configured witness ([] with none, or before genesis).
    Raises VerificationError when a witness holds a larger size than the database's latest
    checkpoint, the same size with another root, or a smaller size our history does not
    extend; QuorumError when ``quorum`` is given and fewer witnesses answered.
    """
    latest = store.latest_checkpoint()
    if witnesses is None or latest is None:
        return []
    size, note = latest
    asking = _Asking(store, transport, consistency, size, note)
    probes = [asking.probe(site) for site in witnesses.witnesses]
    answered = [p for p in probes if p.size is not None]
    if quorum is not None and len(answered) < quorum:
        raise QuorumError(
            f"only {len(answered)} of {len(probes)} witnesses answered; "
            f"a quorum of {quorum} cannot be met: " + "; ".join(p.line for p in probes if p.size is None)
        )
    return probes


@dataclass
class _Asking:
    store: LogStore
    transport: WitnessTransport
    consistency: ConsistencyHashes
    size: int
    note: str  # the stored note: the log's signature only

    def probe(self, site: WitnessSite) -> WitnessProbe:
        status, content_type, text = self._post(site, self.size)
        if status == 200:
            return self._cosigned(site, text, held=self.size)
        held = _size_answer(status, content_type, text)
        if held is None:
            return WitnessProbe(site.name, None, self.size, _problem(status, text))
        if held == self.size:  # our old size matched its record, so the roots differ
            raise VerificationError(
                f"witness {site.name} has cosigned another checkpoint of size {self.size}: "
                "the database's history was rewritten after it was witnessed",
                index=self.size - 1,
            )
        if held > self.size:
            if self._caught_up(held):
                return WitnessProbe(site.name, held, self.size)
            raise VerificationError(
                f"witness {site.name} has cosigned size {held} but the database ends at {self.size}: "
                "entries were removed",
                index=self.size,
                expected=str(held),
                actual=str(self.size),
            )
        if held == 0:
            return WitnessProbe(site.name, 0, self.size)  # it has seen nothing of this log yet
        return self._extend(site, held)

    def _extend(self, site: WitnessSite, held: int) -> WitnessProbe:
        """Show a witness that holds ``held`` < our size that our history extends its own."""
        status, content_type, text = self._post(site, held)
        if status == 200:
            return self._cosigned(site, text, held=held)
        if status == 422:
            raise VerificationError(
                f"witness {site.name} holds size {held} and refused the consistency proof from it to "
                f"the database's {self.size}: the database's history does not extend the one the "
                "witness cosigned (it was forked or rewritten)",
                index=held - 1,
            )
        moved = _size_answer(status, content_type, text)
        if moved is not None and moved >= self.size and self._caught_up(moved):
            return WitnessProbe(site.name, moved, self.size)  # another writer got there first
        return WitnessProbe(site.name, held, self.size)

    def _post(self, site: WitnessSite, old: int) -> tuple[int, str, str]:
        hashes = self.consistency(old, self.size) if 0 < old < self.size else []
        proof = "".join(h + "\n" for h in hashes)
        return self.transport.post(f"{site.url}/add-checkpoint", f"old {old}\n{proof}\n{self.note}".encode())

    def _cosigned(self, site: WitnessSite, text: str, held: int) -> WitnessProbe:
        body, _ = split_note(self.note)
        if any(_verifies(site.verifier, line, body) for line in text.splitlines()):
            return WitnessProbe(site.name, held, self.size, extended=held != self.size)
        problem = "answered 200 without a valid cosignature by its configured key"
        return WitnessProbe(site.name, None, self.size, problem)

    def _caught_up(self, held: int) -> bool:
        """An append running meanwhile may have had a newer checkpoint cosigned: not a truncation."""
        latest = self.store.latest_checkpoint()
        return latest is not None and latest[0] >= held


def _size_answer(status: int, content_type: str, text: str) -> int | None:
    """The size a 409 ``text/x.tlog.size`` answer names, or None for any other answer."""
    answer = text.strip()
    sized = content_type.startswith(SIZE_CONTENT_TYPE) and answer.isdigit() and len(answer) <= 20
    return int(answer) if status == 409 and sized else None


def _problem(status: int, text: str) -> str:
    answer = text.strip()
    reason = answer.splitlines()[0][:200] if answer else ""
    return f"unreachable: {reason}" if status == 0 else f"answered HTTP {status}: {reason}"


def _verifies(verifier: CosignatureVerifier, line: str, body: str) -> bool:
    """Whether ``line`` is a cosignature by ``verifier`` that verifies over ``body``."""
    try:
        if not verifier.matches(line):
            return False
        verifier.verify(line, body)
    except LedgerError:
        return False
    return True
