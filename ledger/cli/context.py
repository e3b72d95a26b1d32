"""What every command needs: settings, and a service opened on demand."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from ledger.clock import SystemClock
from ledger.errors import NotInitializedError
from ledger.keys import read_private_key
from ledger.service import LedgerService
from ledger.settings import Settings
from ledger.store import LedgerStore
from ledger.tlog.note import Ed25519Signer


@dataclass
class AppContext:
    settings: Settings
    verbose: bool = False
    _store: LedgerStore | None = field(default=None, repr=False)

    def store(self) -> LedgerStore:
        if self._store is None:
            if self.settings.uses_home_database and not (self.settings.home / "ledger.db").exists():
                raise NotInitializedError(
                    f"no ledger at {self.settings.home}; run `rledger init --origin NAME` first"
                )
            self._store = LedgerStore.open(self.settings.database_url)
        return self._store

    def signer(self) -> Ed25519Signer:
        inline = os.environ.get("RLEDGER_SIGNING_KEY")
        if inline:
            return Ed25519Signer.parse(inline)
        return read_private_key(self.settings.signing_key_path)

    def service(self, *, writing: bool = False) -> LedgerService:
        store = self.store()
        store.meta()  # fails with a clear message if the ledger was never initialised
        return LedgerService(store, SystemClock(), self.signer() if writing else None)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


pass_app = click.make_pass_decorator(AppContext)


def ensure_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
