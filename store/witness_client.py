"""``HttpWitnessTransport``: services.ports.WitnessTransport over httpx.

The services never import httpx (the import contract forbids it); the edges (cli/context.py,
api/app.py) build this and hand it in.
"""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = 10.0  # seconds; a slow witness delays the report, never the committed entry


class HttpWitnessTransport:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def post(self, url: str, body: bytes) -> tuple[int, str, str]:
        """POST ``body`` as text/plain; (status, content type, text), or (0, "", reason)."""
        try:
            response = httpx.post(
                url, content=body, headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=self.timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return 0, "", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return response.status_code, response.headers.get("content-type", ""), response.text
