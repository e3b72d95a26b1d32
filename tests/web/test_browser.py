"""The web app in a real browser: a key made in the browser signs an approval that the ledger,
the offline verifier and an independent Ed25519 check all accept; the key never leaves."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import expect

from tests.governance.conftest import ADMIN
from tests.web.conftest import Web, sign_in

BOB = "bob@example.com"


def make_browser_key(page: Any) -> str:
    page.goto("/keys")
    page.click("#make-key")
    expect(page.locator("#browser-key")).not_to_have_text("none yet")
    return str(page.text_content("#browser-key")).strip()


def approve_in_browser(page: Any, ref: str, comment: str) -> None:
    page.goto(f"/decisions/{ref}")
    page.fill("#comment", comment)
    page.click("button[value=approve]")
    page.wait_for_selector("#sign-button:not([disabled])")
    page.click("#sign-button")
    page.wait_for_selector("#done-link")


def independent_check(statement: dict[str, Any], kind: str, origin: str, public_key_b64: str) -> None:
    """Ed25519 over the RFC 8785 envelope, computed here from docs/formats.md §4, not by the ledger's code."""
    part = {k: v for k, v in statement.items() if k not in ("signature", "attestation")}
    message = rfc8785.dumps(
        {"context": "release-ledger/statement", "kind": kind, "origin": origin, "payload": part}
    )
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    key.verify(base64.b64decode(statement["signature"]), message)  # raises InvalidSignature


def test_bob_enrols_a_browser_key_and_approves_in_the_browser(
    browser_page: Any, live: Web, tmp_path: Path
) -> None:
    team = live.team
    ref = team.submit("01-support-summarizer-1.1.yaml")
    page = browser_page
    sign_in(page, live, BOB)
    public_key = make_browser_key(page)
    assert public_key != base64.b64encode(team.key(BOB).public_key).decode()
    assert "no: ask an admin" in str(page.text_content("#key-match"))

    # Before the admin registers it, the page will not sign: the ledger would refuse.
    page.goto(f"/decisions/{ref}")
    page.click("button[value=approve]")
    page.wait_for_selector("#sign-button:not([disabled])")
    page.click("#sign-button")
    expect(page.locator("#sign-status")).to_contain_text("not the one the ledger holds")
    assert not any(url.endswith("/sign") for _, url, _ in page.sent)

    team.service.identities.rotate_key(BOB, public_key, ADMIN, team.key(ADMIN))  # the admin registers it
    page.goto("/keys")
    expect(page.locator("#key-match")).to_have_text(re.compile("^yes"))

    assert team.service.decisions.status(ref)["phase"] == "pending_approval"
    approve_in_browser(page, ref, "offline eval reviewed — ça va")
    assert team.service.decisions.status(ref)["phase"] == "approved"
    page.goto(f"/decisions/{ref}")
    assert "bob@example.com (ml-lead): approve" in page.inner_text("main")

    # The entry: bob's statement, signed by the browser key, checked independently.
    state = team.service.state()
    d = state.decision(team.service.resolve(ref).leaf_hex)
    export = tmp_path / "ledger.jsonl"
    with export.open("wb") as out:
        team.service.log.export(out)
    lines = [json.loads(line) for line in export.read_bytes().splitlines()]
    approvals = [e for e in lines if e["kind"] == "release.approval"]
    assert len(approvals) == 1 and approvals[0]["payload"]["approver"] == BOB
    assert approvals[0]["payload"]["decision"] == d.leaf_hex
    independent_check(approvals[0]["payload"], "release.approval", state.statement_origin() or "", public_key)

    # `rledger verify --export` accepts it, beside the CLI-made entries.
    checkpoint = tmp_path / "checkpoint.txt"
    checkpoint.write_text(team.service.log.latest_checkpoint())
    rledger = Path(sys.executable).parent / "rledger"
    done = subprocess.run(
        [
            str(rledger),
            "verify",
            "--export",
            str(export),
            "--checkpoint",
            str(checkpoint),
            "--key",
            team.service.log.verifier_key(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "OK: every entry was allowed" in done.stdout

    # The private key never left: WebCrypto refuses to export it, and no request carried key material.
    refused = page.evaluate(
        """async (who) => {
            const { loadKey } = await import('/static/keystore.js');
            const key = await loadKey(who);
            const outcomes = [];
            for (const format of ['pkcs8', 'jwk', 'raw']) {
                try { await crypto.subtle.exportKey(format, key.privateKey); outcomes.push('exported'); }
                catch (error) { outcomes.push(error.name); }
            }
            return [key.privateKey.extractable, outcomes];
        }""",
        BOB,
    )
    assert refused == [False, ["InvalidAccessError", "InvalidAccessError", "InvalidAccessError"]]
    bodies = b"".join(body for _, _, body in page.sent)
    assert b"PRIVATE" not in bodies and b'"d":' not in bodies and b"pkcs8" not in bodies
    posts = [(method, url) for method, url, _ in page.sent if method == "POST"]
    assert any(url.endswith("/sign") for _, url in posts)


def test_an_imported_cli_key_signs_and_never_leaves_the_browser(
    browser_page: Any, live: Web, tmp_path: Path
) -> None:
    team = live.team
    ref = team.submit("01-support-summarizer-1.1.yaml")
    signer = team.key(BOB)  # bob's CLI key, registered at setup
    key_file = tmp_path / "bob.key"
    key_file.write_text(signer.signer_key() + "\n")
    page = browser_page
    sign_in(page, live, BOB)
    page.goto("/keys")
    page.set_input_files("#import-key", str(key_file))
    expect(page.locator("#key-match")).to_have_text(re.compile("^yes"))
    approve_in_browser(page, ref, "imported key")
    assert team.service.decisions.status(ref)["phase"] == "approved"

    seed = signer.signer_key().rsplit("+", 1)[1]
    raw_seed = base64.b64decode(seed)[1:]
    for _, _, body in page.sent:
        for secret in (seed.encode(), raw_seed, base64.b64encode(raw_seed), raw_seed.hex().encode()):
            assert secret not in body


def test_an_enrolment_link_signs_in_and_leads_to_making_a_key(browser_page: Any, live: Web) -> None:
    """The admin's link carries the token in the fragment, which the browser never sends."""
    page = browser_page
    page.goto(f"/signin#enrol={live.tokens['bea@example.com']}")
    page.wait_for_url("**/keys")
    assert "#" not in page.url
    assert "bea@example.com" in page.inner_text("header")
    assert all(live.tokens["bea@example.com"] not in url for _, url, _ in page.sent)
    make_browser_key(page)
    assert "rledger identity rotate bea@example.com" in page.inner_text("#enrol-commands")
