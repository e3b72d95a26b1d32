"""``rledger report verify``: check a report PDF offline (reports.verify), and print the
result as every door does (reports.outcome.describe). Registered on the ``report`` group by
cli.report_cmds; the reports package is imported inside the command, so the CLI starts without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.witness_options import witness_key, witness_options
from services.keys import read_text_argument


@click.command("verify")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key", required=True, help="The ledger's verifier key, or a file holding it.")
@click.option(
    "--trust-cert",
    "trust",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A certificate to trust for the PDF signature and its timestamp's TSA (repeatable).",
)
@click.option("--require-signature", is_flag=True, help="Fail if the PDF carries no signature.")
@click.option(
    "--checkpoint",
    "kept",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A signed checkpoint note you kept, earlier or later than the report's (repeatable): the "
    "report must be consistent with it.",
)
@click.option(
    "--proof",
    "proofs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON of `rledger proof consistency OLD NEW`, when a kept checkpoint's size is not "
    "one the report can prove by itself (repeatable).",
)
@click.option(
    "--accept-unproven-completeness",
    is_flag=True,
    help="Verify a report whose evidence format does not prove that no entry was left out "
    "(format 1, made by an older rledger); a NOTE then says entries may have been left out.",
)
@witness_options(
    "A witness's cosignature verifier key, or a file holding one (repeatable): the report's "
    "checkpoint must carry their cosignatures."
)
def verify_command(
    pdf: Path,
    key: str,
    trust: tuple[Path, ...],
    require_signature: bool,
    kept: tuple[Path, ...],
    proofs: tuple[Path, ...],
    witness_keys: tuple[str, ...],
    quorum: int | None,
    accept_unproven_completeness: bool,
) -> None:
    """Check a report offline: PDF signature, embedded evidence, the figures it prints, its
    consistency with the checkpoints you kept, and its witnesses' cosignatures."""
    from ledger.tlog.witnessed import distinct
    from reports.kept import read_kept, read_proof
    from reports.outcome import describe
    from reports.verify import read_pdf_file
    from reports.verify import verify_report as verify

    witnesses = distinct(witness_key(value) for value in witness_keys)
    if quorum is not None and not witnesses:
        raise click.UsageError("--quorum needs --witness keys")
    if quorum is not None and quorum > len(witnesses):
        raise click.UsageError(f"--quorum {quorum} is more than the {len(witnesses)} distinct --witness keys")
    data = read_pdf_file(pdf)
    result = verify(
        data,
        read_text_argument(key, "verifier key"),
        trust=trust,
        require_signature=require_signature,
        kept=[read_kept(k) for k in kept],
        proofs=[read_proof(p) for p in proofs],
        witnesses=witnesses,
        quorum=quorum,
        accept_unproven_completeness=accept_unproven_completeness,
    )
    for line in describe(str(pdf), result):
        click.echo(line)
