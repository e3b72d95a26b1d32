"""The HTTP API (FastAPI): a thin layer over the services
(``services.ledger_service.LedgerService`` and the per-concept services it composes).

- ``app``          the application factory;
- ``deps``         dependencies: the service, the authenticated caller, role guards;
- ``problems``     the one place domain errors become RFC 9457 problem responses;
- ``schemas``      request and response bodies;
- ``idempotency``  remembered responses for ``Idempotency-Key`` retries;
- ``metrics``      Prometheus counters and latency histograms;
- ``routes/``      one module per resource.

No domain logic lives here: routes authenticate, check the caller's role, call the
service, and shape the answer.
"""
