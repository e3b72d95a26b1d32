"""HTTP API latency and throughput, and a mixed load test, against a real server on loopback.

Two measurements, both printed as ratios to a baseline taken in the same run:

- **latency**: submit, get and status under 1, 8 and 32 concurrent clients, against
  ``/healthz`` (a trivial endpoint of the same app, same server, same clients, measured just
  before at the same number of clients): p50, p99, requests/s. The table gives submit's and
  status's p50 and p99 at 32 clients as ratios to /healthz's; the target (issue 14) is
  p99 <= 5 times /healthz's, on both backends;
- **load**: N clients for S seconds mixing submits, signed approvals, reads and proofs, on
  the last database (PostgreSQL with 2+ workers is the target setup). It reports throughput,
  p50, p99 and the error count, then verifies the ledger, structure and meaning.

With ``--postgres [SERVER_URL]`` both run on SQLite and then on a fresh database created on
that PostgreSQL server (dropped afterwards), in one run; ``--skip-latency`` starts only the last.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time.

    python -m benchmarks.bench_api [--quick] [--db URL] [--postgres [URL]] [--workers N] [--load-seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_pg_append import scratch_database
from benchmarks.common import Row, environment, format_table
from governance import actions
from governance.actions import Release
from governance.formats import PERSONAL_SIGNATURES
from governance.record import DECISION_KIND
from governance.statements import sign_statement
from ledger.clock import SystemClock
from ledger.scoring.input import json_ready, parse_decision_text, parse_request, request_fields
from ledger.tlog.note import Ed25519Signer
from services.keys import write_private_key
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore

ORIGIN = "bench-api.example/log"
ADMIN, ALICE, BOB = "admin@example.com", "alice@example.com", "bob@example.com"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
P99_TARGET = 5  # p99 at 32 clients, as a multiple of /healthz's (issue 14)


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def _decision(server: Server, version: str) -> dict[str, Any]:
    """The first demo decision under ``version``, signed by its requester as a client signs one:
    over the decision's fields in normal form (docs/formats.md §4)."""
    text = (resources.files("cli.demo") / "01-support-summarizer-1.1.yaml").read_text()
    data = parse_decision_text(text)
    data.update(version=version, artifact_digest="sha256:" + os.urandom(32).hex(), requested_by=ALICE)
    body = json_ready(data)
    fields = request_fields(parse_request(body))
    signed = sign_statement(DECISION_KIND, fields, server.keys[ALICE], origin=server.origin)
    return {**body, "signature": signed["signature"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A fresh ledger, a team with tokens, and ``rledger serve`` on a free loopback port."""

    def __init__(self, db_url: str | None, workers: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="rledger-bench-api-"))
        self.db_url = db_url or sqlite_url(self.home / "ledger.db")
        ledger_key = Ed25519Signer.generate(ORIGIN, os.urandom(32))
        write_private_key(self.home / "signing.key", ledger_key)
        self.keys = {
            n: Ed25519Signer.generate("rledger-identity", os.urandom(32)) for n in (ADMIN, ALICE, BOB)
        }
        store = LedgerStore.open(self.db_url)
        service = LedgerService(store, SystemClock(), ledger_key)
        service.setup.initialize(ORIGIN, ADMIN, self.keys[ADMIN])
        for name, role in ((ALICE, "submitter"), (BOB, "ml-lead")):
            public = base64.b64encode(self.keys[name].public_key).decode()
            service.identities.add(name, [role], public, ADMIN, self.keys[ADMIN])
        expires = datetime.now(UTC) + timedelta(days=1)
        self.tokens = {n: service.tokens.issue(n, expires, ADMIN, self.keys[ADMIN])[0] for n in (ALICE, BOB)}
        state = service.state()
        self.origin = state.statement_origin()  # what statements sign over (from format 4)
        self.names_releases = state.format >= PERSONAL_SIGNATURES  # model and version in each
        store.close()
        self.url = f"http://127.0.0.1:{_free_port()}"
        port = self.url.rsplit(":", 1)[1]
        command = [
            sys.executable,
            "-m",
            "cli.main",
            "--home",
            str(self.home),
            "--db",
            self.db_url,
            "serve",
            "--port",
            port,
            "--workers",
            str(workers),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(self, http: httpx.AsyncClient, body: dict[str, Any]) -> Any:
        """POST ``body`` (from :func:`_decision`) as Alice; the request, not yet sent."""
        return http.post(f"{self.url}/v1/decisions", json=body, headers=self.headers(ALICE))

    def approval(self, decision: dict[str, Any]) -> dict[str, Any]:
        """Bob's approval of ``decision`` (a submit's answer), signed on his side."""
        named = (decision["model"], decision["version"]) if self.names_releases else (None, None)
        payload = actions.approval(Release(decision["hash"], *named), BOB, "ml-lead", "approve", "")
        return sign_statement("release.approval", payload, self.keys[BOB], origin=self.origin)


async def _timed(samples: Samples, call: Any) -> Any:
    started = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError:
        samples.errors += 1
        return None
    samples.latencies.append(time.perf_counter() - started)
    if response.status_code >= 400:
        samples.errors += 1
    return response


async def _run(clients: int, per_client: int, make_call: Any) -> Samples:
    samples = Samples()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def worker(n: int) -> None:
            for i in range(per_client):
                await _timed(samples, make_call(http, n, i))

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        samples.wall = time.perf_counter() - started
    return samples


def latency(server: Server, levels: tuple[int, ...], requests: int) -> list[Level]:
    """Submit, get and status at each number of clients, each after /healthz at the same number."""
    rows = []
    counter = iter(range(10**9))
    read = f"{server.url}/v1/decisions/support-summarizer@5.0"  # the first submit below records it
    for clients in levels:
        per = max(2, requests // clients)
        trivial = asyncio.run(_run(clients, per, lambda h, n, i: h.get(f"{server.url}/healthz")))
        # Built and signed before the clock starts: ~12 ms each, in the clients' event loop, would
        # hold up the replies of the requests in flight and count against the server.
        bodies = [_decision(server, f"5.{next(counter)}") for _ in range(clients * per)]
        submit = asyncio.run(
            _run(clients, per, lambda h, n, i, b=bodies, p=per: server.submit(h, b[n * p + i]))
        )
        get = asyncio.run(_run(clients, per, lambda h, n, i: h.get(read, headers=server.headers(BOB))))
        status = asyncio.run(
            _run(clients, per, lambda h, n, i: h.get(f"{read}/status", headers=server.headers(BOB)))
        )
        rows += [
            Level(e, clients, s, trivial) for e, s in (("submit", submit), ("get", get), ("status", status))
        ]
    return rows


@dataclass(frozen=True)
class Level:
    """One endpoint at one number of clients, and /healthz measured just before at the same number."""

    endpoint: str
    clients: int
    samples: Samples
    trivial: Samples


def table_rows(backend: str, levels: list[Level]) -> list[Row]:
    """The issue's figures: p99 (and p50, for information) of submit and status at the most
    clients, each as a ratio to /healthz's at the same number of clients, same run."""
    top = max(level.clients for level in levels)
    rows = []
    for level in levels:
        if level.clients != top or level.endpoint == "get":
            continue
        s, base = level.samples, level.trivial
        what = f"{level.endpoint} at {top} clients ({len(s.latencies)} req, {s.errors} errors)"
        p99 = s.p(0.99) / base.p(0.99)
        rows += [
            Row(
                f"api {backend}",
                f"{what}: p50",
                f"{s.p(0.5):.1f} ms",
                f"/healthz p50 {base.p(0.5):.1f} ms",
                s.p(0.5) / base.p(0.5),
            ),
            Row(
                f"api {backend}",
                f"{what}: p99",
                f"{s.p(0.99):.1f} ms",
                f"/healthz p99 {base.p(0.99):.1f} ms",
                p99,
                f"<= {P99_TARGET}",
                p99 <= P99_TARGET,
            ),
        ]
    return rows


def load(server: Server, clients: int, seconds: float) -> tuple[Samples, int]:
    """Each client loops: submit, approve (signed by bob), read it back, fetch a proof."""
    samples = Samples()
    counter = iter(range(10**9))

    async def client(http: httpx.AsyncClient, n: int, stop: float) -> None:
        while time.perf_counter() < stop:
            version = f"7.{n}.{next(counter)}"
            r = await _timed(samples, server.submit(http, _decision(server, version)))
            if r is None or r.status_code != 201:
                continue
            decision = r.json()
            statement = server.approval(decision)
            await _timed(
                samples,
                http.post(
                    f"{server.url}/v1/decisions/{decision['hash']}/approvals",
                    json=statement,
                    headers=server.headers(BOB),
                ),
            )
            await _timed(
                samples,
                http.get(f"{server.url}/v1/decisions/{decision['hash']}/status", headers=server.headers(BOB)),
            )
            await _timed(
                samples,
                http.get(
                    f"{server.url}/v1/proofs/inclusion",
                    params={"index": decision["seq"]},
                    headers=server.headers(BOB),
                ),
            )

    async def main() -> None:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as http:
            started = time.perf_counter()
            await asyncio.gather(*(client(http, n, started + seconds) for n in range(clients)))
            samples.wall = time.perf_counter() - started

    asyncio.run(main())
    store = LedgerStore.open(server.db_url)
    try:
        service = LedgerService(store, SystemClock())
        size = service.verification.verify().size
        service.verification.verify_meaning()
    finally:
        store.close()
    return samples, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        nargs="?",
        const=PG_SERVER,
        help="also run on a fresh database created on this PostgreSQL server (dropped afterwards)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--load-clients", type=int, default=32)
    parser.add_argument("--skip-latency", action="store_true", help="only the load test, on the last backend")
    args = parser.parse_args(argv)
    levels, requests = ((1, 8, 32), 64) if args.quick else ((1, 8, 32), 400)
    seconds = 5.0 if args.quick else args.load_seconds
    print(f"API benchmark, {args.workers} worker(s): {environment()}")
    rows: list[Row] = []
    failed = False
    backends = [args.db] + (["postgres"] if args.postgres else [])
    if args.skip_latency:
        backends = backends[-1:]
    for db in backends:
        seconds_here = seconds if db is backends[-1] else 0.0  # the load test runs on the last one
        with ExitStack() as stack:
            if db == "postgres":
                db = stack.enter_context(scratch_database(args.postgres, f"rledger_bench_{os.getpid()}"))
            section, ok = _measure(args, levels, requests, seconds_here, db)
        rows += section
        failed = failed or not ok
    if rows:
        print()
        print(format_table(rows))
    print(f"end: {environment()}")
    return 1 if failed else 0


def _measure(
    args: argparse.Namespace, levels: tuple[int, ...], requests: int, seconds: float, db: str | None
) -> tuple[list[Row], bool]:
    """Latency (unless skipped) and, for ``seconds`` > 0, the load test on one fresh ledger.
    Returns the table rows and whether every request succeeded."""
    server = Server(db, args.workers)
    try:
        backend = "PostgreSQL" if server.db_url.startswith("postgresql") else "SQLite"
        print(f"\n{backend}:")
        rows: list[Row] = []
        errors = 0
        if not args.skip_latency:
            print(
                f"{'endpoint':<8} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6}"
                f"   vs /healthz: {'p50 x':>6} {'p99 x':>6} {'rate x':>6}"
            )
            measured = latency(server, levels, requests)
            for level in measured:
                s, base = level.samples, level.trivial
                errors += s.errors
                print(
                    f"{level.endpoint:<8} {level.clients:>7} {s.p(0.5):>8.2f} {s.p(0.99):>8.2f} "
                    f"{s.rate:>8.1f} {s.errors:>6}   {s.p(0.5) / base.p(0.5):>13.2f} "
                    f"{s.p(0.99) / base.p(0.99):>6.2f} {s.rate / base.rate:>6.3f}",
                    flush=True,
                )
            rows = table_rows(backend, measured)
        if seconds > 0:
            samples, size = load(server, args.load_clients, seconds)
            errors += samples.errors
            print(
                f"load: {args.load_clients} clients x {seconds:.0f} s mixing submit/approve/status/proof: "
                f"{len(samples.latencies)} requests, {samples.rate:.1f} req/s, p50 {samples.p(0.5):.1f} ms, "
                f"p99 {samples.p(0.99):.1f} ms, errors {samples.errors}; ledger of {size} entries verifies "
                "(structure and meaning)",
                flush=True,
            )
        return rows, errors == 0
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
