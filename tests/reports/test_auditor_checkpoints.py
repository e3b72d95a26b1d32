"""`rledger report verify --checkpoint KEPT.txt [--proof P.json]` (issue 12, part 4): an auditor's
own checkpoints, earlier, equal or later than the report's, are checked for consistency with
every checkpoint the report carries; a report built from a forked history (a backup restored
under the same log key, then appended differently) fails, naming both roots and both sizes."""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ledger.tlog.note import Verifier
from reports.errors import ReportVerificationError
from reports.evidence import CheckedEvidence, parse_evidence, verify_evidence
from reports.kept import KeptCheckpoint, check_kept, read_proof
from tests.reports.conftest import Run, rledger

ORIGIN = "test.release-ledger.example/log"
ADMIN = "admin@example.com"
CLOCK = "2026-11-21T09:00:00Z"


def root_of(note: str) -> str:
    """The base64 root line of a checkpoint note, as `report verify` must print it."""
    return note.splitlines()[2]


@dataclass(frozen=True)
class Histories:
    """A real history and a fork of it, with the auditor's kept checkpoints and both reports."""

    dir: Path
    key: Path
    kept: dict[str, Path]  # "5": common to both; "real-8", "real-10", "real-11", "fork-8"
    real_report: Path  # audit report of the real history at size 10, --since-checkpoint size 5
    fork_report: Path  # audit report of the fork at size 8, --since-checkpoint size 5
    real_home: Path
    fork_home: Path

    def verify(self, report: Path, *args: str | Path) -> Run:
        return rledger("report", "verify", report, "--key", self.key, *args)

    def note(self, name: str) -> str:
        return self.kept[name].read_text()


def _add(home: Path, keys: Path, who: str) -> None:
    assert rledger("identity", "keygen", "--out", keys / who).code == 0
    run = rledger(
        "--home", home, "identity", "add", f"{who}@example.com", "--roles", "submitter",
        "--public-key", keys / f"{who}.pub", "--as", ADMIN, "--key", home / f"{ADMIN}.key",
    )  # fmt: skip
    assert run.code == 0, run.err


def _keep(home: Path, target: Path) -> Path:
    run = rledger("--home", home, "checkpoint")
    assert run.code == 0, run.err
    target.write_text(run.out)
    return target


def _audit(home: Path, since: Path, out: Path) -> Path:
    run = rledger(
        "--home", home, "report", "audit", "--from", "2000-01-01", "--to", "2999-12-31",
        "--since-checkpoint", since, "--out", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    return out


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Histories]:
    base = tmp_path_factory.mktemp("auditor")
    keys = base / "keys"
    keys.mkdir()
    real, fork = base / "real", base / "fork"
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in __import__("os").environ if n.startswith("RLEDGER_")]:
            mp.delenv(name)
        mp.setenv("RLEDGER_CLOCK", CLOCK)
        assert rledger("--home", real, "init", "--origin", ORIGIN, "--admin", ADMIN).code == 0
        _add(real, keys, "a1")
        _add(real, keys, "a2")
        kept = {"5": _keep(real, base / "kept-5.txt")}
        shutil.copytree(real, fork)  # the operator's backup, log key included
        for who in ("a3", "a4", "a5"):
            _add(real, keys, who)
        kept["real-8"] = _keep(real, base / "real-8.txt")
        _add(real, keys, "a6")
        _add(real, keys, "a7")
        kept["real-10"] = _keep(real, base / "real-10.txt")
        real_report = _audit(real, kept["5"], base / "real.pdf")
        _add(real, keys, "a8")
        kept["real-11"] = _keep(real, base / "real-11.txt")
        for who in ("f3", "f4", "f5"):  # the fork: restored, appended differently
            _add(fork, keys, who)
        kept["fork-8"] = _keep(fork, base / "fork-8.txt")
        fork_report = _audit(fork, kept["5"], base / "fork.pdf")
        key = base / "log.vkey"
        key.write_text(rledger("--home", real, "key").out)
        yield Histories(base, key, kept, real_report, fork_report, real, fork)


def _proof(home: Path, old: int, new: int, target: Path) -> Path:
    run = rledger("--home", home, "proof", "consistency", str(old), str(new))
    assert run.code == 0, run.err
    target.write_text(run.out)
    return target


def test_kept_checkpoints_of_the_same_history_pass_and_are_printed(histories: Histories) -> None:
    h = histories
    run = h.verify(
        h.real_report, "--checkpoint", h.kept["5"], "--checkpoint", h.kept["real-8"],
        "--checkpoint", h.kept["real-10"],
    )  # fmt: skip
    assert run.code == 0, run.err
    assert f"checkpoint of size 10, root {root_of(h.note('real-10'))}" in run.out
    # the earlier checkpoint the report proves itself consistent with, now with its root
    assert f"consistent with the earlier checkpoint of size 5, root {root_of(h.note('5'))}" in run.out
    for name, size in (("5", 5), ("real-8", 8), ("real-10", 10)):
        assert f"{h.kept[name]} (size {size}, root {root_of(h.note(name))})" in run.out
    assert "the same as the report's earlier checkpoint" in run.out
    assert "recomputed from the report's embedded entries" in run.out  # size 8: every entry is in it
    assert "the same as the report's checkpoint" in run.out


def test_a_later_kept_checkpoint_needs_a_proof_and_passes_with_one(histories: Histories) -> None:
    h = histories
    alone = h.verify(h.real_report, "--checkpoint", h.kept["real-11"])
    assert alone.code == 3 and alone.out == ""
    assert "cannot be checked offline" in alone.err and "rledger proof consistency 10 11" in alone.err
    assert root_of(h.note("real-11")) in alone.err and root_of(h.note("real-10")) in alone.err
    proof = _proof(h.real_home, 10, 11, h.dir / "p-10-11.json")
    run = h.verify(h.real_report, "--checkpoint", h.kept["real-11"], "--proof", proof)
    assert run.code == 0, run.err
    assert f"(size 11, root {root_of(h.note('real-11'))}): by the consistency proof {proof}" in run.out


def test_the_forks_report_fails_against_the_auditors_checkpoint_of_the_same_size(
    histories: Histories,
) -> None:
    h = histories
    fork_root, real_root = root_of(h.note("fork-8")), root_of(h.note("real-8"))
    assert fork_root != real_root
    # On its own, the fork's report verifies: its earlier checkpoint (size 5) is genuine.
    alone = h.verify(h.fork_report)
    assert alone.code == 0, alone.err
    assert "consistent with the earlier checkpoint of size 5" in alone.out
    run = h.verify(h.fork_report, "--checkpoint", h.kept["real-8"])
    assert run.code == 3 and run.out == ""
    assert f"(size 8, root {real_root}) is not consistent with the report's checkpoint" in run.err
    assert f"(size 8, root {fork_root})" in run.err and "another history" in run.err
    assert "Traceback" not in run.err


def test_the_forks_report_fails_against_a_later_auditors_checkpoint_with_the_real_proof(
    histories: Histories,
) -> None:
    h = histories
    proof = _proof(h.real_home, 8, 10, h.dir / "p-8-10.json")
    run = h.verify(h.fork_report, "--checkpoint", h.kept["real-10"], "--proof", proof)
    assert run.code == 3 and run.out == ""
    assert f"(size 10, root {root_of(h.note('real-10'))})" in run.err
    assert f"(size 8, root {root_of(h.note('fork-8'))})" in run.err
    assert "consistency proof" in run.err and "fails" in run.err


def test_a_report_cannot_be_built_since_a_checkpoint_of_another_history(histories: Histories) -> None:
    h = histories
    run = rledger(
        "--home", h.fork_home, "report", "audit", "--from", "2000-01-01", "--to", "2999-12-31",
        "--since-checkpoint", h.kept["real-8"], "--out", h.dir / "never.pdf",
    )  # fmt: skip
    assert run.code != 0 and not (h.dir / "never.pdf").exists()
    assert root_of(h.note("real-8")) in run.err and root_of(h.note("fork-8")) in run.err


def test_a_kept_checkpoint_signed_by_another_key_fails(histories: Histories, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert rledger("--home", other, "init", "--origin", ORIGIN, "--admin", ADMIN).code == 0
    kept = _keep(other, tmp_path / "other.txt")
    run = histories.verify(histories.real_report, "--checkpoint", kept)
    assert run.code == 3 and run.out == ""
    assert f"kept checkpoint {kept} does not verify under the log's key" in run.err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("not a checkpoint\n", "is not a signed checkpoint note"),
        (b"\xff\xfe\x00", "cannot read checkpoint"),
    ],
)
def test_a_bad_kept_checkpoint_file_is_one_clear_line(
    histories: Histories, tmp_path: Path, content: str | bytes | None, fragment: str
) -> None:
    path = tmp_path / "kept.txt"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    run = histories.verify(histories.real_report, "--checkpoint", path)
    assert run.code == 1 and run.out == ""
    assert fragment in run.err and len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err


def test_a_bad_proof_file_is_one_clear_line(histories: Histories, tmp_path: Path) -> None:
    bad = tmp_path / "proof.json"
    bad.write_text('{"old_size": 10, "new_size": 11, "hashes": ["%%%"]}')
    run = histories.verify(histories.real_report, "--checkpoint", histories.kept["real-11"], "--proof", bad)
    assert run.code == 1 and "is not standard base64" in run.err and "Traceback" not in run.err


def test_a_tampered_proof_fails_naming_both_roots(histories: Histories) -> None:
    h = histories
    proof = _proof(h.real_home, 10, 11, h.dir / "p-tampered.json")
    text = proof.read_text()
    first = text.split('"hashes": [')[1].split('"')[1]
    flipped = base64.b64encode(bytes([base64.b64decode(first)[0] ^ 1]) + base64.b64decode(first)[1:])
    proof.write_text(text.replace(first, flipped.decode()))
    run = h.verify(h.real_report, "--checkpoint", h.kept["real-11"], "--proof", proof)
    assert run.code == 3
    assert root_of(h.note("real-11")) in run.err and root_of(h.note("real-10")) in run.err


def _checked(report: Path, key: Path) -> CheckedEvidence:
    from pypdf import PdfReader

    raw = PdfReader(report).attachments["evidence.json"][0]
    return verify_evidence(parse_evidence(raw), key.read_text())


def test_an_earlier_kept_checkpoint_without_every_entry_needs_a_proof(histories: Histories) -> None:
    """A report that embeds only some entries (a release report, a filtered audit) cannot
    recompute an earlier root: a proof from the kept size to the report's is asked for, then used."""
    h = histories
    full = _checked(h.real_report, h.key)
    some = replace(full, entries=[e for e in full.entries if e.seq in (0, 9)])
    verifier = Verifier.parse(h.key.read_text())
    kept = KeptCheckpoint("real-8.txt", h.note("real-8"))
    with pytest.raises(ReportVerificationError, match="rledger proof consistency 8 10"):
        check_kept(some, verifier, kept)
    proof = read_proof(_proof(h.real_home, 8, 10, h.dir / "p-8-10-unit.json"))
    assert check_kept(some, verifier, kept, [proof]).how.startswith("by the consistency proof")
    fork = KeptCheckpoint("fork-8.txt", h.note("fork-8"))  # same log key, another history
    with pytest.raises(ReportVerificationError, match="not consistent") as failed:
        check_kept(some, verifier, fork, [proof])
    assert root_of(h.note("fork-8")) in str(failed.value) and root_of(h.note("real-10")) in str(failed.value)
    # and with every entry embedded, the fork's size-8 root is refused from the leaves alone
    with pytest.raises(
        ReportVerificationError, match="embedded entries give root " + re.escape(root_of(h.note("real-8")))
    ):
        check_kept(full, verifier, fork)
