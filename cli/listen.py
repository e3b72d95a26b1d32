"""Where a server command will listen, checked before it says so."""

from __future__ import annotations

import socket

from ledger.errors import InputError


def listen_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` once a socket could be bound there (IPv6 hosts in brackets).

    Raises InputError naming the address and the reason (in use, not an address of this
    machine, no permission), so a server command fails in one line before it prints a
    banner that claims it is listening. The socket is closed again at once: uvicorn binds
    its own, so a process that takes the port in between still gets uvicorn's error.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot listen on {host} port {port}: {reason.lower()}") from None
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"
