"""Every state-changing route takes a statement signed by its author; the bearer token only
says who is calling (issue 11, ledger format 4). Each refusal has its exact status, a problem
body, and leaves the ledger as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from governance.actions import Release, public_key_b64
from governance.formats import LEDGER_FORMAT
from governance.statements import sign_statement
from ledger.tlog.note import Ed25519Signer
from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import (
    ALICE,
    BOB,
    CAROL,
    ERIN,
    RITA,
    decision_json,
    default_policy_text,
    refused,
    submit,
)
from tests.governance.conftest import ADMIN, ORIGIN

DAVE, MALLORY = "dave@example.com", "mallory@example.com"
REF = "support-summarizer@1.1"
CANARY = {"error_rate": "0.011", "p99_latency_ms": "1800", "live_index": "103.5"}
ZED_KEY = public_key_b64(Ed25519Signer.generate("rledger-identity", bytes([77]) * 32))
NEW_BOB_KEY = public_key_b64(Ed25519Signer.generate("rledger-identity", bytes([78]) * 32))


@dataclass(frozen=True)
class Route:
    """A state-changing route: its path, the statement it takes signed by ``who``, the author
    who may post it, and a relay: (whose statement, posted by whom) that the API refuses
    although the poster passes the route's role check."""

    path: str
    statement: Callable[[Api, str], dict[str, Any]]
    author: str
    relay: tuple[str, str]


ROUTES = {
    "submit": Route(
        "/v1/decisions",
        lambda api, who: signing.decision(
            api, decision_json("03-support-summarizer-1.3.yaml", requested_by=who)
        ),
        ALICE,
        (ALICE, MALLORY),
    ),
    "approval": Route(
        f"/v1/decisions/{REF}/approvals",
        lambda api, who: signing.approval(api, REF, who, "ml-lead"),
        BOB,
        (BOB, RITA),
    ),
    "canary": Route(
        f"/v1/decisions/{REF}/canary",
        lambda api, who: signing.canary_start(api, REF, who),
        ALICE,
        (ALICE, RITA),
    ),
    "canary_result": Route(
        f"/v1/decisions/{REF}/canary/result",
        lambda api, who: signing.canary_result(api, REF, who, "pass", CANARY),
        ALICE,
        (ALICE, RITA),
    ),
    "promote": Route(
        f"/v1/decisions/{REF}/promote", lambda api, who: signing.promotion(api, REF, who), RITA, (RITA, ALICE)
    ),
    "rollback": Route(
        f"/v1/decisions/{REF}/rollback",
        lambda api, who: signing.rollback(api, REF, who, "1.0", "cost spike"),
        RITA,
        (RITA, DAVE),
    ),
    "identity_add": Route(
        "/v1/identities",
        lambda api, who: signing.new_identity(api, "zed@example.com", ["auditor"], ZED_KEY, who),
        ADMIN,
        (BOB, ADMIN),
    ),
    "identity_rotate": Route(
        f"/v1/identities/{BOB}/rotate",
        lambda api, who: signing.key_rotation(api, BOB, NEW_BOB_KEY, who),
        ADMIN,
        (BOB, ADMIN),  # bob may rotate his own key, but only by posting it himself
    ),
    "identity_revoke": Route(
        f"/v1/identities/{BOB}/revoke",
        lambda api, who: signing.revocation(api, BOB, who),
        ADMIN,
        (BOB, ADMIN),
    ),
    "policy": Route(
        "/v1/policy",
        lambda api, who: signing.adoption(
            api, default_policy_text().replace('version: "2"', 'version: "3"'), who
        ),
        ADMIN,
        (BOB, ADMIN),
    ),
}
LIFECYCLE = ["approval", "canary", "canary_result", "promote", "rollback"]


@pytest.fixture
def decided(api: Api) -> Api:
    """The team's API with support-summarizer 1.1 (medium tier) and 1.2 submitted."""
    submit(api, "01-support-summarizer-1.1.yaml")
    submit(api, "02-support-summarizer-1.2.yaml")
    return api


def post(api: Api, path: str, body: dict[str, Any], who: str) -> Any:
    return api.client.post(path, json=body, headers=api.headers(who))


# -- what a client needs to sign -----------------------------------------------------------------


def test_the_statement_context_says_what_to_sign_over(api: Api) -> None:
    before = api.snapshot()
    r = api.client.get("/v1/statements/context", headers=api.headers(ERIN))  # any caller may ask
    assert r.status_code == 200, r.text
    assert r.json() == {"origin": ORIGIN, "format": LEDGER_FORMAT, "sign_over_origin": ORIGIN}
    assert api.client.get("/v1/statements/context").status_code == 401
    assert api.snapshot() == before


def test_a_promotion_built_from_the_apis_answers_alone_is_recorded(decided: Api) -> None:
    """status gives ``supersedes``, the decision its policy, model and version, the context its
    origin: all a client needs to build and sign a promotion."""
    api = decided
    submit(api, "03-support-summarizer-1.3.yaml")  # low tier: may be promoted at once
    submit(api, "04-support-summarizer-1.4.yaml")
    h = api.headers(RITA)
    origin = api.client.get("/v1/statements/context", headers=h).json()["sign_over_origin"]
    for version, superseded in (("1.3", None), ("1.4", "1.3")):
        status = api.client.get(f"/v1/decisions/support-summarizer@{version}/status", headers=h).json()
        assert status["supersedes"] == status["production_version"] == superseded
        detail = api.client.get(f"/v1/decisions/support-summarizer@{version}", headers=h).json()
        payload = detail["payload"]
        statement = {
            **Release(detail["hash"], payload["model"], payload["version"]).members(),
            "actor": RITA,
            "policy_sha256": payload["policy"]["sha256"],
            "supersedes": status["supersedes"],
            "break_glass": False,
            "reason": "",
        }
        body = sign_statement("release.promoted", statement, api.team.key(RITA), origin=origin)
        r = post(api, f"/v1/decisions/{detail['hash']}/promote", body, RITA)
        assert r.status_code == 201, r.text
    recorded = api.team.service.state().decision(api.team.service.resolve("support-summarizer@1.4").leaf_hex)
    assert (recorded.phase, recorded.supersedes) == ("promoted", "1.3")


# -- every route, signed by its author -----------------------------------------------------------


def test_a_release_through_its_lifecycle_over_http(decided: Api) -> None:
    api = decided
    for name in ["approval", "canary"]:
        route = ROUTES[name]
        r = post(api, route.path, route.statement(api, route.author), route.author)
        assert r.status_code == 201, r.text
    api.team.clock.advance(timedelta(hours=25))  # the tier's canary window
    for name in ["canary_result", "promote", "rollback"]:
        route = ROUTES[name]
        r = post(api, route.path, route.statement(api, route.author), route.author)
        assert r.status_code == 201, r.text
    state = api.team.service.state()
    assert state.decision(api.team.service.resolve(REF).leaf_hex).phase == "rolled_back"
    entries = [api.team.service.log.entry(seq) for seq in range(state.size)]
    assert all(b'"attestation"' not in e for e in entries)  # every entry is someone's signature
    api.team.service.verification.verify_meaning()


@pytest.mark.parametrize("name", ["submit", "identity_add", "identity_rotate", "identity_revoke", "policy"])
def test_identity_policy_and_decision_statements_over_http(api: Api, name: str) -> None:
    route = ROUTES[name]
    before = api.team.store.size()
    r = post(api, route.path, route.statement(api, route.author), route.author)
    assert r.status_code == 201, r.text
    assert api.team.store.size() == before + 1


# -- refusals on every route ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_refuses_a_statement_without_a_signature(decided: Api, name: str) -> None:
    api, route = decided, ROUTES[name]
    unsigned = {k: v for k, v in route.statement(api, route.author).items() if k != "signature"}
    token_id = api.tokens[route.author].split("_")[1]
    before = api.snapshot()
    r = post(api, route.path, unsigned, route.author)
    refused(api, r, 422, "signature", before=before)
    assert [e["field"] for e in r.json()["errors"]] == ["signature"]
    # The format-3 way, a token attestation in place of a signature, is not a member any route
    # takes, nor beside a genuine signature.
    r = post(api, route.path, {**unsigned, "attestation": {"token": token_id}}, route.author)
    refused(api, r, 422, before=before)
    assert sorted(e["field"] for e in r.json()["errors"]) == ["attestation", "signature"]
    both = {**route.statement(api, route.author), "attestation": {"token": token_id}}
    refused(api, post(api, route.path, both, route.author), 422, "attestation", before=before)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_refuses_a_statement_relayed_by_someone_else(decided: Api, name: str) -> None:
    """A genuine statement, signed by its author, posted with another person's token: nobody
    relays another's signature, whatever roles the poster holds."""
    api, route = decided, ROUTES[name]
    author, caller = route.relay
    statement = route.statement(api, author)
    before = api.snapshot()
    r = post(api, route.path, statement, caller)
    refused(api, r, 403, f"the statement is {author}'s; you are {caller}", before=before)


@pytest.mark.parametrize("name", LIFECYCLE)
def test_a_statement_about_one_decision_is_refused_on_anothers_path(decided: Api, name: str) -> None:
    api, route = decided, ROUTES[name]
    statement = route.statement(api, route.author)  # about 1.1
    before = api.snapshot()
    r = post(api, route.path.replace(REF, "support-summarizer@1.2"), statement, route.author)
    refused(api, r, 403, "signed for another decision", before=before)


@pytest.mark.parametrize("name", LIFECYCLE)
def test_a_statement_naming_another_release_is_refused_by_the_ledger(decided: Api, name: str) -> None:
    """From format 4 the subject is signed too: 1.1's entry hash with 1.2's version is refused."""
    api, route = decided, ROUTES[name]
    statement = route.statement(api, route.author)
    misnamed = signing.signed(api, _kind(name), {**statement, "version": "1.2"}, route.author)
    before = api.snapshot()
    r = post(api, route.path, misnamed, route.author)
    refused(api, r, 403, "names support-summarizer@1.2", before=before)


def _kind(name: str) -> str:
    return {
        "approval": "release.approval",
        "canary": "release.canary_started",
        "canary_result": "release.canary_result",
        "promote": "release.promoted",
        "rollback": "release.rolled_back",
    }[name]


# -- attack 1: an admin's token is not bob's key ---------------------------------------------------


def test_an_admins_token_cannot_rotate_bobs_key_without_a_signature_it_holds(api: Api) -> None:
    """Whoever holds an admin's bearer token (or runs the server) but not a registered key
    cannot put a key of their choosing on bob's identity."""
    path = f"/v1/identities/{BOB}/rotate"
    attacker = Ed25519Signer.generate("rledger-identity", bytes([99]) * 32)
    statement = {"name": BOB, "public_key": public_key_b64(attacker), "actor": ADMIN}
    before = api.snapshot()
    refused(api, post(api, path, statement, ADMIN), 422, "signature", before=before)
    forged = sign_statement("identity.key_rotated", statement, attacker, origin=signing.origin(api))
    r = post(api, path, forged, ADMIN)
    refused(api, r, 403, f"signature does not verify under {ADMIN}'s registered key", before=before)
    assert r.json()["rule"] == "signature"
    as_bob = sign_statement(
        "identity.key_rotated", {**statement, "actor": BOB}, attacker, origin=signing.origin(api)
    )
    refused(api, post(api, path, as_bob, ADMIN), 403, f"the statement is {BOB}'s", before=before)
    token_id = api.tokens[ADMIN].split("_")[1]
    attested = {**statement, "attestation": {"token": token_id}}
    r = post(api, path, attested, ADMIN)
    refused(api, r, 422, before=before)
    assert sorted(e["field"] for e in r.json()["errors"]) == ["attestation", "signature"]
    replayed = sign_statement(  # a genuine admin signature over another kind's bytes
        "identity.revoked", statement, api.team.key(ADMIN), origin=signing.origin(api)
    )
    refused(api, post(api, path, replayed, ADMIN), 403, "signature does not verify", before=before)
    assert api.team.service.state().identity(BOB).public_key == api.team.key(BOB).public_key


def test_a_signature_for_another_log_is_refused(api: Api) -> None:
    statement = signing.revocation(api, CAROL)
    elsewhere = sign_statement("identity.revoked", statement, api.team.key(ADMIN), origin="other.example/log")
    before = api.snapshot()
    r = post(api, f"/v1/identities/{CAROL}/revoke", elsewhere, ADMIN)
    refused(api, r, 403, "signature does not verify", before=before)


def test_the_path_name_must_be_the_statements(api: Api) -> None:
    statement = signing.revocation(api, CAROL)
    before = api.snapshot()
    r = post(api, f"/v1/identities/{BOB}/revoke", statement, ADMIN)
    refused(
        api,
        r,
        422,
        "the path names 'bob@example.com' but the statement names 'carol@example.com'",
        before=before,
    )


def test_a_canary_summary_is_decimal_strings_as_signed(decided: Api) -> None:
    """The body is recorded as sent, so a metric is the decimal string the author signed; a
    number or a string in another form is refused before anything is checked or written."""
    api, route = decided, ROUTES["canary_result"]
    before = api.snapshot()
    for value, needle in [(0.011, "summary.error_rate"), ("0.0110", "not in normal form")]:
        body = {**route.statement(api, ALICE), "summary": {**CANARY, "error_rate": value}}
        refused(api, post(api, route.path, body, ALICE), 422, needle, before=before)
