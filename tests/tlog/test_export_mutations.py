"""Every single mutation of an export file is rejected; the untouched export verifies.

Ledgers are built in memory (Entry.create + CompactRange + Checkpoint.sign), exactly the
way the store builds them, so hypothesis can make many of them quickly.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.encoding.canonical import MAX_SAFE_INTEGER, canonical_bytes
from ledger.errors import FormatError, LedgerError, VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.entry import GENESIS_PREV, Entry
from ledger.tlog.exportfile import read_export_chunks, write_export
from ledger.tlog.merkle import EMPTY_ROOT, CompactRange, leaf_hash
from ledger.tlog.note import Ed25519Signer, Verifier
from ledger.tlog.verify import VerifiedLog, verify_log
from services.verification import verify_export_file

ORIGIN = "test.example/release-ledger"
SIGNER = Ed25519Signer.generate(ORIGIN, bytes(range(32)))
VERIFIER = Verifier.parse(SIGNER.verifier_key)
SAME_NAME_OTHER_KEY = Ed25519Signer.generate(ORIGIN, bytes([7]) * 32)
OTHER_LOG = Ed25519Signer.generate("other.example/release-ledger", bytes([9]) * 32)
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Ledger:
    entries: tuple[Entry, ...]
    notes: dict[int, str]  # tree size -> signed checkpoint note

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def latest_note(self) -> str:
        return self.notes[self.size]

    def export(self) -> bytes:
        return export_bytes(e.data for e in self.entries)


def export_bytes(blobs: Iterable[bytes]) -> bytes:
    out = io.BytesIO()
    write_export(blobs, out)
    return out.getvalue()


def chain(
    items: Sequence[tuple[str, dict[str, Any]]], first_seq: int = 0, prev: str = GENESIS_PREV
) -> list[Entry]:
    """Entries with a correct seq and prev chain, as an honest writer (or a forger) makes them."""
    entries = []
    for offset, (kind, payload) in enumerate(items):
        seq = first_seq + offset
        entry = Entry.create(seq, prev, START + timedelta(seconds=seq), kind, payload)
        entries.append(entry)
        prev = entry.leaf_hash.hex()
    return entries


def build(payloads: Sequence[dict[str, Any]], signer: Ed25519Signer = SIGNER, origin: str = ORIGIN) -> Ledger:
    entries = chain([("test.event", p) for p in payloads])
    return Ledger(tuple(entries), sign_all(entries, signer, origin))


def sign_all(
    entries: Sequence[Entry], signer: Ed25519Signer = SIGNER, origin: str = ORIGIN
) -> dict[int, str]:
    tree = CompactRange()
    notes = {}
    for entry in entries:
        tree.append(entry.leaf_hash)
        notes[tree.size] = Checkpoint(origin, tree.size, tree.root()).sign(signer)
    return notes


def verify(
    data: bytes,
    notes: Iterable[str],
    *,
    chunk: int = 4096,
    workers: int = 1,
    verifier: Verifier = VERIFIER,
    origin: str | None = None,
) -> VerifiedLog:
    return verify_log(
        read_export_chunks(io.BytesIO(data), chunk_entries=chunk),
        verifier,
        list(notes),
        origin=origin,
        workers=workers,
    )


def rejected(data: bytes, notes: Iterable[str], what: str, **options: Any) -> LedgerError:
    try:
        result = verify(data, notes, **options)
    except LedgerError as exc:
        return exc
    pytest.fail(f"{what}: the mutated export verified: {result}")


def lines_of(ledger: Ledger) -> list[bytes]:
    return [e.data for e in ledger.entries]


# -- strategies --------------------------------------------------------------------------

safe_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(['"', "\\", "\n", "\r", "\x00", "\u2028", "\U0001f600", "J", "*"]),
    ),
    max_size=12,
)
leaf_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER), safe_text
)
payload_values = st.recursive(
    leaf_values,
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text("abcxyz_", max_size=5), c, max_size=3)
    ),
    max_leaves=6,
)
payloads = st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=6), payload_values, max_size=4)
ledgers = st.lists(payloads, min_size=2, max_size=40).map(build)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


# -- the untouched export ----------------------------------------------------------------


@PROPERTY
@given(ledgers)
def test_untouched_export_verifies(export_dir: Path, ledger: Ledger) -> None:
    data = ledger.export()
    assert data.count(b"\n") == ledger.size
    path = export_dir / "untouched.jsonl"
    path.write_bytes(data)
    offline = verify_export_file(path, ledger.latest_note, SIGNER.verifier_key, workers=1)
    assert offline.size == ledger.size
    assert offline.uncovered == 0
    assert offline.latest_checkpoint is not None
    assert offline.latest_checkpoint.size == ledger.size
    every = verify(data, ledger.notes.values(), chunk=3)
    assert every.checkpoints_checked == ledger.size
    assert every.root == offline.root
    # Any earlier checkpoint alone verifies the same export too (the rest is merely uncovered).
    older = verify(data, [ledger.notes[1]])
    assert older.uncovered == ledger.size - 1


# -- flipped bits ------------------------------------------------------------------------

SMALL = build(
    [
        {"model": "support-summarizer", "score": "103.95", "ok": True, "n": None},
        {"text": 'quote " backslash \\ newline \n tab \t nul \x00 \u00e9 \U0001f600 JJ**', "n": -42},
        {"list": [1, "two", [3], {"four": 4}], "empty": {}},
    ]
)


def _flip(data: bytes, position: int, bit: int) -> bytes:
    mutated = bytearray(data)
    mutated[position] ^= 1 << bit
    return bytes(mutated)


def test_every_bit_flip_of_a_small_export_is_rejected() -> None:
    """Exhaustive: every bit of every byte of every line, terminators included."""
    data = SMALL.export()
    note = [SMALL.latest_note]
    problems = []
    for position in range(len(data)):
        for bit in range(8):
            mutated = _flip(data, position, bit)
            try:
                result = verify(mutated, note)
            except LedgerError:
                continue
            except Exception as exc:
                problems.append(f"byte {position} bit {bit}: {type(exc).__name__}: {exc}")
                continue
            problems.append(f"byte {position} bit {bit}: accepted ({result})")
    assert not problems, f"{len(problems)} of {8 * len(data)} flips not rejected; e.g.\n" + "\n".join(
        problems[:15]
    )


@PROPERTY
@given(ledgers, st.data())
def test_a_flipped_bit_anywhere_is_rejected(ledger: Ledger, data: st.DataObject) -> None:
    export = ledger.export()
    position = data.draw(st.integers(min_value=0, max_value=len(export) - 1), label="byte")
    bit = data.draw(st.integers(min_value=0, max_value=7), label="bit")
    rejected(_flip(export, position, bit), [ledger.latest_note], f"byte {position} bit {bit}")
    rejected(_flip(export, position, bit), ledger.notes.values(), f"byte {position} bit {bit}", chunk=4)


# -- deleted, inserted, swapped and truncated entries -----------------------------------


@PROPERTY
@given(ledgers)
def test_deleting_any_entry_is_rejected_at_its_position(ledger: Ledger) -> None:
    lines = lines_of(ledger)
    for index in range(ledger.size):
        mutated = export_bytes([*lines[:index], *lines[index + 1 :]])
        exc = rejected(mutated, [ledger.latest_note], f"delete {index}")
        assert isinstance(exc, VerificationError)
        assert exc.index == index, str(exc)


@PROPERTY
@given(ledgers, payloads)
def test_inserting_a_forged_entry_with_a_recomputed_chain_is_rejected(
    ledger: Ledger, forged: dict[str, Any]
) -> None:
    """The forger recomputes seq and prev for every later entry; only the signed root can tell."""
    items = [(e.kind, e.payload) for e in ledger.entries]
    for position in range(ledger.size):
        forged_items = [*items[:position], ("test.forged", forged), *items[position:]]
        mutated = export_bytes(e.data for e in chain(forged_items))
        rejected(mutated, [ledger.latest_note], f"forged entry at {position}")
        rejected(mutated, ledger.notes.values(), f"forged entry at {position}", chunk=5)


@PROPERTY
@given(ledgers, payloads)
def test_an_entry_appended_after_the_checkpoint_is_reported_uncovered(
    ledger: Ledger, forged: dict[str, Any]
) -> None:
    """An export may run ahead of the checkpoint an auditor holds; the extra entries are never
    claimed as covered by it."""
    tail = chain([("test.forged", forged)], ledger.size, ledger.entries[-1].leaf_hash.hex())
    result = verify(ledger.export() + export_bytes(e.data for e in tail), [ledger.latest_note])
    assert result.size == ledger.size + 1
    assert result.latest_checkpoint is not None
    assert result.latest_checkpoint.size == ledger.size
    assert result.uncovered == 1


@PROPERTY
@given(ledgers, st.data())
def test_inserting_a_copy_of_another_entry_is_rejected(ledger: Ledger, data: st.DataObject) -> None:
    lines = lines_of(ledger)
    source = data.draw(st.integers(min_value=0, max_value=ledger.size - 1), label="copy of")
    position = data.draw(st.integers(min_value=0, max_value=ledger.size), label="inserted at")
    mutated = export_bytes([*lines[:position], lines[source], *lines[position:]])
    exc = rejected(mutated, [ledger.latest_note], f"copy of {source} at {position}")
    assert isinstance(exc, VerificationError)
    assert exc.index in (position, position + 1), str(exc)


@PROPERTY
@given(ledgers, st.data())
def test_swapping_two_entries_is_rejected(ledger: Ledger, data: st.DataObject) -> None:
    first = data.draw(st.integers(min_value=0, max_value=ledger.size - 2), label="first")
    second = data.draw(st.integers(min_value=first + 1, max_value=ledger.size - 1), label="second")
    lines = lines_of(ledger)
    lines[first], lines[second] = lines[second], lines[first]
    exc = rejected(export_bytes(lines), [ledger.latest_note], f"swap {first} {second}")
    assert isinstance(exc, VerificationError)
    assert exc.index == first, str(exc)


def test_every_swap_of_a_small_ledger_is_rejected() -> None:
    ledger = build([{"n": n} for n in range(12)])
    for first in range(ledger.size):
        for second in range(first + 1, ledger.size):
            lines = lines_of(ledger)
            lines[first], lines[second] = lines[second], lines[first]
            exc = rejected(export_bytes(lines), [ledger.latest_note], f"swap {first} {second}")
            assert isinstance(exc, VerificationError) and exc.index == first, str(exc)


@PROPERTY
@given(ledgers)
def test_truncation_is_rejected_against_a_later_checkpoint(ledger: Ledger) -> None:
    lines = lines_of(ledger)
    for keep in range(ledger.size):
        mutated = export_bytes(lines[:keep])
        exc = rejected(mutated, [ledger.latest_note], f"keep {keep}")
        assert isinstance(exc, VerificationError)
        assert exc.index == keep, str(exc)
        # Any checkpoint beyond what is left catches it, not only the latest.
        later = ledger.notes[keep + 1]
        exc = rejected(mutated, [later], f"keep {keep} against checkpoint {keep + 1}")
        assert isinstance(exc, VerificationError) and exc.index == keep


@PROPERTY
@given(ledgers, st.data())
def test_truncation_at_any_byte_is_rejected(ledger: Ledger, data: st.DataObject) -> None:
    export = ledger.export()
    cut = data.draw(st.integers(min_value=0, max_value=len(export) - 1), label="cut")
    rejected(export[:cut], [ledger.latest_note], f"cut at byte {cut}")


# -- keys, origins and forks -------------------------------------------------------------


def test_the_wrong_verifier_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(SMALL.export())
    verify_export_file(path, SMALL.latest_note, SIGNER.verifier_key)
    for other in (SAME_NAME_OTHER_KEY, OTHER_LOG):
        with pytest.raises(VerificationError):
            verify_export_file(path, SMALL.latest_note, other.verifier_key)
        with pytest.raises(VerificationError):
            verify(SMALL.export(), SMALL.notes.values(), verifier=Verifier.parse(other.verifier_key))


def test_a_checkpoint_of_another_log_is_rejected(tmp_path: Path) -> None:
    """The same entries, checkpointed by another log's key under its own origin."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(SMALL.export())
    foreign = sign_all(SMALL.entries, OTHER_LOG, "other.example/release-ledger")
    with pytest.raises(VerificationError):
        verify_export_file(path, foreign[SMALL.size], SIGNER.verifier_key)
    with pytest.raises(VerificationError):
        verify(SMALL.export(), foreign.values())


def test_a_checkpoint_for_another_origin_is_rejected_by_verify_log() -> None:
    """Our key, but the checkpoint body names another origin."""
    other_origin = sign_all(SMALL.entries, SIGNER, "other.example/release-ledger")
    with pytest.raises(VerificationError, match="another log"):
        verify(SMALL.export(), [other_origin[SMALL.size]])
    with pytest.raises(VerificationError, match="another log"):
        verify(SMALL.export(), [*SMALL.notes.values(), other_origin[2]])


def test_a_checkpoint_for_another_origin_is_rejected_offline(tmp_path: Path) -> None:
    """verify_export_file must hold the checkpoint's origin to the verifier key's name.

    The ledger makes its origin the signing key's name (LedgerService.setup.initialize refuses
    anything else), so a checkpoint naming another origin is not a checkpoint of this log,
    even when our key signed it.
    """
    path = tmp_path / "export.jsonl"
    path.write_bytes(SMALL.export())
    other_origin = sign_all(SMALL.entries, SIGNER, "other.example/release-ledger")
    with pytest.raises(VerificationError):
        verify_export_file(path, other_origin[SMALL.size], SIGNER.verifier_key)


def test_a_fork_is_rejected() -> None:
    """A checkpoint of the right size, key and origin over different entries."""
    fork = build([{"n": 1}, {"n": 2}, {"n": 3}])
    with pytest.raises(VerificationError, match="differs from the signed checkpoint"):
        verify(SMALL.export(), [fork.latest_note])
    with pytest.raises(VerificationError, match="fork"):
        verify(SMALL.export(), [*SMALL.notes.values(), fork.latest_note])


def test_a_checkpoint_with_an_altered_signature_is_rejected() -> None:
    note = SMALL.latest_note
    head, signature = note.rstrip("\n").rsplit(" ", 1)
    for position in (0, 6, 20, len(signature) - 3):
        replacement = "A" if signature[position] != "A" else "B"
        bad = f"{head} {signature[:position]}{replacement}{signature[position + 1 :]}\n"
        rejected(SMALL.export(), [bad], f"signature char {position}")


def test_a_size_zero_checkpoint_is_accepted() -> None:
    """C2SP allows a checkpoint of the empty tree; it must not look like a truncation."""
    empty = Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(SIGNER)
    assert verify(b"", [empty]).size == 0
    result = verify(SMALL.export(), [empty, SMALL.latest_note])
    assert result.checkpoints_checked == 2


# -- entries that are canonical JSON but not well-formed entries -------------------------


def _raw_entry(**changes: Any) -> bytes:
    value: dict[str, Any] = {
        "kind": "test.event",
        "payload": {},
        "prev": GENESIS_PREV,
        "seq": 0,
        "time": "2026-11-20T12:00:00Z",
    }
    value.update(changes)
    return canonical_bytes(value)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"time": "2026-13-01T00:00:00Z"}, id="month-13"),
        pytest.param({"time": "2026-02-30T00:00:00Z"}, id="february-30"),
        pytest.param({"time": "2026-11-20T25:00:00Z"}, id="hour-25"),
        pytest.param({"time": "\u0662\u0660\u0662\u0666-11-20T12:00:00Z"}, id="arabic-indic-digits"),
        pytest.param({"time": "2026-11-20T12:00:00Z\n"}, id="time-trailing-newline"),
        pytest.param({"kind": "test.event\n"}, id="kind-trailing-newline"),
        pytest.param({"prev": GENESIS_PREV + "\n"}, id="prev-trailing-newline"),
        pytest.param({"seq": True}, id="seq-boolean"),
        pytest.param({"payload": []}, id="payload-list"),
    ],
)
def test_malformed_entries_are_format_errors(changes: dict[str, Any]) -> None:
    data = _raw_entry(**changes)
    with pytest.raises(FormatError):
        Entry.parse(data)
    # The verifier reports it as a verification failure at that entry, never a crash.
    note = Checkpoint(ORIGIN, 1, leaf_hash(data)).sign(SIGNER)  # the root of a one-leaf tree
    with pytest.raises(VerificationError) as info:
        verify(export_bytes([data]), [note])
    assert info.value.index == 0


# -- parallel verification ---------------------------------------------------------------


def _outcome(data: bytes, notes: Sequence[str], workers: int) -> object:
    try:
        return verify(data, notes, chunk=3, workers=workers)
    except LedgerError as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "index", None))


def test_two_workers_give_the_same_result_as_one() -> None:
    ledger = build([{"n": n, "s": "x" * n} for n in range(20)])
    lines = lines_of(ledger)
    notes = list(ledger.notes.values())
    swapped = list(lines)
    swapped[7], swapped[11] = swapped[11], swapped[7]
    cases = {
        "untouched": ledger.export(),
        "flipped": _flip(ledger.export(), 900, 2),
        "deleted": export_bytes([*lines[:9], *lines[10:]]),
        "swapped": export_bytes(swapped),
        "truncated": export_bytes(lines[:13]),
        "cross-chunk link": export_bytes(
            [*lines[:6], *(e.data for e in chain([("test.forged", {})], 6, GENESIS_PREV)), *lines[7:]]
        ),
    }
    for name, data in cases.items():
        one = _outcome(data, notes, 1)
        two = _outcome(data, notes, 2)
        assert one == two, name
        assert isinstance(one, VerifiedLog) == (name == "untouched"), (name, one)
