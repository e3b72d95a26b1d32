"""The storage driver: the one package that speaks SQL, to SQLite or PostgreSQL.

Everything is append-only, enforced by guard triggers in the database itself, and one append
is one transaction that ends with a new signed checkpoint: it lands whole or not at all.
Writers queue for that transaction across processes and machines (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-scoped advisory lock). The tables and their triggers are created
and upgraded by Alembic migrations that ship in the package.

- ``ledger_store``  ``LedgerStore``, the thin front the services are handed (it satisfies
                    ``services.ports.LogStore``); every method delegates to the modules below;
- ``schema``        the SQLModel tables, node keys, the statements built once;
- ``database``      URLs, engines, the read and write transactions (where SQLite and
                    PostgreSQL differ), migrations and the schema revision;
- ``append``        the append transaction: staging entries and subtree hashes, the append
                    time, ``initialize`` and ``import_log``;
- ``read``          entries, chunks, stored nodes, checkpoints, the decision index, snapshots;
- ``migrations/``   the Alembic revisions, run on a connection the driver owns.

This is an edge: it imports ``services.ports`` and the domain (``ledger``), never the HTTP
API, the command line or the reports.
"""
