"""POST /v1/decisions is answered by ``service.front``, in front of FastAPI:
what it answers over real HTTP is what the FastAPI application answers for
every other route — the headers, the problems and their order, the request
metrics, the log line, the bytes of the JSON (the other decision tests cover
the values; the ledger tests cover tokens over SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from tests.service.server import ROOT, metric

CASE = (ROOT / "examples/skill_upgrade_senior.json").read_bytes()
PROBLEM = "application/problem+json"


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["instance"] == "/v1/decisions"
    assert "Traceback" not in r.text
    return body


def one(r, name: str) -> str:
    """The header, sent exactly once."""
    values = r.headers.get_list(name)
    assert len(values) == 1, (name, values)
    return values[0]


@pytest.fixture(scope="module")
def counted(serve):
    """A server of one worker whose metrics only this module's tests move."""
    return serve("--anonymous-decisions", "--decision-log", "")


def test_the_answer_and_its_headers(open_server):
    c = open_server.client
    policy = c.get("/v1/policy").json()
    r = c.post("/v1/decisions", content=CASE)
    assert r.status_code == 200
    assert one(r, "content-type") == "application/json"
    assert int(one(r, "content-length")) == len(r.content)
    assert re.fullmatch(r"[0-9a-f]{32}", one(r, "decision-id"))
    assert one(r, "policy-id") == policy["id"]
    assert one(r, "policy-hash") == policy["hash"]
    # the bytes of `policy batch`'s lines: sorted keys, no spaces, UTF-8 as is
    data = r.json()
    assert r.content == json.dumps(
        data, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")
    assert "技能提升补贴" in r.text
    # the text answer
    r = c.post("/v1/decisions", content=CASE, headers={"Accept": "text/plain"})
    assert one(r, "content-type") == "text/plain; charset=utf-8"
    assert one(r, "policy-hash") == policy["hash"] and one(r, "decision-id")
    # JSON when the client takes both
    r = c.post("/v1/decisions", content=CASE, headers={"Accept": "text/plain, application/json"})
    assert r.headers["content-type"] == "application/json"


def test_problems_carry_the_policy_headers_once(open_server):
    r = open_server.client.post("/v1/decisions", content=b"{")
    problem(r, 422)
    assert one(r, "policy-id") == "taierzhuang-2020-4"
    assert one(r, "policy-hash").startswith("sha256:")
    assert "decision-id" not in r.headers  # no decision was made


def test_the_query_as_starlette_reads_it(open_server):
    """A repeated parameter: its last value; programs: every value, in order."""
    c = open_server.client
    r = c.post("/v1/decisions?explain=true&explain=false", content=CASE)
    assert "clauses" not in r.json()["decisions"][0]
    r = c.post("/v1/decisions?explain=false&explain=true", content=CASE)
    assert "clauses" in r.json()["decisions"][0]
    r = c.post("/v1/decisions?programs=skill_upgrade&programs=vocational_training", content=CASE)
    assert [d["program"] for d in r.json()["decisions"]] == ["skill_upgrade", "vocational_training"]
    # percent-encoded values are read as text
    r = c.post("/v1/decisions?as_of=2020%2D06%2D01", content=CASE)
    assert r.json()["case"]["as_of"] == "2020-06-01"
    body = problem(c.post("/v1/decisions?lang=%E4%B8%AD", content=CASE), 400)
    assert body["errors"][0]["message"] == "'中' is not one of: 'zh', 'en'"
    # every bad parameter at once, in the command line's words
    for _ in range(2):  # a query read before is read from memory: the same answer
        body = problem(c.post("/v1/decisions?explain=x&full=y&as_of=z", content=CASE), 400)
        assert [e["field"] for e in body["errors"]] == ["explain", "as_of", "full"]
        assert body["detail"] == (
            "explain: 'x' is not true or false; as_of: 'z' is not a date of the form "
            "YYYY-MM-DD; full: 'y' is not true or false"
        )
        r = c.post("/v1/decisions?programs=skill_upgrade,vocational_training", content=CASE)
        assert [d["program"] for d in r.json()["decisions"]] == [
            "skill_upgrade",
            "vocational_training",
        ]


def test_the_order_of_the_checks(serve):
    """Size (declared), then the parameters, then who asks, then the case: a
    request is told about the first thing wrong with it."""
    closed = serve()  # no --anonymous-decisions, no database: no one may decide
    c = closed.client
    big = b" " * (1024 * 1024 + 1)
    body = problem(c.post("/v1/decisions?explain=x", content=big), 413)
    assert body["detail"] == "the request body is 1048577 bytes; the limit is 1048576 bytes"
    problem(c.post("/v1/decisions?explain=x", content=b"{"), 400)
    r = c.post("/v1/decisions", content=b"{")
    body = problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert body["detail"] == "send an API token: Authorization: Bearer TOKEN"
    r = c.post("/v1/decisions", content=CASE, headers={"Authorization": "Bearer pol_x"})
    assert "this server has no database, so it knows no tokens" in problem(r, 401)["detail"]
    # a header that is not a bearer token is refused even where anyone may decide
    for server in (closed, serve("--anonymous-decisions", "--decision-log", "")):
        for header in ("Basic YWxpY2U6eA==", "Bearer", "pol_x"):
            r = server.client.post("/v1/decisions", content=CASE, headers={"Authorization": header})
            assert problem(r, 401)["type"] == "urn:policy:problem:unauthenticated"
            r = server.client.post(
                "/v1/decisions:batch", content=CASE + b"\n", headers={"Authorization": header}
            )
            assert r.status_code == 401, r.text


def test_a_body_over_the_limit_sent_in_pieces(open_server):
    def pieces():
        for _ in range(17):
            yield b" " * 65536

    body = problem(open_server.client.post("/v1/decisions", content=pieces()), 413)
    assert body["detail"] == "the request body is larger than the limit of 1048576 bytes"
    # the server goes on
    assert open_server.client.post("/v1/decisions", content=CASE).status_code == 200


def test_request_metrics(counted):
    c = counted.client

    def count(status: str) -> float:
        text = c.get("/metrics").text
        return metric(text, "policy_http_requests_total", route="/v1/decisions", status=status)

    def timed() -> float:
        text = c.get("/metrics").text
        return metric(text, "policy_http_request_duration_seconds_count", route="/v1/decisions")

    before = {s: count(s) for s in ("200", "400", "413", "422", "499")}
    start = timed()
    for _ in range(3):
        assert c.post("/v1/decisions", content=CASE).status_code == 200
    c.post("/v1/decisions?explain=maybe", content=CASE)
    c.post("/v1/decisions", content=b"[]")
    c.post("/v1/decisions", content=b" " * (1024 * 1024 + 1))
    # a client that goes away before sending the whole case: answered to no
    # one, counted as 499 (nginx's "client closed request"), not as a bug
    with socket.create_connection(("127.0.0.1", counted.port)) as s:
        s.sendall(
            b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + CASE[:10]
        )
    assert c.post("/v1/decisions", content=CASE).status_code == 200
    for _ in range(50):  # the server learns of the closed connection in its own time
        if count("499") > before["499"]:
            break
        time.sleep(0.1)
    after = {s: count(s) for s in before}
    assert {s: after[s] - before[s] for s in before} == {
        "200": 4,
        "400": 1,
        "413": 1,
        "422": 1,
        "499": 1,
    }
    assert timed() - start == 8
    # the decisions, by program and outcome, and the rejected case
    text = c.get("/metrics").text
    assert metric(text, "policy_decisions_total", program="skill_upgrade", outcome="eligible") == 4
    assert metric(text, "policy_rejected_cases_total", endpoint="decisions") == 1
    assert "internal error" not in counted.stderr()


def test_everything_else_reaches_fastapi(open_server):
    c = open_server.client
    r = c.get("/v1/decisions")
    assert r.status_code == 405 and r.headers["content-type"] == PROBLEM
    assert one(r, "policy-hash").startswith("sha256:")
    assert c.post("/v1/decisions:batch", content=CASE + b"\n").status_code == 200
    # the route is still documented, with its parameters
    spec = c.get("/openapi.json").json()["paths"]["/v1/decisions"]["post"]
    assert [p["name"] for p in spec["parameters"]] == [
        "explain",
        "as_of",
        "lang",
        "full",
        "programs",
    ]


class Recorded:
    """A transport that keeps what is written (what the socket would be sent)."""

    def __init__(self):
        self.writes: list[bytes] = []

    def write(self, data) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def uvicorn_cycle(transport):
    """The request cycle of the uvicorn `policy serve` runs (httptools), for
    one keep-alive POST, writing to ``transport``."""
    import asyncio
    import logging

    from uvicorn.protocols.http.flow_control import FlowControl
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    done = []
    cycle = RequestResponseCycle(
        scope={"type": "http", "method": "POST", "path": "/v1/decisions"},
        transport=transport,
        flow=FlowControl(transport),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: done.append(True),
    )
    return cycle, done


def test_the_answer_is_written_at_once():
    """With the installed uvicorn, the status line, the headers and the body go
    to the connection in one write (one TCP segment, one wake-up of the
    client), and uvicorn's own bookkeeping of the response still runs."""
    import asyncio

    from service.front import send_whole

    body = b'{"decisions":[]}'
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"16")],
    }
    end = {"type": "http.response.body", "body": body}

    async def run():
        transport = Recorded()
        cycle, done = uvicorn_cycle(transport)
        await send_whole(cycle.send, start, end)
        return transport, cycle, done

    transport, cycle, done = asyncio.run(run())
    [written] = transport.writes
    assert written.startswith(b"HTTP/1.1 200 OK\r\n") and written.endswith(b"\r\n\r\n" + body)
    assert b"content-length: 16\r\n" in written
    assert cycle.transport is transport and cycle.response_complete and done == [True]

    # any other server's send gets the two messages as they are
    got = []

    async def send(message):
        got.append(message)

    asyncio.run(send_whole(send, start, end))
    assert got == [start, end]
