"""A small team on a fresh ledger, with a clock the test controls."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from governance.actions import Release
from governance.authorship import release_subject
from governance.statements import sign_statement
from ledger.scoring.input import parse_decision_text
from ledger.tlog.note import Ed25519Signer
from services.ledger_service import LedgerService
from services.ports import PendingEntry
from services.settings import sqlite_url
from store.ledger_store import LedgerStore

ORIGIN = "test.release-ledger.example/log"
ADMIN = "admin@example.com"
TEAM = {
    "alice@example.com": ["submitter"],
    "bob@example.com": ["ml-lead"],
    "bea@example.com": ["ml-lead"],
    "carol@example.com": ["compliance"],
    "dave@example.com": ["incident-commander"],
    "erin@example.com": ["auditor"],
    "mallory@example.com": ["submitter", "ml-lead"],
    "rita@example.com": ["release-manager"],
}


class SteppingClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)  # entries never share a time, and time never goes back
        return self.at

    def advance(self, by: timedelta) -> None:
        """Let time pass (a canary window, a review) without sleeping."""
        self.at += by


@dataclass
class Team:
    service: LedgerService
    store: LedgerStore
    clock: SteppingClock
    keys: dict[str, Ed25519Signer]
    db: Path
    ledger_key: Ed25519Signer
    refs: dict[str, str] = field(default_factory=dict)

    def submit(self, filename: str, **override: Any) -> str:
        text = (resources.files("cli.demo") / filename).read_text()
        data = {**parse_decision_text(text), **override}
        recorded = self.service.decisions.submit(data, data["requested_by"], self.keys[data["requested_by"]])
        return f"{recorded.ref.model}@{recorded.ref.version}"

    def key(self, name: str) -> Ed25519Signer:
        return self.keys[name]

    def snapshot(self) -> tuple[int, str | None]:
        latest = self.store.latest_checkpoint()
        return self.store.size(), None if latest is None else latest[1]

    def sign(self, kind: str, payload: dict[str, Any], key: Ed25519Signer) -> dict[str, Any]:
        """``payload`` signed by ``key`` over the statement bytes of this ledger's format."""
        return sign_statement(kind, payload, key, origin=self.service.state().statement_origin())

    def release(self, ref: str) -> Release:
        """How a statement written now names the decision ``ref`` (MODEL@VERSION or hash)."""
        state = self.service.state()
        return release_subject(state, state.decision(self.service.resolve(ref).leaf_hex))

    def inject(self, kind: str, payload: dict[str, Any]) -> int:
        """Append without the governance check, as the operator writing to the database with
        the log key would: chained, and under a checkpoint signed with the log key. Returns
        the entry's seq."""
        self.store.append([PendingEntry(kind, payload)], self.clock.now, self.ledger_key)
        return self.store.size() - 1


def _seed(number: int) -> bytes:
    return bytes([number]) * 32


def build_team(db: Path) -> Team:
    """A fresh ledger at ``db`` on a stepping clock, with its admin and TEAM registered; the keys
    come from fixed seeds, so every run writes the same entries."""
    ledger_key = Ed25519Signer.generate(ORIGIN, _seed(1))
    keys = {
        name: Ed25519Signer.generate("rledger-identity", _seed(10 + n))
        for n, name in enumerate([ADMIN, *TEAM])
    }
    store = LedgerStore.open(sqlite_url(db))
    clock = SteppingClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # a Tuesday, no freeze
    service = LedgerService(store, clock, ledger_key)
    service.setup.initialize(ORIGIN, ADMIN, keys[ADMIN])
    for name, roles in TEAM.items():
        service.identities.add(
            name, roles, base64.b64encode(keys[name].public_key).decode(), ADMIN, keys[ADMIN]
        )
    return Team(service, store, clock, keys, db, ledger_key)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    built = build_team(tmp_path / "ledger.db")
    yield built
    built.store.close()
