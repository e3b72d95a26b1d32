"""POST /v1/decisions/batch: many signed decisions in one transaction, all of them or none."""

from __future__ import annotations

from typing import Any

from api.schemas import MAX_BATCH
from tests.api import signing
from tests.api.conftest import Api
from tests.api.test_access import ALICE, decision_json

MALLORY = "mallory@example.com"

DEMO = [
    "01-support-summarizer-1.1.yaml",
    "02-support-summarizer-1.2.yaml",
    "03-support-summarizer-1.3.yaml",
    "04-support-summarizer-1.4.yaml",
]


def _signed(api: Api, filename: str, **override: Any) -> dict[str, Any]:
    return signing.decision(api, decision_json(filename, requested_by=ALICE, **override))


def _post(api: Api, items: list[dict[str, Any]], who: str = ALICE) -> Any:
    return api.client.post("/v1/decisions/batch", json={"items": items}, headers=api.headers(who))


def test_a_batch_is_recorded_in_one_append_in_order(api: Api) -> None:
    size, _ = api.snapshot()
    notes = len(api.team.store.checkpoint_notes())
    response = _post(api, [_signed(api, name) for name in DEMO])
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [f"{i['model']}@{i['version']}" for i in items] == [
        "support-summarizer@1.1",
        "support-summarizer@1.2",
        "support-summarizer@1.3",
        "support-summarizer@1.4",
    ]
    assert [i["seq"] for i in items] == list(range(size, size + len(DEMO)))
    assert items[0]["tier"] == "medium" and items[3]["band"] == "green"
    assert api.snapshot()[0] == size + len(DEMO)
    # one append, so one new checkpoint, of the whole batch: none covers a part of it
    assert len(api.team.store.checkpoint_notes()) == notes + 1
    assert api.team.store.checkpoint_at(size + len(DEMO)) is not None
    assert all(api.team.store.checkpoint_at(n) is None for n in range(size + 1, size + len(DEMO)))
    listed = api.client.get("/v1/decisions/support-summarizer@1.4", headers=api.headers(ALICE))
    assert listed.status_code == 200 and listed.json()["seq"] == items[3]["seq"]


def test_one_invalid_item_records_nothing_and_names_its_index(api: Api) -> None:
    before = api.snapshot()
    invalid = _signed(api, DEMO[1])
    del invalid["scores"]["safety"]
    response = _post(api, [_signed(api, DEMO[0]), invalid, _signed(api, DEMO[2])])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "items.1.scores.safety"
    assert api.snapshot() == before


def test_items_the_ledger_refuses_are_each_named_and_nothing_is_recorded(api: Api) -> None:
    before = api.snapshot()
    bad_signature = _signed(api, DEMO[2])
    bad_signature["signature"] = _signed(api, DEMO[3])["signature"]  # another decision's signature
    items = [_signed(api, DEMO[0]), _signed(api, DEMO[1]), bad_signature, _signed(api, DEMO[0])]
    response = _post(api, items)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["items[2]", "items[3]"]
    assert "does not verify under alice@example.com's registered key" in problem["errors"][0]["message"]
    assert "support-summarizer@1.1 is already in this batch, at items[0]" in problem["errors"][1]["message"]
    assert problem["detail"].startswith("2 of 4 decisions refused; nothing was recorded: items[2]: ")
    assert api.snapshot() == before


def test_an_item_already_recorded_refuses_the_whole_batch(api: Api) -> None:
    first = _post(api, [_signed(api, DEMO[0])])
    assert first.status_code == 201, first.text
    before = api.snapshot()
    response = _post(api, [_signed(api, DEMO[1]), _signed(api, DEMO[0])])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "items[1]", "message": "a decision for support-summarizer@1.1 is already recorded"}
    ]
    assert api.snapshot() == before


def test_too_many_items_or_none_are_refused_before_any_is_checked(api: Api) -> None:
    before = api.snapshot()
    one = _signed(api, DEMO[0])
    too_many = _post(api, [one] * (MAX_BATCH + 1))
    assert too_many.status_code == 422, too_many.text
    assert f"at most {MAX_BATCH}" in too_many.json()["detail"]
    empty = _post(api, [])
    assert empty.status_code == 422
    assert api.snapshot() == before


def test_every_item_must_be_the_callers_and_extra_members_are_refused(api: Api) -> None:
    before = api.snapshot()
    someone_elses = _post(api, [_signed(api, DEMO[0])], who=MALLORY)  # a submitter, not alice
    assert someone_elses.status_code == 403
    assert "items[0]" in someone_elses.json()["detail"]
    extra = api.client.post(
        "/v1/decisions/batch",
        json={"items": [_signed(api, DEMO[0])], "atomic": False},
        headers=api.headers(ALICE),
    )
    assert extra.status_code == 422
    assert api.snapshot() == before
