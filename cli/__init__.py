"""The ``rledger`` command line: a thin layer over the services (``services.ledger_service``)."""
