"""The ``rledger`` command line: a thin layer over ``services.service``."""
