"""Authority comes only from personal signatures (issue 11, attack 1; ledger format 4).

The operator holds the database and the log's signing key, but not bob's key and no token
secret. The attack: rotate bob's key to one the operator made, authorised by a token
attestation naming bob's token id (public in his ``token.issued`` entry); approve a release in
bob's name with that key; rotate bob's key back, so that he notices nothing. Each step is
refused on the write paths (the service, the command line); written straight into the
database, with the chain rebuilt and checkpoints signed with the log key, ``verify`` names the
first, online and from an export. A format-3 ledger keeps verifying, listing its attested
entries as asserted by the operator.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cli.main import EXIT_FAILURE, EXIT_VERIFICATION_FAILED
from governance.actions import (
    Release,
    approval,
    canary_result,
    canary_started,
    identity_added,
    identity_key_rotated,
    identity_revoked,
    policy_adopted,
    promoted,
    rolled_back,
)
from governance.record import DECISION_KIND, record_for
from governance.state import AssertedEntry
from governance.statements import sign_statement
from ledger.errors import SignatureRefusedError, VerificationError
from ledger.scoring.input import parse_decision_text, parse_request
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.loader import default_policy_path, load_policy_text
from services.keys import write_private_key
from services.ports import PendingEntry
from services.settings import SIGNING_KEY_FILE
from tests.cli.test_governance_cli import Cli
from tests.governance.conftest import ADMIN, Team
from tests.governance.test_identity_rules import refused

ALICE, BOB, ERIN, RITA = "alice@example.com", "bob@example.com", "erin@example.com", "rita@example.com"
# The operator's own key, made on its own machine: registered to nobody.
OPERATOR = Ed25519Signer.generate("rledger-identity", bytes([66]) * 32)
CANARY = {"error_rate": "0.01", "p99_latency_ms": "900", "live_index": "104"}
# The team's ledger: genesis, its admin, the policy and eight identities (0-10); then bob's
# token (11) and the decision he is to approve (12). The operator's first entry comes next.
TOKEN_SEQ, DECISION_SEQ, FIRST_FORGED = 11, 12, 13


def _b64(key: Ed25519Signer) -> str:
    return base64.b64encode(key.public_key).decode()


def public_token_id(team: Team, name: str) -> str:
    """``name``'s token id, as anyone who reads the log finds it: in their token.issued entry."""
    for data in team.store.bodies_from(0):
        entry = Entry.parse(data)
        if entry.kind == "token.issued" and entry.payload["identity"] == name:
            return str(entry.payload["token_id"])
    raise AssertionError(f"no token was issued to {name}")


@dataclass
class Scene:
    team: Team
    ref: str  # support-summarizer@1.1 (medium tier), waiting for one ml-lead approval
    token_id: str  # bob's, read from the log

    def attack(self) -> list[tuple[str, dict[str, Any]]]:
        """The operator's three entries: rotate bob to its key, approve as bob, rotate back."""
        attestation = {"token": self.token_id}
        rotate = {**identity_key_rotated(BOB, _b64(OPERATOR), BOB), "attestation": attestation}
        forged = approval(self.team.release(self.ref), BOB, "ml-lead", "approve", "eval reviewed")
        back = {**identity_key_rotated(BOB, _b64(self.team.key(BOB)), BOB), "attestation": attestation}
        return [
            ("identity.key_rotated", rotate),
            ("release.approval", self.team.sign("release.approval", forged, OPERATOR)),
            ("identity.key_rotated", back),
        ]


@pytest.fixture
def scene(team: Team) -> Scene:
    _, issued = team.service.tokens.issue(BOB, None, ADMIN, team.key(ADMIN))
    assert issued.seq == TOKEN_SEQ
    ref = team.submit("01-support-summarizer-1.1.yaml")
    assert team.service.resolve(ref).seq == DECISION_SEQ
    assert team.store.size() == FIRST_FORGED
    return Scene(team, ref, public_token_id(team, BOB))


@pytest.fixture
def operator_cli(team: Team, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``rledger`` on the team's ledger, run by its operator: the log key in the home (a write
    could be signed), on a clock after the team's entries."""
    write_private_key(team.db.parent / SIGNING_KEY_FILE, team.ledger_key)
    monkeypatch.setenv("RLEDGER_CLOCK", "2026-11-25T09:00:00Z")
    return Cli(team.db.parent, capsys)


# -- a. the write path through the service -------------------------------------------------


def test_a_key_rotation_attested_by_bobs_token_id_is_refused(scene: Scene) -> None:
    team = scene.team
    rotate = scene.attack()[0][1]
    assert rotate["attestation"] == {"token": scene.token_id}
    err = refused(
        team,
        lambda: team.service.governed.append_statement("identity.key_rotated", rotate),
        "the identity.key_rotated entry carries a token attestation instead of its author's signature",
        "a token id is not evidence",
    )
    assert err.rule == "signature"
    assert team.store.size() == FIRST_FORGED
    assert team.service.state().identities[BOB].public_key == team.key(BOB).public_key


@pytest.mark.parametrize("actor", [BOB, ADMIN])
def test_a_key_rotation_signed_by_the_operators_key_is_refused(scene: Scene, actor: str) -> None:
    team = scene.team
    rotate = team.sign("identity.key_rotated", identity_key_rotated(BOB, _b64(OPERATOR), actor), OPERATOR)
    err = refused(
        team,
        lambda: team.service.governed.append_statement("identity.key_rotated", rotate),
        f"refused by signature: signature does not verify under {actor}'s registered key",
    )
    assert isinstance(err, SignatureRefusedError)
    assert team.store.size() == FIRST_FORGED


def test_an_approval_in_bobs_name_signed_by_another_key_is_refused(scene: Scene) -> None:
    team = scene.team
    kind, forged = scene.attack()[1]
    err = refused(
        team,
        lambda: team.service.governed.append_statement(kind, forged),
        "refused by signature: signature does not verify under bob@example.com's registered key",
    )
    assert isinstance(err, SignatureRefusedError)
    assert team.service.decisions.status(scene.ref)["phase"] == "pending_approval"


# Each kind formats 1-3 accepted on a token attestation: a statement its author may make now.
Statement = Callable[[Team], tuple[str, dict[str, Any]]]  # -> (author, unsigned payload)


def _new_policy(team: Team) -> tuple[str, dict[str, Any]]:
    text = default_policy_path().read_text()
    bumped = text.replace('version: "2"', 'version: "3"', 1)
    assert bumped != text
    loaded = load_policy_text(bumped, source="test")
    p = loaded.policy
    return ADMIN, policy_adopted(p.policy_id, p.version, loaded.sha256, loaded.text, ADMIN)


def _decision(team: Team) -> tuple[str, dict[str, Any]]:
    text = (resources.files("cli.demo") / "02-support-summarizer-1.2.yaml").read_text()
    request = parse_request(parse_decision_text(text))
    return ALICE, record_for(team.service.state().active_policy, request)


def _approved(team: Team) -> str:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    return ref


def _canary_started(team: Team) -> tuple[str, dict[str, Any]]:
    return ALICE, canary_started(team.release(_approved(team)), ALICE)


def _canary_result(team: Team) -> tuple[str, dict[str, Any]]:
    ref = _approved(team)
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    return ALICE, canary_result(team.release(ref), "pass", CANARY, ALICE)


def _promoted(team: Team) -> tuple[str, dict[str, Any]]:
    ref = team.submit("03-support-summarizer-1.3.yaml")  # low tier: ready to ship
    policy_sha = team.service.state().decision(team.service.resolve(ref).leaf_hex).policy_sha
    return RITA, promoted(team.release(ref), RITA, policy_sha, None, False, "")


def _rolled_back(team: Team) -> tuple[str, dict[str, Any]]:
    ref = team.submit("03-support-summarizer-1.3.yaml")
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    return RITA, rolled_back(team.release(ref), "1.0", "latency regression", RITA)  # its declared path


ATTESTABLE: dict[str, Statement] = {
    "identity.added": lambda t: (
        ADMIN,
        identity_added("zoe@example.com", ["ml-lead"], _b64(OPERATOR), ADMIN),
    ),
    "identity.key_rotated": lambda t: (BOB, identity_key_rotated(BOB, _b64(OPERATOR), BOB)),
    "identity.revoked": lambda t: (ADMIN, identity_revoked(ERIN, ADMIN)),
    "policy.adopted": _new_policy,
    DECISION_KIND: _decision,
    "release.canary_started": _canary_started,
    "release.canary_result": _canary_result,
    "release.promoted": _promoted,
    "release.rolled_back": _rolled_back,
}


def _append(team: Team, kind: str, payload: dict[str, Any]) -> Entry:
    """Through the service's governed log, as the API's ``append_signed`` methods do."""
    if kind == DECISION_KIND:
        pending = PendingEntry(kind, payload, (payload["model"], payload["version"]))
        return team.service.governed.append([pending]).entries[0]
    return team.service.governed.append_statement(kind, payload)


@pytest.mark.parametrize("kind", sorted(ATTESTABLE))
def test_an_attestation_instead_of_a_signature_is_refused_for_every_kind(team: Team, kind: str) -> None:
    author, statement = ATTESTABLE[kind](team)
    _, issued = team.service.tokens.issue(author, None, ADMIN, team.key(ADMIN))
    attested = {**statement, "attestation": {"token": issued.payload["token_id"]}}  # a genuine token
    err = refused(
        team,
        lambda: _append(team, kind, attested),
        f"refused by signature: the {kind} entry carries a token attestation",
        "instead of its author's signature",
    )
    assert err.rule == "signature"
    # The same statement signed by its author is accepted: the attestation was what was refused.
    entry = _append(team, kind, team.sign(kind, statement, team.key(author)))
    assert (entry.seq, entry.kind) == (issued.seq + 1, kind)


# -- b. the write path through the command line --------------------------------------------


@pytest.mark.parametrize("actor", [ADMIN, BOB])
def test_the_cli_refuses_a_rotation_signed_by_an_operator_made_key(
    scene: Scene, operator_cli: Cli, tmp_path: Path, actor: str
) -> None:
    keys = tmp_path / "operator"
    for name in ("evil", "own"):
        operator_cli.ok("identity", "keygen", "--out", str(keys / name))
    before = scene.team.snapshot()
    code, out, err = operator_cli(
        "identity",
        "rotate",
        BOB,
        "--public-key",
        str(keys / "evil.pub"),
        "--as",
        actor,
        "--key",
        str(keys / "own.key"),
    )
    assert code == EXIT_FAILURE
    assert err == f"error: refused by signature: signature does not verify under {actor}'s registered key\n"
    assert out == ""
    assert scene.team.snapshot() == before == (FIRST_FORGED, before[1])


# -- c. injection: straight into the database, the chain rebuilt and checkpoints re-signed ----


def _inject_all(team: Team, entries: list[tuple[str, dict[str, Any]]]) -> list[int]:
    return [team.inject(kind, payload) for kind, payload in entries]


def _offline(cli: Cli, tmp_path: Path) -> list[str]:
    """``verify`` arguments for an export of the ledger, its latest checkpoint and the log's
    verifier key, as an auditor is handed them."""
    export, checkpoint = tmp_path / "export.jsonl", tmp_path / "checkpoint.txt"
    cli.ok("export", "--out", str(export))
    checkpoint.write_text(cli.ok("checkpoint"))
    return ["--export", str(export), "--checkpoint", str(checkpoint), "--key", cli.ok("key").strip()]


def _cli_verify_fails(cli: Cli, tmp_path: Path) -> tuple[str, str]:
    """``rledger verify``, and ``rledger verify --export`` on an export of the same ledger, both
    fail with exit 3; returns what each printed on stderr."""
    code, _, online = cli("verify")
    assert code == EXIT_VERIFICATION_FAILED, online
    code, _, offline = cli("verify", *_offline(cli, tmp_path))
    assert code == EXIT_VERIFICATION_FAILED, offline
    return online, offline


def test_the_injected_attack_fails_verify_naming_its_first_entry(
    scene: Scene, operator_cli: Cli, tmp_path: Path
) -> None:
    team = scene.team
    assert _inject_all(team, scene.attack()) == [13, 14, 15]
    assert team.service.verification.verify().size == 16  # the chain and the re-signed checkpoints hold
    with pytest.raises(VerificationError) as caught:
        team.service.verification.verify_meaning()
    assert caught.value.index == FIRST_FORGED
    named = (
        "entry 13: not allowed by the ledger's rules: refused by signature: the identity.key_rotated "
        "entry carries a token attestation instead of its author's signature"
    )
    assert str(caught.value).startswith(named), str(caught.value)
    online, offline = _cli_verify_fails(operator_cli, tmp_path)
    assert online.startswith(f"verification FAILED: {named}"), online
    assert offline == online


def test_the_forged_approval_alone_fails_verify_naming_it(
    scene: Scene, operator_cli: Cli, tmp_path: Path
) -> None:
    """Without the rotations around it, bob's registered key does not verify the forgery."""
    assert _inject_all(scene.team, scene.attack()[1:2]) == [13]
    online, offline = _cli_verify_fails(operator_cli, tmp_path)
    assert (
        online
        == offline
        == (
            "verification FAILED: entry 13: not allowed by the ledger's rules: refused by signature: "
            "signature does not verify under bob@example.com's registered key\n"
        )
    )


def test_an_approval_signed_over_the_bare_signed_part_is_refused(scene: Scene) -> None:
    """Bob's own key, over the format-3 bytes: no envelope naming the kind and the log. Format 4
    accepts only the envelope, so a signature made for one log or kind cannot be replayed."""
    team = scene.team
    statement = approval(team.release(scene.ref), BOB, "ml-lead", "approve", "")
    bare = sign_statement("release.approval", statement, team.key(BOB), origin=None)
    message = "refused by signature: signature does not verify under bob@example.com's registered key"
    refused(team, lambda: team.service.governed.append_statement("release.approval", bare), message)
    assert team.inject("release.approval", bare) == FIRST_FORGED
    with pytest.raises(VerificationError, match=f"^entry 13: not allowed by the ledger's rules: {message}$"):
        team.service.verification.verify_meaning()


@pytest.mark.parametrize(
    "model, version, named",
    [
        ("support-summarizer", "9.9", "support-summarizer@9.9"),  # another version of the model
        ("risky-model", "1.1", "risky-model@1.1"),
        (None, None, "None@None"),  # a format-3 approval: the hash alone
    ],
)
def test_an_approval_naming_another_release_than_its_decision_is_refused(
    scene: Scene, model: str | None, version: str | None, named: str
) -> None:
    team = scene.team
    leaf = team.service.resolve(scene.ref).leaf_hex
    statement = approval(Release(leaf, model, version), BOB, "ml-lead", "approve", "")
    signed = team.sign("release.approval", statement, team.key(BOB))  # bob's genuine signature
    message = f"the statement names {named}, but decision {leaf[:12]} is support-summarizer@1.1"
    err = refused(team, lambda: team.service.governed.append_statement("release.approval", signed), message)
    assert err.rule == "release.approval"
    assert team.inject("release.approval", signed) == FIRST_FORGED
    with pytest.raises(VerificationError) as caught:
        team.service.verification.verify_meaning()
    assert (
        str(caught.value)
        == f"entry 13: not allowed by the ledger's rules: refused by release.approval: {message}"
    )


# -- d. an older format: still verifies, its attested entries listed as asserted -------------


@pytest.fixture
def format_3_scene(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scene:
    """The scene on a ledger whose genesis declares format 3, which accepted attestations."""
    monkeypatch.setattr("services.setup.LEDGER_FORMAT", 3)
    scene: Scene = request.getfixturevalue("scene")
    assert scene.team.service.state().format == 3
    return scene


def test_a_format_3_ledger_verifies_and_lists_its_attested_entry(
    format_3_scene: Scene, operator_cli: Cli, tmp_path: Path
) -> None:
    """The attested rotation and the approval signed with the key it put in place: format 3
    accepted both. (Its rule that a key is never registered again stops the rotation back.)"""
    scene, team = format_3_scene, format_3_scene.team
    assert "asserted by the operator" not in operator_cli.ok("verify")  # nothing asserted yet: no note
    assert _inject_all(team, scene.attack()[:2]) == [13, 14]
    state = team.service.verification.verify_meaning()
    assert state.asserted == [AssertedEntry(13, "identity.key_rotated", BOB, scene.token_id)]
    for args in ([], _offline(operator_cli, tmp_path)):
        lines = operator_cli.ok("verify", *args).splitlines()
        assert lines[-3].endswith("(ledger format 3)"), lines
        assert lines[-2].startswith("NOTE: 1 entry is asserted by the operator, not signed by their author")
        assert (
            lines[-1]
            == f"  entry 13 identity.key_rotated: bob@example.com, asserted with API token {scene.token_id}"
        )


# -- e. an admin resetting someone's key: allowed (recovery), never silent ------------------


def test_statements_on_a_key_an_admin_set_are_listed_by_verify(
    scene: Scene, operator_cli: Cli, tmp_path: Path
) -> None:
    """An admin may reset a person's key (a lost laptop), and the ledger then accepts that
    person's statements under the new key. But the admin could have made it, so every such
    statement is listed, online and offline, with who set the key and where; bob's own
    statements before the reset are not."""
    team = scene.team
    reset = team.service.identities.rotate_key(BOB, _b64(OPERATOR), ADMIN, team.key(ADMIN))
    assert reset.seq == FIRST_FORGED
    approved = team.service.lifecycle.approve(scene.ref, BOB, OPERATOR)
    assert approved.seq == FIRST_FORGED + 1
    state = team.service.verification.verify_meaning()
    assert [(r.seq, r.kind, r.author, r.admin, r.reset_seq) for r in state.on_reset_keys] == [
        (FIRST_FORGED + 1, "release.approval", BOB, ADMIN, FIRST_FORGED)
    ]
    for args in ([], _offline(operator_cli, tmp_path)):
        lines = operator_cli.ok("verify", *args).splitlines()
        assert lines[-2].startswith("NOTE: 1 entry is signed with a key an admin set for its author")
        assert (
            lines[-1] == f"  entry {FIRST_FORGED + 1} release.approval: {BOB}, key set by {ADMIN} at entry 13"
        )


def test_a_signature_in_non_canonical_base64_is_refused(scene: Scene) -> None:
    """The signature is outside the bytes it signs; a second spelling of the same 64 bytes
    (padding bits set) would let whoever holds the database change the entry's hash."""
    team = scene.team
    statement = approval(team.release(scene.ref), BOB, "ml-lead", "approve", "")
    signed = team.sign("release.approval", statement, team.key(BOB))
    text = signed["signature"]
    assert text.endswith("==")
    respelled = text[:-3] + chr(ord(text[-3]) + 1) + "=="  # same bytes, other low bits
    assert base64.b64decode(respelled) == base64.b64decode(text) and respelled != text
    before = team.snapshot()
    with pytest.raises(SignatureRefusedError, match="canonical base64"):
        team.service.governed.append_statement("release.approval", {**signed, "signature": respelled})
    assert team.snapshot() == before
    assert team.inject("release.approval", {**signed, "signature": respelled}) == FIRST_FORGED
    with pytest.raises(VerificationError, match=f"entry {FIRST_FORGED}: .*canonical base64"):
        team.service.verification.verify_meaning()


def test_a_binary_key_file_is_a_clear_error(scene: Scene, operator_cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "bin.key"
    key.write_bytes(bytes(range(256)) * 40)
    key.chmod(0o600)
    code, out, err = operator_cli("approve", scene.ref, "--as", BOB, "--key", str(key))
    assert code == EXIT_FAILURE and out == ""
    assert err == f"error: {key} is not a signer key: it is not UTF-8 text\n"
