"""PAdES signatures: a throwaway self-signed certificate signs a report; breaking a signed byte is caught."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.reports.conftest import Demo


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate made for this test run only; never committed."""
    folder = tmp_path_factory.mktemp("cert")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Release Ledger test reports")])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_signed_report_verifies_and_a_broken_signature_is_rejected(
    demo: Demo, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = certificate
    signed = tmp_path / "signed.pdf"
    run = demo.cli(
        "report",
        "scorecard",
        "--model",
        "support-summarizer",
        "--out",
        signed,
        "--sign-cert",
        cert,
        "--sign-key",
        key,
    )
    assert run.code == 0, run.err
    assert "PAdES-signed" in run.out

    ok = demo.cli("report", "verify", signed, "--key", demo.key, "--require-signature")
    assert ok.code == 0, ok.err
    assert "trust not checked" in ok.out
    trusted = demo.cli("report", "verify", signed, "--key", demo.key, "--trust-cert", cert)
    assert trusted.code == 0 and "Release Ledger test reports, trusted" in trusted.out

    data = bytearray(signed.read_bytes())
    position = data.index(b"Contract terms") if b"Contract terms" in data else len(data) // 3
    data[position] ^= 0x01  # a signed byte (the signature covers all but its own /Contents)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(data))
    bad = demo.cli("report", "verify", broken, "--key", demo.key)
    assert bad.code == 3 and "signature" in bad.err and bad.err.count("\n") == 1, bad.err

    appended = tmp_path / "appended.pdf"
    appended.write_bytes(signed.read_bytes() + b"\n% appended after signing\n")
    late = demo.cli("report", "verify", appended, "--key", demo.key)
    assert late.code == 3 and "signature" in late.err, late.err


def test_unreadable_signing_key_is_one_line(
    demo: Demo, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, _ = certificate
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    run = demo.cli(
        "report",
        "release",
        "support-summarizer@1.1",
        "--out",
        tmp_path / "r.pdf",
        "--sign-cert",
        cert,
        "--sign-key",
        junk,
    )
    assert run.code == 1 and "signing key" in run.err and run.err.count("\n") == 1, run.err
