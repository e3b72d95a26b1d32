"""The witness over HTTP: ``POST /add-checkpoint`` as https://c2sp.org/tlog-witness names it.

Plain-text bodies both ways. The answer is decided by ``ledger.witness.decide.decide`` inside
the state's write transaction (``store.witness_state.WitnessState.update``), so the check of
the old size and the record of the new checkpoint are one atomic, durable step, and the
cosignature leaves only after the record is on disk. ``GET /healthz`` says the process is up.

``rledger witness serve`` validates its options, then hands uvicorn the string
``"witness_server.app:app_from_environment"`` with the configuration in the environment
(the CLI and this package are two doors side by side: neither imports the other).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from ledger.clock import Clock, clock_from_environment
from ledger.errors import InputError
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.note import Verifier
from ledger.witness.decide import Answer, LogState, decide, log_keys, origin_of
from ledger.witness.request import MAX_BODY_BYTES, BadRequest, parse_add_checkpoint
from services.keys import read_private_key
from store.witness_state import WitnessState

KEY_VARIABLE = "RLEDGER_WITNESS_KEY"
LOGS_VARIABLE = "RLEDGER_WITNESS_LOGS"
STATE_VARIABLE = "RLEDGER_WITNESS_STATE"


@dataclass(frozen=True)
class Witness:
    logs: Mapping[str, Sequence[Verifier]]
    cosigner: Cosigner
    state: WitnessState
    clock: Clock

    def add_checkpoint(self, body: bytes) -> Answer:
        """Parse, decide and record: the whole add-checkpoint exchange but the HTTP framing."""
        try:
            request = parse_add_checkpoint(body)
        except BadRequest as exc:
            return Answer(400, f"{exc}\n")
        origin = origin_of(request)
        if origin is None or origin not in self.logs:
            # 400 or 404: decided without the state, which is never touched for them.
            return decide(request, self.logs, None, self.cosigner, self._now())

        def under_lock(recorded: LogState | None) -> tuple[Answer, LogState | None]:
            answer = decide(request, self.logs, recorded, self.cosigner, self._now())
            return answer, answer.new_state

        return self.state.update(origin, under_lock)

    def _now(self) -> int:
        return int(self.clock.now().timestamp())


async def _read_limited(request: Request) -> bytes | None:
    """The body, or None once it is over the limit (read no further)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(witness: Witness) -> FastAPI:
    app = FastAPI(title="Release Ledger witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await _read_limited(request)
        if body is None:
            return PlainTextResponse(f"the request body is over {MAX_BODY_BYTES} bytes\n", status_code=413)
        # SQLite and Ed25519 block: run them off the event loop.
        answer = await run_in_threadpool(witness.add_checkpoint, body)
        # The header exactly as decided: Starlette would add a charset to text/x.tlog.size.
        return Response(answer.body.encode(), answer.status, headers={"Content-Type": answer.content_type})

    @app.get("/healthz")
    async def healthz() -> Response:
        return PlainTextResponse("ok\n")

    return app


def witness_from(key_file: Path, log_texts: Sequence[str], state_file: Path, clock: Clock) -> Witness:
    """Load a witness; raises a LedgerError naming the bad key file, log key or state file."""
    cosigner = Cosigner(read_private_key(key_file))
    logs = log_keys(log_texts)
    if not logs:
        raise InputError("a witness needs at least one log key")
    return Witness(logs, cosigner, WitnessState(state_file), clock)


def app_from_environment() -> FastAPI:
    """The app uvicorn builds from the environment ``rledger witness serve`` sets."""
    environ = os.environ
    for name in (KEY_VARIABLE, LOGS_VARIABLE, STATE_VARIABLE):
        if not environ.get(name):
            raise InputError(f"{name} is not set; start the witness with `rledger witness serve`")
    logs = [line for line in environ[LOGS_VARIABLE].splitlines() if line.strip()]
    witness = witness_from(
        Path(environ[KEY_VARIABLE]), logs, Path(environ[STATE_VARIABLE]), clock_from_environment(environ)
    )
    return create_app(witness)
