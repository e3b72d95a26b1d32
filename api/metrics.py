"""Prometheus metrics: requests by route and status, latency, and ledger size."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    def __init__(self) -> None:
        # One registry per app: several apps (tests, workers) never collide.
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rledger_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rledger_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.size = Gauge("rledger_ledger_entries", "Entries in the ledger", registry=self.registry)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests.labels(request.method, path, str(response.status_code)).inc()
        self.latency.labels(request.method, path).observe(time.perf_counter() - started)
        return response
