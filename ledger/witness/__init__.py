"""A transparency-log witness, pure: the C2SP tlog-witness add-checkpoint exchange.

``ledger.witness.request`` parses a request body strictly; ``ledger.witness.decide`` answers it
from the witness's configured logs and its last recorded (size, root hash) for the origin.
No I/O and no clock reads: the edge (``witness_server``) holds the state and passes the time.
"""
