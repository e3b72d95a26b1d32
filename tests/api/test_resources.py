"""Ledger resources, idempotency, error mapping, metrics, and concurrent writers."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from api.problems import STATUS_BY_ERROR, status_for
from ledger.errors import LedgerError
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint
from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import ALICE, BOB, ERIN, decision_json, submit


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_domain_error_class_is_mapped_explicitly() -> None:
    import policies.errors  # noqa: F401 - load every error module that defines LedgerError subclasses
    import services.keys  # noqa: F401

    classes = {LedgerError, *_all_subclasses(LedgerError)}
    missing = sorted(c.__qualname__ for c in classes if c not in STATUS_BY_ERROR)
    assert missing == [], f"add these to api.problems.STATUS_BY_ERROR: {missing}"
    assert all(400 <= status_for(c.__new__(c))[0] < 600 for c in classes)
    assert all(status < 500 or status == 503 for status, _ in STATUS_BY_ERROR.values())


def test_idempotent_retries_write_nothing_new(api: Api) -> None:
    body = signing.decision(api, decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE))
    headers = {**api.headers(ALICE), "Idempotency-Key": "pipeline-run-77"}
    first = api.client.post("/v1/decisions", json=body, headers=headers)
    after_first = api.snapshot()
    again = api.client.post("/v1/decisions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert api.snapshot() == after_first
    other = signing.decision(api, {**body, "version": "1.1.1", "artifact_digest": "sha256:" + "77" * 32})
    reused = api.client.post("/v1/decisions", json=other, headers=headers)
    assert reused.status_code == 422 and "different request" in reused.json()["detail"]
    assert api.snapshot() == after_first
    without_key = api.client.post("/v1/decisions", json=body, headers=api.headers(ALICE))
    assert without_key.status_code == 409


def test_entries_checkpoint_proofs_and_export(api: Api) -> None:
    submit(api, "01-support-summarizer-1.1.yaml")
    h = api.headers(ERIN)
    note = api.client.get("/v1/checkpoint", headers=h).text
    checkpoint = Checkpoint.open(note, api.team.service.log.verifier())
    entry = api.client.get("/v1/entries/3", headers=h)
    assert entry.status_code == 200 and entry.content == api.team.store.entry(3)
    etag = entry.headers["etag"]
    assert etag == f'"{merkle.leaf_hash(entry.content).hex()}"'
    assert api.client.get("/v1/entries/3", headers={**h, "If-None-Match": etag}).status_code == 304
    assert api.client.get("/v1/entries/99999", headers=h).status_code == 404
    proof = api.client.get(f"/v1/proofs/inclusion?index=3&size={checkpoint.size}", headers=h).json()
    merkle.verify_inclusion(
        3,
        checkpoint.size,
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(x) for x in proof["hashes"]],
        checkpoint.root,
    )
    consistency = api.client.get(f"/v1/proofs/consistency?old=2&new={checkpoint.size}", headers=h).json()
    merkle.verify_consistency(
        2,
        checkpoint.size,
        base64.b64decode(consistency["old_root"]),
        checkpoint.root,
        [base64.b64decode(x) for x in consistency["hashes"]],
    )
    exported = api.client.get("/v1/export", headers=h)
    lines = exported.content.split(b"\n")[:-1]
    assert len(lines) == api.team.store.size() and lines[3] == entry.content
    assert api.client.get("/v1/proofs/inclusion?index=99&size=2", headers=h).status_code == 422


def test_list_filters_and_cursor_pagination(api: Api) -> None:
    for name in (
        "01-support-summarizer-1.1.yaml",
        "03-support-summarizer-1.3.yaml",
        "04-support-summarizer-1.4.yaml",
        "06-support-summarizer-1.5.yaml",
    ):
        submit(api, name)
    h = api.headers(ERIN)
    page = api.client.get("/v1/decisions?limit=3", headers=h).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api.client.get(f"/v1/decisions?limit=3&cursor={page['next_cursor']}", headers=h).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert [d["version"] for d in api.client.get("/v1/decisions?band=red", headers=h).json()["items"]] == [
        "1.5"
    ]
    assert {d["version"] for d in api.client.get("/v1/decisions?tier=low", headers=h).json()["items"]} == {
        "1.3",
        "1.4",
        "1.5",
    }
    assert api.client.get("/v1/decisions?since=2026-11-24T09:00:00", headers=h).status_code == 422


def test_dry_run_writes_nothing(api: Api) -> None:
    before = api.snapshot()
    body = {"decision": decision_json("04-support-summarizer-1.4.yaml")}
    r = api.client.post("/v1/policy/evaluate", json=body, headers=api.headers(ERIN))
    assert r.status_code == 200 and r.json()["assessment"]["band"] == "green"
    assert api.snapshot() == before


def test_health_and_metrics(api: Api) -> None:
    assert api.client.get("/healthz").json()["status"] == "ok"
    assert api.client.get("/readyz").json()["status"] == "ready"
    api.client.get("/v1/checkpoint", headers=api.headers(ERIN))
    text = api.client.get("/metrics").text
    assert 'rledger_http_requests_total{method="GET",route="/v1/checkpoint",status="200"}' in text
    assert "rledger_ledger_entries" in text


def test_concurrent_submissions_and_approvals(api: Api) -> None:
    """Writers in many threads: the ledger verifies and holds exactly the acknowledged writes."""
    template = decision_json("01-support-summarizer-1.1.yaml", requested_by=ALICE)
    acknowledged: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        body = {**template, "version": f"9.{n}", "artifact_digest": "sha256:" + f"{n:02d}" * 32}
        body = signing.decision(api, body)
        r = api.client.post("/v1/decisions", json=body, headers=api.headers(ALICE))
        if r.status_code != 201:
            failures.append(r.text)
            return
        decision = r.json()
        statement = signing.approval(api, decision["hash"], BOB, "ml-lead")
        a = api.client.post(
            f"/v1/decisions/{decision['hash']}/approvals", json=statement, headers=api.headers(BOB)
        )
        if a.status_code != 201:
            failures.append(a.text)
            return
        with lock:
            acknowledged.extend([decision, a.json()])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    before = api.team.store.size()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    result = api.team.service.verification.verify()
    api.team.service.verification.verify_meaning()
    assert result.size == before + len(acknowledged) == before + 24
    seqs = sorted(item["seq"] for item in acknowledged)
    assert seqs == list(range(before, before + 24))
    for item in acknowledged:
        assert json.loads(api.team.store.entry(item["seq"]) or b"{}")["seq"] == item["seq"]


def test_reports_download_as_pdfs_that_verify(api: Api) -> None:
    import io

    from pypdf import PdfReader

    submit(api, "01-support-summarizer-1.1.yaml")
    h = api.headers(ERIN)  # auditors fetch reports
    release = api.client.get("/v1/reports/release/support-summarizer@1.1", headers=h)
    assert release.status_code == 200 and release.headers["content-type"] == "application/pdf"
    assert release.content.startswith(b"%PDF")
    assert "evidence.json" in PdfReader(io.BytesIO(release.content)).attachments
    scorecard = api.client.get("/v1/reports/scorecard?model=support-summarizer", headers=h)
    assert scorecard.status_code == 200 and scorecard.content.startswith(b"%PDF")
    audit = api.client.get("/v1/reports/audit?from=2026-11-01&to=2026-12-01", headers=h)
    assert audit.status_code == 200 and audit.content.startswith(b"%PDF")
    bad = api.client.get("/v1/reports/audit?from=2026-13-01&to=2026-12-01", headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    missing = api.client.get("/v1/reports/release/nope@1", headers=h)
    assert missing.status_code == 404


def test_every_request_body_in_the_openapi_has_an_example(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bodies = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            bodies += 1
            name = content["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[name].get("examples"), f"{method.upper()} {path}: {name} has no example"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
    assert bodies >= 9
