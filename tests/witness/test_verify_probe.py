"""Online `rledger verify` asks the configured witnesses what they hold (issue 12, part 3): an
operator who deletes the newest entries, their checkpoints AND the stored cosignatures (guard
triggers dropped) hides the truncation from the database, but not from the witnesses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import _clean_environment, run  # noqa: F401  (autouse: no RLEDGER_* leaks in)
from tests.witness.test_witnessed_log import (
    Ledger,
    Witness,
    sizes,
    witnessed,  # noqa: F401  (the fixture)
)

Witnessed = tuple[Ledger, list[Witness]]


def _truncate_with_cosignatures(db: Path, keep: int) -> None:
    """Keep entries 0..keep-1 and the checkpoints and cosignatures up to size ``keep``."""
    conn = sqlite3.connect(db, isolation_level=None)
    for table in ("ledger_entries", "ledger_checkpoints", "ledger_nodes", "ledger_cosignatures"):
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    conn.execute("DELETE FROM ledger_entries WHERE seq >= ?", (keep,))
    conn.execute("DELETE FROM ledger_checkpoints WHERE size > ?", (keep,))
    conn.execute("DELETE FROM ledger_cosignatures WHERE size > ?", (keep,))
    # The derived state rows reflect every entry and would give the truncation away, so a
    # careful attacker drops them too (they are rebuilt from the entries left).
    conn.execute("DELETE FROM ledger_derived_state")
    conn.close()


def test_truncation_with_the_cosignatures_deleted_is_caught_by_asking_the_witnesses(
    witnessed: Witnessed,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, _ = witnessed
    for _ in range(3):
        assert ledger.add_identity(capsys).code == 0
    count, cosigned = sizes(ledger.home)
    assert len(cosigned[count]) == 3
    keep = count - 2
    _truncate_with_cosignatures(ledger.home / "ledger.db", keep)
    assert sizes(ledger.home) == (keep, {s: w for s, w in cosigned.items() if s <= keep})

    result = run(capsys, "--home", ledger.home, "verify")
    assert result.code == 3, result.out + result.err
    assert f"witness w1 has cosigned size {count} but the database ends at {keep}" in result.err
    assert "entries were removed" in result.err
    # The database alone cannot tell: without the witnesses' configuration verify passes, and
    # says so.
    (ledger.home / "witnesses.yaml").unlink()
    alone = run(capsys, "--home", ledger.home, "verify")
    assert alone.code == 0
    assert "NOTE: no witnesses configured (or none reachable): removal of the newest entries" in alone.out


def test_verify_prints_each_witness_size_and_treats_behind_and_down_as_no_failure(
    witnessed: Witnessed,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, witnesses = witnessed
    for _ in range(2):
        assert ledger.add_identity(capsys).code == 0
    count, _ = sizes(ledger.home)
    passed = run(capsys, "--home", ledger.home, "verify")
    assert passed.code == 0, passed.err
    for name in ("w1", "w2", "w3"):
        assert f"witness {name}: holds size {count}, the database's latest checkpoint" in passed.out

    witnesses[2].stop()
    assert ledger.add_identity(capsys).code == 0
    down = run(capsys, "--home", ledger.home, "verify")
    assert down.code == 0, down.err
    assert "witness w3: unreachable" in down.out and "no witnesses configured" not in down.out
    short = run(capsys, "--home", ledger.home, "verify", "--quorum", 3)
    assert short.code == 3
    assert "only 2 of 3 witnesses answered; a quorum of 3 cannot be met" in short.err

    witnesses[2].start()  # it last cosigned `count`; the database has moved on
    behind = run(capsys, "--home", ledger.home, "verify")
    assert behind.code == 0, behind.err
    # w3 held `count`; shown that the database's history extends it, it cosigns the newer one.
    extended = (
        f"witness w3: held size {count}; the database's {count + 1} extends it (consistency proof accepted"
    )
    assert extended in behind.out
    assert f"witness w1: holds size {count + 1}, the database's latest checkpoint" in behind.out
