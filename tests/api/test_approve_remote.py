"""`rledger approve --server` trusts the log's key, not the server: a real server, and the
same server behind a proxy that lies (another entry, altered bytes, a proof for another
leaf, a checkpoint signed by another key). Every lie is refused and nothing is posted."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cli.main import main
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import Ed25519Signer
from tests.api.test_access import decision_json
from tests.api.test_real_server import _cli
from tests.api.test_real_server import server as server

Server = tuple[str, Path, dict[str, str]]
Lie = Callable[[httpx.Request, httpx.Response, httpx.Client], httpx.Response]
DECISION = "support-summarizer@1.1"
OTHER = "support-summarizer@0.9"


@pytest.fixture
def pending(server: Server) -> Iterator[Server]:
    """Two decisions waiting for approval, submitted by alice with `decision submit --server`
    (signed on her side), and the log key saved where the approver keeps it."""
    url, keys, tokens = server
    (keys / "log.key").write_text(_cli("--home", str(keys / "home"), "key"))
    for version in ("0.9", "1.1"):
        body = decision_json(
            "01-support-summarizer-1.1.yaml", requested_by="alice@example.com", version=version
        )
        (keys / f"{version}.json").write_text(json.dumps(body))
        out = _cli(
            *(
                "decision",
                "submit",
                str(keys / f"{version}.json"),
                "--server",
                url,
                "--token",
                tokens["alice"],
            ),
            *(
                "--log-key",
                str(keys / "log.key"),
                "--as",
                "alice@example.com",
                "--key",
                str(keys / "alice.key"),
            ),
        )
        assert f"support-summarizer@{version}: index" in out
    yield server


def _approve(url: str, keys: Path, token: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["approve", DECISION, "--server", url, "--token", token, "--as", "bob@example.com"]
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, "--key", str(keys / "bob.key"), *extra])
    return code, out.getvalue(), err.getvalue()


def _status(url: str, token: str, decision: str = DECISION) -> dict[str, Any]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        status: dict[str, Any] = client.get(f"/v1/decisions/{decision}/status").json()
        return status


def test_the_approver_sees_the_proven_decision_and_signs_its_hash(pending: Server) -> None:
    url, keys, tokens = pending
    code, out, err = _approve(url, keys, tokens["bob"], "--log-key", str(keys / "log.key"))
    assert code == 0, err
    assert f"signing an approval of {DECISION}" in out and "band" in out and "rollback to" in out
    status = _status(url, tokens["bob"])
    assert status["phase"] == "approved" and status["hash"] in out
    assert _status(url, tokens["bob"], OTHER)["phase"] == "pending_approval"
    assert "OK" in _cli("--home", str(keys / "home"), "verify")


def test_a_missing_log_key_is_refused_before_any_request(tmp_path: Path) -> None:
    _cli("identity", "keygen", "--out", str(tmp_path / "bob"))
    code, _, err = _approve("http://127.0.0.1:9", tmp_path, "a-token")
    assert code == 2 and "--log-key" in err


def test_a_log_key_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    _cli("identity", "keygen", "--out", str(tmp_path / "bob"))
    (tmp_path / "log.key").write_text("not a key\n")
    code, _, err = _approve("http://127.0.0.1:9", tmp_path, "a-token", "--log-key", str(tmp_path / "log.key"))
    assert code != 0 and "--log-key" in err and "verifier key" in err


def _other_decision(request: httpx.Request, response: httpx.Response, real: httpx.Client) -> httpx.Response:
    """The decision route names the seq of another model version's entry."""
    if request.method == "GET" and request.url.path == f"/v1/decisions/{DECISION}":
        return real.get(f"/v1/decisions/{OTHER}", headers=request.headers)
    return response


def _altered_bytes(request: httpx.Request, response: httpx.Response, real: httpx.Client) -> httpx.Response:
    """The decision's entry is re-encoded canonically with a rosier index: well formed, not in
    the log."""
    value = orjson.loads(response.content) if request.url.path.startswith("/v1/entries/") else {}
    if "assessment" in value.get("payload", {}):
        value["payload"]["assessment"]["index"] = "99"
        return httpx.Response(200, content=orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    return response


def _proof_for_another_leaf(
    request: httpx.Request, response: httpx.Response, real: httpx.Client
) -> httpx.Response:
    index = int(request.url.params.get("index", 0))
    if request.url.path == "/v1/proofs/inclusion" and index > 0:  # the decision's, not ledger.init's
        params = {"index": index - 1, "size": request.url.params["size"]}
        return real.get("/v1/proofs/inclusion", params=params, headers=request.headers)
    return response


def _checkpoint_by_another_key(
    request: httpx.Request, response: httpx.Response, real: httpx.Client
) -> httpx.Response:
    """The operator re-signs the checkpoint with a key of its own, under the log's name."""
    if request.url.path == "/v1/checkpoint":
        name = response.text.split("\n", 1)[0]  # the origin, which is the log key's name
        body = Checkpoint.parse_body(response.text[: response.text.index("\n\n") + 1])
        return httpx.Response(200, text=body.sign(Ed25519Signer.generate(name, b"\x07" * 32)))
    return response


def _lying_proxy(url: str, lie: Lie, posts: list[str]) -> Callable[..., httpx.Client]:
    """A replacement for httpx.Client whose requests reach the real server through ``lie``."""
    real_client = httpx.Client

    def handle(request: httpx.Request) -> httpx.Response:
        with real_client(base_url=url, timeout=30) as real:
            if request.method == "POST":
                posts.append(request.url.path)
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=request.content
            )
            response = real.send(forwarded)
            response.read()
            return lie(request, response, real)

    def client(**kwargs: Any) -> httpx.Client:
        return real_client(**kwargs, transport=httpx.MockTransport(handle))

    return client


@pytest.mark.parametrize(
    ("lie", "needle"),
    [
        (_other_decision, "pointed at another decision"),
        (_altered_bytes, "not in the signed checkpoint"),
        (_proof_for_another_leaf, "not in the signed checkpoint"),
        (_checkpoint_by_another_key, "checkpoint is not signed by the --log-key"),
    ],
)
def test_a_lying_server_is_refused_and_nothing_is_posted(
    pending: Server, monkeypatch: pytest.MonkeyPatch, lie: Lie, needle: str
) -> None:
    url, keys, tokens = pending
    posts: list[str] = []
    monkeypatch.setattr(httpx, "Client", _lying_proxy(url, lie, posts))
    code, out, err = _approve(url, keys, tokens["bob"], "--log-key", str(keys / "log.key"))
    monkeypatch.undo()
    assert code != 0 and needle in err and "verification FAILED" in err, err
    assert posts == [] and "signing" not in out
    assert err.count("\n") == 1
    for decision in (DECISION, OTHER):
        assert _status(url, tokens["bob"], decision)["phase"] == "pending_approval"


def test_the_log_key_must_be_the_logs(pending: Server, tmp_path: Path) -> None:
    """A valid key of another log (another origin) does not open this log's checkpoints."""
    url, keys, tokens = pending
    stranger = Ed25519Signer.generate("other.example/log", b"\x01" * 32)
    (tmp_path / "log.key").write_text(stranger.verifier_key + "\n")
    code, _, err = _approve(url, keys, tokens["bob"], "--log-key", str(tmp_path / "log.key"))
    assert code != 0 and "--log-key" in err
    assert _status(url, tokens["bob"])["phase"] == "pending_approval"
