"""``rledger report …`` (release, audit, scorecard, verify) and ``rledger metrics``.

The reports package (WeasyPrint, matplotlib, pypdf, pyHanko) is imported inside each
command, so the rest of the CLI starts without it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.context import AppContext, pass_app
from cli.progress import progress_bar
from cli.witness_options import witness_key, witness_options
from ledger.errors import InputError
from services.keys import read_text_argument

if TYPE_CHECKING:
    from reports.generate import Prepared
    from reports.pdfsign import SigningConfig

F = TypeVar("F", bound=Callable[..., Any])
OUT_TYPE = click.Path(dir_okay=False, path_type=Path)


def _signing_options(command: F) -> F:
    command = click.option(
        "--ltv",
        is_flag=True,
        help="PAdES B-LT: embed the signer's and the TSA's chains and revocation data (CRL/OCSP, "
        "fetched from the certificates' URLs). Needs --sign-chain up to a self-signed root.",
    )(command)
    command = click.option(
        "--sign-chain",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A PEM certificate of the signer's chain, issuers up to the root (repeatable).",
    )(command)
    command = click.option(
        "--certify",
        is_flag=True,
        help="A certification signature, DocMDP 'no changes allowed': any later change, even an "
        "annotation, invalidates it.",
    )(command)
    command = click.option(
        "--tsa-url",
        envvar="RLEDGER_REPORT_TSA_URL",
        help="An RFC 3161 time-stamping authority: adds a signature timestamp, PAdES B-T "
        "(env RLEDGER_REPORT_TSA_URL).",
    )(command)
    command = click.option(
        "--sign-key",
        type=OUT_TYPE,
        envvar="RLEDGER_REPORT_SIGN_KEY",
        help="PEM private key for a PAdES signature (env RLEDGER_REPORT_SIGN_KEY; its password, "
        "if any, in RLEDGER_REPORT_SIGN_KEY_PASSWORD).",
    )(command)
    command = click.option(
        "--sign-cert",
        type=OUT_TYPE,
        envvar="RLEDGER_REPORT_SIGN_CERT",
        help="PEM certificate for the PAdES signature (env RLEDGER_REPORT_SIGN_CERT).",
    )(command)
    return click.option("--out", "out", type=OUT_TYPE, required=True, help="Where to write the PDF.")(command)


def _signing(cert: Path | None, key: Path | None, extra: dict[str, Any]) -> SigningConfig | None:
    """The signing configuration from the options; ``extra`` holds --tsa-url, --certify, --ltv and
    --sign-chain, which need a signature."""
    from reports.pdfsign import SigningConfig

    asked = [f"--{k.replace('_', '-')}" for k, v in extra.items() if v]
    if cert is None and key is None:
        if asked:
            raise InputError(f"{', '.join(asked)} need a signature: give --sign-cert and --sign-key")
        return None
    if cert is None or key is None:
        raise InputError("a PDF signature needs both --sign-cert and --sign-key")
    tsa = extra.get("tsa_url")
    if tsa and not str(tsa).startswith(("http://", "https://")):
        raise InputError(f"--tsa-url must be an http:// or https:// URL, not {tsa!r}")
    if extra.get("ltv") and not tsa:
        raise InputError("--ltv needs --tsa-url: B-LT adds validation data to a timestamped (B-T) signature")
    return SigningConfig(
        cert,
        key,
        os.environ.get("RLEDGER_REPORT_SIGN_KEY_PASSWORD") or None,
        tsa_url=tsa or None,
        certify=bool(extra.get("certify")),
        ltv=bool(extra.get("ltv")),
        chain=tuple(extra.get("sign_chain") or ()),
    )


def _describe(signing: SigningConfig) -> str:
    level = "B-LT" if signing.ltv else "B-T" if signing.tsa_url else "B-B"
    return f", PAdES-signed ({level}{', certified: no changes allowed' if signing.certify else ''})"


def _check_out(out: Path) -> Path:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {out}: folder {folder} does not exist")
    return folder


def _write(out: Path, data: bytes) -> None:
    folder = _check_out(out)
    fd, tmp = tempfile.mkstemp(prefix=".rledger-report-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None


def _finish(
    prepared: Prepared, out: Path, cert: Path | None, key: Path | None, extra: dict[str, Any]
) -> None:
    from reports.generate import render
    from reports.pdfsign import sign_pdf

    signing = _signing(cert, key, extra)
    rendered = render(prepared, progress_bar)
    data = rendered.data if signing is None else sign_pdf(rendered.data, signing)
    _write(out, data)
    ev = prepared.evidence
    note = _describe(signing) if signing is not None else ""
    click.echo(
        f"wrote {out}: {prepared.title}; {rendered.pages} pages, PDF/A-3b{note}; evidence.json holds "
        f"{len(ev.entries)} entries proven against checkpoint {ev.checkpoint.splitlines()[1]}"
    )


@click.group()
def report() -> None:
    """Audit-ready PDF reports that verify themselves (PDF/A-3b with evidence.json attached)."""


@report.command("release")
@click.argument("decision_id")
@_signing_options
@pass_app
def release_report(
    app: AppContext,
    /,
    decision_id: str,
    out: Path,
    sign_cert: Path | None,
    sign_key: Path | None,
    **extra: Any,
) -> None:
    """One decision: scorecard, gates, risk, approvals, policy, rollback, lifecycle, proofs."""
    from reports.generate import prepare_release

    _check_out(out)
    _signing(sign_cert, sign_key, extra)
    prepared = prepare_release(app.service(), decision_id, progress_bar)
    _finish(prepared, out, sign_cert, sign_key, extra)


@report.command("audit")
@click.option("--from", "start", required=True, help="First day (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option("--to", "end", required=True, help="Last day, included (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option("--model", help="Only this model's decisions.")
@click.option(
    "--since-checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The checkpoint of the previous export: the report proves this ledger extends it.",
)
@_signing_options
@pass_app
def audit_report(
    app: AppContext,
    /,
    start: str,
    end: str,
    model: str | None,
    since_checkpoint: Path | None,
    out: Path,
    sign_cert: Path | None,
    sign_key: Path | None,
    **extra: Any,
) -> None:
    """Every decision in a period, break-glass and policy changes, verification, delivery health."""
    from reports.generate import prepare_audit
    from reports.period import parse_period

    period = parse_period(start, end)
    _check_out(out)
    _signing(sign_cert, sign_key, extra)
    earlier = None
    if since_checkpoint is not None:
        try:
            earlier = since_checkpoint.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read checkpoint {since_checkpoint}: {exc}") from None
    prepared = prepare_audit(app.service(), period, model, earlier, progress_bar)
    _finish(prepared, out, sign_cert, sign_key, extra)


def _versions(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


@report.command("scorecard")
@click.option("--model", required=True, help="The model whose releases to compare.")
@click.option(
    "--versions", multiple=True, help="Candidate versions (repeat or comma-separate; default: all recorded)."
)
@click.option(
    "--terms",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML with contract-term values (supplier, customer, notice_days, service_credit_percent, ...).",
)
@_signing_options
@pass_app
def scorecard_report(
    app: AppContext,
    /,
    model: str,
    versions: tuple[str, ...],
    terms: Path | None,
    out: Path,
    sign_cert: Path | None,
    sign_key: Path | None,
    **extra: Any,
) -> None:
    """A baseline and its candidates side by side, with contract terms: a procurement attachment."""
    from reports.contract import ContractTerms
    from reports.generate import prepare_scorecard

    chosen = ContractTerms.read(terms) if terms is not None else ContractTerms()
    _check_out(out)
    _signing(sign_cert, sign_key, extra)
    prepared = prepare_scorecard(app.service(), model, _versions(versions), chosen, progress_bar)
    _finish(prepared, out, sign_cert, sign_key, extra)


@report.command("verify")
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
@witness_options(
    "A witness's cosignature verifier key, or a file holding one (repeatable): the report's "
    "checkpoint must carry their cosignatures."
)
def verify_report(
    pdf: Path,
    key: str,
    trust: tuple[Path, ...],
    require_signature: bool,
    kept: tuple[Path, ...],
    proofs: tuple[Path, ...],
    witness_keys: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Check a report offline: PDF signature, embedded evidence, the figures it prints, its
    consistency with the checkpoints you kept, and its witnesses' cosignatures."""
    from ledger.tlog.witnessed import distinct
    from reports.kept import describe, read_kept, read_proof
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
    )
    click.echo(f"OK: {pdf} is a verified {result.report_type} report")
    click.echo(
        f"    evidence.json (sha256 {result.evidence_sha256[:16]}…): {result.entries} entries proven against "
        f"the signed checkpoint of {describe(result.checkpoint_size, result.checkpoint_root)}"
    )
    if result.earlier_checkpoint_size is not None and result.earlier_checkpoint_root is not None:
        click.echo(
            "    consistent with the earlier checkpoint of "
            f"{describe(result.earlier_checkpoint_size, result.earlier_checkpoint_root)}"
        )
    if result.completeness is not None:
        click.echo(f"    {result.completeness.summary()}")
    if result.ledger_verification is not None:
        v = result.ledger_verification
        click.echo(
            f"    its whole-ledger verification ({v['entries']} entries, {v['checkpoints_checked']} "
            "checkpoints) names the checkpoint's size and root"
        )
    for check in result.kept:
        click.echo(
            f"    consistent with your checkpoint {check.source} ({describe(check.size, check.root)}): "
            f"{check.how}"
        )
    for witnessed in result.witnessed:
        click.echo(f"    {witnessed.summary()}")
    click.echo(f"    {result.figures} figures recomputed from the entries and found in the text")
    if result.pages is not None:
        click.echo(
            f"    {result.pages.pages} pages re-rendered from its evidence: "
            "each draws what the rendering draws"
        )
        links = (
            f"{result.links} links, each where the rendering puts it and going where it goes"
            if result.links
            else "no links, as rendered"
        )
        click.echo(f"    {links}; no action that runs anything")
    if result.signatures:
        click.echo("    no incremental update after rendering but the signatures', no added annotation")
    else:
        click.echo(
            "    no incremental update, no added annotation, nothing after the end of the file; "
            "but it is unsigned: nothing says who made it, and parts outside the pages (metadata, "
            "bookmark titles and targets) are unchecked; "
            "sign reports (--sign-cert, --certify) to rule that out"
        )
    for sig in result.signatures:
        trusted = "trusted" if sig.trusted else "intact; trust not checked (give --trust-cert)"
        kind = "certification signature (no changes allowed)" if sig.certified else "PDF signature"
        click.echo(f"    {kind} {sig.field}: by {sig.signer}, {trusted}, signed {sig.signing_time}")
        if sig.timestamp is None:
            click.echo("      no timestamp: the signing time is the signer's claim (B-B)")
        else:
            by = "trusted TSA" if sig.timestamp_trusted else "TSA not checked (give --trust-cert)"
            click.echo(f"      timestamped {sig.timestamp} by an RFC 3161 token ({by}), PAdES B-T")
        if sig.ltv:
            click.echo("      validation data embedded (document security store), PAdES B-LT")


@click.command()
@click.option("--from", "start", required=True, help="First day (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option("--to", "end", required=True, help="Last day, included (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option("--model", help="Only this model.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def metrics(app: AppContext, start: str, end: str, model: str | None, as_json: bool) -> None:
    """Delivery health per model (seed 000's iteration index) over a period."""
    from reports.metrics import delivery_metrics
    from reports.period import parse_period

    result = delivery_metrics(app.service(), parse_period(start, end), model)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    click.echo(f"delivery health {start} to {end}, as of {result['as_of']} ({result['formula']})")
    if not result["models"]:
        click.echo("  no decisions in the period")
    for m in result["models"]:
        click.echo(
            f"  {m['model']}: iteration index {m['iteration_index']} (velocity {m['velocity']}, coverage "
            f"{m['coverage']}, regression surface {m['regression_surface']}, risk {m['deployment_risk']}; "
            f"{m['releases']} releases, {m['promoted']} promoted)"
        )


COMMANDS = (report, metrics)
