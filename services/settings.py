"""Where the ledger lives: ``RLEDGER_HOME`` and ``RLEDGER_DATABASE_URL``, overridden by flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import InputError

DEFAULT_HOME = ".rledger"
SIGNING_KEY_FILE = "signing.key"
DATABASE_FILE = "ledger.db"
WITNESSES_FILE = "witnesses.yaml"
MAX_BODY_VARIABLE = "RLEDGER_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024  # room for an uploaded report or a batch of decisions


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str

    @property
    def signing_key_path(self) -> Path:
        return self.home / SIGNING_KEY_FILE

    @property
    def witnesses_path(self) -> Path:
        """The ledger's witnesses and quorum (services.witness_config); absent: none."""
        return self.home / WITNESSES_FILE

    @property
    def uses_home_database(self) -> bool:
        return self.database_url == sqlite_url(self.home / DATABASE_FILE)

    @classmethod
    def resolve(
        cls, env: Mapping[str, str], home: str | None = None, database_url: str | None = None
    ) -> Settings:
        home_path = Path(home or env.get("RLEDGER_HOME") or DEFAULT_HOME)
        url = database_url or env.get("RLEDGER_DATABASE_URL") or sqlite_url(home_path / DATABASE_FILE)
        return cls(home_path, url)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def max_body_bytes(env: Mapping[str, str]) -> int:
    """The HTTP API's cap on request bodies, in bytes: RLEDGER_MAX_BODY_BYTES (a positive
    whole number) or the 16 MiB default. Raises InputError naming the variable otherwise, so
    `rledger serve` stops before it starts rather than answering every request wrongly."""
    value = env.get(MAX_BODY_VARIABLE, "").strip()
    if not value:
        return DEFAULT_MAX_BODY_BYTES
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{MAX_BODY_VARIABLE} must be a positive whole number of bytes, not {value!r}")
    return int(value)
