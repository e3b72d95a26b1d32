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
    """``rledger report verify``'s lines for a reports.verify.VerifiedReport."""
    from reports.kept import describe
    from reports.verify import VerifiedReport

    assert isinstance(result, VerifiedReport)
    lines = [
        f"OK: {name} is a verified {result.report_type} report",
        f"    evidence.json (sha256 {result.evidence_sha256[:16]}…): {result.entries} entries proven against "
        f"the signed checkpoint of {describe(result.checkpoint_size, result.checkpoint_root)}",
    ]
    if result.earlier_checkpoint_size is not None and result.earlier_checkpoint_root is not None:
        lines.append(
            "    consistent with the earlier checkpoint of "
            f"{describe(result.earlier_checkpoint_size, result.earlier_checkpoint_root)}"
        )
    lines.append(f"    {result.figures} figures recomputed from the entries and found in the text")
    if result.pages is not None:
        lines.append(
            f"    {result.pages.pages} pages re-rendered from its evidence: "
            "each draws what the rendering draws"
        )
    if result.signatures:
        lines.append("    no incremental update after rendering but the signatures', no added annotation")
        lines.extend(
            f"    signature {sig.field}: by {sig.signer}, signed {sig.signing_time}"
            for sig in result.signatures
        )
    else:
        lines.append(
            "    no incremental update, no added annotation, nothing after the end of the file; "
            "but it is unsigned: nothing says who made it"
        )
    return lines
