"""The transparency log, as pure functions and values: no database, no clock, no network.

- ``merkle``      RFC 9162 hashing, compact ranges, proof planning and proof verification;
- ``entry``       the canonical entry and its leaf hash;
- ``note``        C2SP signed notes with Ed25519 keys;
- ``checkpoint``  C2SP tlog-checkpoint bodies;
- ``exportfile``  the JSON Lines export;
- ``verify``      streaming verification of a whole log against its checkpoints.
"""
