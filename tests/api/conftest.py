"""An API over a team ledger, with a token for each person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.governance.conftest import ADMIN, TEAM, Team
from tests.governance.conftest import team as team


@dataclass
class Api:
    team: Team
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def snapshot(self) -> tuple[int, str | None]:
        return self.team.snapshot()


@pytest.fixture
def api(team: Team) -> Iterator[Api]:
    tokens = {}
    for name in [ADMIN, *TEAM]:
        expires = team.clock.at + timedelta(days=30)
        tokens[name], _ = team.service.tokens.issue(name, expires, ADMIN, team.key(ADMIN))
    with TestClient(create_app(team.service), raise_server_exceptions=False) as client:
        yield Api(team, client, tokens)
