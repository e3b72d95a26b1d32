"""`rledger report verify --witness W… --quorum K` (issue 12, part 3): every checkpoint a report
relies on must carry valid cosignatures from K of the given witnesses.

A ledger with three in-process witnesses (quorum 2): a release and an audit report rendered while
all three cosign; a release report rendered while two are down (one cosignature); one whose
checkpoint note carries two forged cosignature lines; an audit report whose earlier
(``--since-checkpoint``) checkpoint carries a single cosignature."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from governance.actions import public_key_b64
from ledger.scoring.input import parse_decision_text
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Ed25519Signer
from ledger.tlog.witnessed import split_note
from ledger.witness.decide import log_keys
from reports.generate import Prepared, prepare_audit, prepare_release, render
from reports.period import parse_period
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from services.witness_config import WitnessConfig, WitnessSite
from store.ledger_store import LedgerStore
from store.witness_state import WitnessState
from tests.reports.conftest import Run, rledger
from tests.store.writer_process import ADMIN, SUBMITTER, admin_key, build_ledger, ledger_key, member_key
from tests.witness.helpers import seed
from tests.witness.test_witnessing import NOW, InProcess
from witness_server.app import Witness

NAMES = ("a", "b", "c")
W = "witness.example/"  # the witnesses' key names are W + a name


@dataclass(frozen=True)
class Reports:
    dir: Path
    key: Path  # the log's verifier key
    witnesses: list[Path]  # a, b, c's cosignature verifier keys
    release: Path  # checkpoint cosigned by a, b and c
    audit: Path  # likewise, --since-checkpoint an earlier one cosigned by all three
    lonely: Path  # release report whose checkpoint only a cosigned (b and c were down)
    forged: Path  # checkpoint cosigned by a, with forged lines claiming b and c
    lonely_since: Path  # audit report --since-checkpoint a note left with one cosignature
    sizes: dict[str, int]  # "earlier", "release" (and audit), "lonely" (and forged)

    def verify(self, report: Path, *args: str | Path) -> Run:
        return rledger("report", "verify", report, "--key", self.key, *args)

    def all_three(self) -> list[str | Path]:
        return [arg for path in self.witnesses for arg in ("--witness", path)]


def _write(prepared: Prepared, target: Path) -> Path:
    target.write_bytes(render(prepared).data)
    return target


def _add(service: LedgerService, who: str) -> None:
    name = f"{who}@example.com"
    service.identities.add(name, ["submitter"], public_key_b64(member_key(name)), ADMIN, admin_key())


def _forge(note: str, sites: list[WitnessSite]) -> str:
    """``note`` with lines claiming b's and c's key IDs over signatures that are not theirs."""
    lines = []
    for site in sites[1:]:
        blob = site.verifier.key_id + (1_800_000_000).to_bytes(8, "big") + bytes(64)
        lines.append(f"— {site.verifier.name} {base64.b64encode(blob).decode()}\n")
    return note + "".join(lines)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    base = tmp_path_factory.mktemp("witnessed-reports")
    url = sqlite_url(base / "ledger.db")
    build_ledger(url)
    signers = [Ed25519Signer.generate(f"witness.example/{n}", seed(n)) for n in NAMES]
    sites = [
        WitnessSite(n, f"http://{n}.test", Cosigner(s).verifier) for n, s in zip(NAMES, signers, strict=True)
    ]
    transport = InProcess(
        {
            site.url: Witness(
                log_keys([ledger_key().verifier_key]),
                Cosigner(s),
                WitnessState(base / f"{site.name}.db"),
                NOW,
            )
            for site, s in zip(sites, signers, strict=True)
        }
    )
    config = WitnessConfig(2, False, tuple(sites))
    service = LedgerService(LedgerStore.open(url), NOW, ledger_key(), witnesses=config, transport=transport)
    service.identities.add(SUBMITTER, ["submitter"], public_key_b64(member_key()), ADMIN, admin_key())
    earlier = service.log.latest_checkpoint()
    sizes = {"earlier": service.store.size()}
    text = (resources.files("cli.demo") / "01-support-summarizer-1.1.yaml").read_text(encoding="utf-8")
    decision = service.decisions.submit(parse_decision_text(text), SUBMITTER, member_key()).ref.leaf_hex
    _add(service, "u1")
    assert len(split_note(service.log.latest_checkpoint())[1]) == 4  # the log's and a, b, c's
    assert len(split_note(earlier)[1]) == 4
    sizes["release"] = service.store.size()
    period = parse_period("2000-01-01", "2999-12-31")
    release = _write(prepare_release(service, decision), base / "release.pdf")
    audit = _write(prepare_audit(service, period, None, earlier), base / "audit.pdf")
    body, lines = split_note(earlier)
    lonely_since = _write(
        prepare_audit(service, period, None, body + "\n" + "".join(x + "\n" for x in lines[:2])),
        base / "lonely-since.pdf",
    )
    transport.down = {sites[1].url, sites[2].url}
    _add(service, "u2")
    assert len(split_note(service.log.latest_checkpoint())[1]) == 2  # the log's and a's
    sizes["lonely"] = service.store.size()
    lonely = _write(prepare_release(service, decision), base / "lonely.pdf")
    genuine = service.log.latest_checkpoint
    service.log.latest_checkpoint = lambda: _forge(genuine(), sites)  # type: ignore[method-assign]
    forged = _write(prepare_release(service, decision), base / "forged.pdf")
    service.store.close()
    key = base / "log.vkey"
    key.write_text(ledger_key().verifier_key + "\n")
    witnesses = []
    for site in sites:
        path = base / f"{site.name}.vkey"
        path.write_text(site.verifier.text + "\n")
        witnesses.append(path)
    return Reports(base, key, witnesses, release, audit, lonely, forged, lonely_since, sizes)


def test_reports_cosigned_by_the_quorum_pass_and_say_by_how_many(reports: Reports) -> None:
    r = reports
    run = r.verify(r.release, *r.all_three(), "--quorum", "2")
    assert run.code == 0, run.err
    assert f"checkpoint of size {r.sizes['release']}: cosigned by 3 of 3 witnesses (quorum 2)" in run.out
    run = r.verify(r.audit, *r.all_three(), "--quorum", "2")
    assert run.code == 0, run.err
    # the report's own checkpoint, then the earlier one it was built --since
    assert f"checkpoint of size {r.sizes['release']}: cosigned by 3 of 3 witnesses (quorum 2)" in run.out
    assert f"checkpoint of size {r.sizes['earlier']}: cosigned by 3 of 3 witnesses (quorum 2)" in run.out


def test_the_quorum_defaults_to_every_witness_given(reports: Reports) -> None:
    run = reports.verify(reports.release, *reports.all_three())
    assert run.code == 0, run.err
    assert "cosigned by 3 of 3 witnesses (quorum 3)" in run.out
    run = reports.verify(reports.lonely, "--witness", reports.witnesses[0])
    assert run.code == 0, run.err
    assert f"checkpoint of size {reports.sizes['lonely']}: cosigned by 1 of 1 witnesses (quorum 1)" in run.out


def test_a_checkpoint_with_one_cosignature_fails_naming_the_missing_witnesses(reports: Reports) -> None:
    run = reports.verify(reports.lonely, *reports.all_three(), "--quorum", "2")
    assert run.code == 3, run.out
    assert f"the report's checkpoint (size {reports.sizes['lonely']})" in run.err
    assert f"cosigned by 1 of 3 given witnesses (quorum 2); missing: {W}b, {W}c" in run.err
    assert "OK" not in run.out


def test_forged_cosignature_lines_count_for_nothing(reports: Reports) -> None:
    run = reports.verify(reports.forged, *reports.all_three(), "--quorum", "2")
    assert run.code == 3, run.out
    assert (
        f"cosigned by 1 of 3 given witnesses (quorum 2); missing: {W}b, {W}c; not verifying: {W}b, {W}c"
        in run.err
    )


def test_an_earlier_checkpoint_that_carries_cosignatures_must_reach_the_quorum(reports: Reports) -> None:
    run = reports.verify(reports.lonely_since, *reports.all_three(), "--quorum", "2")
    assert run.code == 3, run.out
    assert (
        f"the earlier checkpoint (size {reports.sizes['earlier']})" in run.err
        and f"missing: {W}b, {W}c" in run.err
    )
    run = reports.verify(reports.lonely_since, "--witness", reports.witnesses[0])
    assert run.code == 0, run.err  # a alone did cosign it


def test_reports_still_verify_without_witness_keys(reports: Reports) -> None:
    for report in (reports.release, reports.lonely, reports.forged):
        run = reports.verify(report)
        assert run.code == 0, run.err
        assert "witnesses" not in run.out


def test_a_quorum_without_witnesses_or_above_their_number_is_a_usage_error(reports: Reports) -> None:
    run = reports.verify(reports.release, "--quorum", "1")
    assert run.code == 2 and "--quorum needs --witness keys" in run.err
    run = reports.verify(reports.release, *reports.all_three(), "--quorum", "4")
    assert run.code == 2 and "more than the 3 distinct --witness keys" in run.err
    twice = ["--witness", reports.witnesses[0], "--witness", reports.witnesses[0]]
    run = reports.verify(reports.release, *twice, "--quorum", "2")
    assert run.code == 2, run.err  # one key given twice is one witness
