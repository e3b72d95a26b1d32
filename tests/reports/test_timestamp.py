"""Signed reports with an RFC 3161 timestamp (PAdES B-T, and B-LT), stamped by a real TSA on loopback.

The test PKI and its services (a time-stamping authority and a CRL repository) are certomancer's,
served over HTTP by its Animator WSGI app behind werkzeug on 127.0.0.1. The keys are made for
this test run only.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from tests.reports.conftest import Demo

certomancer = pytest.importorskip("certomancer")
from asn1crypto import pem  # noqa: E402
from certomancer.integrations.animator import Animator, AnimatorArchStore  # noqa: E402
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

VALID = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2100-01-01T00:00:00+0000"}
CRL = {
    "id": "crl_distribution_points",
    "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}},
}


def _usage(*names: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(names)},
    }


def _pki(prefix: str, keys: str) -> dict[str, Any]:
    return {
        "external-url-prefix": prefix,
        "keysets": {
            "rl": {
                "path-prefix": keys,
                "keys": {n: {"path": f"{n}.key.pem"} for n in ("root", "tsa", "signer")},
            }
        },
        "pki-architectures": {
            "rl": {
                "keyset": "rl",
                "entity-defaults": {"country-name": "BE", "organization-name": "Release Ledger tests"},
                "entities": {
                    "root": {"common-name": "Test Root CA"},
                    "tsa": {"common-name": "Test Time Stamping Authority"},
                    "signer": {"common-name": "Test Report Signer"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": VALID,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            _usage("digital_signature", "key_cert_sign", "crl_sign"),
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": VALID,
                        "extensions": [
                            _usage("digital_signature"),
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                            CRL,
                        ],
                    },
                    "signer": {
                        "issuer": "root",
                        "validity": VALID,
                        "extensions": [_usage("digital_signature", "non_repudiation"), CRL],
                    },
                },
                "services": {
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        }
                    },
                },
            }
        },
    }


class _Later:
    """A WSGI app set after the server is bound, so the PKI can name the server's port."""

    def __init__(self) -> None:
        self.app: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass(frozen=True)
class Pki:
    tsa_url: str
    root: Path
    signer_cert: Path
    signer_key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    folder = tmp_path_factory.mktemp("pki")
    for name in ("root", "tsa", "signer"):
        key = ec.generate_private_key(ec.SECP256R1())
        path = folder / f"{name}.key.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    prefix = f"http://127.0.0.1:{server.port}"
    config = CertomancerConfig(_pki(prefix, "."), key_search_dir=str(folder))
    arch = config.get_pki_arch(ArchLabel("rl"))
    later.app = Animator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False)
    for name in ("root", "signer"):
        der = arch.get_cert(CertLabel(name)).dump()
        (folder / f"{name}.cert.pem").write_bytes(pem.armor("CERTIFICATE", der))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Pki(
            f"{prefix}/rl/tsa/tsa",
            folder / "root.cert.pem",
            folder / "signer.cert.pem",
            folder / "signer.key.pem",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _sign(demo: Demo, pki: Pki, out: Path, *extra: str | Path) -> None:
    run = demo.cli(
        "report",
        "release",
        "support-summarizer@1.1",
        "--out",
        out,
        "--sign-cert",
        pki.signer_cert,
        "--sign-key",
        pki.signer_key,
        "--tsa-url",
        pki.tsa_url,
        *extra,
    )
    assert run.code == 0, run.err


def _root(pki: Pki) -> Any:
    from pyhanko.keys import load_cert_from_pemder

    return load_cert_from_pemder(str(pki.root))


def test_a_timestamped_report_validates_as_b_t_and_stays_pdf_a(demo: Demo, pki: Pki, tmp_path: Path) -> None:
    from reports.pdfsign import metadata_mismatches

    out = tmp_path / "stamped.pdf"
    _sign(demo, pki, out)
    data = out.read_bytes()

    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[_root(pki)], allow_fetching=False)
    status = validate_pdf_signature(signature, context, ts_validation_context=context)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None, "no signature timestamp: B-B, not B-T"
    assert status.timestamp_validity.intact and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted

    # PDF/A: the info dictionary and the XMP metadata (parsed by pypdf) agree after signing
    reader = PdfReader(io.BytesIO(data))
    xmp = reader.xmp_metadata
    assert xmp is not None and reader.metadata is not None
    assert reader.metadata["/Producer"] == xmp.pdf_producer
    assert reader.metadata["/Creator"] == xmp.xmp_creator_tool
    assert metadata_mismatches(data) == []
    # and the signed file still claims PDF/A-3b
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in raw and 'pdfaid:conformance="B"' in raw

    run = demo.cli("report", "verify", out, "--key", demo.key, "--trust-cert", pki.root)
    assert run.code == 0, run.err
    assert "trusted TSA" in run.out and "PAdES B-T" in run.out, run.out


def test_ltv_embeds_validation_data_that_pyhanko_accepts(demo: Demo, pki: Pki, tmp_path: Path) -> None:
    out = tmp_path / "ltv.pdf"
    _sign(demo, pki, out, "--ltv", "--sign-chain", pki.root)
    data = out.read_bytes()

    # B-LT: the document alone (its security store) must let a verifier check revocation, offline,
    # with revocation checking that fails hard when data is missing.
    reader = PdfFileReader(io.BytesIO(data))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.crls, "no CRL in the document security store"
    offline = {"trust_roots": [_root(pki)], "allow_fetching": False, "revocation_mode": "hard-fail"}
    status = validate_pdf_signature(
        reader.embedded_signatures[0],
        dss.as_validation_context(offline),
        ts_validation_context=dss.as_validation_context(offline),
    )
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted

    bare = ValidationContext(
        trust_roots=[_root(pki)], allow_fetching=False, revocation_mode="hard-fail", crls=[], ocsps=[]
    )
    without = validate_pdf_signature(reader.embedded_signatures[0], bare)
    assert not without.trusted  # so it is the embedded data that made the difference

    run = demo.cli("report", "verify", out, "--key", demo.key, "--trust-cert", pki.root)
    assert run.code == 0, run.err
    assert "PAdES B-LT" in run.out, run.out


def test_an_unreachable_tsa_is_one_line(demo: Demo, pki: Pki, tmp_path: Path) -> None:
    run = demo.cli(
        "report",
        "release",
        "support-summarizer@1.1",
        "--out",
        tmp_path / "r.pdf",
        "--sign-cert",
        pki.signer_cert,
        "--sign-key",
        pki.signer_key,
        "--tsa-url",
        pki.tsa_url.replace("/tsa/tsa", "/tsa/nonexistent"),
    )
    assert run.code != 0 and "time-stamping authority" in run.err and run.err.count("\n") == 1, run.err
    assert not (tmp_path / "r.pdf").exists()
