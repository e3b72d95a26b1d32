"""``rledger witness``: run a C2SP transparency-log witness for other ledgers.

A witness is what an auditor, a second team or a regulator runs: it keeps the latest
checkpoint it cosigned for each log it is configured with, and cosigns a new one only if a
consistency proof shows it extends that one (https://c2sp.org/tlog-witness).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cli.context import AppContext, WitnessQuorumError, pass_app
from cli.listen import listen_url
from ledger.clock import clock_from_environment
from ledger.errors import FormatError, InputError
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Ed25519Signer
from ledger.witness.decide import log_keys
from services.keys import KeyFileError, read_private_key, write_private_key
from store.witness_state import WitnessState

# The environment `witness_server.app.app_from_environment` reads (the CLI never imports it).
KEY_VARIABLE = "RLEDGER_WITNESS_KEY"
LOGS_VARIABLE = "RLEDGER_WITNESS_LOGS"
STATE_VARIABLE = "RLEDGER_WITNESS_STATE"


@click.group()
def witness() -> None:
    """Run a witness that cosigns other ledgers' checkpoints (C2SP tlog-witness)."""


@witness.command("keygen")
@click.option("--name", required=True, help="The witness's name, e.g. witness.example.com/w1.")
@click.option(
    "--out",
    "prefix",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Writes PREFIX.key (private, mode 0600) and PREFIX.vkey (the verifier key to publish).",
)
def keygen(name: str, prefix: Path) -> None:
    """Create the witness's Ed25519 key; print its cosignature/v1 verifier key on stdout."""
    try:
        signer = Ed25519Signer.generate(name, os.urandom(32))
    except FormatError as exc:
        raise InputError(f"--name: {exc}") from None
    private, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".vkey")
    if public.exists():
        raise KeyFileError(f"{public} already exists; refusing to overwrite a key")
    write_private_key(private, signer)
    vkey = Cosigner(signer).verifier.text
    public.write_text(vkey + "\n", encoding="utf-8")
    click.echo(f"private key {private} (mode 0600; never share it), verifier key in {public}:", err=True)
    click.echo(vkey)


def _log_text(value: str) -> str:
    """A ``--log`` value: a verifier key itself, or a file holding one."""
    if value.count("+") >= 2 and not Path(value).exists():
        return value.strip()
    try:
        return Path(value).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"--log {value!r} is neither a verifier key nor a readable file ({exc})") from None


@witness.command("serve")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--log",
    "logs",
    required=True,
    multiple=True,
    help="A log's verifier key (name = its origin), or a file holding one. Repeatable.",
)
@click.option(
    "--state",
    "state_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The witness's own SQLite file (created if missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
def serve(key_file: Path, logs: tuple[str, ...], state_file: Path, host: str, port: int) -> None:
    """Serve POST /add-checkpoint and answer with cosignature/v1 lines."""
    import uvicorn

    cosigner = Cosigner(read_private_key(key_file))
    texts = [_log_text(value) for value in logs]
    try:
        origins = log_keys(texts)
    except FormatError as exc:
        raise InputError(f"--log: {exc}") from None
    clock_from_environment(os.environ)  # a bad RLEDGER_CLOCK fails here, in one line
    WitnessState(state_file)  # create it, or fail here if it cannot be opened
    where = listen_url(host, port)  # before the environment is handed on: a refusal changes nothing
    os.environ[KEY_VARIABLE] = str(key_file.resolve())
    os.environ[LOGS_VARIABLE] = "\n".join(texts)
    os.environ[STATE_VARIABLE] = str(state_file.resolve())
    click.echo(
        f"witness {cosigner.verifier.text} for {', '.join(sorted(origins))} "
        f"at {where}/add-checkpoint, state in {state_file} (Ctrl-C stops)"
    )
    sys.stdout.flush()
    uvicorn.run(
        "witness_server.app:app_from_environment", factory=True, host=host, port=port, log_level="warning"
    )


@witness.command("sync")
@pass_app
def sync(app: AppContext) -> None:
    """Send this ledger's latest checkpoint to every witness in HOME/witnesses.yaml that has
    not cosigned it yet, store their cosignatures, and say whether it reached the quorum."""
    service = app.service(writing=True)
    report = service.witnessing.sync()
    service.witnessing.last = None  # reported here, not again after the command
    if report is None:
        raise InputError(f"no witnesses are configured: {app.settings.witnesses_path} does not exist")
    for line in report.details():
        click.echo(f"  {line}")
    click.echo(report.summary)
    if not report.reached:
        raise WitnessQuorumError(f"the {report.summary}")


COMMANDS = (witness,)
