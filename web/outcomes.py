"""Verification results as the lines ``rledger verify`` and ``rledger report verify`` print.

The checks themselves are the services' and the reports' (services.verification,
reports.verify); only the wording lives here, kept the same as the command line's so an
auditor sees the same result through either door.
"""

from __future__ import annotations

from governance.state import GovernanceState
from ledger.tlog.verify import VerifiedLog, b64_root, checkpoint_size_and_root


def log_lines(result: VerifiedLog, notes: list[str]) -> list[str]:
    checked = result.checkpoints_checked
    line = f"    {checked} signed checkpoint{'' if checked == 1 else 's'} checked"
    if result.latest_checkpoint is not None:
        line += f"; the latest covers {result.latest_checkpoint.size} entries"
    lines = [f"OK: {result.size} entries verified; root {b64_root(result.root)}", line]
    if result.uncovered:
        lines.append(
            f"    note: {result.uncovered} entries after the latest checkpoint are not yet covered by one"
        )
    for note in notes:
        size, root = checkpoint_size_and_root(note)
        lines.append(f"    consistent with the given checkpoint of size {size}, root {root}")
    return lines


def meaning_lines(state: GovernanceState) -> list[str]:
    lines = [
        f"OK: every entry was allowed: {len(state.identities)} identities, {len(state.decisions)} decisions, "
        f"{len(state.policy_history)} policy adoptions; signatures, roles, separation of duties and "
        f"promotions re-checked (ledger format {state.format})"
    ]
    for a in state.asserted:
        lines.append(f"NOTE: entry {a.seq} {a.kind}: {a.author}, asserted with API token {a.token_id}")
    for r in state.on_reset_keys:
        lines.append(f"NOTE: entry {r.seq} {r.kind}: {r.author}, key set by {r.admin} at entry {r.reset_seq}")
    return lines


def report_lines(name: str, result: object) -> list[str]:
    """``rledger report verify``'s lines for a reports.verify.VerifiedReport: the same function
    builds both (reports.outcome.describe), so no caveat is missing here."""
    from reports.outcome import describe
    from reports.verify import VerifiedReport

    assert isinstance(result, VerifiedReport)
    return describe(name, result)
