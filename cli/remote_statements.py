"""``--server``: write commands whose statements are signed here and only relayed by a server.

Every write command takes one option set (:func:`server_options`): ``--server URL``,
``--token`` (env RLEDGER_TOKEN) and ``--log-key FILE`` (env RLEDGER_LOG_KEY: what ``rledger
key`` prints, got from somewhere the server's operator does not control). :func:`connected`
opens a :class:`Session` that trusts that key, not the server:

1. the latest checkpoint must be signed by the log key, for the key's origin
   (cli.remote.verified_checkpoint);
2. the log's first entry, ``ledger.init``, proven included in that checkpoint, gives the
   ledger's format and origin, so the server cannot choose what a signature covers;
3. GET /v1/statements/context must agree with both, or the server is refused.

:meth:`Session.send` then shows the statement, signs it with the user's key over the
statement bytes of the ledger's format (the envelope naming kind and origin from format 4,
governance.statements) and posts it. The server never sees a private key. Anything that does
not hold up raises before a signature is made or a request is posted.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from cli.context import Actor
from cli.remote import answer_json, proven_decision, proven_entry, read_log_key, verified_checkpoint
from governance.actions import Release
from governance.formats import KNOWN_FORMATS, PERSONAL_SIGNATURES
from governance.statements import sign_statement
from ledger.errors import InputError, VerificationError
from ledger.tlog.entry import Entry
from ledger.tlog.note import Verifier
from services.decisions import RecordedDecision
from services.setup import GENESIS_KIND

if TYPE_CHECKING:
    import httpx

F = TypeVar("F", bound=Callable[..., Any])
SHOWN_WIDTH = 100  # longer members (a policy's text) are shown by their length, not in full


@dataclass(frozen=True)
class ServerLink:
    """Where to send statements, how to authenticate there, and the key that judges the answers."""

    url: str
    bearer: str
    log_key: Verifier


def server_options(command: F) -> F:
    """``--server URL --token TOKEN --log-key FILE``, handed to ``command`` as ``remote``: a
    :class:`ServerLink`, or None without ``--server``. Missing parts are a usage error (exit 2)
    before any request."""

    @functools.wraps(command)
    def wrapper(
        *args: Any, server: str | None, bearer: str | None, log_key: Path | None, **kwargs: Any
    ) -> Any:
        return command(*args, remote=server_link(server, bearer, log_key), **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return cast(F, decorated)


_OPTIONS = (
    click.option(
        "--server", help="Sign here and send the statement to this API server (not the local ledger)."
    ),
    click.option(
        "--token", "bearer", envvar="RLEDGER_TOKEN", help="API token for --server (env RLEDGER_TOKEN)."
    ),
    click.option(
        "--log-key",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="RLEDGER_LOG_KEY",
        help="The log's verifier key (what `rledger key` prints), got from outside the server; "
        "required with --server (env RLEDGER_LOG_KEY).",
    ),
)


def server_link(server: str | None, bearer: str | None, log_key: Path | None) -> ServerLink | None:
    """The link --server names, or None without it. The log key must come from outside the
    server, or a lying server could sign its own checkpoints. Raises click.UsageError or
    InputError (an unreadable key)."""
    if server is None:
        return None
    if not bearer:
        raise click.UsageError("--server needs --token (or RLEDGER_TOKEN)")
    if log_key is None:
        raise click.UsageError(
            "--server needs --log-key FILE: the log's verifier key (`rledger key`), got from "
            "outside the server, to check what it sends (or RLEDGER_LOG_KEY)"
        )
    return ServerLink(server.rstrip("/"), bearer, read_log_key(log_key))


@dataclass(frozen=True)
class Session:
    """An open connection whose log is proven: ``origin`` is what statements sign over (the
    log's origin from format 4, None before), ``format`` the ledger's declared format."""

    client: httpx.Client
    link: ServerLink
    format: int
    origin: str | None

    def decision(self, decision_id: str) -> RecordedDecision:
        """The decision read from its entry's bytes, proven included (cli.remote.proven_decision)."""
        return proven_decision(self.client, self.link.log_key, decision_id)

    def release(self, recorded: RecordedDecision) -> Release:
        """How a statement names a proven decision: from its entry's bytes, never a lookup."""
        leaf = recorded.entry.leaf_hash.hex()
        if self.format < PERSONAL_SIGNATURES:
            return Release(leaf)
        p = recorded.entry.payload
        return Release(leaf, str(p["model"]), str(p["version"]))

    def read(self, path: str) -> dict[str, Any]:
        return answer_json(self.client.get(path))

    def sign(self, actor: Actor, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return sign_statement(kind, payload, actor.key, origin=self.origin)

    def post(self, path: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """POST ``body``; with ``idempotency_key`` a retry gets the first answer (api/idempotency.py)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return answer_json(self.client.post(path, json=body, headers=headers))

    def send(self, actor: Actor, kind: str, payload: dict[str, Any], path: str) -> dict[str, Any]:
        """Show ``payload``, sign it as ``actor`` and post it to ``path``; the server's record."""
        click.echo(f"signing {kind} as {actor.name} for {self.signed_for()}:")
        for name, value in payload.items():
            click.echo(f"  {name}: {_shown(value)}")
        return self.post(path, self.sign(actor, kind, payload))

    def signed_for(self) -> str:
        if self.origin is None:
            return f"a format-{self.format} ledger (no origin in the signature)"
        return f"log {self.origin} (ledger format {self.format})"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_WIDTH else f"({len(text)} characters)"


@contextmanager
def connected(link: ServerLink) -> Iterator[Session]:
    """A :class:`Session` on ``link``. Raises VerificationError if the server's checkpoint, its
    first entry or its statement context does not hold up, InputError if it cannot be reached,
    and what cli.remote.answer_json raises for refused requests."""
    import httpx

    headers = {"Authorization": f"Bearer {link.bearer}"}
    try:
        with httpx.Client(base_url=link.url, headers=headers, timeout=30) as client:
            yield _open(client, link)
    except httpx.HTTPError as exc:
        raise InputError(f"cannot reach {link.url}: {exc}") from None


def _open(client: httpx.Client, link: ServerLink) -> Session:
    checkpoint = verified_checkpoint(client, link.log_key)
    declared = _declared_format(proven_entry(client, checkpoint, 0), link.log_key.name)
    origin = link.log_key.name if declared >= PERSONAL_SIGNATURES else None
    _check_context(client, link.log_key.name, declared, origin)
    return Session(client, link, declared, origin)


def _declared_format(genesis: Entry, origin: str) -> int:
    """The format the log's ``ledger.init`` declares; it must name the log key's origin."""
    if genesis.kind != GENESIS_KIND:
        raise VerificationError(f"the log's first entry is a {genesis.kind}, not its ledger.init", index=0)
    named = genesis.payload.get("origin")
    if named != origin:
        raise VerificationError(
            "the log's ledger.init names another origin", expected=origin, actual=str(named)
        )
    declared = genesis.payload.get("format", 1)
    if not isinstance(declared, int) or isinstance(declared, bool) or declared not in KNOWN_FORMATS:
        raise VerificationError(
            f"the log declares ledger format {declared!r}, which this rledger does not know"
        )
    return declared


def _check_context(client: httpx.Client, origin: str, declared: int, signed_over: str | None) -> None:
    """GET /v1/statements/context must say what the proven ledger.init says, or the server
    would check signatures over other bytes than the ones made here."""
    context = answer_json(client.get("/v1/statements/context"))
    if context.get("origin") != origin:
        raise VerificationError(
            "the server's statement context names another log than the --log-key",
            expected=origin,
            actual=str(context.get("origin")),
        )
    if context.get("format") != declared:
        raise VerificationError(
            "the server's statement context disagrees with the log's ledger.init on the format",
            expected=str(declared),
            actual=str(context.get("format")),
        )
    over = context.get("sign_over_origin")
    if bool(over) != (signed_over is not None) or (isinstance(over, str) and over != signed_over):
        raise VerificationError(
            "the server's statement context disagrees on what signatures cover",
            expected=str(signed_over),
            actual=str(over),
        )


def recorded_line(answer: dict[str, Any], link: ServerLink) -> str:
    """One line for the entry the server recorded."""
    kind = answer.get("kind", "release.decision")
    return f"recorded entry {answer.get('seq')} ({kind}) on {link.url}, hash {answer.get('hash')}"


def relay(link: ServerLink, actor: Actor, kind: str, payload: dict[str, Any], path: str) -> dict[str, Any]:
    """Sign ``payload`` here and send it to ``path`` on a proven server; print and return the
    server's record of the entry. For statements that name no decision (identities, policy)."""
    with connected(link) as session:
        answer = session.send(actor, kind, payload, path)
    click.echo(recorded_line(answer, link))
    return answer
