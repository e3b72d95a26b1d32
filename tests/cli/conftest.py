"""Every command here runs on a fixed clock (RLEDGER_CLOCK), never the calendar's date."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# The demo decision files were evaluated on 2026-11-20/21 and rehearsed on 2026-11-01/10.
CLI_START = "2026-11-21T09:00:00Z"


@pytest.fixture(autouse=True)
def fixed_cli_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RLEDGER_CLOCK", CLI_START)
    yield
