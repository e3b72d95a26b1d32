"""The application: what the ledger can do, shared by the CLI, the HTTP API and the reports.

One small service per concept (``decisions``, ``lifecycle``, ``identities``, ``tokens``,
``policy_admin``, ``log``, ``verification``, ``setup``), all appending through one
``governed.GovernedLog``, composed in ``ledger_service.LedgerService``. Storage is reached
only through the ``ports.LogStore`` Protocol, which ``store/`` implements; this package never
imports ``store``. ``restore`` (backup, import), ``keys`` and ``settings`` serve the edges.
"""
