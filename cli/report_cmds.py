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
from cli.report_verify import verify_command
from ledger.errors import InputError

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


report.add_command(verify_command)  # in its own module: this one is at its size limit

COMMANDS = (report, metrics)
