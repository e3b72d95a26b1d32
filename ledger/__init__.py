"""Release Ledger's domain core: the log's formats and the scoring, pure.

The bottom layer of the architecture (docs/architecture.md); it imports nothing else of ours.

- ``ledger.encoding``  exact numbers, RFC 8785 canonical bytes, the one strict YAML/JSON reader;
- ``ledger.tlog``      the transparency log: entries, the RFC 9162 Merkle tree, C2SP signed
                       notes and checkpoints, export files and streaming verification;
- ``ledger.scoring``   the decision request and the Model Iteration Index: gates, bands and
                       the deployment risk tier (seeds 000 and 001);
- ``ledger.errors``    the one error hierarchy the edges translate;
- ``ledger.clock``     the clock the edges pass in.
"""

__version__ = "0.1.0"
