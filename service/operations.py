"""Operations: /healthz, /readyz, /metrics, and what every response carries.

Metrics are Prometheus text from ``prometheus_client``. With several worker
processes each process counts into files of a shared folder
(``PROMETHEUS_MULTIPROC_DIR``, made by `policy serve`) and /metrics, whichever
worker answers it, adds them all up: the library's multiprocess mode. Counts
reach those files up to FLUSH_SECONDS after the request (see ``flush``); a
scrape waits WAIT_SECONDS for them. (The files go when `policy serve` stops,
so counts a stopping worker had not written yet are lost with them anyway.)
"""

from __future__ import annotations

import asyncio
import bisect
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
        _inc(_series(DECISIONS, program, outcome), n)


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """One request answered: counted by its route template and status, and timed."""
    _inc(_series(REQUESTS, method, route, str(status)), 1)
    _observe(_series(LATENCY, route), seconds)


# Counts made on the event loop's thread wait here, added up, and are written
# to the metric files at most FLUSH_SECONDS later, in one go. Written one by
# one, prometheus_client's multiprocess mode takes a lock and writes to a
# memory-mapped file for every counter and twice for a histogram: ~13 µs of
# CPU a decision in a tight loop, more in a worker, where a lean decision costs
# ~70 µs. /metrics writes its own worker's and waits WAIT_SECONDS for the
# other workers' (``metrics``), so a scrape sees every request answered
# before it. Counts made on another thread (a batch's blocks) are written at once.
FLUSH_SECONDS = 0.05
WAIT_SECONDS = 0.2
_counts: dict = {}  # counter series → amount
_observed: dict = {}  # histogram series → [sum, {bucket index: count}]
_flush_at: list = []  # the timer handle, while one is set


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _inc(series, n) -> None:
    loop = _running_loop()
    if loop is None:
        series.inc(n)
        return
    _counts[series] = _counts.get(series, 0) + n
    if not _flush_at:
        _flush_at.append(loop.call_later(FLUSH_SECONDS, flush))


def _observe(series, seconds: float) -> None:
    loop = _running_loop()
    if loop is None:
        series.observe(seconds)
        return
    got = _observed.get(series)
    if got is None:
        got = _observed[series] = [0.0, {}]
    got[0] += seconds
    # the bucket ``observe`` would count: the first bound at or above the value
    i = bisect.bisect_left(series._upper_bounds, seconds)
    got[1][i] = got[1].get(i, 0) + 1
    if not _flush_at:
        _flush_at.append(loop.call_later(FLUSH_SECONDS, flush))


def flush() -> None:
    """Write what was counted and not yet written (on the event loop's thread)."""
    _flush_at.clear()
    counts, observed = list(_counts.items()), list(_observed.items())
    _counts.clear()
    _observed.clear()
    for series, n in counts:
        series.inc(n)
    for series, (total, buckets) in observed:
        # what ``observe`` does for each value, for all of them at once
        series._sum.inc(total)
        for i, n in buckets.items():
            series._buckets[i].inc(n)


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
async def metrics():
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    flush()  # this worker's counts; the other workers write theirs meanwhile
    await asyncio.sleep(WAIT_SECONDS)
    return Response(await run_in_threadpool(_collect), media_type=CONTENT_TYPE_LATEST)


def _collect() -> bytes:
    if os.environ.get(MULTIPROC):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
