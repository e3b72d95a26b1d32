"""``rledger decision submit`` with many files, a directory or JSON Lines: one append, or one per file.

Every decision is read and checked first, so a batch with one bad file records nothing and
each refusal names its file (or ``FILE line N`` of a ``.jsonl`` file). Then all go in one
append, one transaction and one checkpoint (services.decisions.Decisions.submit_many), or,
with ``--keep-going``, each in its own append with one result line each. A progress bar
shows on a terminal (cli.progress); result lines go to stdout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from cli.context import Actor, AppContext
from cli.progress import progress_bar, shows_progress
from cli.remote_statements import ServerLink, Session, connected
from governance.record import DECISION_KIND
from ledger.errors import BatchError, InputError, LedgerError, RefusedError
from ledger.scoring.input import load_decision_file, parse_decision_text, parse_request, request_fields
from services.decisions import BatchItem, RecordedDecision

DECISION_SUFFIXES = (".yaml", ".yml", ".json")
JSON_LINES_SUFFIX = ".jsonl"
SERVER_BATCH_LIMIT = 500  # POST /v1/decisions/batch takes at most this many (api.schemas.MAX_BATCH)


def is_batch(paths: Sequence[Path]) -> bool:
    """Whether the arguments make a batch; one plain decision file is the single submit."""
    return len(paths) != 1 or paths[0].is_dir() or paths[0].suffix.lower() == JSON_LINES_SUFFIX


def read_batch(paths: Sequence[Path]) -> list[BatchItem]:
    """The decisions ``paths`` hold, in order: a directory gives its *.yaml, *.yml and *.json
    files sorted by name, a ``.jsonl`` file one decision per non-blank line, any other file
    one decision. A file that does not read becomes an item carrying its error, so every
    problem is reported together. Raises InputError for a directory or ``.jsonl`` file with
    no decisions in it."""
    items: list[BatchItem] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in DECISION_SUFFIXES and p.is_file())
            if not files:
                raise InputError(f"directory {path} holds no *.yaml, *.yml or *.json decision files")
            items.extend(_read_file(p) for p in files)
        elif path.suffix.lower() == JSON_LINES_SUFFIX:
            items.extend(_read_json_lines(path))
        else:
            items.append(_read_file(path))
    return items


def _read_file(path: Path) -> BatchItem:
    try:
        return BatchItem(str(path), load_decision_file(path))
    except LedgerError as exc:
        return BatchItem(str(path), None, unreadable=exc)


def _read_json_lines(path: Path) -> list[BatchItem]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"decision file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read decision file {path}: {exc}") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            items.append(BatchItem(where, parse_decision_text(line, json_format=True)))
        except LedgerError as exc:
            items.append(BatchItem(where, None, unreadable=exc))
    if not items:
        raise InputError(f"{path} holds no decisions (one JSON object per line)")
    return items


def submit_local(
    app: AppContext,
    actor: Actor,
    items: list[BatchItem],
    keep_going: bool,
    summary: Callable[[RecordedDecision], str],
) -> None:
    """Record ``items`` in the local ledger: all in one append, or each alone with ``keep_going``."""
    decisions = app.service(writing=True).decisions
    if not keep_going:
        with progress_bar(len(items), "checking decisions") as tick:
            recorded = decisions.submit_many(items, actor.name, actor.key, progress=tick)
        for item, done in zip(items, recorded, strict=True):
            click.echo(f"{item.where}: {_recorded_text(done)}; {summary(done)}")
        click.echo(
            f"recorded {len(recorded)} decisions in one transaction "
            f"(entries {recorded[0].ref.seq} to {recorded[-1].ref.seq})"
        )
        return

    def one(item: BatchItem) -> str:
        if item.unreadable is not None:
            raise item.unreadable
        recorded = decisions.submit(item.data, actor.name, actor.key)
        return f"{_recorded_text(recorded)}; {summary(recorded)}"

    _each(app, items, one)


def _recorded_text(recorded: RecordedDecision) -> str:
    return f"recorded entry {recorded.ref.seq}, hash {recorded.ref.leaf_hex}"


def _each(app: AppContext, items: list[BatchItem], one: Callable[[BatchItem], str]) -> None:
    """``one`` on every item, a result line each (after the bar, on a terminal), then exit 1
    naming the count if any failed; the others stay recorded."""
    lines: list[str] = []
    emit = lines.append if shows_progress(len(items)) else click.echo
    failed = 0
    with progress_bar(len(items), "submitting decisions") as tick:
        for done, item in enumerate(items, start=1):
            try:
                emit(f"{item.where}: {one(item)}")
            except LedgerError as exc:
                failed += 1
                emit(f"{item.where}: FAILED: {exc}")
            tick(done)
    for line in lines:
        click.echo(line)
    click.echo(f"recorded {len(items) - failed} of {len(items)} decisions; {failed} failed")
    if failed:
        app.witness_report()  # the recorded ones' checkpoint, as after any write
        raise InputError(f"{failed} of {len(items)} decisions failed (listed above); the others are recorded")


def submit_remote(
    app: AppContext, remote: ServerLink, actor: Actor, items: list[BatchItem], keep_going: bool
) -> None:
    """Sign every decision here and send them to the server: one ``POST /v1/decisions/batch``
    (all or nothing, at most SERVER_BATCH_LIMIT), or one ``POST /v1/decisions`` each."""
    if not keep_going:
        if len(items) > SERVER_BATCH_LIMIT:
            raise InputError(
                f"{len(items)} decisions; the server takes at most {SERVER_BATCH_LIMIT} in one "
                "all-or-nothing batch: split them, or use --keep-going to send them one by one"
            )
        fields = _checked_fields(items, actor)  # every file checked before connecting
    with connected(remote) as session:
        click.echo(
            f"signing {len(items)} release.decision requests as {actor.name} for {session.signed_for()} "
            "(the server scores them)"
        )
        if keep_going:
            _each(app, items, lambda item: _post_one(session, actor, item, remote))
            return
        bodies = [session.sign(actor, DECISION_KIND, one) for one in fields]
        answer = _post_batch(session, bodies, items)
    for item, row in zip(items, answer["items"], strict=True):
        click.echo(
            f"{item.where}: recorded entry {row.get('seq')} on {remote.url}, hash {row.get('hash')}; "
            f"{row.get('model')}@{row.get('version')}: index {row.get('index')}, band {row.get('band')}, "
            f"tier {row.get('tier')}; {row.get('verdict')}"
        )
    click.echo(f"recorded {len(items)} decisions in one transaction on {remote.url}")


def _checked_fields(items: list[BatchItem], actor: Actor) -> list[dict[str, Any]]:
    """Every item's fields in normal form; BatchError naming each item that fails here."""
    fields: list[dict[str, Any]] = []
    problems: list[tuple[str, LedgerError]] = []
    for item in items:
        try:
            fields.append(_fields(item, actor))
        except LedgerError as exc:
            problems.append((item.where, exc))
    if problems:
        raise BatchError(problems, len(items))
    return fields


def _fields(item: BatchItem, actor: Actor) -> dict[str, Any]:
    """The request's normal form: what the ledger's decision signature covers (the submitted
    fields, not the score the server computes)."""
    if item.unreadable is not None:
        raise item.unreadable
    request = parse_request(item.data)
    if request.requested_by != actor.name:
        raise RefusedError(
            f"requested_by is {request.requested_by!r} but you are {actor.name!r}; "
            "a decision is submitted by its requester",
            rule="release.decision",
        )
    return request_fields(request)


def _post_one(session: Session, actor: Actor, item: BatchItem, remote: ServerLink) -> str:
    answer = session.post("/v1/decisions", session.sign(actor, DECISION_KIND, _fields(item, actor)))
    return (
        f"recorded entry {answer.get('seq')} on {remote.url}, hash {answer.get('hash')}; "
        f"index {answer.get('index')}, band {answer.get('band')}, tier {answer.get('tier')}"
    )


def _post_batch(session: Session, bodies: list[dict[str, Any]], items: list[BatchItem]) -> dict[str, Any]:
    """POST the batch; a refusal naming ``items[N]`` also gets the file that item came from."""
    try:
        return session.post("/v1/decisions/batch", {"items": bodies})
    except RefusedError as exc:
        named = re.sub(
            r"items\[(\d+)\]",
            lambda m: f"items[{m[1]}] ({items[int(m[1])].where})" if int(m[1]) < len(items) else m[0],
            exc.problem,
        )
        raise RefusedError(named, rule=exc.rule) from None
