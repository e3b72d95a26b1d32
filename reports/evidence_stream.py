"""Write ``evidence.json`` a piece at a time, to a file, never holding all its entries at once.

The bytes are exactly those of :meth:`reports.evidence.Evidence.to_bytes` (orjson, keys sorted,
two-space indent): the format does not change, only how it is written. Members are written in
sorted-key order; the entries and their inclusion proofs come from iterables that are consumed
one item at a time. Since ``figures`` sorts between ``entries`` and ``inclusion_proofs``, the
proofs go to a spool file first and are copied after the figures, which may therefore be
computed while the entries stream by (``figures`` is called once the entries are written).

Also here: :class:`EvidenceFile`, a temporary file holding written evidence, deleted when
it is no longer referenced, and its SHA-256 computed by reading it in chunks.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from reports.evidence import FORMAT_1, Evidence, Figure

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
CHUNK = 1 << 20  # bytes read at a time when copying or hashing


def _dump(value: object, depth: int) -> bytes:
    """``value`` as orjson writes it ``depth`` levels down in an indented document."""
    return orjson.dumps(value, option=_OPTIONS).replace(b"\n", b"\n" + b"  " * depth)


def _key(name: str) -> bytes:
    return b"  " + orjson.dumps(name) + b": "


def _write_list(out: BinaryIO, name: str, items: Iterable[object]) -> int:
    """Write member ``name`` as a JSON list, one item at a time; returns how many."""
    out.write(_key(name))
    count = 0
    for item in items:
        out.write(b"[\n    " if count == 0 else b",\n    ")
        out.write(_dump(item, 2))
        count += 1
    out.write(b"[]" if count == 0 else b"\n  ]")
    return count


def write_evidence(
    out: BinaryIO,
    header: Evidence,
    entries: Iterable[tuple[bytes, dict[str, Any]]],
    figures: Callable[[], list[Figure]],
    spool_dir: str | None = None,
) -> int:
    """Write evidence to ``out``: every member from ``header`` but its entries, inclusion proofs and
    figures, which come from ``entries`` (pairs of entry bytes and its proof, in increasing seq)
    and ``figures()`` (called after the last entry is written). Returns the number of entries.
    The proofs wait in a temporary file in ``spool_dir`` (default: the system's)."""
    members = replace(header, entries=[], inclusion_proofs=[], figures=[]).to_json()
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        out.write(b"{\n")
        out.write(_key("checkpoint") + _dump(members["checkpoint"], 1) + b",\n")
        out.write(_key("consistency") + _dump(members["consistency"], 1) + b",\n")
        proofs = _ProofSpool(spool)
        count = _write_list(out, "entries", (proofs.keep(e, p) for e, p in entries))
        out.write(b",\n")
        _write_list(out, "figures", (f.to_json() for f in figures()))
        out.write(b",\n" + _key("format") + _dump(members["format"], 1) + b",\n")
        out.write(_key("inclusion_proofs"))
        spool.seek(0)
        if count == 0:
            out.write(b"[]")
        else:
            out.write(b"[\n    ")
            shutil.copyfileobj(spool, out, CHUNK)
            out.write(b"\n  ]")
        rest = ["ledger_verification", "origin", *(["range"] if header.format != FORMAT_1 else [])]
        for name in [*rest, "report", "verifier_key"]:
            out.write(b",\n" + _key(name) + _dump(members[name], 1))
        out.write(b"\n}\n")
    return count


class _ProofSpool:
    """Writes each proof to the spool as the list item it will be, and hands the entry on."""

    def __init__(self, spool: BinaryIO) -> None:
        self.spool = spool
        self.first = True

    def keep(self, entry: bytes, proof: dict[str, Any]) -> str:
        if not self.first:
            self.spool.write(b",\n    ")
        self.first = False
        self.spool.write(_dump(proof, 2))
        return base64.b64encode(entry).decode()


@dataclass(frozen=True)
class EvidenceFile:
    """Evidence written to a temporary file (deleted with this object), and its SHA-256."""

    path: Path
    sha256: str
    size: int

    def read_bytes(self) -> bytes:
        """The whole evidence in memory: for small reports and tests only."""
        return self.path.read_bytes()

    def open(self) -> BinaryIO:
        return self.path.open("rb")


def evidence_file(write: Callable[[BinaryIO], object], spool_dir: str | None = None) -> EvidenceFile:
    """Run ``write`` on a new temporary file, then hash it in chunks. The file is removed when
    the returned object is garbage collected (or at exit)."""
    handle, name = tempfile.mkstemp(prefix="rledger-evidence-", suffix=".json", dir=spool_dir)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        digest = hashlib.sha256()
        with path.open("rb") as source:
            while block := source.read(CHUNK):
                digest.update(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    made = EvidenceFile(path, digest.hexdigest(), path.stat().st_size)
    weakref.finalize(made, path.unlink, missing_ok=True)
    return made


def streamed(evidence: Evidence) -> EvidenceFile:
    """``evidence`` (entries and proofs already in memory) written through :func:`write_evidence`."""
    pairs = zip(evidence.entries, evidence.inclusion_proofs, strict=True)
    return evidence_file(lambda out: write_evidence(out, evidence, pairs, lambda: evidence.figures))
