"""The browser's canonicaliser (web/static/jcs.js) makes the same bytes as the ledger's
(ledger.encoding.canonical) over the values statements hold, and as the RFC 8785 reference
beyond them (floats, non-ASCII keys sorted by UTF-16 code units)."""

from __future__ import annotations

from typing import Any

import rfc8785

from governance.statements import statement_bytes
from ledger.encoding.canonical import canonical_bytes
from tests.web.conftest import Web

STATEMENTS: list[tuple[str, dict[str, Any], str | None]] = [
    (
        "release.approval",
        {
            "decision": "ab" * 32,
            "model": "support-summarizer",
            "version": "1.1",
            "approver": "bob@example.com",
            "role": "ml-lead",
            "verdict": "approve",
            "comment": 'Prüfung bestanden — ça va, 検証済み 🚀, "quoted" \\ \n\t\u0007 </script>',
        },
        "test.release-ledger.example/log",
    ),
    (
        "release.promoted",
        {
            "decision": "cd" * 32,
            "model": "m",
            "version": "2",
            "actor": "rita@example.com",
            "policy_sha256": "ef" * 32,
            "supersedes": None,
            "break_glass": True,
            "reason": "",
        },
        "example.com/log",
    ),
    (
        "release.canary_result",
        {"decision": "01" * 32, "verdict": "pass", "summary": {"b": "1", "a": "0.011"}, "actor": "x"},
        None,
    ),
    (
        "release.approval",
        {"n": [0, -1, 2**53 - 1, -(2**53 - 1)], "nested": {"z": [], "y": {}}, "t": [True, False, None]},
        "o",
    ),
]

OUTSIDE_THE_LEDGERS_VALUE_SPACE: list[Any] = [
    {"floats": [0.1, 1e21, 1e-7, -0.0, 123456789.125, 5e-324, 1.7976931348623157e308]},
    {
        "é": 1,
        "a": 2,
        "\u20ac": 3,
        "\U0001f600": 4,
        "\ufb01": 5,
        "A": 6,
    },  # UTF-16 order: the emoji before U+FB01
]


def _in_browser(page: Any, function: str, values: Any) -> Any:
    """``function`` of web/static/jcs.js applied to each value (a list of arguments) in the page."""
    return page.evaluate(
        "async ([name, values]) => { const m = await import('/static/jcs.js'); "
        "return values.map((args) => Array.from(m[name](...args))); }",
        [function, values],
    )


def test_statement_bytes_match_the_ledgers(browser_page: Any, live: Web) -> None:
    browser_page.goto("/signin")
    got = _in_browser(browser_page, "statementBytes", [list(s) for s in STATEMENTS])
    for (kind, payload, origin), browser in zip(STATEMENTS, got, strict=True):
        assert bytes(browser) == statement_bytes(kind, payload, origin=origin), kind
    values = [payload for _, payload, _ in STATEMENTS]
    plain = _in_browser(browser_page, "canonicalBytes", [[v] for v in values])
    assert [bytes(b) for b in plain] == [canonical_bytes(v) for v in values]


def test_beyond_statements_it_is_rfc_8785(browser_page: Any, live: Web) -> None:
    browser_page.goto("/signin")
    got = _in_browser(browser_page, "canonicalBytes", [[v] for v in OUTSIDE_THE_LEDGERS_VALUE_SPACE])
    assert [bytes(b) for b in got] == [rfc8785.dumps(v) for v in OUTSIDE_THE_LEDGERS_VALUE_SPACE]
