"""The witness's answer to an add-checkpoint request (https://c2sp.org/tlog-witness).

``decide`` is pure: it gets the parsed request, the logs the witness is configured for, the
last (size, root hash) the witness recorded for the checkpoint's origin, the witness's key and
the time, and returns the HTTP status, the body and, on success only, the state to record.
The caller must read the state and record the new one in one atomic step (the spec's race),
and must record it before it sends the cosignature.

Statuses, in the order the checks run:

- 400: the checkpoint is malformed, or the old size is larger than the checkpoint's size;
- 404: the witness is not configured for the checkpoint's origin;
- 403: no signature on the checkpoint verifies under a key configured for that origin;
- 409: the old size is not the size the witness recorded (0 if none); the body is that size
  and a newline, Content-Type ``text/x.tlog.size``. Also 409 for the same size with another root;
- 422: the consistency proof does not verify (or is not empty from size 0 or between equal sizes);
- 200: one cosignature/v1 line (ledger.tlog.cosignature).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.errors import FormatError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.merkle import EMPTY_ROOT, ProofError, verify_consistency
from ledger.tlog.note import SignatureError, Verifier, open_note
from ledger.witness.request import AddCheckpoint

SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class LogState:
    """What the witness keeps per origin: the latest checkpoint it cosigned."""

    size: int
    root: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT_CONTENT_TYPE
    new_state: LogState | None = None  # set on 200 only: record it before answering


def log_keys(texts: Iterable[str]) -> dict[str, list[Verifier]]:
    """Parse the logs' verifier keys into origin -> keys; the origin is the key name.

    A ledger's checkpoints are signed by a key named after its origin (docs/formats.md §7).
    Raises FormatError on a key that does not parse.
    """
    logs: dict[str, list[Verifier]] = {}
    for text in texts:
        verifier = Verifier.parse(text)
        keys = logs.setdefault(verifier.name, [])
        if verifier not in keys:
            keys.append(verifier)
    return logs


def _refuse(status: int, problem: str) -> Answer:
    return Answer(status, problem + "\n")


def _conflict(recorded: int) -> Answer:
    return Answer(409, f"{recorded}\n", SIZE_CONTENT_TYPE)


def _signed_checkpoint(note: str, keys: Sequence[Verifier]) -> Checkpoint | None:
    """The checkpoint if some configured key signed it; None if none did."""
    for verifier in keys:
        try:
            return Checkpoint.parse_body(open_note(note, verifier))
        except SignatureError:
            continue
    return None


def _body_of(note: str) -> str:
    split = note.find("\n\n")
    if split < 0:
        raise FormatError("a signed checkpoint needs an empty line between its text and signatures")
    return note[: split + 1]


def decide(
    request: AddCheckpoint,
    logs: Mapping[str, Sequence[Verifier]],
    recorded: LogState | None,
    cosigner: Cosigner,
    now_seconds: int,
) -> Answer:
    """Answer ``request`` for a witness whose record for the origin is ``recorded``.

    ``recorded`` must be the record of the origin of ``request``'s checkpoint: callers that
    look it up first use ``origin_of``.
    """
    try:
        body = _body_of(request.note)
        claimed = Checkpoint.parse_body(body)
    except FormatError as exc:
        return _refuse(400, f"malformed checkpoint: {exc}")
    keys = logs.get(claimed.origin)
    if not keys:
        return _refuse(404, f"unknown log origin {claimed.origin!r}")
    try:
        checkpoint = _signed_checkpoint(request.note, keys)
    except FormatError as exc:
        return _refuse(400, f"malformed checkpoint: {exc}")
    if checkpoint is None:
        return _refuse(403, f"no signature by a key of {claimed.origin} verifies on the checkpoint")
    if request.old_size > checkpoint.size:
        return _refuse(
            400, f"old size {request.old_size} is larger than the checkpoint size {checkpoint.size}"
        )
    current = recorded.size if recorded is not None else 0
    if request.old_size != current:
        return _conflict(current)
    problem = _inconsistency(request, checkpoint, recorded)
    if problem is not None:
        return problem
    line = cosigner.cosign(body, now_seconds)
    return Answer(200, line, TEXT_CONTENT_TYPE, LogState(checkpoint.size, checkpoint.root))


def _inconsistency(
    request: AddCheckpoint, checkpoint: Checkpoint, recorded: LogState | None
) -> Answer | None:
    """The 409 or 422 when ``checkpoint`` does not extend ``recorded``; None when it does."""
    if recorded is not None and recorded.size == checkpoint.size and recorded.root != checkpoint.root:
        return _conflict(recorded.size)
    if request.old_size == 0:
        if request.proof:
            return _refuse(422, "the consistency proof must be empty from old size 0")
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            return _refuse(422, "a tree of size 0 has the empty root")
        return None
    assert recorded is not None  # old_size == recorded size > 0
    try:
        verify_consistency(recorded.size, checkpoint.size, recorded.root, checkpoint.root, request.proof)
    except ProofError as exc:
        return _refuse(422, f"consistency proof does not verify: {exc}")
    return None


def origin_of(request: AddCheckpoint) -> str | None:
    """The origin line the checkpoint claims (unverified), to look its record up; None if malformed."""
    try:
        return Checkpoint.parse_body(_body_of(request.note)).origin
    except FormatError:
        return None
