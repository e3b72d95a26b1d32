"""`rledger serve` and `rledger witness serve` on an address they cannot listen on fail in one
line naming it, before printing a banner that says they are listening."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import _clean_environment, init_home, run  # noqa: F401  (autouse fixture)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_the_api_server_on_a_port_in_use_names_it_and_prints_no_banner(
    tmp_path: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    team = init_home(tmp_path / "home")
    result = run(capsys, "--home", team.home, "serve", "--port", taken_port)
    assert result.code == 1
    assert f"cannot listen on 127.0.0.1 port {taken_port}: address already in use" in result.err
    assert "serving" not in result.out
    assert not {"RLEDGER_HOME", "RLEDGER_DATABASE_URL"} & set(os.environ)  # nothing handed on


def test_the_witness_server_on_a_port_in_use_names_it_and_prints_no_banner(
    tmp_path: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    team = init_home(tmp_path / "home")
    log_key = run(capsys, "--home", team.home, "key").out.strip()
    assert run(capsys, "witness", "keygen", "--name", "w.example/w1", "--out", tmp_path / "w").code == 0
    args = ["--key", tmp_path / "w.key", "--log", log_key, "--state", tmp_path / "state.db"]
    result = run(capsys, "witness", "serve", *args, "--port", taken_port)
    assert result.code == 1
    assert f"cannot listen on 127.0.0.1 port {taken_port}: address already in use" in result.err
    assert "add-checkpoint" not in result.out
    assert not [name for name in os.environ if name.startswith("RLEDGER_WITNESS")]


def test_an_address_that_is_not_this_machines_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = init_home(tmp_path / "home")
    result = run(capsys, "--home", team.home, "serve", "--host", "192.0.2.1", "--port", 8080)
    assert result.code == 1
    assert "cannot listen on 192.0.2.1 port 8080: cannot assign requested address" in result.err
