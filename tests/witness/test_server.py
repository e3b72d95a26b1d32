"""`rledger witness serve` over real HTTP on loopback: every status, races across processes,
and SIGKILLs in the middle of a stream of requests."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Ed25519Signer, SignatureError
from tests.witness.helpers import ORIGIN, WITNESS_KEY, Tree, body, leaves, request_for, seed
from tests.witness.server import CLOCK, WitnessProcess

VERIFIER = Cosigner(WITNESS_KEY).verifier
TREE = Tree(leaves(1500))
FORK = Tree(leaves(1500, "forked"))


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[WitnessProcess]:
    process = WitnessProcess(tmp_path, tmp_path / "state.db")
    yield process
    process.stop()


def _post(url: str, content: bytes, client: httpx.Client | None = None) -> httpx.Response:
    return (client or httpx).post(f"{url}/add-checkpoint", content=content, timeout=10)


def _cosigned_size(response: httpx.Response, expected: int) -> int:
    """Check a 200 and its cosignature on the tree's checkpoint of the expected size."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert _cosigned_root(response.text, expected) == TREE.root(expected)
    return expected


def test_every_answer_over_http(witness: WitnessProcess) -> None:
    url = witness.url
    assert _post(url, b"old x\n\n").status_code == 400
    stranger = Ed25519Signer.generate("stranger.example/log", seed("stranger"))
    assert _post(url, body(0, [], TREE.checkpoint(3, stranger, "stranger.example/log"))).status_code == 404
    impostor = Ed25519Signer.generate(ORIGIN, seed("impostor"))
    assert _post(url, body(0, [], TREE.checkpoint(3, impostor))).status_code == 403
    assert _post(url, body(4, [], TREE.checkpoint(3))).status_code == 400

    first = _post(url, request_for(TREE, 0, 5))
    assert _cosigned_size(first, 5) == 5
    assert VERIFIER.verify(first.text, Checkpoint(ORIGIN, 5, TREE.root(5)).body()) == int(
        datetime.fromisoformat(CLOCK).timestamp()
    )

    stale = _post(url, request_for(TREE, 0, 9))
    assert (stale.status_code, stale.text) == (409, "5\n")
    assert stale.headers["content-type"] == "text/x.tlog.size"
    assert _post(url, body(5, [], FORK.checkpoint(5))).status_code == 409  # same size, other root
    assert _post(url, body(5, TREE.proof(5, 9), FORK.checkpoint(9))).status_code == 422
    assert _post(url, body(5, FORK.proof(5, 9), FORK.checkpoint(9))).status_code == 422
    # The refusals changed nothing: the witness still extends its size 5 and only it.
    assert _cosigned_size(_post(url, request_for(TREE, 5, 9)), 9) == 9
    assert httpx.get(f"{url}/add-checkpoint").status_code == 405
    assert _post(url, b"old 0\n\n" + b"x" * 70_000).status_code == 413


def test_racing_requests_to_two_processes_on_one_state_never_both_succeed(tmp_path: Path) -> None:
    """The spec's race, across processes: each round, requests from the same old size to
    different new sizes, sent at once to two witness processes sharing one state file."""
    servers = [WitnessProcess(tmp_path, tmp_path / "state.db") for _ in range(2)]
    try:
        size, clients = 0, [httpx.Client(timeout=20) for _ in range(8)]
        for _ in range(8):
            targets = list(range(size + 1, size + 9))
            statuses: dict[int, httpx.Response] = {}
            barrier = threading.Barrier(len(targets))

            def send(
                n: int,
                new: int,
                old: int = size,
                barrier: threading.Barrier = barrier,
                statuses: dict[int, httpx.Response] = statuses,
            ) -> None:
                barrier.wait()
                statuses[new] = _post(servers[n % 2].url, request_for(TREE, old, new), clients[n])

            threads = [threading.Thread(target=send, args=(n, new)) for n, new in enumerate(targets)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(statuses) == len(targets)
            winners = [new for new, response in statuses.items() if response.status_code == 200]
            assert len(winners) == 1, {new: r.status_code for new, r in statuses.items()}
            assert {r.text for r in statuses.values() if r.status_code != 200} <= {f"{winners[0]}\n"}
            assert _cosigned_size(statuses[winners[0]], winners[0]) == winners[0]
            size = winners[0]
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.stop()


class _Sender:
    """Sends a stream of requests, honest ones and forks, and records every cosignature."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.known = 0  # the size the sender believes the witness holds
        self.cosigned: list[tuple[int, bytes]] = []  # (size, root cosigned), in the order received
        self.errors: list[BaseException] = []  # what went wrong in the thread, for the test to raise

    def run(self, url: str, stop: threading.Event) -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    self._one(url, client)
                except httpx.HTTPError:
                    return  # the witness was killed
                except BaseException as exc:
                    self.errors.append(exc)
                    return

    def _one(self, url: str, client: httpx.Client) -> None:
        new = min(self.known + self.rng.randint(0, 3), TREE.size)
        fork = self.rng.random() < 0.25 and self.known > 0
        source = FORK if fork else TREE
        response = _post(url, body(self.known, source.proof(self.known, new), source.checkpoint(new)), client)
        if response.status_code == 200:
            self.cosigned.append((new, _cosigned_root(response.text, new)))
            self.known = new
        elif response.status_code == 409 and response.headers["content-type"] == "text/x.tlog.size":
            self.known = int(response.text)
        elif not (fork and response.status_code in (409, 422)):
            raise AssertionError(f"unexpected {response.status_code} {response.text!r}")


def _cosigned_root(line: str, size: int) -> bytes:
    """Which root of that size the cosignature covers: the real tree's or the fork's."""
    for tree in (TREE, FORK):
        root = tree.root(size)
        try:
            VERIFIER.verify(line, Checkpoint(ORIGIN, size, root).body())
        except SignatureError:
            continue
        return root
    raise AssertionError(f"the cosignature covers neither root of size {size}")


def _recorded_size(url: str) -> int:
    response = _post(url, body(0, [], TREE.checkpoint(0)))
    return 0 if response.status_code == 200 else int(response.text)


@pytest.mark.slow
def test_sigkill_mid_stream_never_forks_or_rolls_back(tmp_path: Path) -> None:
    rng = random.Random(12)
    sender = _Sender(rng)
    for _ in range(5):
        server = WitnessProcess(tmp_path, tmp_path / "state.db")
        try:
            recorded = _recorded_size(server.url)
            # After a restart the witness holds at least everything it ever cosigned.
            assert recorded >= max((size for size, _ in sender.cosigned), default=0)
            sender.known = recorded
            stop = threading.Event()
            thread = threading.Thread(target=sender.run, args=(server.url, stop))
            thread.start()
            time.sleep(rng.uniform(0.3, 1.0))
        finally:
            server.process.kill()  # SIGKILL, wherever the requests are
            server.stop()
        stop.set()
        thread.join(timeout=30)
    assert sender.errors == []
    sizes = [size for size, _ in sender.cosigned]
    assert len(sizes) > 20, "the stream was too short to mean anything"
    assert sizes == sorted(sizes), "the witness cosigned a smaller size after a larger one"
    roots: dict[int, set[bytes]] = {}
    for size, root in sender.cosigned:
        roots.setdefault(size, set()).add(root)
    assert all(cosigned == {TREE.root(size)} for size, cosigned in roots.items()), "a fork was cosigned"
