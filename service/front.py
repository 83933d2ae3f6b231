"""The front of `policy serve`: the ASGI application uvicorn runs. It answers
POST /v1/decisions itself and hands every other request, unchanged, to the
FastAPI application (``service.app``).

Why a front: a lean decision costs about 100 µs of CPU, and FastAPI's and
Starlette's layers around it cost as much again (measured in a worker: the
same POST through the FastAPI application took 258 µs of CPU against 131 µs
for the decision, its log line and its metrics; an empty GET /healthz 88 µs):
routing over every route (the officer pages' too), the middleware stack,
exception handling, the request and response objects, FastAPI's telemetry
check. Here the one hot endpoint is a path comparison away.

What the request meets is what FastAPI would give it: the same checks in
the same order (body size, parameters, who asks, the case), the same
problems (``problems.for_exception``, the functions the application's
handlers call), the same JSON, the Policy-Id and Policy-Hash headers, the
same request metrics (route ``/v1/decisions``), the same decision log line.
"""

from __future__ import annotations

import time
from typing import Any

from . import decisions, operations, problems

ROUTE = "/v1/decisions"
# a request whose client went away before sending the whole case: answered to
# no one, counted with nginx's status for it
CLIENT_GONE = 499


class Front:
    def __init__(self, app, service):
        self.app = app  # the FastAPI application: every other request
        self.service = service
        self.headers = operations.policy_headers(service.policy)
        self.limit = service.settings.max_case_bytes

    @property
    def state(self):
        """The application's state (``state.service``), as on the FastAPI app."""
        return self.app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == ROUTE and scope["method"] == "POST":
            return await self.decide(scope, receive, send)
        return await self.app(scope, receive, send)

    async def decide(self, scope, receive, send) -> None:
        start = time.perf_counter()
        status = 500
        try:
            authorization, accept, length = None, "", None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value.decode("latin-1")
                elif name == b"accept":
                    accept = value.decode("latin-1")
                elif name == b"content-length":
                    length = value
            try:
                if length is not None and length.isdigit() and int(length) > self.limit:
                    # refused before a byte of the body is read
                    raise operations.too_large(self.limit, int(length))
                got = await decisions.answer(
                    self.service, scope["query_string"], authorization, accept, receive
                )
            except Exception as exc:  # noqa: BLE001 - every error is a problem, as in FastAPI
                response = problems.for_exception(exc, ROUTE)
                response.raw_headers.extend(self.headers)
                status = response.status_code
                await response(scope, receive, send)
                return
            if got is None:
                status = CLIENT_GONE
                return
            content_type, body, decision_id = got
            status = 200
            await send_whole(
                send,
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", content_type),
                        (b"content-length", str(len(body)).encode()),
                        (b"decision-id", decision_id.encode()),
                        *self.headers,
                    ],
                },
                {"type": "http.response.body", "body": body},
            )
        finally:
            operations.count_request("POST", ROUTE, status, time.perf_counter() - start)


async def send_whole(send, start: dict, body: dict) -> None:
    """The two ASGI messages of a whole answer, written to the connection at once.

    uvicorn writes the status line and headers as soon as it gets
    ``http.response.start`` and the body at ``http.response.body``: two
    writes, two TCP segments on loopback, two wake-ups of the client. Measured
    on this machine, one write of both made the floor 10 µs faster at p50 and
    8 µs cheaper in server CPU. So while the two messages are sent, uvicorn's
    request cycle (``send.__self__``) writes to a ``_Joined`` transport that
    holds the first write and writes it with the second. Any other server, or
    a uvicorn without a cycle's ``transport``, gets the two messages as
    they are (tests/service/test_service_front.py checks the installed
    uvicorn takes this path)."""
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "write"):
        await send(start)
        await send(body)
        return
    joined = _Joined(transport)
    cycle.transport = joined
    try:
        await send(start)
        await send(body)
    finally:
        cycle.transport = transport
        joined.flush()


class _Joined:
    """A transport that holds its first write and writes it with the second
    (every later write, and everything else, goes to the real transport)."""

    __slots__ = ("first", "held", "real")

    def __init__(self, real):
        self.real = real
        self.held = None
        self.first = True

    def write(self, data) -> None:
        if self.first:
            self.first = False
            self.held = bytes(data)
            return
        if self.held is not None:
            data = self.held + data
            self.held = None
        self.real.write(data)

    def flush(self) -> None:
        """Whatever is still held (no second write came), written now."""
        if self.held is not None:
            held, self.held = self.held, None
            if not self.real.is_closing():
                self.real.write(held)

    def __getattr__(self, name):
        return getattr(self.real, name)
