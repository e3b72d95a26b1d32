"""Every hash, key, signature and entry quoted in docs/ is one the published vectors hold.

docs/formats.md promises that a verifier can be written from it alone, so a value it quotes
must be the vectors' value, not a stale or mistyped one (§6 once gave the size-22 root in
base64 as a value that decoded to another hash). The test collects every 32-byte value the
vectors contain or imply (tests/vectors and ../shared/vectors: leaf hashes, roots, proof
hashes, prev links, keys, signatures; plus the public key and key-ID hash derived from the
verifier key, §7.2), then checks each 64-hex-digit and base64 value in docs/*.md against it.
A hex value followed by its base64 in parentheses must be the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SHARED_VECTORS

DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
VECTORS = PROJECT_ROOT / "tests" / "vectors"
HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])")
# base64 of 32 bytes (keys, hashes) and of 64 bytes (signatures), or of 33 (a key text's 0x01||key)
BASE64 = re.compile(
    r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{44})(?![A-Za-z0-9+/=])"
)
PAIR = re.compile(r"`([0-9a-f]{64})`\s*\(base64 `([A-Za-z0-9+/=]+)`\)")
# Values that are illustrative by design, each with why.
ILLUSTRATIVE = {
    bytes(32): "the genesis entry's prev: 32 zero bytes (§3.1)",
    bytes.fromhex("01" * 32): "the demo's made-up artifact digest",
    bytes.fromhex("ab" * 31 + "01"): "the demo's made-up evidence report digest",
    hashlib.sha256(b"").digest(): 'H(""), the empty tree\'s hash (§6), checked by computing it',
}


def _text_files(root: Path) -> list[Path]:
    """The current vectors only: tests/vectors/v1, v2 and v3 keep older formats' logs for the
    verifier's sake, and docs that quote them as "the vectors" would be stale."""
    return [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and p.suffix in {".json", ".jsonl", ".txt", ".key", ""}
        and not {"v1", "v2", "v3"} & set(p.relative_to(root).parts)
    ]


def _values_in(text: str) -> set[bytes]:
    found = {bytes.fromhex(h) for h in HEX.findall(text)}
    for b64 in BASE64.findall(text):
        try:
            found.add(base64.b64decode(b64, validate=True))
        except ValueError:
            continue
    return found


def vector_values() -> set[bytes]:
    """Every value the vectors hold, and the ones formats.md derives from them."""
    known: set[bytes] = set()
    for root in (VECTORS, SHARED_VECTORS):
        for path in _text_files(root):
            known |= _values_in(path.read_text(encoding="utf-8"))
    for line in (VECTORS / "export.jsonl").read_bytes().splitlines():
        known.add(hashlib.sha256(b"\x00" + line).digest())  # leaf hashes (§6)
    name, _key_id, key_b64 = (VECTORS / "verifier.key").read_text().strip().split("+", 2)
    typed_key = base64.b64decode(key_b64)
    known.add(typed_key[1:])  # the raw public key (§7.2)
    known.add(hashlib.sha256(name.encode() + b"\n" + typed_key).digest())  # the key ID's hash (§7.2)
    return known


def _where(doc: Path, text: str, index: int) -> str:
    return f"{doc.relative_to(PROJECT_ROOT)}:{text.count(chr(10), 0, index) + 1}"


def test_the_illustrative_values_are_what_they_say() -> None:
    assert (
        hashlib.sha256(b"").hexdigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_quoted_value_is_in_the_vectors(doc: Path) -> None:
    known = vector_values() | set(ILLUSTRATIVE)
    text = doc.read_text(encoding="utf-8")
    unknown = []
    for match in HEX.finditer(text):
        if bytes.fromhex(match.group()) not in known:
            unknown.append(f"{_where(doc, text, match.start())}: hex {match.group()}")
    for match in BASE64.finditer(text):
        try:
            value = base64.b64decode(match.group(), validate=True)
        except ValueError:
            continue
        if len(value) in (32, 33, 64) and value not in known:
            unknown.append(f"{_where(doc, text, match.start())}: base64 {match.group()}")
    assert not unknown, "values quoted in docs that the vectors do not hold:\n" + "\n".join(unknown)


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_each_hex_and_base64_pair_is_the_same_bytes(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for match in PAIR.finditer(text):
        hex_value, b64_value = match.groups()
        assert base64.b64decode(b64_value, validate=True).hex() == hex_value, _where(doc, text, match.start())


def test_formats_md_quotes_its_pairs() -> None:
    """The pair check above must see the §6 values, or it checks nothing."""
    text = (PROJECT_ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    pairs = dict(PAIR.findall(text))
    tree = json.loads((VECTORS / "tree.json").read_text())
    root_22 = tree["root_hash_by_size_hex"][22]
    assert pairs[root_22] == tree["root_hash_by_size_b64"][22]
    assert hashlib.sha256(b"").hexdigest() in pairs


def test_quoted_entries_are_the_vectors_exact_lines() -> None:
    lines = set((VECTORS / "export.jsonl").read_text(encoding="utf-8").splitlines())
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r'^\{"kind":.*\}$', text, flags=re.M):
            assert match.group() in lines, f"{_where(doc, text, match.start())}: not an entry of the vectors"
