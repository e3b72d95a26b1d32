"""Every write command through `--server`: signed here with the user's key, checked against
the log's key, never trusting the server. The server is the API on a team ledger whose clock
the test controls (tests/api/conftest.py), reached through a bridge that counts the POSTs
and can be made to lie."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.main import main
from governance.statements import check_statement
from ledger.tlog.entry import Entry
from ledger.tlog.note import Ed25519Signer
from policies.loader import default_policy_path
from services.keys import PERSONAL_KEY_NAME, write_key_pair, write_private_key
from tests.api.conftest import Api
from tests.api.conftest import api as api
from tests.api.test_access import decision_json
from tests.governance.conftest import ADMIN, TEAM
from tests.governance.conftest import team as team

ALICE, BOB, RITA, FRANK = "alice@example.com", "bob@example.com", "rita@example.com", "frank@example.com"
DECISION = "support-summarizer@1.1"
URL = "http://testserver"
Lie = Callable[[httpx.Request, httpx.Response], httpx.Response]


def _honest(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    return response


@dataclass
class Remote:
    """The API behind ``URL``, and the files a user of `--server` keeps: keys and the log key."""

    api: Api
    home: Path
    posts: list[str] = field(default_factory=list)
    lie: Lie = _honest

    def run(self, *args: str, who: str, token_of: str | None = None, log_key: Path | None = None) -> Result:
        """``rledger ARGS --server URL`` as ``who`` (with ``token_of``'s token, default theirs)."""
        options = ["--server", URL, "--token", self.api.tokens[token_of or who]]
        options += ["--log-key", str(log_key or self.home / "log.key")]
        options += ["--as", who, "--key", str(self.home / f"{who}.key")]
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([*args, *options])
        return Result(code, out.getvalue(), err.getvalue())

    def recorded(self, result: Result) -> Entry:
        """The entry the command says it recorded, read from the ledger itself."""
        assert result.code == 0, result.err
        seq = int(result.out.split("recorded entry ")[1].split()[0])
        data = self.api.team.store.entry(seq)
        assert data is not None
        return Entry.parse(data)

    def signed_by(self, result: Result, who: str, key: Ed25519Signer | None = None) -> Entry:
        """The recorded entry, whose signature must verify under ``who``'s key (and no other)."""
        entry = self.recorded(result)
        origin = self.api.team.service.state().statement_origin()
        assert origin == self.api.team.ledger_key.name  # format 4: signatures cover the log's origin
        check_statement(
            entry.kind, entry.payload, (key or self.api.team.key(who)).public_key, who, origin=origin
        )
        return entry


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def _bridge(remote: Remote) -> Callable[..., httpx.Client]:
    """A replacement for httpx.Client whose requests reach the API's TestClient (which runs on
    another HTTP library) through ``remote.lie``."""
    real_client = httpx.Client

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            remote.posts.append(request.url.path)
        forwarded = ("authorization", "content-type", "idempotency-key")
        headers = {k: v for k, v in request.headers.items() if k in forwarded}
        answer = remote.api.client.request(
            request.method, str(request.url), headers=headers, content=request.content
        )
        content_type = {"content-type": answer.headers.get("content-type", "application/octet-stream")}
        return remote.lie(
            request, httpx.Response(answer.status_code, headers=content_type, content=answer.content)
        )

    def client(**kwargs: Any) -> httpx.Client:
        return real_client(**kwargs, transport=httpx.MockTransport(handle))

    return client


@pytest.fixture
def remote(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Remote]:
    for name in [ADMIN, *TEAM]:
        write_private_key(tmp_path / f"{name}.key", api.team.key(name))
    (tmp_path / "log.key").write_text(api.team.ledger_key.verifier_key + "\n")
    connection = Remote(api, tmp_path)
    monkeypatch.setattr(httpx, "Client", _bridge(connection))
    yield connection


def _decision_file(remote: Remote, version: str = "1.1") -> Path:
    path = remote.home / f"decision-{version}.json"
    body = decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE, version=version)
    path.write_text(json.dumps(body))
    return path


def _submitted(remote: Remote, version: str = "1.1") -> Entry:
    result = remote.run("decision", "submit", str(_decision_file(remote, version)), who=ALICE)
    assert "signing the release.decision request for support-summarizer" in result.out
    assert "band yellow, tier medium" in result.out
    return remote.signed_by(result, ALICE)


def _verified(remote: Remote) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--db", f"sqlite:///{remote.api.team.db}", "verify"])
    assert code == 0 and "every entry was allowed" in out.getvalue(), out.getvalue()


def test_a_release_from_request_to_rollback_is_signed_by_each_person(remote: Remote) -> None:
    decision = _submitted(remote)
    leaf = decision.leaf_hash.hex()
    approval = remote.signed_by(remote.run("approve", DECISION, "--comment", "ok", who=BOB), BOB)
    assert approval.payload["decision"] == leaf and approval.payload["role"] == "ml-lead"
    assert (approval.payload["model"], approval.payload["version"]) == ("support-summarizer", "1.1")
    started = remote.run("canary", "start", DECISION, who=ALICE)
    assert f"signing a canary start of {DECISION}" in started.out
    assert remote.signed_by(started, ALICE).kind == "release.canary_started"
    remote.api.team.clock.advance(timedelta(hours=24))  # the medium tier's canary window
    summary = remote.home / "summary.yaml"
    summary.write_text("error_rate: 0.01\np99_latency_ms: 900\nlive_index: 104\n")
    result = remote.run("canary", "result", DECISION, "--pass", "--summary", str(summary), who=ALICE)
    assert remote.signed_by(result, ALICE).payload["summary"]["error_rate"] == "0.01"
    promoted = remote.signed_by(remote.run("promote", DECISION, who=RITA), RITA)
    assert promoted.payload["supersedes"] is None
    assert promoted.payload["policy_sha256"] == decision.payload["policy"]["sha256"]
    back = remote.run("rollback", DECISION, "--to", "1.0", "--reason", "latency", who=RITA)
    assert remote.signed_by(back, RITA).payload["to_version"] == "1.0"
    assert remote.posts == [
        "/v1/decisions",
        *(
            f"/v1/decisions/{leaf}/{r}"
            for r in ("approvals", "canary", "canary/result", "promote", "rollback")
        ),
    ]
    _verified(remote)


def test_people_and_policy_are_signed_by_the_admin(remote: Remote) -> None:
    keys = [Ed25519Signer.generate(PERSONAL_KEY_NAME, bytes([n]) * 32) for n in (60, 61)]
    for n, key in enumerate(keys):
        write_key_pair(remote.home / f"frank{n}", key)
    added = remote.run(
        "identity",
        "add",
        FRANK,
        "--roles",
        "submitter",
        "--public-key",
        str(remote.home / "frank0.pub"),
        who=ADMIN,
    )
    assert "signing identity.added as admin@example.com" in added.out and "roles" in added.out
    assert remote.signed_by(added, ADMIN).payload["name"] == FRANK
    rotated = remote.run(
        "identity", "rotate", FRANK, "--public-key", str(remote.home / "frank1.pub"), who=ADMIN
    )
    assert remote.signed_by(rotated, ADMIN).kind == "identity.key_rotated"
    assert (
        remote.signed_by(remote.run("identity", "revoke", FRANK, who=ADMIN), ADMIN).kind == "identity.revoked"
    )
    policy = remote.home / "policy.yaml"
    policy.write_text(default_policy_path().read_text().replace('version: "2"', 'version: "3"', 1))
    adopted = remote.run("policy", "adopt", str(policy), who=ADMIN)
    assert "text: (" in adopted.out  # the policy's text is shown by its length, not in full
    assert remote.signed_by(adopted, ADMIN).payload["version"] == "3"
    assert remote.api.team.service.state().active_policy.policy.version == "3"
    assert [p.rsplit("/", 1)[-1] for p in remote.posts] == ["identities", "rotate", "revoke", "policy"]
    _verified(remote)


def _another_key_same_name(remote: Remote) -> Path:
    stranger = Ed25519Signer.generate(remote.api.team.ledger_key.name, b"\x07" * 32)
    path = remote.home / "stranger.key"
    path.write_text(stranger.verifier_key + "\n")
    return path


def _another_log(remote: Remote) -> Path:
    path = remote.home / "other-log.key"
    path.write_text(Ed25519Signer.generate("other.example/log", b"\x01" * 32).verifier_key + "\n")
    return path


@pytest.mark.parametrize(
    ("log_key", "needle"),
    [(_another_key_same_name, "not signed by the --log-key"), (_another_log, "--log-key")],
)
def test_a_wrong_log_key_is_refused_and_nothing_is_posted(
    remote: Remote, log_key: Callable[[Remote], Path], needle: str
) -> None:
    before = remote.api.snapshot()
    for args, who in [
        (("decision", "submit", str(_decision_file(remote))), ALICE),
        (("canary", "start", DECISION), ALICE),
        (("identity", "revoke", BOB), ADMIN),
    ]:
        result = remote.run(*args, who=who, log_key=log_key(remote))
        assert result.code == 3 and needle in result.err and "verification FAILED" in result.err, result.err
        assert "signing" not in result.out
    assert remote.posts == [] and remote.api.snapshot() == before


def _other_decision(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """The decision route names the seq of another version's entry (and may hash-prefix it)."""
    if request.method == "GET" and request.url.path == f"/v1/decisions/{DECISION}":
        value = response.json()
        return httpx.Response(200, json={**value, "seq": value["seq"] + 1})
    return response


def _context_of_another_log(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if request.url.path == "/v1/statements/context":
        return httpx.Response(200, json={**response.json(), "origin": "other.example/log"})
    return response


def _context_of_format_3(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """The server claims an older format, to get a signature that names no log."""
    if request.url.path == "/v1/statements/context":
        return httpx.Response(200, json={**response.json(), "format": 3, "sign_over_origin": None})
    return response


@pytest.mark.parametrize(
    ("lie", "needle"),
    [
        (_other_decision, "pointed at another decision"),
        (_context_of_another_log, "names another log than the --log-key"),
        (_context_of_format_3, "disagrees with the log's ledger.init on the format"),
    ],
)
def test_a_lying_server_is_refused_before_anything_is_posted(remote: Remote, lie: Lie, needle: str) -> None:
    _submitted(remote)
    _submitted(remote, "1.2")  # the entry after 1.1's: what _other_decision points at
    remote.posts.clear()
    before = remote.api.snapshot()
    remote.lie = lie
    for args in [("canary", "start", DECISION), ("promote", DECISION), ("approve", DECISION)]:
        result = remote.run(*args, who=BOB if args[0] == "approve" else RITA)
        assert result.code == 3 and needle in result.err, result.err
        assert "signing" not in result.out and result.err.count("\n") == 1
    assert remote.posts == [] and remote.api.snapshot() == before


def test_a_wrong_supersedes_from_the_server_gets_the_promotion_refused(remote: Remote) -> None:
    _submitted(remote)
    remote.run("approve", DECISION, who=BOB)

    def claims_a_production_version(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/status"):
            return httpx.Response(200, json={**response.json(), "supersedes": "0.1"})
        return response

    remote.lie = claims_a_production_version
    before = remote.api.snapshot()
    result = remote.run("promote", DECISION, "--break-glass", "--reason", "incident", who="dave@example.com")
    assert result.code != 0 and "supersedes" in result.err, result.err
    assert remote.api.snapshot() == before


def test_signing_as_someone_else_than_the_token_is_refused_with_the_servers_detail(remote: Remote) -> None:
    _submitted(remote)
    before = remote.api.snapshot()
    result = remote.run("canary", "start", DECISION, who=BOB, token_of=ALICE)
    assert (
        result.code == 1
        and "403" in result.err
        and f"the statement is {BOB}'s; you are {ALICE}" in result.err
    )
    assert "Traceback" not in result.err and remote.api.snapshot() == before


def test_an_unreachable_server_is_one_line(remote: Remote, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuses(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    remote.lie = refuses
    result = remote.run("identity", "revoke", BOB, who=ADMIN)
    assert result.code == 1 and result.err == f"error: cannot reach {URL}: connection refused\n"


def test_server_needs_a_token_and_a_log_key(tmp_path: Path) -> None:
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(
            ["canary", "start", DECISION, "--server", URL, "--token", "t", "--as", ALICE, "--key", "k"]
        )
    assert code == 2 and "--log-key" in err.getvalue()


def test_a_retried_submission_with_its_idempotency_key_records_once(remote: Remote) -> None:
    """A CI job run twice with its build id: the second run gets the first answer, and the
    ledger holds one decision."""
    path = str(_decision_file(remote))
    size = remote.api.team.store.size()
    first = remote.run("decision", "submit", path, "--idempotency-key", "build-1234", who=ALICE)
    again = remote.run("decision", "submit", path, "--idempotency-key", "build-1234", who=ALICE)
    assert first.code == 0 and again.code == 0, again.err
    assert remote.recorded(first).seq == remote.recorded(again).seq == size
    assert remote.api.team.store.size() == size + 1
    duplicate = remote.run("decision", "submit", path, who=ALICE)  # no key: the ledger refuses a twin
    assert duplicate.code != 0 and "already" in duplicate.err, duplicate.err
