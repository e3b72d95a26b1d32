"""The ``rledger`` command line: a thin layer over ``ledger.service``."""
