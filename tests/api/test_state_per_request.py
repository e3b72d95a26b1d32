"""One governance state per API request (services.state_scope, api.app.OneStatePerRequest): the
token check, the caller's identity and the route share it; an append in the request drops it,
so what the request reads afterwards includes its own write; outside a request nothing is shared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from governance.state import GovernanceState
from services.governed import GovernedLog
from services.state_scope import one_state
from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import ALICE, BOB, DECISION_01, decision_json, submit
from tests.governance.conftest import Team


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch GovernedLog to count the states it reads from the database (not handed out again)."""
    reads: list[int] = []
    original: Callable[[GovernedLog], GovernanceState] = GovernedLog._current_state

    def counted(self: GovernedLog) -> GovernanceState:
        reads.append(1)
        return original(self)

    monkeypatch.setattr(GovernedLog, "_current_state", counted)
    return reads


def test_a_status_request_reads_the_state_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = submit(api, DECISION_01)
    reads = _count_reads(monkeypatch)
    response = api.client.get(f"/v1/decisions/{recorded['hash']}/status", headers=api.headers(BOB))
    assert response.status_code == 200, response.text
    assert len(reads) == 1  # the token's check, Bob's identity and the status itself share it


def test_a_submit_reads_it_again_after_its_append_and_answers_with_the_new_decision(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = signing.decision(api, decision_json(DECISION_01, requested_by=ALICE))  # reads one itself
    reads = _count_reads(monkeypatch)
    response = api.client.post("/v1/decisions", json=body, headers=api.headers(ALICE))
    assert response.status_code == 201, response.text
    recorded: dict[str, Any] = response.json()
    # before the write (shared by the checks), the append's own, and the answer's after the write
    assert len(reads) == 3
    assert recorded["model"] == "support-summarizer" and recorded["phase"] == "pending_approval"
    again = api.client.get(f"/v1/decisions/{recorded['hash']}", headers=api.headers(ALICE))
    assert again.status_code == 200 and again.json()["seq"] == recorded["seq"]


def test_outside_a_scope_every_call_reads_anew_and_inside_one_until_an_append(team: Team) -> None:
    service = team.service
    assert service.state() is not service.state()
    with one_state():
        first = service.state()
        assert service.state() is first
        team.submit(DECISION_01)  # appends through the same GovernedLog
        after = service.state()
        assert after is not first and after.size > first.size
        assert service.state() is after
    assert service.state() is not after


def test_scopes_do_not_share_states(team: Team) -> None:
    with one_state():
        outer = team.service.state()
        with one_state():
            assert team.service.state() is not outer
        assert team.service.state() is outer
