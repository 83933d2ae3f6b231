"""The HTTP protocol `policy serve` runs: uvicorn's httptools protocol, with a
bound on the head of a request (its request line and headers).

uvicorn bounds a head only with h11 (``h11_max_incomplete_event_size``). With
httptools, which `policy serve` runs because it costs less per request
(commands/serve.py), a head had no bound: a worker read one header of 128 MiB
(26 s of its CPU, the memory all kept) and answered 200, so a few clients
could take a server's memory. Here a head over ``MAX_HEAD_BYTES`` is answered
431 (a problem, as every error of the service) and the connection closed.

Two counts: every byte received while a head is not complete (httptools
keeps them until it is: this bounds what a worker holds; a request's body is
not counted, nor a chunk in which a request ended, where the next one may
begin), and the bytes of the request line and headers as they are parsed
(a head that came whole in one read).
"""

from __future__ import annotations

import json

# nginx's largest default (4 buffers of 8 KiB) is 32 KiB; h11's default 16 KiB
MAX_HEAD_BYTES = 64 * 1024

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def _refusal() -> bytes:
    body = json.dumps(
        {
            "type": "urn:policy:problem:headers-too-large",
            "title": "request header fields too large",
            "status": 431,
            "detail": f"the request's line and headers are over {MAX_HEAD_BYTES} bytes",
        },
        sort_keys=True,
    ).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/problem+json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


if HttpToolsProtocol is not None:

    class BoundedHeadProtocol(HttpToolsProtocol):
        """httptools' protocol, refusing a head over MAX_HEAD_BYTES."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._head = 0  # bytes received while the head was not complete
            self._counted = 0  # bytes of the head's line and headers, as parsed
            self._in_body = False  # between a head's end and its request's end
            self._ended = False  # a request ended in the chunk being read
            self._refused = False

        def _refuse(self) -> None:
            self._refused = True
            self.transport.write(_refusal())
            self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            self._ended = False
            super().data_received(data)
            if self._refused or self._in_body or self._ended or self.transport.is_closing():
                return
            # a head not yet complete: httptools keeps it all until it is
            self._head += len(data)
            if self._head > MAX_HEAD_BYTES:
                self._refuse()

        # a head that came whole in one piece is measured as it is parsed
        def on_message_begin(self) -> None:
            self._counted = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._counted += len(url)
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._counted += len(name) + len(value) + 4  # ": " and the line's end
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            if self._refused or self._counted > MAX_HEAD_BYTES:
                if not self._refused:
                    self._refuse()
                return
            self._in_body = True
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if self._refused:
                return
            self._in_body, self._head, self._ended = False, 0, True
            super().on_message_complete()


def uvicorn_options() -> dict:
    """The options that give uvicorn this protocol (or, without httptools,
    h11 with the same bound)."""
    if HttpToolsProtocol is None:  # pragma: no cover - uvicorn[standard] is a dependency
        return {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD_BYTES}
    return {"http": BoundedHeadProtocol}
