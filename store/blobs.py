"""Reading BLOB and integer columns back, or naming the tampering that made them something else."""

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


def integer(value: object, column: str) -> int:
    """``value`` read from an integer ``column`` (seq, size, node id), as an int.

    Raises VerificationError for anything else: SQLite keeps whatever type an INSERT or
    UPDATE gives a BIGINT column that is not the rowid, so text or a real number there was
    written behind the ledger's back (``int()`` would crash on the one and round the other).
    """
    if type(value) is int:
        return value
    raise VerificationError(
        f"{column} {value!r} is stored as {type(value).__name__} where the ledger writes an integer: "
        "the database was altered behind the ledger's back"
    )
