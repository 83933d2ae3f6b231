"""Operations: /healthz, /readyz, /metrics, and what every response carries.

Metrics are Prometheus text from ``prometheus_client``. With several worker
processes each process counts into files of a shared folder
(``PROMETHEUS_MULTIPROC_DIR``, made by `policy serve`) and /metrics, whichever
worker answers it, adds them all up: the library's multiprocess mode.
"""

from __future__ import annotations

import os
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from .models import Health

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "policy_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "policy_http_request_duration_seconds",
    "Time from the request to the end of the response",
    ["route"],
    buckets=(
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
        30,
        60,
        300,
    ),
)
DECISIONS = Counter(
    "policy_decisions_total", "Decisions made, by program and outcome", ["program", "outcome"]
)
REJECTED = Counter(
    "policy_rejected_cases_total", "Cases that could not be decided (bad input)", ["endpoint"]
)


# the labelled series met so far: ``labels()`` takes a lock and checks the
# labels each time (a few µs a request, against a decision of 100 µs)
_SERIES: dict = {}


def _series(metric, *labels):
    key = (metric, labels)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = metric.labels(*labels)
    return found


def count_decisions(tallies) -> None:
    """``tallies``: (program, outcome) → count."""
    for (program, outcome), n in tallies.items():
        _series(DECISIONS, program, outcome).inc(n)


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """One request answered: counted by its route template and status, and timed."""
    _series(REQUESTS, method, route, str(status)).inc()
    _series(LATENCY, route).observe(seconds)


def policy_headers(policy) -> list[tuple[bytes, bytes]]:
    """The headers every response carries: the policy's id and hash."""
    return [
        (b"policy-id", policy.document.id.encode("ascii", "replace")),
        (b"policy-hash", policy.hash.encode("ascii")),
    ]


def too_large(limit: int, size: int | None = None):
    """The 413 problem of a request body over ``limit`` bytes (``size``: as
    declared by Content-Length; None: found while reading)."""
    from .problems import Problem

    if size is not None:
        detail = f"the request body is {size} bytes; the limit is {limit} bytes"
    else:
        detail = f"the request body is larger than the limit of {limit} bytes"
    return Problem(413, "too-large", detail)


async def receive_body(receive, limit: int) -> bytes | None:
    """The whole request body from an ASGI ``receive``, refused (``too_large``)
    as soon as it passes ``limit`` bytes; None when the client has gone."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            return None
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class RequestMetrics:
    """Pure ASGI middleware (no per-request Python objects beyond a closure):
    counts each request by its route template and status, times it, and adds
    the policy's id and hash to every response's headers."""

    def __init__(self, app, headers: list[tuple[bytes, bytes]]):
        self.app = app
        self.headers = headers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]
        extra = self.headers

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = list(message.get("headers", ())) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # the template (/v1/policy/programs/{program_id}), never the raw path:
            # one series per route, whatever clients send
            name = getattr(route, "path", None) or "unmatched"
            count_request(scope["method"], name, status[0], time.perf_counter() - start)


class BodyLimit:
    """No request body larger than its endpoint takes: a batch up to
    ``batch_bytes``, anything else up to ``other_bytes`` (a case). A declared
    Content-Length over the limit is refused before a byte is read; a body
    sent in chunks is counted as it arrives and refused when it passes the
    limit. Either way a 413 problem (``problems.Problem``)."""

    def __init__(self, app, other_bytes: int, batch_bytes: int, batch_path: str):
        self.app = app
        self.other_bytes, self.batch_bytes, self.batch_path = other_bytes, batch_bytes, batch_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.batch_bytes if scope["path"] == self.batch_path else self.other_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                from .problems import for_problem

                problem = too_large(limit, int(value))
                return await for_problem(problem, scope["path"])(scope, receive, send)
        seen = 0
        refused = False

        async def counting():
            # past the limit: answer 413 here, and tell the application the
            # client has gone (whatever it answers then is dropped)
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    from .problems import for_problem

                    await for_problem(too_large(limit), scope["path"])(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def sending(message):
            if not refused:
                await send(message)

        try:
            return await self.app(scope, counting, sending)
        except Exception:
            if refused:  # the application's complaint about the cut-off body
                return
            raise


router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz():
    return {"status": "ok", "checks": {}}


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health}},
    summary="Ready to answer: the policy is loaded and the database reachable",
)
def readyz(request: Request):
    service = request.app.state.service
    checks = service.readiness()
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests, latency, decisions by outcome",
    response_class=JSONResponse,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics():
    from starlette.responses import Response

    if os.environ.get(MULTIPROC):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return Response(data, media_type=CONTENT_TYPE_LATEST)
