"""The add-checkpoint request body is parsed strictly (https://c2sp.org/tlog-witness)."""

from __future__ import annotations

import base64

import pytest

from ledger.witness.request import MAX_BODY_BYTES, BadRequest, parse_add_checkpoint
from tests.witness.helpers import Tree, body, leaves, request_for

HASH = base64.b64encode(bytes(32)).decode()


def test_a_request_with_a_proof_parses() -> None:
    tree = Tree(leaves(9))
    request = parse_add_checkpoint(request_for(tree, 5, 9))
    assert request.old_size == 5
    assert list(request.proof) == tree.proof(5, 9) and len(request.proof) > 1
    assert request.note == tree.checkpoint(9)


def test_a_request_from_zero_has_no_proof_lines() -> None:
    request = parse_add_checkpoint(request_for(Tree(leaves(3)), 0, 3))
    assert (request.old_size, request.proof) == (0, ())


@pytest.mark.parametrize(
    "text",
    [
        "old 05\n\nnote\n",  # leading zero
        "old -1\n\nnote\n",
        "old 1 \n\nnote\n",
        "Old 1\n\nnote\n",
        "old\n\nnote\n",
        "old 1\nnote\n",  # no empty line
        f"old 1\n{HASH}",  # no empty line, no checkpoint
        "old 1\nnot base64!\n\nnote\n",
        f"old 1\n{base64.b64encode(bytes(31)).decode()}\n\nnote\n",  # not a 32-byte hash
        "old 1\n" + f"{HASH}\n" * 64 + "\nnote\n",  # more than 63 proof lines
        "\nold 1\n\nnote\n",
    ],
)
def test_malformed_bodies_are_400(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_add_checkpoint(text.encode())


def test_63_proof_lines_are_allowed() -> None:
    assert len(parse_add_checkpoint(("old 1\n" + f"{HASH}\n" * 63 + "\nnote\n").encode()).proof) == 63


def test_bytes_that_are_not_utf8_or_too_many_are_400() -> None:
    with pytest.raises(BadRequest):
        parse_add_checkpoint(b"old 1\n\n\xff\n")
    with pytest.raises(BadRequest):
        parse_add_checkpoint(body(0, [], "x" * MAX_BODY_BYTES))
