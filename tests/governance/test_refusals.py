"""Every refusal the policy issue names, each with a clear reason and an unchanged ledger."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from governance import actions
from ledger.errors import LedgerError, RefusedError
from tests.governance.conftest import ADMIN, Team

RITA = "rita@example.com"

ALICE, BOB, BEA, CAROL, DAVE, ERIN = (
    "alice@example.com",
    "bob@example.com",
    "bea@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin@example.com",
)


def refused(team: Team, action: object, *needles: str) -> RefusedError:
    before = team.snapshot()
    with pytest.raises(RefusedError) as caught:
        action()  # type: ignore[operator]
    message = str(caught.value)
    for needle in needles:
        assert needle in message, message
    assert team.snapshot() == before, "a refused action changed the ledger"
    return caught.value


def test_self_approval(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml", requested_by="mallory@example.com")
    err = refused(
        team,
        lambda: team.service.lifecycle.approve(
            ref, "mallory@example.com", team.key("mallory@example.com"), role="ml-lead"
        ),
        "requester may never approve",
    )
    assert err.rule == "separation_of_duties"


def test_unknown_key(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    stranger = team.key(ERIN).__class__.generate("rledger-identity", bytes([99]) * 32)
    approval = actions.approval(team.release(ref), BOB, "ml-lead", "approve", "")
    payload = team.sign("release.approval", approval, stranger)  # a key bob never registered
    refused(
        team,
        lambda: team.service.governed.append_statement("release.approval", payload),
        "does not verify",
        BOB,
    )
    approval = actions.approval(team.release(ref), "zed@example.com", "ml-lead", "approve", "")
    payload = team.sign("release.approval", approval, stranger)
    refused(
        team,
        lambda: team.service.governed.append_statement("release.approval", payload),
        "not a registered identity",
    )


def test_revoked_key(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.identities.revoke(BOB, ADMIN, team.key(ADMIN))
    refused(team, lambda: team.service.lifecycle.approve(ref, BOB, team.key(BOB)), "revoked")


def test_rotated_key_old_one_no_longer_signs(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    new_key = team.key(BOB).__class__.generate("rledger-identity", bytes([77]) * 32)
    team.service.identities.rotate_key(BOB, base64.b64encode(new_key.public_key).decode(), BOB, team.key(BOB))
    refused(team, lambda: team.service.lifecycle.approve(ref, BOB, team.key(BOB)), "does not verify")
    team.service.lifecycle.approve(ref, BOB, new_key)


def test_signature_made_over_another_decision(team: Team) -> None:
    first = team.release(team.submit("01-support-summarizer-1.1.yaml"))
    second = team.release(team.submit("02-support-summarizer-1.2.yaml"))
    approval = actions.approval(first, BOB, "ml-lead", "approve", "looks good")
    genuine = team.sign("release.approval", approval, team.key(BOB))
    replayed = {**genuine, **second.members()}  # decision, model and version all of the second
    refused(
        team, lambda: team.service.governed.append_statement("release.approval", replayed), "does not verify"
    )


def test_role_the_tier_does_not_require(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")  # medium: 1x ml-lead
    err = refused(
        team,
        lambda: team.service.lifecycle.approve(ref, CAROL, team.key(CAROL), role="compliance"),
        "does not require role compliance",
    )
    assert err.rule == "tiers.medium.approvals"
    refused(
        team,
        lambda: team.service.lifecycle.approve(ref, CAROL, team.key(CAROL), role="ml-lead"),
        "does not hold role",
    )


def test_approval_that_would_not_count(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    refused(
        team,
        lambda: team.service.lifecycle.approve(ref, BEA, team.key(BEA), role="ml-lead"),
        "not awaiting approvals",
    )


def test_too_few_distinct_approvers(team: Team) -> None:
    ref = team.submit("05-claims-assistant-2.0.yaml")  # high: ml-lead and compliance
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    refused(
        team,
        lambda: team.service.lifecycle.approve(ref, BOB, team.key(BOB), role="ml-lead"),
        "already given a verdict",
    )
    err = refused(
        team,
        lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA)),
        "missing 1 more from role compliance",
    )
    assert err.rule == "promotion"


def test_promotion_during_a_freeze_without_break_glass(team: Team) -> None:
    team.clock.at = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)  # just after the rehearsal
    ref = team.submit(
        "03-support-summarizer-1.3.yaml",
        rollback={
            "target_version": "1.0",
            "mechanism": "alias-swap",
            "runbook": "https://r.example/",
            "rehearsed_at": datetime(2026, 12, 20, tzinfo=UTC),
        },
        data_sensitivity={"classification": "restricted"},
    )  # high tier: the freeze applies
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.approve(ref, CAROL, team.key(CAROL))
    team.clock.at = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)
    refused(
        team, lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA)), "freeze_windows.year-end"
    )
    refused(
        team,
        lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA), break_glass=True, reason="x"),
        "break-glass needs role incident-commander",
    )
    team.service.lifecycle.promote(ref, DAVE, team.key(DAVE), break_glass=True, reason="incident 42")
    team.clock.at = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_promotion_before_the_canary_passed(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    refused(team, lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA)), "canary none")
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    refused(team, lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA)), "canary started")
    good = {"error_rate": "0.01", "p99_latency_ms": "2000", "live_index": "104"}
    refused(
        team,
        lambda: team.service.lifecycle.record_canary(
            ref, True, {**good, "error_rate": "0.03"}, ALICE, team.key(ALICE)
        ),
        "error_rate 0.03 is above 0.02",
    )
    refused(
        team,
        lambda: team.service.lifecycle.record_canary(
            ref, True, {"error_rate": "0.01"}, ALICE, team.key(ALICE)
        ),
        "p99_latency_ms was not reported",
    )
    team.service.lifecycle.record_canary(ref, True, good, ALICE, team.key(ALICE))
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    assert team.service.decisions.status(ref)["phase"] == "promoted"


def test_failed_canary_blocks_for_good(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    team.service.lifecycle.approve(ref, BOB, team.key(BOB))
    team.service.lifecycle.start_canary(ref, ALICE, team.key(ALICE))
    team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    team.service.lifecycle.record_canary(ref, False, {"error_rate": "0.2"}, ALICE, team.key(ALICE))
    refused(team, lambda: team.service.lifecycle.promote(ref, RITA, team.key(RITA)), "canary_failed")


def test_auditor_and_approver_cannot_submit_or_promote(team: Team) -> None:
    refused(
        team, lambda: team.submit("01-support-summarizer-1.1.yaml", requested_by=ERIN), "needs role submitter"
    )
    ref = team.submit("03-support-summarizer-1.3.yaml")  # low tier: auto-approved
    refused(team, lambda: team.service.lifecycle.promote(ref, ERIN, team.key(ERIN)), "has none of the roles")
    refused(team, lambda: team.service.lifecycle.promote(ref, BOB, team.key(BOB)), "has none of the roles")


def test_requested_by_must_be_the_signer(team: Team) -> None:
    data_ref = "01-support-summarizer-1.1.yaml"
    from importlib import resources

    from ledger.scoring.input import parse_decision_text

    data = parse_decision_text((resources.files("cli.demo") / data_ref).read_text())
    refused(
        team,
        lambda: team.service.decisions.submit(data, "mallory@example.com", team.key("mallory@example.com")),
        "submitted by its requester",
    )


def test_identity_and_policy_changes_need_an_admin(team: Team) -> None:
    public = base64.b64encode(team.key(ERIN).public_key).decode()
    refused(
        team,
        lambda: team.service.identities.add("zed@example.com", ["admin"], public, ALICE, team.key(ALICE)),
        "is not an admin",
    )
    refused(team, lambda: team.service.identities.revoke(BOB, ALICE, team.key(ALICE)), "is not an admin")
    refused(
        team,
        lambda: team.service.identities.add(BOB, ["admin"], public, ADMIN, team.key(ADMIN)),
        "already exists",
    )
    from policies.loader import load_default_policy

    refused(
        team,
        lambda: team.service.policies.adopt(load_default_policy(), CAROL, team.key(CAROL)),
        "is not an admin",
    )
    refused(team, lambda: team.service.identities.revoke(ADMIN, ADMIN, team.key(ADMIN)), "last admin")


def test_rollback_rules(team: Team) -> None:
    first = team.submit("03-support-summarizer-1.3.yaml")
    team.service.lifecycle.promote(first, RITA, team.key(RITA))
    second = team.submit("04-support-summarizer-1.4.yaml")
    refused(
        team,
        lambda: team.service.lifecycle.rollback(second, "1.3", "x", RITA, team.key(RITA)),
        "not the model's production",
    )
    team.service.lifecycle.promote(second, RITA, team.key(RITA))
    assert team.service.decisions.status(first)["phase"] == "superseded"
    refused(
        team,
        lambda: team.service.lifecycle.rollback(second, "0.9", "x", RITA, team.key(RITA)),
        "neither the declared",
    )
    team.service.lifecycle.rollback(second, "1.3", "latency regression", RITA, team.key(RITA))
    assert team.service.decisions.status(second)["phase"] == "rolled_back"
    assert team.service.decisions.status(first)["production_version"] == "1.3"


def test_refusals_are_ledger_errors_with_a_rule(team: Team) -> None:
    ref = team.submit("01-support-summarizer-1.1.yaml")
    with pytest.raises(LedgerError) as caught:
        team.service.lifecycle.promote(ref, RITA, team.key(RITA))
    assert isinstance(caught.value, RefusedError) and caught.value.rule


def test_a_submitter_may_not_promote(team: Team) -> None:
    ref = team.submit("03-support-summarizer-1.3.yaml")  # low tier: auto-approved, ready to ship
    err = refused(
        team, lambda: team.service.lifecycle.promote(ref, ALICE, team.key(ALICE)), "has none of the roles"
    )
    assert err.rule == "release.promoted"
    team.service.lifecycle.promote(ref, RITA, team.key(RITA))
