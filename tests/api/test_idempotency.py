"""An ``Idempotency-Key`` replays only the identical request: method, path, exact body bytes
(a signature included) and caller. Anything else under the same key is refused, writing nothing."""

from __future__ import annotations

import base64
import json

from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import ALICE, decision_json

CONFLICT = "this Idempotency-Key was used for a different request"


def _post(api: Api, body: dict[str, object], key: str) -> tuple[int, dict[str, object]]:
    headers = {**api.headers(ALICE), "Idempotency-Key": key, "Content-Type": "application/json"}
    response = api.client.post("/v1/decisions", content=json.dumps(body).encode(), headers=headers)
    return response.status_code, response.json()


def test_a_retry_with_another_signature_is_refused_not_replayed(api: Api) -> None:
    body = signing.decision(api, decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE))
    first = _post(api, body, "run-sig")
    assert first[0] == 201
    after_first = api.snapshot()
    forged = {**body, "signature": base64.b64encode(bytes(64)).decode()}
    status, problem = _post(api, forged, "run-sig")
    assert status == 422 and CONFLICT in str(problem["detail"])
    assert api.snapshot() == after_first
    assert _post(api, body, "run-sig") == first  # the identical request still replays
    assert api.snapshot() == after_first


def test_the_same_content_in_other_bytes_is_another_request(api: Api) -> None:
    body = signing.decision(api, decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE))
    assert _post(api, body, "run-bytes")[0] == 201
    after_first = api.snapshot()
    headers = {**api.headers(ALICE), "Idempotency-Key": "run-bytes", "Content-Type": "application/json"}
    spaced = json.dumps(body, indent=2).encode()
    response = api.client.post("/v1/decisions", content=spaced, headers=headers)
    assert response.status_code == 422 and CONFLICT in response.json()["detail"]
    assert api.snapshot() == after_first
