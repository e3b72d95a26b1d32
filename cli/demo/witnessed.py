"""The demo with witnesses (``rledger demo --witnesses FILE``): its clock, and what its verify
section says about the witnesses' cosignatures."""

from __future__ import annotations

from datetime import datetime

from ledger.clock import FixedClock
from ledger.errors import VerificationError
from ledger.tlog.witnessed import check_quorum
from services.ledger_service import LedgerService
from services.witness_config import WitnessConfig


class DemoClock(FixedClock):
    """The demo's clock, remembering the instant it last gave out: a witness's cosignature is
    stored as received at the time of the append it follows, and reading that steps nothing,
    so the story's entries are the same with witnesses as without."""

    def __init__(self, start: datetime, step_seconds: float = 0.0) -> None:
        super().__init__(start, step_seconds)
        self.latest = start

    def now(self) -> datetime:
        self.latest = super().now()
        return self.latest

    def peek(self) -> datetime:
        return self.latest


def witness_findings(service: LedgerService, config: WitnessConfig, note: str) -> tuple[list[str], list[str]]:
    """(lines to print, surprises): how many checkpoints reached the quorum as they were
    written, the latest one's status, the database against its stored cosignatures, and
    ``note`` (the latest checkpoint with its cosignatures) held to the quorum offline, as
    `verify --export ... --witness ... --quorum K` does."""
    lines: list[str] = []
    surprises: list[str] = []
    checkpoints = len(service.store.snapshot()[1])
    by_size: dict[int, int] = {}
    for row in service.store.cosignatures():
        by_size[row.size] = by_size.get(row.size, 0) + 1
    reached = sum(1 for count in by_size.values() if count >= config.quorum)
    lines.append(
        f"{reached} of {checkpoints} checkpoints were cosigned by at least {config.quorum} witnesses"
    )
    status = service.witnessing.status()
    if status is not None:
        lines.append(status.summary)
        if not status.reached:
            surprises.append(f"the latest {status.summary}")
    check = service.verification.check_witnessed()
    if check is not None:
        lines.append(f"OK: {check.summary}")
    try:
        found = check_quorum(note, config.verifiers, config.quorum)
        lines.append(f"OK offline: the checkpoint is {found.summary(config.quorum)}")
    except VerificationError as exc:
        surprises.append(f"offline witness check: {exc}")
        lines.append(f"offline witness check FAILED: {exc}")
    return lines, surprises
