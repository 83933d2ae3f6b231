"""Errors over real HTTP: application/problem+json in the command line's words,
never a traceback, never an amount; the whole bad-input corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/interpreter/bad_inputs/cases"
PROBLEM = "application/problem+json"
AMOUNT = re.compile(r'"amount"\s*:\s*"\d')


def _corpus():
    for expect in sorted(CORPUS.glob("*.expect.json")):
        spec = json.loads(expect.read_text(encoding="utf-8"))
        case = expect.with_name(expect.name.replace(".expect.json", ".json"))
        if case.exists():
            yield pytest.param(case, spec, id=case.stem)


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["policy-hash"].startswith("sha256:")
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:policy:problem:")
    assert body["title"] and body["detail"]
    assert "Traceback" not in r.text and not AMOUNT.search(r.text)
    return body


@pytest.mark.parametrize("case,spec", list(_corpus()))
def test_bad_input_corpus_gives_the_command_lines_message(open_server, case, spec):
    """Every bad case file of the corpus, sent as a request body: 422 with the
    message `policy eval` prints, the file's name replaced by "request"."""
    r = open_server.client.post("/v1/decisions", content=case.read_bytes())
    body = assert_problem(r, 422)
    for want in spec["stderr_contains"]:
        want = want.replace(case.name, "request").rstrip("\n")
        if want.startswith("  hint: "):
            assert want[len("  hint: ") :] in body["detail"]
        else:
            assert want in body["detail"], body["detail"]
    assert body["errors"] and body["errors"][0]["message"]


def test_problem_fields(open_server):
    r = open_server.client.post("/v1/decisions", content=b'{"applicant": {"insured_months": "14"}}')
    body = assert_problem(r, 422)
    assert body["errors"] == [
        {
            "field": "applicant.insured_months",
            "message": 'expected a number, found "14"',
            "hint": "write numbers without quotes, e.g. 1500",
            "line": None,
            "column": None,
        }
    ]
    assert body["instance"] == "/v1/decisions"
    r = open_server.client.post("/v1/decisions", content=b'{"applicant":\n  {"id": }}')
    body = assert_problem(r, 422)
    assert body["errors"][0]["line"] == 2 and body["errors"][0]["column"] == 10
    assert body["detail"].startswith("request:2:10: not valid JSON")


@pytest.mark.parametrize(
    "body,words",
    [
        (b"", "request: the case file is empty"),
        (b"   \n", "request: the case file is empty"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[1, 2]", "a case is a JSON object"),
        # objects nested deeper than msgspec recurses, under an undeclared key:
        # a RecursionError, which was a 500
        pytest.param(
            b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
            "request: the JSON nests too deeply",
            id="deep-objects",
        ),
        pytest.param(
            b'{"applicant": {"x":' * 20_000 + b"1" + b"}}" * 20_000,
            "nests too deeply",
            id="deep-inside-a-record",
        ),
    ],
)
def test_unusable_bodies(open_server, body, words):
    assert (
        words
        in assert_problem(open_server.client.post("/v1/decisions", content=body), 422)["detail"]
    )


def test_too_large(open_server):
    from interpreter.cases import MAX_CASE_BYTES

    big = b'{"_note": "' + b"x" * (MAX_CASE_BYTES + 10) + b'"}'
    body = assert_problem(open_server.client.post("/v1/decisions", content=big), 413)
    assert f"the limit is {MAX_CASE_BYTES} bytes" in body["detail"]

    def pieces():  # no Content-Length: refused while reading
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    assert_problem(open_server.client.post("/v1/decisions", content=pieces()), 413)


@pytest.mark.parametrize(
    "params,field,words",
    [
        ({"as_of": "2020-13-01"}, "as_of", "'2020-13-01' is not a date of the form YYYY-MM-DD"),
        ({"explain": "perhaps"}, "explain", "'perhaps' is not true or false"),
        ({"lang": "fr"}, "lang", "'fr' is not one of"),
    ],
)
def test_bad_parameters_are_400(open_server, params, field, words):
    r = open_server.client.post("/v1/decisions", params=params, content=b"{}")
    body = assert_problem(r, 400)
    assert body["errors"][0]["field"] == field and words in body["errors"][0]["message"]


def test_not_found_and_wrong_method(open_server):
    assert "/docs" in assert_problem(open_server.client.get("/v1/nothing"), 404)["detail"]
    body = assert_problem(open_server.client.get("/v1/policy/programs/no_such"), 404)
    assert "no program 'no_such'" in body["detail"]
    assert_problem(open_server.client.get("/v1/catalogs/no_such"), 404)
    assert_problem(open_server.client.get("/v1/decisions"), 405)


def _raw(server, head: bytes, body: bytes = b"") -> bytes:
    """Send ``head`` (and ``body``) on a connection of its own; all that comes
    back until the server closes it."""
    import contextlib
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
        # refused while sending: what was answered is still read
        with contextlib.suppress(OSError):
            s.sendall(head + body)
        got = b""
        while True:  # to the end: each request here is the connection's last
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        return got


def test_a_head_without_end_is_refused_431(open_server):
    """One header of 1 MiB, and a head of many headers: with httptools a head
    had no bound (one of 128 MiB was read, 26 s of a worker, and answered
    200). Now 431, a problem, and the connection closed; a head under the
    bound, even on a kept-alive connection whose heads add up to more, is
    answered as before."""
    from service.protocol import MAX_HEAD_BYTES

    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    many = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 100) for i in range(MAX_HEAD_BYTES // 100))
        + b"\r\n"
    )
    for head in (big, many):
        got = _raw(open_server, head)
        assert got.startswith(b"HTTP/1.1 431 "), got[:200]
        problem = json.loads(got.split(b"\r\n\r\n", 1)[1])
        assert problem["status"] == 431 and problem["type"].startswith("urn:policy:problem:")
    # under the bound: answered; three on one connection add up to more than it
    near = b"X-Near: " + b"c" * (MAX_HEAD_BYTES // 2) + b"\r\n"
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + near + b"\r\n"
    got = _raw(open_server, one * 2 + one.replace(b"Host: x", b"Host: x\r\nConnection: close"))
    assert got.count(b"HTTP/1.1 200 ") == 3, got[:300]
    # a body is not a head: a case of 600 KiB after a small head is decided
    case = json.loads((ROOT / "examples/skill_upgrade_senior.json").read_text(encoding="utf-8"))
    case["_note"] = "n" * (600 * 1024)
    body = json.dumps(case).encode()
    head = b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    got = _raw(open_server, head + b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert got.startswith(b"HTTP/1.1 200 "), got[:300]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_decision_log_that_cannot_be_written_gives_no_decision(serve):
    """A full disk under the decision log: each decision was a 500 "internal
    error … a bug", and a batch's stream was cut off without a word. Now 503
    saying so, no decision without its line; a batch ends with a line naming
    the problem and the first line not decided."""
    server = serve("--anonymous-decisions", "--decision-log", "/dev/full")
    case = (ROOT / "examples/skill_upgrade_senior.json").read_bytes()
    for params in ({}, {"explain": "false"}):
        body = assert_problem(server.client.post("/v1/decisions", params=params, content=case), 503)
        assert "the decision log cannot be written (No space left on device)" in body["detail"]
        assert body["type"] == "urn:policy:problem:decision-log"
    line = json.dumps(json.loads(case), ensure_ascii=False).encode()
    r = server.client.post("/v1/decisions:batch", content=line + b"\n" + line + b"\n")
    assert r.status_code == 200
    [end] = [json.loads(x) for x in r.text.splitlines()]
    assert end["stopped"] == "decision-log" and end["problem"]["status"] == 503
    assert "lines from 1 on were not decided" in end["problem"]["detail"]
    assert "Traceback" not in server.stderr()
