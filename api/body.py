"""JSON request bodies read by the ledger's one reader, never by ``json.loads``.

FastAPI would parse a body with ``json.loads``: binary floats (``0.94999999999999999``
silently becomes 0.95), duplicate keys accepted (the last wins), ``NaN`` accepted, and
deep nesting or huge integers ending in an internal error. Every router here uses
:class:`ExactJsonRoute` instead, which reads the body with :mod:`ledger.encoding.reader`
(exact decimals, duplicates refused, bounded depth and digits), the reader the command line
uses for files. So the same bytes get the same verdict, or the same refusal, through either
door. Route signatures keep their pydantic body models, so the OpenAPI document is unchanged.

This follows FastAPI's documented pattern for custom request handling: a ``Request``
subclass whose ``json()`` does the reading, installed by an ``APIRoute`` subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.problems import UnsupportedMediaType
from ledger.encoding.reader import read_text

JSON_MEDIA_TYPE = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or any ``application/*+json``, parameters (charset) ignored."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class ExactJsonRequest(Request):
    """A request whose ``json()`` is the shared reader's plain data (Decimals, ints, no floats).

    Raises :class:`ledger.encoding.reader.ReadError` (422) or ``MalformedError`` (400, with
    line and column) for a body the reader refuses."""

    async def json(self) -> Any:
        if not hasattr(self, "_exact_json"):
            self._exact_json = read_text(await self.body(), "json", what="request body").data
        return self._exact_json


class ExactJsonRoute(APIRoute):
    """An ``APIRoute`` that checks the media type and reads a JSON body before FastAPI does.

    Reading here, not inside FastAPI's handler, lets the reader's errors reach the problem
    handlers as themselves (FastAPI turns any other parsing exception into a bare 400)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def read_then_handle(request: Request) -> Response:
            exact = ExactJsonRequest(request.scope, request.receive)
            if await exact.body():
                content_type = request.headers.get("content-type")
                if not is_json_media_type(content_type):
                    raise UnsupportedMediaType(
                        f"send the request body as {JSON_MEDIA_TYPE} "
                        f"(Content-Type: {JSON_MEDIA_TYPE}); got {content_type or 'no Content-Type'}"
                    )
                await exact.json()
            return await handler(exact)

        return read_then_handle
