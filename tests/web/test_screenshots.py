"""Screenshots of the web app for the README: the queue, a decision, the act (sign) dialog, the
ledger page and the auditor's verify page. Written to tmp_path; with RLEDGER_SCREENSHOTS=DIR
(`RLEDGER_SCREENSHOTS=docs/screenshots pytest tests/web/test_screenshots.py`) into DIR, to commit."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.web.conftest import Web, sign_in

NAMES = ("queue", "decision", "act", "ledger", "auditor-verify")


def test_screenshots_of_each_page(chromium: Any, live: Web, tmp_path: Path) -> None:
    out = Path(os.environ.get("RLEDGER_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    team = live.team
    refs = [team.submit(name) for name in ("01-support-summarizer-1.1.yaml", "05-claims-assistant-2.0.yaml")]
    context = chromium.new_context(base_url=live.url, viewport={"width": 1100, "height": 760})
    page = context.new_page()
    try:
        team.clock.advance(timedelta(hours=5, minutes=20))  # the queue shows how long each has waited
        sign_in(page, live, "bob@example.com")
        page.goto("/")
        page.screenshot(path=out / "queue.png")
        page.goto(f"/decisions/{refs[0]}")
        page.screenshot(path=out / "decision.png", full_page=True)
        page.fill("#comment", "Offline eval and canary plan reviewed.")
        page.click("button[value=approve]")
        page.wait_for_selector("#sign-button:not([disabled])")
        page.screenshot(path=out / "act.png")
        page.goto("/ledger")
        page.click("text=Verify now")  # the page verifies on request, as `rledger verify` does
        page.wait_for_selector("#verify-result.ok")
        page.screenshot(path=out / "ledger.png", full_page=True)
        export, checkpoint = tmp_path / "ledger.jsonl", tmp_path / "checkpoint.txt"
        with export.open("wb") as sink:
            team.service.log.export(sink)
        checkpoint.write_text(team.service.log.latest_checkpoint())
        page.goto("/auditors")
        page.set_input_files("#ve-file", str(export))
        page.set_input_files("#ve-cp", str(checkpoint))
        page.click("text=Verify the export")
        page.wait_for_selector("#verify-output")
        page.screenshot(path=out / "auditor-verify.png")
    finally:
        context.close()
    for name in NAMES:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and 5_000 < len(data) < 600_000, name
