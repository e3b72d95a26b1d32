"""What every command needs: settings, a service opened on demand, and the acting identity."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ledger.clock import clock_from_environment
from ledger.errors import InputError, NotInitializedError
from ledger.tlog.note import Ed25519Signer
from services.keys import ledger_signing_key, read_private_key
from services.ledger_service import LedgerService
from services.settings import Settings
from services.witness_config import WitnessConfig, load_witness_config
from store.ledger_store import LedgerStore

if TYPE_CHECKING:
    from services.ports import WitnessTransport

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Actor:
    name: str
    key: Ed25519Signer


@dataclass
class AppContext:
    settings: Settings
    verbose: bool = False
    _store: LedgerStore | None = field(default=None, repr=False)
    _service: LedgerService | None = field(default=None, repr=False)

    def store(self) -> LedgerStore:
        if self._store is None:
            if self.settings.uses_home_database and not (self.settings.home / "ledger.db").exists():
                raise NotInitializedError(
                    f"no ledger at {self.settings.home}; run `rledger init --origin NAME` first"
                )
            self._store = LedgerStore.open(self.settings.database_url)
        return self._store

    def signer(self) -> Ed25519Signer:
        return ledger_signing_key(os.environ, self.settings.signing_key_path)

    def service(self, *, writing: bool = False) -> LedgerService:
        store = self.store()
        store.meta()  # fails with a clear message if the ledger was never initialised
        service = LedgerService(
            store,
            clock_from_environment(os.environ),
            self.signer() if writing else None,
            witnesses=self.witnesses(),
            transport=_http_transport() if writing else None,
        )
        self._service = service
        return service

    def witnesses(self) -> WitnessConfig | None:
        """HOME/witnesses.yaml (None if absent); InputError naming the field if it is bad."""
        return load_witness_config(self.settings.witnesses_path)

    def witness_report(self) -> None:
        """After a write: say plainly whether its checkpoint is witnessed (stderr), and with
        ``wait_for_quorum: true`` fail when it is not (the entry itself stays committed)."""
        report = None if self._service is None else self._service.witnessing.last
        if report is None:
            return
        for line in report.details():
            click.echo(f"  {line}", err=True)
        click.echo(report.summary, err=True)
        if report.wait_for_quorum and not report.reached:
            raise WitnessQuorumError(
                f"the entry is recorded, but its {report.summary} (wait_for_quorum is true); "
                "run `rledger witness sync` once the witnesses are back"
            )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _http_transport() -> WitnessTransport:
    """The witnesses' HTTP transport, imported only by writes: httpx costs a read ~80 ms."""
    from store.witness_client import HttpWitnessTransport

    return HttpWitnessTransport()


class WitnessQuorumError(click.ClickException):
    """A write committed, but its checkpoint missed the witness quorum it was told to wait for
    (exit 1; a CLI outcome, not a domain error: the entry itself is recorded)."""


pass_app = click.make_pass_decorator(AppContext)


def ensure_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def actor_options(command: F) -> F:
    """``--as NAME --key FILE``: who is acting, proven by their own key (env RLEDGER_AS, RLEDGER_KEY)."""
    command = click.option(
        "--key",
        "key_file",
        envvar="RLEDGER_KEY",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The acting identity's private key file (mode 0600).",
    )(command)
    command = click.option("--as", "actor_name", envvar="RLEDGER_AS", help="The acting identity's name.")(
        command
    )
    return command


def load_actor(actor_name: str | None, key_file: Path | None) -> Actor:
    if not actor_name or key_file is None:
        raise InputError("this command changes the ledger: say who you are with --as NAME --key FILE")
    return Actor(actor_name, read_private_key(key_file))


def read_checkpoint_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"checkpoint file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read checkpoint file {path}: {exc}") from None
