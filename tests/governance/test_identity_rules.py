"""One person is one identity (issue 11, ledger format 3): each rule refused through the service,
the command line and the meaning pass, while a format-2 ledger keeps what it accepted before."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from governance.actions import approval, identity_added
from governance.identity_rules import normal_name, refuse_not_distinct, same_person
from governance.state import DecisionState, GovernanceState
from ledger.errors import RefusedError, VerificationError
from ledger.tlog.note import Ed25519Signer
from tests.cli.test_governance_cli import Cli
from tests.governance.conftest import ADMIN, Team

ALICE, BOB, CAROL, DAVE = "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"
IVY = "ivy@example.com"  # holds both the break-glass role and the retrospective role
KNOWN = "admin, auditor, compliance, incident-commander, ml-lead, release-manager, submitter"


def _key(number: int) -> Ed25519Signer:
    return Ed25519Signer.generate("rledger-identity", bytes([number]) * 32)


def _b64(key: Ed25519Signer | bytes) -> str:
    raw = key if isinstance(key, bytes) else key.public_key
    return base64.b64encode(raw).decode()


def refused(team: Team, action: Callable[[], object], *needles: str) -> RefusedError:
    """The action is refused with every needle in its message, and the ledger is unchanged."""
    before = team.snapshot()
    with pytest.raises(RefusedError) as caught:
        action()
    for needle in needles:
        assert needle in str(caught.value), str(caught.value)
    assert team.snapshot() == before, "a refused action changed the ledger"
    return caught.value


def _add(team: Team, name: str, roles: list[str], key: Ed25519Signer | bytes) -> object:
    return team.service.identities.add(name, roles, _b64(key), ADMIN, team.key(ADMIN))


# -- 1. names are normalised and unique ----------------------------------------------------


def test_a_name_differing_only_in_case_is_refused_naming_the_existing_identity(team: Team) -> None:
    err = refused(
        team,
        lambda: _add(team, "Alice@example.com", ["submitter"], _key(200)),
        "identity 'Alice@example.com' is the name of existing identity 'alice@example.com'",
        "NFKC normalisation and case folding",
    )
    assert err.rule == "identity.name"


def test_a_revoked_identitys_name_stays_taken_in_any_case(team: Team) -> None:
    team.service.identities.revoke(BOB, ADMIN, team.key(ADMIN))
    refused(team, lambda: _add(team, "BOB@Example.com", ["ml-lead"], _key(200)), "'bob@example.com'")


def test_names_are_compared_after_nfkc_and_case_folding() -> None:
    fullwidth = "".join(chr(0xFF21 + ord(c) - ord("A")) for c in "ALICE")  # fullwidth ALICE
    assert normal_name(fullwidth + "@example.com") == normal_name("alice@example.com") == "alice@example.com"
    assert normal_name("STRASSE") == normal_name("straße")


# -- 2. a public key belongs to one identity, across rotations -------------------------------


def test_adding_an_identity_with_a_key_another_holds_is_refused_naming_who(team: Team) -> None:
    err = refused(
        team,
        lambda: _add(team, "eve@example.com", ["ml-lead"], team.key(ALICE)),
        "this public key is already registered to 'alice@example.com'",
    )
    assert err.rule == "identity.public_key"


def test_rotating_to_a_key_another_holds_is_refused_naming_who(team: Team) -> None:
    err = refused(
        team,
        lambda: team.service.identities.rotate_key(BOB, _b64(team.key(ALICE)), BOB, team.key(BOB)),
        "already registered to 'alice@example.com'",
    )
    assert err.rule == "identity.public_key"


def test_a_rotated_away_key_is_never_registered_again(team: Team) -> None:
    old = team.key(ALICE)
    team.service.identities.rotate_key(ALICE, _b64(_key(201)), ALICE, old)
    # An approver rotating to a key the requester held before: the dodge is refused at rotation.
    refused(
        team,
        lambda: team.service.identities.rotate_key(BOB, _b64(old), BOB, team.key(BOB)),
        "already registered to 'alice@example.com'",
    )
    refused(team, lambda: _add(team, "eve@example.com", ["ml-lead"], old), "'alice@example.com'")
    refused(  # nor taken back by its own former holder
        team,
        lambda: team.service.identities.rotate_key(ALICE, _b64(old), ALICE, _key(201)),
        "already registered to 'alice@example.com'",
    )


def test_a_revoked_identitys_key_stays_taken(team: Team) -> None:
    team.service.identities.revoke(CAROL, ADMIN, team.key(ADMIN))
    refused(
        team, lambda: _add(team, "eve@example.com", ["compliance"], team.key(CAROL)), "'carol@example.com'"
    )


# -- 3. roles are ones the policy in force knows ---------------------------------------------


def test_an_unknown_role_is_refused_with_the_known_roles_sorted(team: Team) -> None:
    err = refused(team, lambda: _add(team, "zed@example.com", ["ml_lead"], _key(200)), "unknown role ml_lead")
    assert err.rule == "identity.roles"
    assert str(err).endswith(f"are {KNOWN}")
    assert "default v" in str(err)  # the policy in force is named


def test_every_role_the_policy_names_is_accepted(team: Team) -> None:
    for number, role in enumerate(KNOWN.split(", ")):
        _add(team, f"new-{number}@example.com", [role], _key(200 + number))
    assert team.service.state().identities["new-3@example.com"].roles == {"incident-commander"}


# -- 4. separation of duties by identity and by key ------------------------------------------


def _decision(requester: str) -> DecisionState:
    d = DecisionState(5, "ab" * 32, datetime(2026, 11, 24, tzinfo=UTC), "m", "1.0", requester, {}, "sha")
    return d


def test_two_identities_that_ever_shared_a_key_are_one_person() -> None:
    """Format 3 never lets a key be shared; were it shared (across a rotation), the check holds."""
    state = GovernanceState(format=3)
    state.key_holders = {b"k-old": [ALICE, BOB], b"k-alice": [ALICE], b"k-bob": [BOB], b"k-carol": [CAROL]}
    assert same_person(state, ALICE, BOB) and same_person(state, BOB, ALICE)
    assert not same_person(state, ALICE, CAROL)
    with pytest.raises(RefusedError) as caught:
        refuse_not_distinct(state, _decision(ALICE), BOB)
    assert caught.value.rule == "separation_of_duties"
    assert "requester may never approve" in str(caught.value)
    assert "bob@example.com and alice@example.com have held the same public key" in str(caught.value)
    refuse_not_distinct(state, _decision(ALICE), CAROL)


def test_format_2_compares_by_name_only() -> None:
    state = GovernanceState(format=2)
    state.key_holders = {b"k-old": [ALICE, BOB]}
    assert not same_person(state, ALICE, BOB) and same_person(state, ALICE, ALICE)


def test_the_requester_still_may_not_approve(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml", requested_by="mallory@example.com")
    err = refused(
        team,
        lambda: team.service.lifecycle.approve(
            ref, "mallory@example.com", team.key("mallory@example.com"), role="ml-lead"
        ),
        "the requester may never approve their own release",
    )
    assert "public key" not in str(err)


# -- 5. the break-glass promoter never gives its retrospective approval ----------------------


def _break_glass_by_ivy(team: Team) -> str:
    team.keys[IVY] = _key(210)
    _add(team, IVY, ["incident-commander", "compliance"], team.keys[IVY])
    ref = team.submit("05-claims-assistant-2.0.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.promote(ref, IVY, team.key(IVY), break_glass=True, reason="regulator deadline")
    return ref


def test_the_break_glass_promoter_may_not_approve_it_retrospectively(team: Team) -> None:
    ref = _break_glass_by_ivy(team)
    err = refused(
        team,
        lambda: team.service.lifecycle.approve(ref, IVY, team.key(IVY)),
        "the break-glass promoter may never give its retrospective approval",
        f"{IVY} promoted claims-assistant@2.0 by break-glass",
    )
    assert err.rule == "separation_of_duties"
    team.service.lifecycle.approve(ref, CAROL, team.key(CAROL))  # someone else closes it
    assert team.service.decisions.status(ref)["open_items"] == []


# -- the meaning pass catches what the operator appends around the service --------------------


def test_the_meaning_pass_names_an_injected_identity_with_a_taken_key(team: Team) -> None:
    statement = identity_added("eve@example.com", ["ml-lead"], _b64(team.key(ALICE)), ADMIN)
    seq = team.inject("identity.added", team.sign("identity.added", statement, team.key(ADMIN)))
    with pytest.raises(VerificationError) as caught:
        team.service.verification.verify_meaning()
    assert caught.value.index == seq
    assert "already registered to 'alice@example.com'" in str(caught.value)


def test_the_meaning_pass_names_an_injected_retrospective_approval_by_the_promoter(team: Team) -> None:
    ref = _break_glass_by_ivy(team)
    statement = approval(team.release(ref), IVY, "compliance", "approve", "")
    seq = team.inject("release.approval", team.sign("release.approval", statement, team.key(IVY)))
    with pytest.raises(VerificationError) as caught:
        team.service.verification.verify_meaning()
    assert caught.value.index == seq
    assert "break-glass promoter may never give its retrospective approval" in str(caught.value)


def test_the_meaning_pass_names_an_injected_unknown_role(team: Team) -> None:
    statement = identity_added("zed@example.com", ["ml_lead"], _b64(_key(200)), ADMIN)
    seq = team.inject("identity.added", team.sign("identity.added", statement, team.key(ADMIN)))
    with pytest.raises(VerificationError, match=f"entry {seq}: .*unknown role ml_lead"):
        team.service.verification.verify_meaning()


# -- format 2 keeps its old rules ----------------------------------------------------------


@pytest.fixture
def format_2_team(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Team:
    """The conftest team on a ledger whose genesis declares format 2."""
    monkeypatch.setattr("services.setup.LEDGER_FORMAT", 2)
    team: Team = request.getfixturevalue("team")
    assert team.service.state().format == 2
    return team


def test_a_format_2_ledger_accepts_what_it_accepted_before(format_2_team: Team) -> None:
    team = format_2_team
    _add(team, "Alice@example.com", ["submitter"], _key(200))
    _add(team, "eve@example.com", ["ml-lead"], team.key(ALICE))  # alice's key, shared
    _add(team, "zed@example.com", ["ml_lead"], _key(201))
    old_bob, team.keys[BOB] = team.key(BOB), _key(202)
    team.service.identities.rotate_key(BOB, _b64(team.key(BOB)), BOB, old_bob)
    team.service.identities.rotate_key(DAVE, _b64(old_bob), DAVE, team.key(DAVE))  # bob's old key
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, "eve@example.com", team.key(ALICE))  # the requester's key
    ref = _break_glass_by_ivy(team)
    team.service.lifecycle.approve(ref, IVY, team.key(IVY))
    assert team.service.decisions.status(ref)["open_items"] == []
    state = team.service.verification.verify_meaning()
    assert state.format == 2 and state.size == team.store.size()


# -- through the command line --------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    run = Cli(tmp_path / "home", capsys)
    run.ok("init", "--origin", "cli.example/log", "--admin", "root@example.com")
    for name in ("alice", "alice2"):
        run.ok("identity", "keygen", "--out", str(tmp_path / name))
    run.ok(*_add_args(run, "alice@example.com", "submitter", "alice"))
    return run


def _add_args(cli: Cli, name: str, roles: str, key: str) -> list[str]:
    public = cli.home.parent / f"{key}.pub"
    admin = ["--as", "root@example.com", "--key", str(cli.home / "root@example.com.key")]
    return ["identity", "add", name, "--roles", roles, "--public-key", str(public), *admin]


@pytest.mark.parametrize(
    "name, roles, key, message",
    [
        ("Alice@example.com", "submitter", "alice2", "is the name of existing identity 'alice@example.com'"),
        (
            "eve@example.com",
            "ml-lead",
            "alice",
            "this public key is already registered to 'alice@example.com'",
        ),
        ("zed@example.com", "ml_lead", "alice2", "unknown role ml_lead: the known roles (default v"),
    ],
)
def test_the_cli_refuses_with_the_message(cli: Cli, name: str, roles: str, key: str, message: str) -> None:
    code, _, err = cli(*_add_args(cli, name, roles, key))
    assert code == 1 and message in err, err
    code, out, _ = cli("verify")
    assert code == 0 and "OK: 4 entries" in out, out  # genesis, root and policy, alice: unchanged
