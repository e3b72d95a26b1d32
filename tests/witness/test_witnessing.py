"""services.witnessing against in-process witnesses (witness_server.app.Witness), and the
witnesses.yaml reader: the 409 retry, answers that must not be stored, the append that never
waits on a witness inside its transaction, and bad configuration named by field."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from governance.actions import public_key_b64
from ledger.clock import FixedClock
from ledger.errors import InputError, StorageError
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Ed25519Signer
from ledger.tlog.witnessed import split_note
from ledger.witness.decide import log_keys
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from services.witness_config import WitnessConfig, WitnessSite, load_witness_config, parse_witness_config
from store.ledger_store import LedgerStore
from store.witness_state import WitnessState
from tests.store.writer_process import ADMIN, admin_key, build_ledger, ledger_key, member_key
from tests.witness.helpers import seed
from witness_server.app import Witness

NOW = FixedClock(datetime.fromisoformat("2026-12-01T00:00:00+00:00"))


class InProcess:
    """A WitnessTransport that hands bodies to in-process witnesses by URL; it can lose the
    next answer of a witness (the witness recorded and cosigned, the ledger never heard)."""

    def __init__(self, witnesses: dict[str, Witness]) -> None:
        self.witnesses = witnesses
        self.lose_next: set[str] = set()
        self.down: set[str] = set()
        self.calls: list[tuple[str, int]] = []

    def post(self, url: str, body: bytes) -> tuple[int, str, str]:
        base = url.removesuffix("/add-checkpoint")
        if base in self.down:
            return 0, "", "ConnectError: connection refused"
        answer = self.witnesses[base].add_checkpoint(body)
        self.calls.append((base, answer.status))
        if base in self.lose_next:
            self.lose_next.discard(base)
            return 0, "", "ReadTimeout: timed out"
        return answer.status, answer.content_type, answer.body


@pytest.fixture
def setup(tmp_path: Path) -> tuple[LedgerService, InProcess, list[WitnessSite]]:
    url = sqlite_url(tmp_path / "ledger.db")
    build_ledger(url)
    signers = [Ed25519Signer.generate(f"witness.example/{n}", seed(n)) for n in ("a", "b", "c")]
    sites = [
        WitnessSite(n, f"http://{n}.test", Cosigner(s).verifier) for n, s in zip("abc", signers, strict=True)
    ]
    witnesses = {
        site.url: Witness(
            log_keys([ledger_key().verifier_key]),
            Cosigner(s),
            WitnessState(tmp_path / f"{site.name}.db"),
            NOW,
        )
        for site, s in zip(sites, signers, strict=True)
    }
    transport = InProcess(witnesses)
    config = WitnessConfig(2, False, tuple(sites))
    service = LedgerService(LedgerStore.open(url), NOW, ledger_key(), witnesses=config, transport=transport)
    return service, transport, sites


def add(service: LedgerService, n: int) -> None:
    name = f"user{n}@example.com"
    service.identities.add(name, ["submitter"], public_key_b64(member_key(name)), ADMIN, admin_key())


def test_an_answer_lost_on_the_way_is_recovered_through_the_409_retry(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    service, transport, sites = setup
    add(service, 1)
    assert service.witnessing.last is not None and service.witnessing.last.reached
    transport.lose_next.add(sites[0].url)
    add(service, 2)
    report = service.witnessing.last
    assert report is not None and report.cosigned_by == ("b", "c") and "a" in report.problems
    transport.calls.clear()
    add(service, 3)  # we think a last cosigned the size before; it recorded one more: 409, then 200
    assert [s for url, s in transport.calls if url == sites[0].url] == [409, 200]
    report = service.witnessing.last
    assert report is not None and report.cosigned_by == ("a", "b", "c")
    size = service.store.size()
    _, lines = split_note(service.log.latest_checkpoint())
    assert len(lines) == 4
    check = service.verification.check_witnessed()
    assert check is not None and check.size == size


def test_a_witness_down_never_fails_or_repeats_an_append(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    service, transport, sites = setup
    transport.down = {site.url for site in sites}
    before = service.store.size()
    add(service, 1)
    assert service.store.size() == before + 1
    report = service.witnessing.last
    assert report is not None and not report.reached
    assert (
        report.summary == f"checkpoint of size {before + 1}: NOT yet witnessed: cosigned by 0 of 3 (quorum 2)"
    )
    assert service.store.cosignatures() == []
    transport.down.clear()
    synced = service.witnessing.sync()
    assert synced is not None and synced.reached
    assert service.witnessing.sync() is not None  # again: nothing sent, nothing stored twice
    assert len(service.store.cosignatures()) == 3


def test_a_cosignature_that_does_not_verify_is_not_stored(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    service, transport, sites = setup
    impostor = Cosigner(Ed25519Signer.generate("witness.example/a", seed("impostor")))
    real = transport.witnesses[sites[0].url]
    transport.witnesses[sites[0].url] = Witness(real.logs, impostor, real.state, NOW)
    add(service, 1)
    report = service.witnessing.last
    assert report is not None and report.cosigned_by == ("b", "c")
    assert "without a cosignature by its configured key" in report.problems["a"]
    assert all(not row.witness.startswith("witness.example/a+") for row in service.store.cosignatures())


def test_cosignature_rows_are_append_only(setup: tuple[LedgerService, InProcess, list[WitnessSite]]) -> None:
    import sqlite3

    service, _, _ = setup
    add(service, 1)
    db = str(service.store.url).removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    try:
        for statement in (
            "UPDATE ledger_cosignatures SET line = 'x'",
            "DELETE FROM ledger_cosignatures",
            "INSERT OR REPLACE INTO ledger_cosignatures SELECT * FROM ledger_cosignatures",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="ledger_cosignatures is append-only"):
                conn.execute(statement)
    finally:
        conn.close()
    first = service.store.cosignatures()[0]
    assert service.store.add_cosignature(first) is False  # already there: nothing written


def test_a_ledger_before_migration_0004_reads_no_cosignatures_and_refuses_to_store(tmp_path: Path) -> None:
    store = LedgerStore.open(sqlite_url(tmp_path / "old.db"))
    try:
        store.migrate("0003")
        assert store.cosignatures() == [] and store.cosigned_sizes() == {}
        row = type("Row", (), {"size": 1, "witness": "w+00", "line": "x", "received_at": "t"})()
        with pytest.raises(StorageError, match="rledger db upgrade"):
            store.add_cosignature(row)  # type: ignore[arg-type]
    finally:
        store.close()


KEY = Cosigner(Ed25519Signer.generate("witness.example/a", seed("a"))).verifier.text


def test_the_configuration_file_is_read_strictly(tmp_path: Path) -> None:
    path = tmp_path / "witnesses.yaml"
    assert load_witness_config(path) is None
    path.write_text(f"quorum: 1\nwitnesses:\n  - name: a\n    url: http://127.0.0.1:1/\n    key: {KEY}\n")
    config = load_witness_config(path)
    assert config is not None and config.quorum == 1 and not config.wait_for_quorum
    assert config.witnesses[0].url == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quorum": 2, "witnesses": [{"name": "a", "url": "http://x", "key": KEY}]}, "quorum"),
        ({"quorum": True, "witnesses": [{"name": "a", "url": "http://x", "key": KEY}]}, "quorum"),
        ({"quorum": 1, "witnesses": []}, "witnesses"),
        ({"quorum": 1, "wait_for_quorum": "yes", "witnesses": [{"name": "a", "url": "http://x", "key": KEY}]},
         "wait_for_quorum"),
        ({"quorum": 1, "witnesses": [{"name": "a", "url": "ftp://x", "key": KEY}]}, "witnesses.0.url"),
        ({"quorum": 1, "witnesses": [{"name": "a", "url": "http://x", "key": "a+0+A="}]}, "witnesses.0.key"),
        ({"quorum": 1, "witnesses": [{"url": "http://x", "key": KEY}]}, "witnesses.0.name"),
        ({"quorum": 1, "witnesses": [{"name": "a", "url": "http://x", "key": KEY, "x": 1}]}, "witnesses.0.x"),
        ({"quorum": 1, "witnesses": [{"name": "a", "url": "http://x", "key": KEY}] * 2}, "witnesses.1.name"),
        ({"quorum": 1, "extra": 1, "witnesses": [{"name": "a", "url": "http://x", "key": KEY}]}, "extra"),
    ],
)  # fmt: skip
def test_bad_configuration_names_the_field(data: object, field: str) -> None:
    with pytest.raises(InputError, match=f"witnesses.yaml: {field}: "):
        parse_witness_config(data)


def test_the_api_serves_the_checkpoint_with_its_cosignatures(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    service, _, sites = setup
    # No expiry: the ledger's entries carry the build's real clock, which may be ahead of NOW.
    token, _ = service.tokens.issue(ADMIN, None, ADMIN, admin_key())  # an append
    with TestClient(create_app(service)) as client:
        answer = client.get("/v1/checkpoint", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.text == service.log.latest_checkpoint()
    _, lines = split_note(answer.text)
    assert len(lines) == 4
    assert all(any(s.verifier.matches(line) for line in lines) for s in sites)


def test_cosignature_rows_are_append_only_on_postgresql(postgres_url: str) -> None:
    from sqlalchemy import text

    store = LedgerStore.open(postgres_url)
    try:
        store.migrate()
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_cosignatures VALUES (1, 'w+00', 'line', 't')"))
        for statement in (
            "UPDATE ledger_cosignatures SET line = 'x'",
            "DELETE FROM ledger_cosignatures",
            "TRUNCATE ledger_cosignatures",
        ):
            with (
                pytest.raises(Exception, match="ledger_cosignatures is append-only"),
                store.engine.begin() as conn,
            ):
                conn.execute(text(statement))
        assert [row.line for row in store.cosignatures()] == ["line"]
    finally:
        store.close()


def test_a_storage_failure_after_the_commit_is_reported_not_raised(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _, _ = setup
    before = service.store.size()

    def broken(*_args: object) -> list[object]:
        raise StorageError("database error: disk I/O error")

    monkeypatch.setattr(service.store, "cosignatures", broken)
    add(service, 1)  # the entry is committed; the witnessing failure is only reported
    assert service.store.size() == before + 1
    report = service.witnessing.last
    assert report is not None and not report.reached
    assert report.problems["a"] == "not sent: database error: disk I/O error"


def test_a_witness_another_writer_moved_on_is_not_called_a_fork(
    setup: tuple[LedgerService, InProcess, list[WitnessSite]],
) -> None:
    """Two writers at once: between our 409 and our retry, the other writer's newer
    checkpoint reached witness a. Its second 409 names a size beyond ours, which is a newer
    checkpoint, not "another root at the same size"."""
    service, transport, sites = setup
    other = LedgerService(
        service.store, NOW, ledger_key(), witnesses=WitnessConfig(2, False, tuple(sites)), transport=transport
    )
    add(service, 1)
    transport.lose_next.add(sites[0].url)  # a cosigns the next size, and we never hear of it
    add(service, 2)
    post, moved = transport.post, []

    def racing(url: str, body: bytes) -> tuple[int, str, str]:
        answer = post(url, body)
        if url.startswith(sites[0].url) and answer[0] == 409 and not moved:
            moved.append(True)
            add(other, 4)  # the other writer appends, and its checkpoint reaches every witness
        return answer

    transport.post = racing  # type: ignore[method-assign]
    add(service, 3)
    report = service.witnessing.last
    assert report is not None and moved
    problem = report.problems["a"]
    assert "newer checkpoint" in problem and "fork" not in problem, problem
