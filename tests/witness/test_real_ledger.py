"""A real ledger's checkpoints and `rledger proof consistency` proofs, fed to the witness."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest

from ledger.clock import FixedClock
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Verifier
from ledger.witness.decide import log_keys
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from store.witness_state import WitnessState
from tests.cli.test_cli import init_home, invoke, run
from tests.witness.helpers import WITNESS_KEY, body
from witness_server.app import Witness


def test_a_ledgers_checkpoints_are_cosigned_in_turn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = init_home(tmp_path / "home")
    for n in range(3):  # more appends, more checkpoints
        assert invoke("identity", "keygen", "--out", tmp_path / f"k{n}") == 0
        added = invoke(
            "--home", team.home, "identity", "add", f"user{n}@example.com", "--roles", "submitter",
            "--public-key", tmp_path / f"k{n}.pub", "--as", "admin@example.com", "--key", team.admin_key,
        )  # fmt: skip
        assert added == 0
    store = LedgerStore.open(sqlite_url(team.home / "ledger.db"))
    try:
        verifier_key, notes = store.meta()["verifier_key"], list(store.checkpoint_notes())
    finally:
        store.close()
    verifier = Verifier.parse(verifier_key)
    by_size = {Checkpoint.open(note, verifier).size: note for note in notes}
    assert len(by_size) >= 3
    witness = Witness(
        log_keys([verifier_key]),
        Cosigner(WITNESS_KEY),
        WitnessState(tmp_path / "witness.db"),
        FixedClock(datetime.fromisoformat("2026-12-01T00:00:00+00:00")),
    )
    old = 0
    for size in sorted(by_size):
        hashes: list[bytes] = []
        if old:
            result = run(capsys, "--home", team.home, "proof", "consistency", old, size)
            assert result.code == 0, result.err
            hashes = [base64.b64decode(h) for h in json.loads(result.out)["hashes"]]
        answer = witness.add_checkpoint(body(old, hashes, by_size[size]))
        assert answer.status == 200, answer.body
        checkpoint_body = by_size[size].split("\n\n")[0] + "\n"
        Cosigner(WITNESS_KEY).verifier.verify(answer.body, checkpoint_body)
        old = size
