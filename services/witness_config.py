"""The ledger's witnesses: ``witnesses.yaml`` in the ledger home (docs/operations.md, "Witnesses").

    quorum: 2                 # cosignatures a checkpoint needs to count as witnessed
    wait_for_quorum: false    # true: a write whose checkpoint misses the quorum is reported failed
    witnesses:
      - name: w1              # a label for messages, unique in the file
        url: http://127.0.0.1:8081     # the witness's base URL; /add-checkpoint is added
        key: witness.example/w1+1a2b3c4d+BB...   # its cosignature/v1 verifier key

No file means no witnesses. The file is read with the project's one strict reader
(ledger.encoding.reader); anything else (an unknown field, a bad key, a quorum out of range)
is an InputError naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.encoding.reader import read_file
from ledger.errors import FormatError, InputError
from ledger.tlog.cosignature import CosignatureVerifier

WITNESSES_FILE = "witnesses.yaml"
_TOP = {"quorum", "wait_for_quorum", "witnesses"}
_WITNESS = {"name", "url", "key"}


@dataclass(frozen=True)
class WitnessSite:
    name: str
    url: str
    verifier: CosignatureVerifier

    @property
    def key_label(self) -> str:
        """``name+keyid`` of its key: how its cosignatures are stored."""
        return f"{self.verifier.name}+{self.verifier.key_id.hex()}"


@dataclass(frozen=True)
class WitnessConfig:
    quorum: int
    wait_for_quorum: bool
    witnesses: tuple[WitnessSite, ...]

    @property
    def verifiers(self) -> list[CosignatureVerifier]:
        return [w.verifier for w in self.witnesses]


def load_witness_config(path: Path) -> WitnessConfig | None:
    """The configuration in ``path``; None when there is no such file. Raises InputError."""
    if not path.exists():
        return None
    document = read_file(path, what="witness configuration")
    return parse_witness_config(document.data, str(path))


def _fail(where: str, field: str, problem: str) -> InputError:
    return InputError(f"{where}: {field}: {problem}")


def parse_witness_config(data: Any, where: str = WITNESSES_FILE) -> WitnessConfig:
    """Plain data (as the reader gives it) to a WitnessConfig. Raises InputError naming the field."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: the file must be a mapping with quorum, wait_for_quorum and witnesses")
    for field in data:
        if field not in _TOP:
            raise _fail(where, str(field), f"unknown field; expected {', '.join(sorted(_TOP))}")
    items = data.get("witnesses")
    if not isinstance(items, list) or not items:
        raise _fail(where, "witnesses", "must be a non-empty list of {name, url, key}")
    sites = tuple(_site(item, f"witnesses.{n}", where) for n, item in enumerate(items))
    _check_unique(sites, where)
    quorum = data.get("quorum")
    if isinstance(quorum, bool) or not isinstance(quorum, int) or not 1 <= quorum <= len(sites):
        raise _fail(where, "quorum", f"must be a whole number from 1 to {len(sites)} (the witnesses listed)")
    wait = data.get("wait_for_quorum", False)
    if not isinstance(wait, bool):
        raise _fail(where, "wait_for_quorum", "must be true or false")
    return WitnessConfig(quorum, wait, sites)


def _site(item: Any, field: str, where: str) -> WitnessSite:
    if not isinstance(item, dict):
        raise _fail(where, field, "must be a mapping with name, url and key")
    for key in item:
        if key not in _WITNESS:
            raise _fail(where, f"{field}.{key}", "unknown field; expected name, url, key")
    values: dict[str, str] = {}
    for key in sorted(_WITNESS):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _fail(where, f"{field}.{key}", "is required and must be text")
        values[key] = value.strip()
    if not values["url"].startswith(("http://", "https://")):
        raise _fail(where, f"{field}.url", f"{values['url']!r} is not an http:// or https:// URL")
    try:
        verifier = CosignatureVerifier.parse(values["key"])
    except FormatError as exc:
        raise _fail(where, f"{field}.key", str(exc)) from None
    return WitnessSite(values["name"], values["url"].rstrip("/"), verifier)


def _check_unique(sites: tuple[WitnessSite, ...], where: str) -> None:
    names: set[str] = set()
    keys: set[str] = set()
    for n, site in enumerate(sites):
        if site.name in names:
            raise _fail(where, f"witnesses.{n}.name", f"{site.name!r} is listed twice")
        if site.key_label in keys:
            raise _fail(where, f"witnesses.{n}.key", "this key is listed twice; each witness counts once")
        names.add(site.name)
        keys.add(site.key_label)
