"""`rledger witness keygen` and the errors of `rledger witness serve`, in process."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.main import main
from ledger.tlog.cosignature import CosignatureVerifier
from ledger.tlog.note import Ed25519Signer
from tests.witness.helpers import LOG_KEY
from tests.witness.server import write_keys


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_keygen_writes_a_private_key_and_prints_the_verifier_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, "witness", "keygen", "--name", "audit.example/w1", "--out", str(tmp_path / "w")
    )
    assert code == 0, err
    private = tmp_path / "w.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    verifier = CosignatureVerifier.parse(out.strip())
    assert verifier.name == "audit.example/w1"
    assert (tmp_path / "w.vkey").read_text().strip() == out.strip()
    signer = Ed25519Signer.parse(private.read_text())
    assert signer.public_key == verifier.public_key and "PRIVATE" not in out
    again = _run(capsys, "witness", "keygen", "--name", "audit.example/w1", "--out", str(tmp_path / "w"))
    assert again[0] != 0 and "already exists" in again[2]


def _serve(capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str) -> tuple[int, str]:
    key, log = write_keys(tmp_path)
    options = {"--key": str(key), "--log": str(log), "--state": str(tmp_path / "state.db")}
    for name, value in zip(extra[::2], extra[1::2], strict=True):
        options[name] = value
    args = [item for pair in options.items() for item in pair]
    code, _, err = _run(capsys, "witness", "serve", *args, "--port", "1")
    return code, err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--key", "missing.key"), "does not exist"),
        (("--log", "not-a-key"), "--log"),
        (("--log", "log.example+00000000+AAAA"), "--log"),
        (("--log", LOG_KEY.verifier_key.replace("+", "+0", 1)), "--log"),
    ],
)
def test_serve_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, err = _serve(capsys, tmp_path, *extra)
    assert code != 0 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_serve_refuses_a_key_others_can_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = write_keys(tmp_path)
    os.chmod(key, 0o644)
    code, err = _serve(capsys, tmp_path)
    assert code != 0 and "chmod 600" in err and "Traceback" not in err


def test_serve_refuses_a_state_file_it_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _serve(capsys, tmp_path, "--state", str(tmp_path / "no such directory" / "state.db"))
    assert code != 0 and "witness state" in err and "Traceback" not in err
