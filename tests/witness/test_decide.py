"""Every answer of add-checkpoint, decided without I/O (ledger.witness.decide)."""

from __future__ import annotations

import base64

import pytest

from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.cosignature import Cosigner
from ledger.tlog.merkle import EMPTY_ROOT
from ledger.tlog.note import Ed25519Signer, sign_note
from ledger.witness.decide import SIZE_CONTENT_TYPE, Answer, LogState, decide, log_keys, origin_of
from ledger.witness.request import parse_add_checkpoint
from tests.witness.helpers import LOG_KEY, ORIGIN, WITNESS_KEY, Tree, body, leaves, request_for, seed

COSIGNER = Cosigner(WITNESS_KEY)
LOGS = log_keys([LOG_KEY.verifier_key])
NOW = 1764547200
TREE = Tree(leaves(20))
FORK = Tree(leaves(20, "forked"))


def _answer(raw: bytes, recorded: LogState | None) -> Answer:
    return decide(parse_add_checkpoint(raw), LOGS, recorded, COSIGNER, NOW)


def _state(size: int, tree: Tree = TREE) -> LogState:
    return LogState(size, tree.root(size))


def _assert_cosigned(answer: Answer, size: int, tree: Tree = TREE) -> None:
    assert answer.status == 200, answer.body
    assert answer.new_state == _state(size, tree)
    checkpoint_body = Checkpoint(ORIGIN, size, tree.root(size)).body()
    assert COSIGNER.verifier.verify(answer.body, checkpoint_body) == NOW


def test_the_first_checkpoint_is_cosigned_from_old_size_zero() -> None:
    _assert_cosigned(_answer(request_for(TREE, 0, 7), None), 7)


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 8), (7, 20), (13, 19), (1, 20)])
def test_a_consistency_proof_from_our_own_tree_is_accepted(old: int, new: int) -> None:
    _assert_cosigned(_answer(request_for(TREE, old, new), _state(old)), new)


def test_the_same_checkpoint_again_is_cosigned_and_changes_nothing() -> None:
    _assert_cosigned(_answer(request_for(TREE, 9, 9), _state(9)), 9)


def test_an_unknown_origin_is_404() -> None:
    other = Ed25519Signer.generate("other.example/log", seed("other"))
    answer = _answer(body(0, [], TREE.checkpoint(3, other, "other.example/log")), None)
    assert (answer.status, answer.new_state) == (404, None)


def test_a_checkpoint_no_configured_key_signed_is_403() -> None:
    impostor = Ed25519Signer.generate(ORIGIN, seed("impostor"))  # same name, another key
    answer = _answer(body(0, [], TREE.checkpoint(3, impostor)), None)
    assert (answer.status, answer.new_state) == (403, None)


def test_a_signature_that_does_not_verify_is_403() -> None:
    note = TREE.checkpoint(3)
    _, signature = note.split("\n\n")
    forged = Checkpoint(ORIGIN, 4, TREE.root(4)).body() + "\n" + signature  # the size-3 signature
    assert (_answer(body(0, [], forged), None).status) == 403


def test_a_malformed_checkpoint_is_400() -> None:
    unsigned = Checkpoint(ORIGIN, 3, TREE.root(3)).body()
    for note in (unsigned, unsigned + "\n", f"{ORIGIN}\nthree\nroot\n\n\u2014 x AAAA\n"):
        assert _answer(body(0, [], note), None).status == 400


def test_an_old_size_beyond_the_checkpoint_is_400() -> None:
    answer = _answer(body(9, [], TREE.checkpoint(5)), _state(9))
    assert (answer.status, answer.new_state) == (400, None)


@pytest.mark.parametrize(("recorded", "old"), [(None, 3), (5, 0), (5, 3), (5, 6)])
def test_an_old_size_that_is_not_the_recorded_one_is_409_with_the_size(
    recorded: int | None, old: int
) -> None:
    answer = _answer(request_for(TREE, old, 10), None if recorded is None else _state(recorded))
    assert answer.status == 409 and answer.content_type == SIZE_CONTENT_TYPE
    assert answer.body == f"{recorded or 0}\n" and answer.new_state is None


def test_the_same_size_with_another_root_is_409() -> None:
    answer = _answer(body(8, [], FORK.checkpoint(8)), _state(8))
    assert (answer.status, answer.body, answer.new_state) == (409, "8\n", None)


def test_a_fork_with_a_proof_from_its_own_history_is_422() -> None:
    # The fork proves its size 12 extends *its* size 6; the witness holds the real size 6.
    answer = _answer(body(6, FORK.proof(6, 12), FORK.checkpoint(12)), _state(6))
    assert (answer.status, answer.new_state) == (422, None)


def test_a_real_proof_for_a_forked_checkpoint_is_422() -> None:
    answer = _answer(body(6, TREE.proof(6, 12), FORK.checkpoint(12)), _state(6))
    assert (answer.status, answer.new_state) == (422, None)


def test_bad_proofs_are_422() -> None:
    proof = TREE.proof(5, 11)
    flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    for bad in (flipped, proof[:-1], [*proof, proof[0]], []):
        assert _answer(body(5, bad, TREE.checkpoint(11)), _state(5)).status == 422


def test_a_proof_from_zero_or_between_equal_sizes_must_be_empty() -> None:
    assert _answer(body(0, TREE.proof(2, 4), TREE.checkpoint(4)), None).status == 422
    assert _answer(body(4, TREE.proof(2, 4), TREE.checkpoint(4)), _state(4)).status == 422


def test_an_empty_tree_must_have_the_empty_root() -> None:
    assert _answer(body(0, [], Tree([]).checkpoint(0)), None).new_state == LogState(0, EMPTY_ROOT)
    wrong = sign_note(Checkpoint(ORIGIN, 0, bytes(32)).body(), LOG_KEY)
    assert _answer(body(0, [], wrong), None).status == 422


def test_the_checkpoint_may_carry_other_signatures_and_extension_lines() -> None:
    other = Ed25519Signer.generate("someone.else", seed("else"))
    root = base64.b64encode(TREE.root(4)).decode()
    text = f"{ORIGIN}\n4\n{root}\nan extension\n"
    note = sign_note(text, LOG_KEY)
    note = note + sign_note(text, other).split("\n\n")[1]
    answer = _answer(body(0, [], note), None)
    assert answer.status == 200
    assert COSIGNER.verifier.verify(answer.body, text) == NOW  # the whole body, extension included


def test_the_origin_is_read_before_the_signature_is_checked() -> None:
    request = parse_add_checkpoint(request_for(TREE, 0, 3))
    assert origin_of(request) == ORIGIN
    assert origin_of(parse_add_checkpoint(b"old 0\n\nno checkpoint\n")) is None
