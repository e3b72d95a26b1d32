"""The HTTP side of the command line: API tokens and the server.

Write commands reach a server with ``--server`` (cli/remote_statements.py).
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from cli.context import AppContext, actor_options, load_actor, pass_app
from cli.listen import listen_url
from ledger.clock import clock_from_environment
from ledger.errors import InputError, StorageError
from ledger.tlog.entry import parse_time
from services.settings import max_body_bytes

_DURATION = re.compile(r"^([1-9][0-9]{0,4})([hd])$")


def parse_expiry(text: str | None, now: datetime) -> datetime | None:
    """``30d``, ``12h`` or an RFC 3339 UTC time; None never expires."""
    if text is None:
        return None
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        return parse_time(text)
    except Exception:
        raise InputError(f"--expires {text!r}: give 30d, 12h or a time like 2027-01-01T00:00:00Z") from None


@click.group()
def token() -> None:
    """Bearer tokens for the HTTP API (stored only as hashes, in the ledger)."""


@token.command("create")
@click.argument("name")
@click.option("--expires", help="30d, 12h, or an RFC 3339 UTC time (default: never).")
@actor_options
@pass_app
def token_create(
    app: AppContext, name: str, expires: str | None, actor_name: str | None, key_file: Path | None
) -> None:
    """Issue a token for identity NAME. It is printed once; keep it secret.

    Only the token goes to stdout, so ``TOKEN=$(rledger token create ...)`` captures exactly
    it; what was recorded is said on stderr.
    """
    actor = load_actor(actor_name, key_file)
    service = app.service(writing=True)
    secret, entry = service.tokens.issue(
        name, parse_expiry(expires, clock_from_environment(os.environ).now()), actor.name, actor.key
    )
    click.echo(
        f"recorded entry {entry.seq}: token {entry.payload['token_id']} for {name}"
        + (f", expires {entry.payload['expires_at']}" if "expires_at" in entry.payload else "")
        + "; the token (shown only now) is on stdout",
        err=True,
    )
    click.echo(secret)


@token.command("revoke")
@click.argument("token_id")
@actor_options
@pass_app
def token_revoke(app: AppContext, token_id: str, actor_name: str | None, key_file: Path | None) -> None:
    """Revoke a token by its id."""
    actor = load_actor(actor_name, key_file)
    entry = app.service(writing=True).tokens.revoke(token_id, actor.name, actor.key)
    click.echo(f"recorded entry {entry.seq}: token {token_id} revoked")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@pass_app
def serve(app: AppContext, host: str, port: int, workers: int) -> None:
    """Run the HTTP API (OpenAPI docs at /docs) and the web app (at /), and say where they listen."""
    import uvicorn

    from store import migrations

    app.service(writing=True)  # fail here, in one line, if the ledger or its key is missing
    max_body_bytes(os.environ)  # and here if the body limit is not a number of bytes
    store = app.store()  # the database that service was opened on
    # Workers never change the schema: one that is behind fails here, once, not in every worker.
    revision = store.schema_revision()
    if revision != migrations.head():
        raise StorageError(
            f"the ledger schema in {store.url} is at {revision or 'none'}, this rledger needs "
            f"{migrations.head()}: run `rledger db upgrade` first"
        )
    where = listen_url(host, port)  # before the environment is handed on: a refusal changes nothing
    os.environ["RLEDGER_HOME"] = str(app.settings.home)
    os.environ["RLEDGER_DATABASE_URL"] = app.settings.database_url
    click.echo(
        f"serving {store.meta()['origin']} from {store.url} at {where} with {workers} "
        f"worker{'s' if workers > 1 else ''}; web app at {where}/, "
        f"OpenAPI docs at {where}/docs (Ctrl-C stops)"
    )
    sys.stdout.flush()
    uvicorn.run(
        "web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


COMMANDS = (token, serve)
