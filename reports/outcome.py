"""One description of a report's verification result, for every door.

``rledger report verify`` (cli.report_verify) and the auditors' web page
(web.outcomes.report_lines) print these lines, so a result reads the same through either: a
caveat the command line gives (completeness not proven, an unsigned file) cannot be missing
from the page.
"""

from __future__ import annotations

from reports.kept import describe as describe_checkpoint
from reports.verify import VerifiedReport


def describe(name: str, result: VerifiedReport) -> list[str]:
    """The lines for ``result`` (the report called ``name``): an ``OK:`` line, then indented
    details, then any ``NOTE:`` line saying what was accepted without proof."""
    checkpoint = describe_checkpoint(result.checkpoint_size, result.checkpoint_root)
    lines = [
        f"OK: {name} is a verified {result.report_type} report",
        f"    evidence.json (sha256 {result.evidence_sha256[:16]}…): {result.entries} entries proven "
        f"against the signed checkpoint of {checkpoint}",
    ]
    if result.earlier_checkpoint_size is not None and result.earlier_checkpoint_root is not None:
        lines.append(
            "    consistent with the earlier checkpoint of "
            f"{describe_checkpoint(result.earlier_checkpoint_size, result.earlier_checkpoint_root)}"
        )
    if result.completeness is not None:
        lines.append(f"    {result.completeness.summary()}")
    if result.ledger_verification is not None:
        v = result.ledger_verification
        lines.append(
            f"    its whole-ledger verification ({v['entries']} entries, {v['checkpoints_checked']} "
            "checkpoints) names the checkpoint's size and root"
        )
    for check in result.kept:
        lines.append(
            f"    consistent with your checkpoint {check.source} "
            f"({describe_checkpoint(check.size, check.root)}): {check.how}"
        )
    lines.extend(f"    {witnessed.summary()}" for witnessed in result.witnessed)
    lines.append(f"    {result.figures} figures recomputed from the entries and found in the text")
    if result.pages is not None:
        lines.append(
            f"    {result.pages.pages} pages re-rendered from its evidence: "
            "each draws what the rendering draws"
        )
        links = (
            f"{result.links} links, each where the rendering puts it and going where it goes"
            if result.links
            else "no links, as rendered"
        )
        lines.append(f"    {links}; no action that runs anything")
    if result.document_parts:
        lines.append(f"    {result.document_parts}")
    if result.signatures:
        lines.append("    no incremental update after rendering but the signatures', no added annotation")
    else:
        lines.append(
            "    no incremental update, no added annotation, nothing after the end of the file; "
            "but it is unsigned: nothing says who made it (sign reports with --sign-cert, "
            "--certify to say so)"
        )
    for sig in result.signatures:
        trusted = "trusted" if sig.trusted else "intact; trust not checked (give --trust-cert)"
        kind = "certification signature (no changes allowed)" if sig.certified else "PDF signature"
        lines.append(f"    {kind} {sig.field}: by {sig.signer}, {trusted}, signed {sig.signing_time}")
        if sig.timestamp is None:
            lines.append("      no timestamp: the signing time is the signer's claim (B-B)")
        else:
            by = "trusted TSA" if sig.timestamp_trusted else "TSA not checked (give --trust-cert)"
            lines.append(f"      timestamped {sig.timestamp} by an RFC 3161 token ({by}), PAdES B-T")
        if sig.ltv:
            lines.append("      validation data embedded (document security store), PAdES B-LT")
    if result.unproven_format is not None:
        lines.append(
            f"NOTE: its evidence is {result.unproven_format}, which does not prove completeness: "
            "entries may have been left out of it (accepted with --accept-unproven-completeness)"
        )
    return lines
