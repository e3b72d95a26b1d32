"""Request bodies over the server's cap get a 413 problem naming the limit, declared or not
(a chunked body has no Content-Length), and the ledger is unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.errors import InputError
from services.settings import DEFAULT_MAX_BODY_BYTES, max_body_bytes
from tests.api.conftest import Api

LIMIT = 4096
ALICE = "alice@example.com"


@pytest.fixture
def small(api: Api) -> Iterator[TestClient]:
    with TestClient(create_app(api.team.service, max_body=LIMIT), raise_server_exceptions=False) as client:
        yield client


def _assert_refused(response_status: int, body: dict[str, object]) -> None:
    assert response_status == 413
    assert body["title"] == "Request body too large"
    assert body["detail"] == f"the request body is over the server's limit of {LIMIT} bytes"
    assert body["limit"] == LIMIT


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(api: Api, small: TestClient) -> None:
    before = api.snapshot()
    response = small.post("/v1/decisions", content=b"{" + b" " * LIMIT + b"}", headers=api.headers(ALICE))
    _assert_refused(response.status_code, response.json())
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.snapshot() == before


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(api: Api, small: TestClient) -> None:
    before = api.snapshot()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        for _ in range(8):
            yield b" " * 1024

    headers = {**api.headers(ALICE), "Content-Type": "application/json"}
    response = small.post("/v1/decisions", content=chunks(), headers=headers)
    _assert_refused(response.status_code, response.json())
    assert api.snapshot() == before


def test_a_body_under_the_limit_reaches_the_route(api: Api, small: TestClient) -> None:
    response = small.post(
        "/v1/decisions", content=b"[]", headers={**api.headers(ALICE), "Content-Type": "application/json"}
    )
    assert response.status_code == 422  # the route's own answer, not the cap's


def test_the_limit_comes_from_the_environment_and_a_bad_value_is_named() -> None:
    assert max_body_bytes({}) == DEFAULT_MAX_BODY_BYTES == 16 * 1024 * 1024
    assert max_body_bytes({"RLEDGER_MAX_BODY_BYTES": "1024"}) == 1024
    for bad in ("0", "-5", "1e6", "lots"):
        with pytest.raises(InputError, match="RLEDGER_MAX_BODY_BYTES must be a positive whole number"):
            max_body_bytes({"RLEDGER_MAX_BODY_BYTES": bad})
