"""Online verification of the ledger in the database: the one sequence ``rledger verify`` and
the web app's Ledger page both run, so they reach the same verdict for the same reasons.

The steps, in order (each raises the LedgerError naming the first failure):

1. ``Verification.verify``: entries, hash chain, subtree hashes, stored and given checkpoints,
   decision lookup rows;
2. ``Verification.check_witnessed``: the cosignatures stored with the checkpoints;
3. ``Verification.probe_witnesses``: what each configured witness holds (a truncation or fork
   whose stored cosignatures were deleted too is caught only here);
4. ``Verification.verify_meaning`` (unless integrity only): every entry replayed through the
   governance rules.

The witness transport is passed in (services import no HTTP client): the CLI and the web app
hand it ``store.witness_client.HttpWitnessTransport``, the tests an in-process one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from governance.state import GovernanceState
from ledger.errors import InputError
from ledger.tlog.cosignature import CosignatureVerifier
from ledger.tlog.verify import VerifiedLog
from services.ports import WitnessTransport
from services.verification import Verification, WitnessCheck
from services.witness_probe import WitnessProbe

NO_WITNESS_NOTE = (
    "NOTE: no witnesses configured (or none reachable): removal of the newest entries cannot be "
    "detected from this database alone; keep checkpoints (--checkpoint) or configure witnesses "
    "(docs/operations.md, Witnesses)"
)


@dataclass(frozen=True)
class OnlineVerification:
    """Everything online verification found (it passed: a failure is raised, not returned)."""

    log: VerifiedLog  # step 1
    witnessed: WitnessCheck | None  # step 2; None: no witness keys at all
    probes: list[WitnessProbe]  # step 3, one per configured witness ([] with none)
    meaning: GovernanceState | None  # step 4; None when integrity only
    checkpoints: list[str]  # the checkpoint notes given from outside, each matched

    @property
    def witness_note(self) -> str | None:
        """NO_WITNESS_NOTE when no witness answered the probe (none configured, or all down):
        then nothing outside the database vouches for its newest entries."""
        return None if any(p.size is not None for p in self.probes) else NO_WITNESS_NOTE

    @property
    def witness_lines(self) -> list[str]:
        """The stored-cosignature summary, each witness's answer and the NOTE, as printed."""
        lines = []
        if self.witnessed is not None:
            ok = "OK" if self.witnessed.size is not None else "NOTE"
            lines.append(f"{ok}: {self.witnessed.summary}")
        lines.extend(f"    {probe.line}" for probe in self.probes)
        if self.witness_note is not None:
            lines.append(self.witness_note)
        return lines


class QuorumUsageError(InputError):
    """A quorum was asked for without any witness keys (given or configured)."""


def verify_online(
    verification: Verification,
    transport: WitnessTransport,
    *,
    checkpoints: Sequence[str] = (),
    witnesses: Sequence[CosignatureVerifier] = (),
    quorum: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    integrity_only: bool = False,
) -> OnlineVerification:
    """Run the four steps of the module docstring over ``verification``'s database.

    ``checkpoints``: signed checkpoint notes kept from outside; ``witnesses`` and ``quorum``:
    cosignature keys and how many must have cosigned (default: HOME/witnesses.yaml's, and then
    no quorum is required). Raises VerificationError / QuorumError naming the failure, and
    QuorumUsageError when ``quorum`` is given with no witness keys at all.
    """
    notes = list(checkpoints)
    log = verification.verify(
        extra_checkpoints=notes, workers=workers, progress=progress, integrity_only=integrity_only
    )
    explicit = bool(witnesses) or quorum is not None
    check = verification.check_witnessed(list(witnesses) or None, quorum, require_quorum=explicit)
    if explicit and check is None:
        raise QuorumUsageError("--quorum needs --witness keys (or HOME/witnesses.yaml)")
    # What the witnesses hold: stored cosignatures can be deleted along with the entries.
    probes = verification.probe_witnesses(transport, quorum)
    meaning = None if integrity_only else verification.verify_meaning()
    return OnlineVerification(log, check, probes, meaning, notes)
