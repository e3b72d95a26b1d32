"""Authorisation on the server for every request: sessions, CSRF, roles and decision hashes.
In-process (TestClient over https, so cookies are Secure); the browser tests cover the script."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from governance import actions
from ledger.errors import RefusedError
from tests.web.conftest import Web, sign_in_client, signed_in, signin_form
from web.sessions import load_or_create_secret

BOB, CAROL, MALLORY, RITA, ERIN = (
    "bob@example.com",
    "carol@example.com",
    "mallory@example.com",
    "rita@example.com",
    "erin@example.com",
)


def _approval(web: Web, ref: str, who: str, role: str, *, decision: str | None = None) -> dict[str, object]:
    payload = actions.approval(web.team.release(decision or ref), who, role, "approve", "")
    return web.team.sign("release.approval", payload, web.team.key(who))


def test_signed_out_pages_send_you_to_sign_in_and_posts_get_401(web: Web) -> None:
    client = web.client()
    for path in ["/", "/ledger", "/auditors", "/keys", "/decisions/x"]:
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/signin?why=none"), path
    assert client.post("/decisions/x/sign", json={}).status_code == 401
    assert "Sign in" in client.get("/signin").text


def test_the_session_cookie_is_secure_httponly_strict_and_a_bad_token_is_refused(web: Web) -> None:
    client = web.client()
    refused = client.post("/signin", data={"token": "rlt_00_nope", "signin_csrf": signin_form(client)})
    assert refused.status_code == 401 and "Not signed in" in refused.text
    answer = sign_in_client(client, web.tokens[BOB])
    cookie = answer.headers["set-cookie"].lower()
    assert all(flag in cookie for flag in ("secure", "httponly", "samesite=strict", "max-age=28800"))
    assert web.tokens[BOB] not in answer.headers["set-cookie"]  # the token id only, never its secret


def test_a_reviewer_without_the_role_gets_no_approve_button_and_a_crafted_post_is_refused(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")  # medium tier: one ml-lead approval
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, CAROL)  # compliance: not a role 1.1 needs
    page = client.get(f"/decisions/{ref}").text
    assert 'value="approve"' not in page and 'id="no-approval"' in page
    assert "support-summarizer@1.1" not in client.get("/").text.split("All decisions")[0]
    prepared = client.post(f"/decisions/{leaf}/prepare", data={"csrf": csrf, "action": "approve"})
    assert prepared.status_code == 403 and "none of the roles" in prepared.text
    # Carol signs, with her own key, an approval in a role she does not hold: the ledger refuses.
    crafted = _approval(web, ref, CAROL, "ml-lead")
    answer = client.post(
        f"/decisions/{leaf}/sign",
        json={"kind": "release.approval", "statement": crafted},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403 and answer.json()["detail"].startswith("refused by"), answer.text
    assert web.team.service.decisions.status(ref)["phase"] == "pending_approval"


def test_refusals_read_as_the_cli_reads_them(web: Web) -> None:
    ref = web.team.submit(
        "01-support-summarizer-1.1.yaml", requested_by=MALLORY
    )  # mallory: submitter, ml-lead
    leaf = web.team.service.resolve(ref).leaf_hex
    statement = _approval(web, ref, MALLORY, "ml-lead")
    with pytest.raises(RefusedError) as cli_side:  # what `rledger approve` prints after "error: "
        web.team.service.lifecycle.append_signed("release.approval", statement)
    client, csrf = signed_in(web, MALLORY)
    answer = client.post(
        f"/decisions/{leaf}/sign",
        json={"kind": "release.approval", "statement": statement},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == str(cli_side.value)


def test_a_wrong_or_missing_csrf_token_is_refused(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, BOB)
    statement = _approval(web, ref, BOB, "ml-lead")
    body = {"kind": "release.approval", "statement": statement}
    for headers in ({"X-CSRF-Token": csrf[:-1] + "0" if csrf[-1] != "0" else csrf[:-1] + "1"}, {}):
        answer = client.post(f"/decisions/{leaf}/sign", json=body, headers=headers)
        assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    form = client.post(f"/decisions/{leaf}/prepare", data={"csrf": "forged", "action": "approve"})
    assert form.status_code == 403
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
    assert web.team.service.decisions.status(ref)["phase"] == "pending_approval"
    accepted = client.post(f"/decisions/{leaf}/sign", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text


def test_an_expired_session_is_refused_by_the_apps_clock(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, BOB)
    assert client.get("/", follow_redirects=False).status_code == 200
    web.team.clock.advance(timedelta(hours=8, minutes=1))
    body = {"kind": "release.approval", "statement": _approval(web, ref, BOB, "ml-lead")}
    posted = client.post(f"/decisions/{leaf}/sign", json=body, headers={"X-CSRF-Token": csrf})
    assert posted.status_code == 401 and "expired" in posted.json()["detail"]
    form = client.post(f"/decisions/{leaf}/prepare", data={"csrf": csrf, "action": "approve"})
    assert form.url.path == "/signin" and "Your session expired" in form.text  # a form goes to sign in
    client.cookies.clear()
    client, csrf = signed_in(web, BOB)
    web.team.clock.advance(timedelta(hours=8, minutes=1))
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/signin?why=expired")
    assert web.team.service.decisions.status(ref)["approvals"] == []


def test_a_revoked_token_signs_the_session_out(web: Web) -> None:
    client, _ = signed_in(web, BOB)
    token_id = web.tokens[BOB].split("_")[1]
    web.team.service.tokens.revoke(token_id, BOB, web.team.key(BOB))
    answer = client.get("/", follow_redirects=False)
    assert answer.headers["location"] == "/signin?why=revoked"


def test_a_statement_signed_for_another_decision_is_refused(web: Web) -> None:
    first = web.team.submit("01-support-summarizer-1.1.yaml")
    other = web.team.submit("02-support-summarizer-1.2.yaml")
    client, csrf = signed_in(web, BOB)
    statement = _approval(web, first, BOB, "ml-lead", decision=other)  # signed over 1.2's hash
    leaf = web.team.service.resolve(first).leaf_hex
    answer = client.post(
        f"/decisions/{leaf}/sign",
        json={"kind": "release.approval", "statement": statement},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403 and "another decision" in answer.json()["detail"]
    # and one whose members were changed after signing (the hash swapped) fails the signature
    tampered = {**_approval(web, other, BOB, "ml-lead"), **web.team.release(first).members()}
    answer = client.post(
        f"/decisions/{leaf}/sign",
        json={"kind": "release.approval", "statement": tampered},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403 and "does not verify" in answer.json()["detail"]
    assert web.team.service.decisions.status(first)["approvals"] == []


def test_auditors_read_but_write_nothing(web: Web) -> None:
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    leaf = web.team.service.resolve(ref).leaf_hex
    client, csrf = signed_in(web, ERIN)
    assert "Auditors read only." in client.get(f"/decisions/{ref}").text
    body = {"kind": "release.approval", "statement": _approval(web, ref, ERIN, "auditor")}
    answer = client.post(f"/decisions/{leaf}/sign", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403 and "auditor" in answer.json()["detail"]


def test_the_session_secret_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "web-session.key"
    first = load_or_create_secret(path, lambda n: b"\x01" * n)
    again = load_or_create_secret(path, lambda n: b"\x02" * n)
    assert first == again == b"\x01" * 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.write_bytes(b"short")
    with pytest.raises(Exception, match="shorter than 32 bytes"):
        load_or_create_secret(path, lambda n: b"\x03" * n)


def test_sign_in_needs_the_forms_own_csrf_pair_against_login_csrf(web: Web) -> None:
    victim = web.client()
    # An attacker's page posts its own token to the victim's browser: no form, no sign-in.
    forged = victim.post("/signin", data={"token": web.tokens[BOB]}, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF check failed" in forged.text
    assert "rledger_session=" not in forged.headers.get("set-cookie", "")
    # A field fetched by the attacker from their own session does not match the victim's nonce.
    attacker = web.client()
    theirs = signin_form(attacker)
    signin_form(victim)  # the victim has a form open, with its own nonce
    crossed = victim.post("/signin", data={"token": web.tokens[BOB], "signin_csrf": theirs})
    assert crossed.status_code == 403 and "rledger_session" not in victim.cookies
    page = victim.get("/signin")
    cookie = page.headers["set-cookie"].lower()
    assert "rledger_signin=" in cookie and all(f in cookie for f in ("httponly", "secure", "samesite=strict"))


def test_sign_out_deletes_the_cookie_with_its_own_attributes(web: Web) -> None:
    client, csrf = signed_in(web, BOB)
    answer = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("rledger_session=") and "max-age=0" in cookie
    assert all(flag in cookie for flag in ("secure", "httponly", "samesite=strict", "path=/"))
