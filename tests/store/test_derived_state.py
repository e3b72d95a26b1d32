"""The derived governance state table (migration 0005, governance/derived.py): it equals a full
replay of the entries on both backends, a fresh service answers from it without replaying,
verify catches a tampered, missing or extra row, a refused append leaves it as it was, and a
ledger whose rows are missing or behind (made before the migration) catches up once."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import cli.demo_cmd as demo
from cli.main import EXIT_VERIFICATION_FAILED, main
from governance.derived import SPACES, backed_state, state_rows
from ledger.errors import RefusedError, VerificationError
from ledger.scoring.input import parse_decision_text
from ledger.tlog.note import Ed25519Signer
from services.ledger_service import LedgerService
from services.verification import replay_meaning
from store.ledger_store import LedgerStore

SPENT_KEY = Ed25519Signer.generate("rledger-identity", bytes([77]) * 32)


def _demo_story(url: str, home: Path) -> tuple[LedgerStore, dict[str, str]]:
    """The demo's story (setup, submissions, the whole lifecycle, the CI gate) written to
    ``url``, plus a token issued and revoked and a key an admin rotated."""
    home.mkdir(parents=True, exist_ok=True)
    d = demo._Demo(home)
    d.store.close()
    d.store = LedgerStore.open(url)
    d.service = LedgerService(d.store, d.clock, d.ledger_key, demo._demo_random())
    demo._setup(d)
    refs = demo._submit(d)
    demo._lifecycle(d, refs)
    assert not d.surprises
    d.service.tokens.issue(demo.ALICE, None, demo.ALICE, d.keys[demo.ALICE])
    token_id, _ = d.service.tokens.issue(demo.ALICE, None, demo.ADMIN, d.keys[demo.ADMIN])
    d.service.tokens.revoke(_token_id(token_id), demo.ADMIN, d.keys[demo.ADMIN])
    public = base64.b64encode(SPENT_KEY.public_key).decode()
    d.service.identities.rotate_key(demo.ALICE, public, demo.ADMIN, d.keys[demo.ADMIN])
    # A decision signed with the key the admin set: listed as resting on the admin's word too.
    files = sorted(p for p in resources.files("cli.demo").iterdir() if p.name.endswith(".yaml"))
    data = {**parse_decision_text(files[0].read_text()), "version": "9.9"}
    d.service.decisions.submit(data, demo.ALICE, SPENT_KEY)
    return d.store, refs


def _token_id(token: str) -> str:
    return token.split("_")[1]


def _replayed(store: LedgerStore) -> dict[tuple[str, str], bytes]:
    return state_rows(replay_meaning(store.entry_chunks()))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo story in a SQLite ledger under HOME/ledger.db (tests copy it before writing)."""
    home = tmp_path_factory.mktemp("story")
    store, _ = _demo_story(f"sqlite:///{home / 'ledger.db'}", home / "demo")
    store.close()
    return home


@pytest.fixture
def home(story: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    target.mkdir()
    (target / "ledger.db").write_bytes((story / "ledger.db").read_bytes())
    return target


@pytest.fixture
def store(home: Path) -> Iterator[LedgerStore]:
    opened = LedgerStore.open(f"sqlite:///{home / 'ledger.db'}")
    yield opened
    opened.close()


def _sql(store: LedgerStore, statement: str, **values: Any) -> int:
    with store.engine.begin() as conn:
        return int(conn.execute(text(statement), values).rowcount)


# -- the rows are the replay ---------------------------------------------------------------


def test_the_derived_rows_equal_a_full_replay_on_both_backends(ledger_url: str, tmp_path: Path) -> None:
    store, refs = _demo_story(ledger_url, tmp_path / "demo")
    try:
        stored = store.derived_rows()
        assert stored is not None
        expected = _replayed(store)
        for space in (*SPACES, "meta"):
            name = space if isinstance(space, str) else space.name
            mine = {k: v for k, v in stored.items() if k[0] == name}
            theirs = {k: v for k, v in expected.items() if k[0] == name}
            assert mine == theirs, name
        assert stored == expected
        # Every namespace the story touches is there (so the comparison above is not vacuous).
        touched = {ns for ns, _ in stored}
        assert touched >= {"meta", "identity", "decision", "by_version", "production", "token", "policy"}
        assert {"production_decision", "promoted_versions", "key_holders", "reset_key"} <= touched
        service = LedgerService(store, demo.DemoClock(demo.DEMO_START))
        assert service.verification.verify_meaning().size == store.size()
        # The state read from the rows answers as the replay does.
        view, replay = service.state(), replay_meaning(store.entry_chunks())
        ref = service.resolve(refs["1.1"]).leaf_hex
        assert view.decision(ref) == replay.decision(ref)
        assert len(view.decisions) == len(replay.decisions)
        assert list(view.identities) == list(replay.identities)
    finally:
        store.close()


# -- reads never replay ------------------------------------------------------------------


class Spy:
    """Counts the entries a store hands out, however it is asked."""

    def __init__(self, store: LedgerStore) -> None:
        self.read = 0
        self.starts: list[int] = []
        bodies, chunks = store.bodies_from, store.entry_chunks

        def bodies_from(start: int, chunk_entries: int = 4096) -> Iterator[bytes]:
            self.starts.append(start)
            for data in bodies(start, chunk_entries):
                self.read += 1
                yield data

        def entry_chunks(chunk_entries: int = 4096, end: int | None = None) -> Iterator[Any]:
            for chunk in chunks(chunk_entries, end):
                self.read += len(chunk[1])
                yield chunk

        store.bodies_from = bodies_from  # type: ignore[method-assign]
        store.entry_chunks = entry_chunks  # type: ignore[method-assign]


def test_a_fresh_service_answers_status_and_gate_without_replaying(
    store: LedgerStore, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spy = Spy(store)
    service = LedgerService(store, demo.DemoClock(demo.DEMO_START + timedelta(days=30)))
    status = service.decisions.status("claims-assistant@2.0")
    assert status["phase"] == "promoted"
    service.decisions.explain("support-summarizer@1.1")
    assert service.state().active_policy.policy.policy_id
    assert spy.read == 0 and spy.starts == []
    code = main(["--home", str(home), "gate", "support-summarizer@1.1"])
    assert code in (0, 1), capsys.readouterr()


def test_a_write_reads_no_old_entries(store: LedgerStore) -> None:
    spy = Spy(store)
    clock = demo.DemoClock(demo.DEMO_START + timedelta(days=30))
    service = LedgerService(store, clock, demo.demo_ledger_key(), demo._demo_random())
    keys = {name: Ed25519Signer.generate("rledger-identity", demo._demo_seed(name)) for name in (demo.ADMIN,)}
    size = store.size()
    public = base64.b64encode(Ed25519Signer.generate("rledger-identity", bytes([5]) * 32).public_key).decode()
    service.identities.add("zoe@example.com", ["auditor"], public, demo.ADMIN, keys[demo.ADMIN])
    assert spy.read == 0
    assert store.size() == size + 1
    assert store.derived_rows() == _replayed(store)


# -- verify catches a tampered table -------------------------------------------------------


def _leaf_of(store: LedgerStore, ref: str) -> str:
    found = store.decision_by_version(*ref.split("@"))
    assert found is not None
    return found.leaf_hex


def _change_phase(store: LedgerStore) -> str:
    leaf = _leaf_of(store, "support-summarizer@1.4")
    data = store.derived_rows()[("decision", leaf)]  # type: ignore[index]
    forged = data.replace(b'"phase":"rolled_back"', b'"phase":"promoted"')
    assert forged != data
    _sql(
        store,
        "UPDATE ledger_derived_state SET value = :v WHERE namespace = 'decision' AND key = :k",
        v=forged,
        k=leaf,
    )
    return f'decision {leaf} differs: phase is "promoted" in the table'


def _delete_identity(store: LedgerStore) -> str:
    deleted = _sql(
        store, "DELETE FROM ledger_derived_state WHERE namespace = 'identity' AND key = 'carol@example.com'"
    )
    assert deleted == 1
    return "identity carol@example.com is missing from the table"


def _extra_token(store: LedgerStore) -> str:
    _sql(store, "INSERT INTO ledger_derived_state VALUES ('token', 'feedfeedfeedfeed', :v)", v=b"{}")
    return "token feedfeedfeedfeed is in the table but follows from no entry (an extra row)"


@pytest.mark.parametrize("tamper", [_change_phase, _delete_identity, _extra_token], ids=lambda f: f.__name__)
def test_verify_names_a_tampered_derived_row(
    store: LedgerStore, home: Path, tamper: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    named = tamper(store)
    with pytest.raises(VerificationError, match="the derived state table disagrees with the entries"):
        LedgerService(store, demo.DemoClock(demo.DEMO_START)).verification.verify_meaning()
    code = main(["--home", str(home), "verify"])
    _, err = capsys.readouterr()
    assert code == EXIT_VERIFICATION_FAILED, err
    assert "the derived state table disagrees with the entries" in err
    assert named in err


def test_verify_names_a_meta_row_that_claims_more_entries(store: LedgerStore) -> None:
    meta = store.derived_rows()[("meta", "state")]  # type: ignore[index]
    size = store.size()
    forged = meta.replace(f'"size":{size}'.encode(), f'"size":{size + 5}'.encode())
    _sql(store, "UPDATE ledger_derived_state SET value = :v WHERE namespace = 'meta'", v=forged)
    service = LedgerService(store, demo.DemoClock(demo.DEMO_START))
    with pytest.raises(VerificationError, match=f"reflects {size + 5} entries"):
        service.verification.verify_meaning()
    with pytest.raises(VerificationError, match="altered behind the ledger's back"):
        service.state()


def test_a_command_reading_a_malformed_row_names_it(store: LedgerStore, home: Path) -> None:
    _sql(
        store,
        "UPDATE ledger_derived_state SET value = :v WHERE namespace = 'identity' AND key = :k",
        v=b"{}",
        k=demo.ALICE,
    )
    service = LedgerService(store, demo.DemoClock(demo.DEMO_START))
    with pytest.raises(VerificationError, match=f"identity {demo.ALICE} cannot be read"):
        service.state().identity(demo.ALICE)
    assert service.state().identity(demo.ADMIN).name == demo.ADMIN  # the other rows still serve


# -- a refused append changes nothing ------------------------------------------------------


def test_a_refused_append_leaves_the_derived_rows_unchanged(store: LedgerStore) -> None:
    before = store.derived_rows()
    clock = demo.DemoClock(demo.DEMO_START + timedelta(days=30))
    service = LedgerService(store, clock, demo.demo_ledger_key(), demo._demo_random())
    alice = Ed25519Signer.generate("rledger-identity", demo._demo_seed(demo.ALICE))
    with pytest.raises(RefusedError):  # alice may not approve (and her key was rotated away)
        service.lifecycle.approve("support-summarizer@1.5", demo.ALICE, alice)
    carol = Ed25519Signer.generate("rledger-identity", demo._demo_seed("carol@example.com"))
    with pytest.raises(RefusedError):  # carol holds no role that may promote
        service.lifecycle.promote("support-summarizer@1.5", "carol@example.com", carol)
    assert store.derived_rows() == before


# -- catching up -----------------------------------------------------------------------------


def test_missing_rows_are_rebuilt_once_from_the_entries(store: LedgerStore) -> None:
    expected = store.derived_rows()
    _sql(store, "DELETE FROM ledger_derived_state")
    spy = Spy(store)
    service = LedgerService(store, demo.DemoClock(demo.DEMO_START))
    assert service.state().size == store.size()
    assert store.derived_rows() == expected
    read = spy.read
    assert read == 0  # the catch-up read inside its own transaction, not through bodies_from
    fresh = LedgerService(store, demo.DemoClock(demo.DEMO_START))
    fresh.decisions.status("support-summarizer@1.1")
    assert spy.read == 0


def test_a_ledger_made_before_the_migration_catches_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store = LedgerStore.open(url)
    try:
        store.migrate("0004")
        store.create_schema = lambda: None  # type: ignore[method-assign]  # keep it at 0004 while writing
        d = demo._Demo(tmp_path / "demo")
        d.store.close()
        d.store, d.service = store, LedgerService(store, d.clock, d.ledger_key, demo._demo_random())
        demo._setup(d)
        refs = demo._submit(d)
        assert store.state_rows() is None and store.derived_rows() is None
        old_status = d.service.decisions.status(refs["1.1"])  # folded in memory, as before
        assert store.migrate() == ("0004", "0005")
        fresh = LedgerService(store, d.clock)
        assert fresh.decisions.status(refs["1.1"]) == old_status
        assert store.derived_rows() == _replayed(store)
        fresh.verification.verify_meaning()
    finally:
        store.close()


def test_rows_behind_the_log_fold_only_the_missing_entries(store: LedgerStore) -> None:
    """An append written without the rows (as an old process would) is folded in by the next read."""
    rows = store.state_rows()
    assert rows is not None
    before = backed_state(rows).size
    clock = demo.DemoClock(demo.DEMO_START + timedelta(days=30))
    service = LedgerService(store, clock, demo.demo_ledger_key(), demo._demo_random())
    public = base64.b64encode(Ed25519Signer.generate("rledger-identity", bytes([6]) * 32).public_key).decode()
    admin = Ed25519Signer.generate("rledger-identity", demo._demo_seed(demo.ADMIN))
    real = store.append

    def append_without_rows(pending: Any, moment: Any, signer: Any, check: Any = None) -> Any:
        return real(pending, moment, signer, lambda entries, read, _rows: check(entries, read, None))

    store.append = append_without_rows  # type: ignore[method-assign]
    service.identities.add("yan@example.com", ["auditor"], public, demo.ADMIN, admin)
    del store.append
    assert backed_state(rows).size == before  # the rows did not move
    assert LedgerService(store, clock).state().size == before + 1
    assert store.derived_rows() == _replayed(store)
