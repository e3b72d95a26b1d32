"""Key files on disk. Private keys are created with mode 0600 and never printed."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ledger.errors import InputError, LedgerError
from ledger.tlog.note import Ed25519Signer


class KeyFileError(LedgerError):
    """A key file is missing, unreadable, too open, or not a key."""


def write_private_key(path: Path, signer: Ed25519Signer) -> None:
    """Create ``path`` with mode 0600 and write the signer key. Never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None
    try:
        os.fchmod(fd, 0o600)  # the umask may have narrowed it further, never widened; be exact
        os.write(fd, (signer.signer_key() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_private_key(path: Path) -> Ed25519Signer:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"signing key {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"signing key {path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it"
        )
    try:
        return Ed25519Signer.parse(path.read_text(encoding="utf-8"))
    except LedgerError as exc:
        raise KeyFileError(f"{path} is not a signer key: {exc}") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not a signer key: it is not UTF-8 text") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc}") from None


def read_text_argument(value: str, what: str) -> str:
    """A key or note given either inline or as a path to a file holding it."""
    path = Path(value)
    if "\n" not in value and len(value) < 4096 and path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {what} from {path}: {exc}") from None
    return value


PERSONAL_KEY_NAME = "rledger-identity"


def write_key_pair(prefix: Path, signer: Ed25519Signer) -> tuple[Path, Path]:
    """Write ``PREFIX.key`` (private, 0600) and ``PREFIX.pub`` (standard base64 of the raw key)."""
    import base64

    private, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    if public.exists():
        raise KeyFileError(f"{public} already exists; refusing to overwrite a key")
    write_private_key(private, signer)
    public.write_text(base64.b64encode(signer.public_key).decode() + "\n")
    return private, public


def read_public_key(path: Path) -> str:
    """A ``.pub`` file: the standard base64 of a raw 32-byte Ed25519 public key."""
    import base64
    import binascii

    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise KeyFileError(f"public key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read {path}: {exc}") from None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path} is not a base64 public key") from None
    if len(raw) != 32:
        raise KeyFileError(f"{path} does not hold a 32-byte Ed25519 public key")
    return text


def ledger_signing_key(env: Mapping[str, str], key_file: Path) -> Ed25519Signer:
    """The ledger's checkpoint key: ``RLEDGER_SIGNING_KEY`` (a note signer key) when set, else
    the key file (mode 0600, written by ``rledger init``). Shared by both doors, so the CLI and
    the HTTP API sign with the same key under the same settings.

    Raises KeyFileError (a missing or unreadable file) or FormatError (a malformed key)."""
    inline = env.get("RLEDGER_SIGNING_KEY")
    return Ed25519Signer.parse(inline) if inline else read_private_key(key_file)
