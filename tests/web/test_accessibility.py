"""Accessibility: axe-core (the npm package's axe.min.js, bundled by axe-playwright-python) on
every page with no serious or critical violation; a full sign-off with the keyboard alone; and
every page usable at 200% zoom (a 640 px wide viewport: the main content reflows, no sideways scroll)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.governance.conftest import ADMIN
from tests.web.conftest import Web, sign_in

BOB = "bob@example.com"


def _pages(page: Any, web: Web, tmp_path: Path) -> list[str]:
    """Visit every page kind; returns the URLs (the sign page and the verify result are POST answers)."""
    ref = web.team.submit("01-support-summarizer-1.1.yaml")
    leaf = web.team.service.resolve(ref).leaf_hex
    return ["/signin", "/", f"/decisions/{leaf}", "/keys", "/ledger", "/auditors", "/decisions/nope"]


def _serious(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_or_critical_axe_violation_on_any_page(
    browser_page: Any, live: Web, tmp_path: Path
) -> None:
    page = browser_page
    found: dict[str, list[str]] = {}
    page.goto("/signin")
    found["/signin"] = _serious(page)
    sign_in(page, live, BOB)
    urls = _pages(page, live, tmp_path)
    for url in urls[1:]:
        page.goto(url)
        found[url] = _serious(page)
    page.goto(urls[2])
    page.click("button[value=approve]")
    page.wait_for_selector("#sign-button:not([disabled])")
    found["sign"] = _serious(page)
    export = tmp_path / "export.jsonl"
    with export.open("wb") as out:
        live.team.service.log.export(out)
    checkpoint = tmp_path / "checkpoint.txt"
    checkpoint.write_text(live.team.service.log.latest_checkpoint())
    page.goto("/auditors")
    page.set_input_files("#ve-file", str(export))
    page.set_input_files("#ve-cp", str(checkpoint))
    page.click("text=Verify the export")
    page.wait_for_selector("#verify-output")
    found["verified"] = _serious(page)
    assert found == {name: [] for name in found}
    assert len(found) == 9


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_full_sign_off_with_the_keyboard_alone(browser_page: Any, live: Web) -> None:
    team = live.team
    ref = team.submit("01-support-summarizer-1.1.yaml")
    page = browser_page
    page.goto("/signin")
    _tab_to(page, "#token")
    page.keyboard.type(live.tokens[BOB])
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    _tab_to(page, "a[href='/keys']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#make-key:not([disabled])")
    _tab_to(page, "#make-key")
    page.keyboard.press("Enter")
    expect(page.locator("#browser-key")).not_to_have_text("none yet")
    team.service.identities.rotate_key(BOB, str(page.text_content("#browser-key")), ADMIN, team.key(ADMIN))
    _tab_to(page, "a[href='/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    _tab_to(page, f"a[href='/decisions/{team.service.resolve(ref).leaf_hex}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comment")
    _tab_to(page, "#comment")
    page.keyboard.type("reviewed with the keyboard")
    _tab_to(page, "button[value=approve]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sign-button:not([disabled])")
    _tab_to(page, "#sign-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done-link")
    assert page.evaluate("document.activeElement.id") == "done-link"  # focus moves to what comes next
    assert team.service.decisions.status(ref)["phase"] == "approved"


def test_every_page_reflows_at_200_percent_zoom(chromium: Any, live: Web, tmp_path: Path) -> None:
    context = chromium.new_context(base_url=live.url, viewport={"width": 640, "height": 800})
    page = context.new_page()
    try:
        page.goto("/signin")
        overflow = {"/signin": page.evaluate("document.documentElement.scrollWidth > window.innerWidth")}
        sign_in(page, live, BOB)
        for url in _pages(page, live, tmp_path)[1:]:
            page.goto(url)
            overflow[url] = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert page.is_visible("main h1"), url
        assert overflow == {url: False for url in overflow}
    finally:
        context.close()


def test_pages_are_readable_without_javascript(chromium: Any, live: Web, tmp_path: Path) -> None:
    context = chromium.new_context(base_url=live.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live, BOB)
        urls = _pages(page, live, tmp_path)
        page.goto(urls[2])
        assert "Scorecard" in page.inner_text("main") and page.is_visible("img.chart")
        page.click("button[value=approve]")
        assert "needs JavaScript" in page.inner_text("main")
        assert "support-summarizer@1.1" in page.inner_text("#what-release")
        for url in ("/", "/ledger", "/auditors", "/keys"):
            page.goto(url)
            assert page.inner_text("main h1"), url
    finally:
        context.close()
