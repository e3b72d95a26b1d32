"""Stateless signed session cookies, and the server secret that signs them.

A session is ``{"who", "token_id", "csrf", "expires"}``, signed with itsdangerous (HMAC-SHA256
over the JSON) under a secret kept in ``HOME/web-session.key`` (32 random bytes, mode 0600).
Nothing is stored on the server: every request re-checks the token against the ledger
(``web.deps``), so a revoked token or a revoked identity signs the session out at once.
Expiry is checked against the app's clock, never the machine's (tests move the clock).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from ledger.tlog.entry import format_time, parse_time
from services.keys import KeyFileError

COOKIE = "rledger_session"
SIGNIN_COOKIE = "rledger_signin"  # the sign-in form's pre-session CSRF nonce (web.routes.auth)
SIGNIN_MINUTES = 60  # how long a sign-in form may stay open
SESSION_HOURS = 8
SECRET_FILE = "web-session.key"


@dataclass(frozen=True)
class Session:
    """Who is signed in, with which API token (its id only), the form token and the end."""

    who: str
    token_id: str
    csrf: str
    expires: datetime

    def live_at(self, moment: datetime) -> bool:
        return moment < self.expires


class SessionCodec:
    """Sign and read session cookies. ``secret`` is at least 32 bytes."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise KeyFileError("the web session secret must be at least 32 bytes")
        self._serializer = URLSafeSerializer(secret, salt="release-ledger web session")
        self._signin_key = hmac.new(secret, b"release-ledger sign-in form", hashlib.sha256).digest()

    def signin_proof(self, nonce: str) -> str:
        """The sign-in form's CSRF field for the nonce in its cookie: HMAC-SHA256 under the
        server secret (hex), so a cookie planted by another site cannot be paired with a form
        value it chose (a signed double-submit cookie, OWASP CSRF cheat sheet)."""
        return hmac.new(self._signin_key, nonce.encode(), hashlib.sha256).hexdigest()

    def signin_matches(self, nonce: str | None, sent: str) -> bool:
        """Whether ``sent`` is the proof of the cookie's ``nonce`` (None: no cookie)."""
        return bool(nonce) and hmac.compare_digest(self.signin_proof(nonce or "").encode(), sent.encode())

    def dump(self, session: Session) -> str:
        return str(
            self._serializer.dumps(
                {
                    "who": session.who,
                    "token_id": session.token_id,
                    "csrf": session.csrf,
                    "expires": format_time(session.expires),
                }
            )
        )

    def load(self, cookie: str) -> Session | None:
        """The session a cookie holds, or None if it is not one this server signed."""
        try:
            data = self._serializer.loads(cookie)
            return Session(
                str(data["who"]), str(data["token_id"]), str(data["csrf"]), parse_time(str(data["expires"]))
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return None


def session_end(now: datetime, token_expires: datetime | None) -> datetime:
    """A session lasts SESSION_HOURS, and never past its token's own expiry."""
    end = now + timedelta(hours=SESSION_HOURS)
    return end if token_expires is None else min(end, token_expires)


def load_or_create_secret(path: Path, random: Callable[[int], bytes]) -> bytes:
    """The secret in ``path``, written once from ``random(32)`` (mode 0600) when the file is
    missing. It is written beside and then linked into place, so server workers starting
    together all read one whole secret. Raises KeyFileError when it cannot be made or read."""
    if not path.exists():
        fresh = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(random(32))
            # atomic, and never replaces a secret another worker made
            with contextlib.suppress(FileExistsError):
                os.link(fresh, path)
        except OSError as exc:
            raise KeyFileError(f"cannot create the web session secret {path}: {exc}") from None
        finally:
            fresh.unlink(missing_ok=True)
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the web session secret {path}: {exc}") from None
    if len(secret) < 32:
        raise KeyFileError(f"the web session secret {path} is shorter than 32 bytes; delete it to renew")
    return secret
