"""Release Ledger: a tamper-evident record of model and prompt release decisions.

The package is layered so that the architecture shows in the folder tree:

- ``ledger.encoding``  exact numbers and RFC 8785 canonical bytes;
- ``ledger.tlog``      the transparency log: entries, Merkle tree, signed notes,
                       checkpoints, export files and verification (pure, no I/O);
- ``ledger.scoring`` release decision records and Model Iteration Index scoring (pure);
- ``store.ledger_store``     the one module that talks SQL;
- ``services.service``   the application service the CLI and the HTTP API share;
- ``cli``       the ``rledger`` command line.
"""

__version__ = "0.1.0"
