"""Reading a BLOB column back as bytes, or naming the tampering that made it something else."""

from __future__ import annotations

from ledger.errors import VerificationError


def blob(value: object) -> bytes:
    """``value`` (bytes, bytearray or memoryview, as the drivers return a BLOB) as bytes.

    Raises VerificationError for anything else: the ledger only ever writes bytes there, so
    a value stored as text (SQLite keeps whatever type an UPDATE gives it) was written behind
    the ledger's back.
    """
    if type(value) is bytes:
        return value  # what both drivers return: no copy (verification reads every entry)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise VerificationError(
        f"a value stored as {type(value).__name__} where the ledger writes bytes: the database was "
        "altered behind the ledger's back"
    )
