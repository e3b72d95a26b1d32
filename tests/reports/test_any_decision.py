"""Every decision the entry format allows renders in all three reports (issue 9, section 4).

Missing risk factors (any subset), no gates, names and versions at their length limit, empty
caveats, many evidence reports, and free text in scripts Liberation does not cover. A report
period at the edges of the calendar is a clean refusal on the CLI and the API, never a crash.

The ledgers here run on a fixed, stepping clock (tests.governance.conftest), never the real date.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from ledger.scoring.rules import RISK_FACTORS
from ledger.tlog.note import Ed25519Signer
from reports.assets import FONT_DIR, TEXT_FONTS
from reports.contract import ContractTerms
from reports.errors import ReportInputError
from reports.evidence import ATTACHMENT_NAME, parse_evidence
from reports.generate import prepare_audit, prepare_release, prepare_scorecard, render
from reports.metrics import delivery_metrics
from reports.period import LAST_DAY, parse_period
from reports.render import printable
from reports.verify import normalize, verify_report
from services.ledger_service import LedgerService
from services.settings import sqlite_url
from store.ledger_store import LedgerStore
from tests.api.conftest import Api
from tests.api.conftest import api as api
from tests.governance.conftest import ADMIN, ORIGIN, TEAM, SteppingClock
from tests.governance.conftest import team as team
from tests.reports.conftest import Demo

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the ledger's clock starts here (a Tuesday)
REQUESTER = "alice@example.com"
# The families the stylesheet declares, as WeasyPrint names their embedded subsets.
EMBEDDED_FAMILIES = {
    "RL-Sans",
    "RL-Sans-Bold",
    "RL-Sans-Italic",
    "RL-Mono",
    "RL-Mono-Bold",
    *(
        f"RL-{name}{style}"
        for name in ("Arabic", "Devanagari", "Thai", "Symbols", "CJK", "Emoji")
        for style in ("", "-Bold", "-Italic")
    ),
}


@dataclass
class Ledger:
    service: LedgerService
    keys: dict[str, Ed25519Signer]

    def submit(self, data: dict[str, Any]) -> str:
        recorded = self.service.decisions.submit(data, REQUESTER, self.keys[REQUESTER])
        return recorded.ref.leaf_hex

    def reports(self, leaf_hex: str, model: str) -> dict[str, bytes]:
        """All three reports: the release report, the audit export of exactly this decision's
        entry time, and the scorecard of its model."""
        when = _entry_time(self.service, self.service.resolve(leaf_hex).seq)
        return {
            "release": render(prepare_release(self.service, leaf_hex)).data,
            "audit": render(prepare_audit(self.service, parse_period(when, when), None)).data,
            "scorecard": render(prepare_scorecard(self.service, model, [], ContractTerms())).data,
        }


def _entry_time(service: LedgerService, seq: int) -> str:
    import json

    return str(json.loads(service.store.entry(seq) or b"{}")["time"])


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger_key = Ed25519Signer.generate(ORIGIN, bytes([1]) * 32)
    keys = {
        name: Ed25519Signer.generate("rledger-identity", bytes([10 + n]) * 32)
        for n, name in enumerate([ADMIN, *TEAM])
    }
    store = LedgerStore.open(sqlite_url(tmp_path_factory.mktemp("any-decision") / "ledger.db"))
    service = LedgerService(store, SteppingClock(START), ledger_key)
    service.setup.initialize(ORIGIN, ADMIN, keys[ADMIN])
    for name, roles in TEAM.items():
        service.identities.add(
            name, roles, base64.b64encode(keys[name].public_key).decode(), ADMIN, keys[ADMIN]
        )
    yield Ledger(service, keys)
    store.close()


# --- generated decisions -------------------------------------------------------------------

# Scripts the fallback fonts cover, and some they do not (Ethiopic, Cherokee, private use,
# bidirectional overrides): those must print as [U+XXXX], not crash or draw a system font.
SCRIPTS = (
    "abcXYZ 019 -_.,;:!?()[]{}'\"&<>/\\#%*+=@$€£¥©®™–—…‘’“”•·°±×÷≥≤→←",  # noqa: RUF001
    "ÄÖÜäöüßéèêñçøåæœłšžčğışİ",
    "ΑΒΓαβγδ АБВабвгд שלום",
    "缓存命中率中文报告模型发布审计評価テストひらがなカタカナ한국어경고",
    "مرحبا بالعالم العربية ١٢٣",
    "नमस्ते हिन्दी देवनागरी",
    "สวัสดีภาษาไทย",
    "😀🤖🧪🚀✅❤️👩‍💻🇩🇪✨",
    "ሰላም ᏣᎳᎩ \ue000 \u202e \u2067",
)
ALPHABET = "".join(sorted(set("".join(SCRIPTS))))


def _text(max_size: int = 40) -> st.SearchStrategy[str]:
    """A Text field: 1 to 2000 characters after stripping, in any of the scripts above."""
    short = st.text(alphabet=ALPHABET, min_size=1, max_size=max_size)
    longest = st.sampled_from(SCRIPTS).map(lambda s: (s.replace(" ", "") * 2000)[:2000])
    return st.one_of(short, longest).filter(lambda s: s.strip() != "")


NAME_RE = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,40}"
LONG_NAME = st.just("n" * 200)
name = st.one_of(st.from_regex(NAME_RE, fullmatch=True), LONG_NAME)
score = st.one_of(st.integers(0, 100), st.decimals(0, 100, places=2).map(lambda d: d.normalize()))
instant = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=(START - timedelta(days=1)).replace(tzinfo=None)
).map(lambda d: d.replace(microsecond=0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
digest = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
CATALOGUE = ("jailbreak_resistance", "severe_hallucination_rate", "pii_leakage_rate", "format_adherence")


@st.composite
def gates(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(st.one_of(st.sampled_from(CATALOGUE), name), max_size=5, unique=True))
    out = []
    for gate_name in names:
        gate: dict[str, Any] = {"name": gate_name, "observed": draw(st.decimals(0, 1000, places=3))}
        bounds = draw(st.sampled_from(["min", "max", "both"] + (["none"] if gate_name in CATALOGUE else [])))
        if bounds in ("min", "both"):
            gate["min"] = Decimal("0.5")
        if bounds in ("max", "both"):
            gate["max"] = Decimal("500")
        if draw(st.booleans()):
            gate["severity"] = draw(st.sampled_from(["low", "medium", "high", "critical"]))
        out.append(gate)
    return out


def _optional(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        data[key] = value


@st.composite
def decisions(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(name)
    data: dict[str, Any] = {
        "model": draw(name),
        "version": version,
        "artifact_digest": draw(digest),
        "workload": draw(_text()),
        "baseline": {
            "version": version + "-base" if len(version) < 195 else "base",
            "scores": {
                s: draw(st.integers(1, 100)) for s in ("performance", "reliability", "cost", "safety")
            },
        },
        "scores": {s: draw(score) for s in ("performance", "reliability", "cost", "safety")},
        "gates": draw(gates()),
        "risk": {f: v for f in RISK_FACTORS if (v := draw(st.none() | score)) is not None},
        "data_sensitivity": {
            "classification": draw(st.sampled_from(["public", "internal", "confidential", "restricted"])),
            "categories": draw(st.lists(name, max_size=3)),
        },
        "rollback": {
            "target_version": version + "-prev" if len(version) < 195 else "prev",
            "mechanism": draw(_text()),
            "runbook": draw(_text()),
        },
        "evidence": {
            "eval_suite": draw(_text()),
            "evaluated_at": draw(instant),
            "reports": [
                {"name": draw(_text(20)), "digest": draw(digest)}
                for _ in range(draw(st.sampled_from([0, 1, 3, 12])))
            ],
        },
        "requested_by": REQUESTER,
        "caveats": draw(st.lists(_text(), max_size=3)),
    }
    _optional(data, "weights", draw(st.none() | st.sampled_from(["default", "regulated", "batch"])))
    _optional(data, "code_revision", draw(st.none() | _text()))
    _optional(data["rollback"], "rehearsed_at", draw(st.none() | instant))
    _optional(data["evidence"], "prompt_set_version", draw(st.none() | _text()))
    _optional(data["evidence"], "traffic_segment", draw(st.none() | _text()))
    return data


def _bare(version: str) -> dict[str, Any]:
    """The least a decision may say: no gates, no risk factors, no caveats, no options."""
    return {
        "model": "bare-model",
        "version": version,
        "artifact_digest": "sha256:" + "00" * 32,
        "workload": "w",
        "baseline": {"version": "0", "scores": {"performance": 1, "reliability": 1, "cost": 1, "safety": 1}},
        "scores": {"performance": 0, "reliability": 0, "cost": 0, "safety": 0},
        "data_sensitivity": {"classification": "public"},
        "rollback": {"target_version": "0", "mechanism": "m", "runbook": "r"},
        "evidence": {"eval_suite": "e", "evaluated_at": "2026-11-01T00:00:00Z"},
        "requested_by": REQUESTER,
    }


def _fullest() -> dict[str, Any]:
    """Everything at its limit: 200-character names, 2000-character texts in many scripts,
    100 evidence reports, 100 caveats."""
    long_text = "".join(SCRIPTS)
    long_text = (long_text * (2000 // len(long_text) + 1))[:2000].strip()
    return {
        **_bare("v" * 200),
        "model": "M" * 200,
        "workload": long_text,
        "code_revision": long_text,
        "baseline": {
            "version": "b" * 200,
            "scores": {"performance": 80, "reliability": 78, "cost": 72, "safety": 85},
        },
        "rollback": {"target_version": "p" * 200, "mechanism": long_text, "runbook": long_text},
        "evidence": {
            "eval_suite": long_text,
            "evaluated_at": "2026-11-20T12:00:00Z",
            "prompt_set_version": long_text,
            "traffic_segment": long_text,
            "reports": [
                {"name": f"报告 {n} 😀 " + SCRIPTS[n % len(SCRIPTS)], "digest": "sha256:" + f"{n:02x}" * 32}
                for n in range(100)
            ],
        },
        "data_sensitivity": {"classification": "restricted", "categories": ["c" * 200] * 50},
        "caveats": [SCRIPTS[n % len(SCRIPTS)] for n in range(100)],
    }


_versions: dict[str, int] = {}


def _unique(data: dict[str, Any]) -> dict[str, Any]:
    """Each example is a new version (the ledger refuses a model@version twice)."""
    n = _versions.setdefault(data["model"], 0)
    _versions[data["model"]] = n + 1
    if n:
        suffix = f".{n}"
        data = {**data, "version": data["version"][: 200 - len(suffix)] + suffix}
    return data


@pytest.mark.slow
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=decisions())
@example(data=_bare("1"))
def test_every_valid_decision_renders_in_all_three_reports(ledger: Ledger, data: dict[str, Any]) -> None:
    data = _unique(data)
    leaf = ledger.submit(data)
    for kind, pdf in ledger.reports(leaf, data["model"]).items():
        assert pdf.startswith(b"%PDF-"), kind
        fonts = _embedded_fonts(pdf)
        assert fonts <= EMBEDDED_FAMILIES, (kind, fonts)


def test_the_fullest_decision_renders_verifies_and_shows_every_script(ledger: Ledger) -> None:
    data = _unique(_fullest())
    leaf = ledger.submit(data)
    pdfs = ledger.reports(leaf, data["model"])
    key = ledger.service.log.verifier_key()
    for kind, pdf in pdfs.items():
        assert verify_report(pdf, key).report_type == kind
    release = pdfs["release"]
    fonts = _embedded_fonts(release)
    assert fonts <= EMBEDDED_FAMILIES, fonts
    # The fallbacks are really used: each script is drawn from its own shipped font.
    assert {"RL-CJK", "RL-Arabic", "RL-Devanagari", "RL-Thai", "RL-Emoji"} <= fonts, fonts
    text = normalize("".join(p.extract_text() for p in PdfReader(io.BytesIO(release)).pages))
    for shown in ("缓存命中率中文报告", "한국어경고", "नमस्ते", "สวัสดีภาษาไทย", "🤖🧪", "M" * 200):
        assert normalize(shown) in text, shown
    # What no shipped font can draw is written out as its code point, never a blank box.
    for missing in ("[U+1230][U+120B][U+121D]", "[U+E000]", "[U+202E]"):
        assert missing in text, missing


def _embedded_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor, font["/BaseFont"]  # embedded, not referenced
    return fonts


# --- the audit export with a decision that leaves risk factors out --------------------------


def _demo_decision(**changes: Any) -> dict[str, Any]:
    from importlib import resources

    from ledger.scoring.input import parse_decision_text

    text = (resources.files("cli.demo") / "01-support-summarizer-1.1.yaml").read_text()
    data = parse_decision_text(text)
    data.update(changes)
    return data


def test_audit_renders_a_period_with_a_decision_without_test_coverage(ledger: Ledger) -> None:
    data = _demo_decision(
        model="no-coverage",
        risk={"change_size": 40, "regression_surface": 35, "incident_history": 10, "observability_gaps": 20},
    )
    leaf = ledger.submit(data)
    when = _entry_time(ledger.service, ledger.service.resolve(leaf).seq)
    pdf = render(prepare_audit(ledger.service, parse_period("2026-01-01", "2026-12-31"), "no-coverage")).data
    assert verify_report(pdf, ledger.service.log.verifier_key()).report_type == "audit"
    text = normalize("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert normalize(f"no-coverage@{data['version']}") in text
    # The decision's own row names the factor it left out; delivery health counts it at its worst.
    assert (
        normalize("Risk factors not given test_coverage (the risk score assumed each at its worst)") in text
    )
    assert normalize(f"no-coverage@{data['version']}: test_coverage.") in text
    metrics = delivery_metrics(ledger.service, parse_period(when, when), "no-coverage")
    (model,) = metrics["models"]
    assert model["coverage"] == "0.00"  # 0 assumed, as the risk score did; not skipped
    assert model["regression_surface"] == "35.00"
    assert model["trend"][0]["not_given"] == ["test_coverage"]
    evidence = parse_evidence(PdfReader(io.BytesIO(pdf)).attachments[ATTACHMENT_NAME][0])
    assert evidence.params["model"] == "no-coverage"
    release = render(prepare_release(ledger.service, leaf)).data
    release_text = normalize("".join(p.extract_text() for p in PdfReader(io.BytesIO(release)).pages))
    assert normalize("test_coverage (not given: worst assumed)") in release_text


# --- report periods at the edges of the calendar ---------------------------------------------

BAD_PERIODS = [
    (("2026-01-01", "9999-12-31"), "to '9999-12-31' is out of range"),
    (("2026-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"), "is out of range"),
    (("9999-12-31", "9999-12-31"), "from '9999-12-31' is out of range"),
    (("0000-01-01", "2026-12-31"), "is not a real date"),
    (("2026-02-30", "2026-12-31"), "is not a real date"),
    (("2026-12-02", "2026-12-01"), "is after"),
    (("2026-12-01T00:00:01Z", "2026-12-01T00:00:00Z"), "is after"),
    (("2026-12-01T24:00:00Z", "2026-12-31"), "neither a date"),
    (("2026-12-01T00:00:00+01:00", "2026-12-31"), "neither a date"),
    (("٢٠٢٦-٠١-٠١", "2026-12-31"), "neither a date"),  # noqa: RUF001 (Arabic-Indic digits on purpose)
    (("2026-01-01\n", "2026-12-31\x00"), "neither a date"),
    (("20260101000", "2026-12-31"), "neither a date"),
]


@pytest.mark.parametrize(("bounds", "message"), BAD_PERIODS)
def test_bad_periods_are_one_clear_error(bounds: tuple[str, str], message: str) -> None:
    with pytest.raises(ReportInputError, match=r"^--(from|to) ") as caught:
        parse_period(*bounds)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_the_calendars_edges_that_fit_are_accepted() -> None:
    whole = parse_period("0001-01-01", LAST_DAY.isoformat())
    assert whole.start == datetime(1, 1, 1, tzinfo=UTC)
    assert whole.end == datetime(9999, 1, 1, tzinfo=UTC)
    last = parse_period("9998-12-31T23:59:59.999999Z", "9998-12-31T23:59:59.999999Z")
    assert last.contains(datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))


def test_far_future_audit_request_is_a_4xx_problem(api: Api) -> None:
    h = api.headers("erin@example.com")
    response = api.client.get("/v1/reports/audit?from=2026-01-01&to=9999-12-31", headers=h)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == (
        "to '9999-12-31' is out of range: report periods must lie between 0001-01-01 and 9998-12-31"
    )


@pytest.mark.parametrize(("bounds", "message"), BAD_PERIODS)
def test_every_bad_period_is_a_4xx_on_the_api(api: Api, bounds: tuple[str, str], message: str) -> None:
    start, end = bounds
    response = api.client.get(
        "/v1/reports/audit", params={"from": start, "to": end}, headers=api.headers("erin@example.com")
    )
    assert 400 <= response.status_code < 500, (bounds, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("command", ["report audit", "metrics"])
@pytest.mark.parametrize(("bounds", "message"), BAD_PERIODS[:6])
def test_every_bad_period_is_a_clean_exit_on_the_cli(
    demo: Demo, tmp_path: Path, command: str, bounds: tuple[str, str], message: str
) -> None:
    out = ["--out", str(tmp_path / "x.pdf")] if command == "report audit" else []
    run = demo.cli(*command.split(), "--from", bounds[0], "--to", bounds[1], *out)
    assert run.code not in (0, 70), run
    assert run.err.startswith("error: --") and message in run.err, run.err
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    assert not (tmp_path / "x.pdf").exists()


# --- fonts and text no font can draw ---------------------------------------------------------


def test_printable_keeps_covered_scripts_and_names_the_rest() -> None:
    for covered in SCRIPTS[:8]:
        assert printable(covered) == covered
    assert printable("ሰላም") == "[U+1230][U+120B][U+121D]"
    assert printable("a\x00b\x1b\x7f") == "a[U+0000]b[U+001B][U+007F]"
    assert printable("\u202eevil\u2066") == "[U+202E]evil[U+2066]"  # shown, never obeyed
    assert printable("\ud800\ue000\U000e0001") == "[U+D800][U+E000][U+E0001]"
    assert printable("line\nbreak\ttab") == "line\nbreak\ttab"


def test_shipped_fonts_have_licences_and_stay_small() -> None:
    for path in TEXT_FONTS:
        assert path.is_file(), path
    licences = " ".join(p.read_text() for p in FONT_DIR.glob("LICENSE-*.txt"))
    for path in FONT_DIR.glob("*.ttf"):
        stem = path.stem.split("-")[0].split("_")[0]
        family = {"LiberationSans": "Liberation", "LiberationMono": "Liberation"}.get(stem, stem)
        assert family in licences, f"{path.name} has no licence text in reports/fonts"
    total = sum(p.stat().st_size for p in FONT_DIR.iterdir())
    assert total < 15 * 2**20, total
