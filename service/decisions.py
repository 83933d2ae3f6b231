"""Stateless decisions: one case, or a batch of JSON Lines.

POST /v1/decisions is answered by ``answer`` below, called by
``service.front.Front`` before the request reaches FastAPI (FastAPI's layers
cost more than the decision itself: see ``service.front``); its FastAPI route
is declared only so that the OpenAPI document describes it.

The endpoints are ``async``: they read the body as the bytes that were sent
(their hash is recorded, a size limit applies while reading), and an ordinary
case (up to ``INLINE_BYTES``) is decided right there, on the event loop.
Measured on this project's machine, handing a decision to a thread (as a
plain ``def`` endpoint does) cost 270–370 µs of CPU per request, three times
the decision itself (about 90 µs without explanations), and bought nothing:
with the GIL the loop cannot run while the thread decides. A large case, and
every block of a batch, goes to the process's decision thread
(``Service.run``), so that the loop still gets its turns (every 5 ms, Python's
switch interval) to read and write other requests while it is decided.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import tempfile
import time
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from .auth import Principal, decider, for_decision
from .models import DecisionResult
from .operations import receive_body
from .problems import Problem, documented
from .state import new_id

router = APIRouter(tags=["decisions"])

JSON = "application/json"
JSON_TYPE = JSON.encode()
TEXT = b"text/plain; charset=utf-8"
# a case up to this size is decided on the event loop (see above); a larger one,
# which may take many milliseconds, on the decision thread
INLINE_BYTES = 64 * 1024
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NDJSON = "application/x-ndjson"
ERRORS = documented(400, 401, 413, 422)


def case_body(description: str) -> dict:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Case"}}},
        }
    }


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The body as sent, refused (413) past ``limit`` bytes without reading on."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(what, int(length), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(what, None, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, size: int | None, limit: int) -> Problem:
    got = f"is {size} bytes" if size is not None else "is larger than that"
    return Problem(413, "too-large", f"the {what} {got}; the limit is {limit} bytes")


def _programs(programs: list[str]) -> list[str] | None:
    out = [p.strip() for item in programs for p in item.split(",") if p.strip()]
    return out or None


AS_OF = Query(
    None,
    description="Decide with the standards in force on this date "
    "(YYYY-MM-DD) instead of the case's own decision date "
    "(`policy eval --as-of`).",
)


# The parameters of POST /v1/decisions, read by hand (``decision_query``): for a
# decision of a tenth of a millisecond, FastAPI's validation of four declared
# parameters and a nested dependency took longer than the decision. The
# OpenAPI document describes them here; the 400 problems have the same words.
DECISION_PARAMETERS = [
    {
        "name": "explain",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": True},
        "description": "false: outcomes, amounts, failing clauses and missing facts only (the "
        "lean result)",
    },
    {
        "name": "as_of",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
        "description": "Decide with the standards in force on this date (YYYY-MM-DD) instead "
        "of the case's own decision date (`policy eval --as-of`).",
    },
    {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"enum": ["zh", "en"], "default": "zh"},
        "description": "language of the text answer (Accept: text/plain)",
    },
    {
        "name": "full",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "the text answer clause by clause, as `policy eval --full` (default: "
        "the explanation an applicant can follow)",
    },
    {
        "name": "programs",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "decide only these programs (repeat, or separate with commas); "
        "default: those the case applies for, else all",
    },
]
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


# query strings already read → their parameters: a client sends the same few
# again and again, and reading one took ~15 µs of CPU in a worker; bounded
_QUERIES: dict[bytes, tuple] = {}
QUERIES_KEPT = 256


def decision_query(query_string: bytes):
    """(explain, as_of, lang, full, programs) from the query string; a 400
    problem, in the command line's words, for a value that is not one."""
    found = _QUERIES.get(query_string)
    if found is None:
        found = _read_query(query_string)
        if len(_QUERIES) < QUERIES_KEPT:
            _QUERIES[query_string] = found
    explain, as_of, lang, full, programs = found
    return explain, as_of, lang, full, list(programs) if programs else None


def _read_query(query_string: bytes) -> tuple:
    # as Starlette reads a query: every pair, a repeated name's last value wins
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    q = dict(pairs)
    errors = []
    explain = True
    if "explain" in q:
        word = q["explain"].lower()
        if word not in TRUE | FALSE:
            errors.append(("explain", f"'{q['explain']}' is not true or false"))
        explain = word in TRUE
    as_of = None
    if "as_of" in q:
        try:
            if not _DATE.fullmatch(q["as_of"]):
                raise ValueError
            as_of = _dt.date.fromisoformat(q["as_of"])
        except ValueError:
            errors.append(("as_of", f"'{q['as_of']}' is not a date of the form YYYY-MM-DD"))
    lang = q.get("lang", "zh")
    if lang not in ("zh", "en"):
        errors.append(("lang", f"'{lang}' is not one of: 'zh', 'en'"))
    full = False
    if "full" in q:
        word = q["full"].lower()
        if word not in TRUE | FALSE:
            errors.append(("full", f"'{q['full']}' is not true or false"))
        full = word in TRUE
    if errors:
        raise Problem(
            400,
            "bad-parameter",
            "; ".join(f"{f}: {m}" for f, m in errors),
            [
                {"field": f, "message": m, "hint": None, "line": None, "column": None}
                for f, m in errors
            ],
        )
    programs = _programs([v for k, v in pairs if k == "programs"])
    return explain, as_of, lang, full, tuple(programs) if programs else None


async def answer(
    service, query_string: bytes, authorization: str | None, accept: str, receive
) -> tuple[bytes, bytes, str] | None:
    """POST /v1/decisions: (content type, body, decision id) of the answer, or
    None when the client went away before sending the whole case. Raises a
    Problem (400 a bad parameter, 401, 413) or a CaseError (422), in this
    order: the parameters, who asks, the case. The caller (``service.front``)
    has refused a declared Content-Length over the limit already."""
    explain, as_of, lang, full, programs = decision_query(query_string)
    who = await for_decision(service, authorization)
    body = await receive_body(receive, service.settings.max_case_bytes)
    if body is None:
        return None
    user = who.user if who else None
    as_text = "text/plain" in accept and JSON not in accept
    if len(body) <= INLINE_BYTES:
        answer, res, decision_id = service.decide(
            body, as_of=as_of, programs=programs, explain=explain, user=user, as_json=not as_text
        )
    else:
        answer, res, decision_id = await service.run(
            service.decide,
            body,
            as_of=as_of,
            programs=programs,
            explain=explain,
            user=user,
            on_thread=True,
            as_json=not as_text,
        )
    if as_text:
        if full:
            from interpreter.render import TextRenderer

            text = TextRenderer(service.policy, lang).render(res)
        else:
            from interpreter.plain_text import PlainTextRenderer

            out = service.result_json(service.policy, res, explain)
            text = PlainTextRenderer(service.policy, lang).render(out)
        return TEXT, text.encode("utf-8"), decision_id
    return JSON_TYPE, answer, decision_id


@router.post(
    "/v1/decisions",
    response_model=DecisionResult,
    responses={
        **ERRORS,
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "the decisions, as `policy eval --format json` "
            "prints them (or its text with Accept: text/plain)",
        },
    },
    summary="Decide one case and explain the decisions",
    openapi_extra={
        **case_body("the case, as a case file holds it (GET /v1/schema/case)"),
        "parameters": DECISION_PARAMETERS,
        "security": [{"HTTPBearer": []}, {}],
    },
)
async def decide(request: Request):
    # Never called: service.front.Front answers every POST /v1/decisions (with
    # ``answer`` above) before FastAPI routes the request. The route is declared
    # so that /openapi.json and /docs describe the endpoint.
    raise RuntimeError("POST /v1/decisions is answered by service.front, not by this route")


@router.post(
    "/v1/decisions:batch",
    responses={
        **ERRORS,
        200: {
            "description": "one JSON line per case, in input order, as `policy batch` writes "
            "them: a decision (BatchLine) or a line that could not be decided "
            "(BatchReject, as in the rejects file); a batch stopped by the time "
            "limit ends with a BatchEnd line",
            "content": {
                NDJSON: {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/BatchLine"},
                            {"$ref": "#/components/schemas/BatchReject"},
                            {"$ref": "#/components/schemas/BatchEnd"},
                        ]
                    }
                }
            },
        },
    },
    response_class=StreamingResponse,
    summary="Decide many cases (JSON Lines in, JSON Lines out, streamed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "one case per line",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        }
    },
)
async def decide_batch(
    request: Request,
    explain: bool = Query(
        False,
        description="add the explanations and the facts as "
        "read to each line (`policy batch "
        "--explain`)",
    ),
    as_of: _dt.date | None = AS_OF,
    who: Principal | None = Depends(decider),
):
    service = request.app.state.service
    settings = service.settings
    spool = await _spool(request, settings.max_batch_bytes, settings.max_batch_lines)
    request_id = new_id()
    user = who.user if who else None
    deadline = time.monotonic() + settings.batch_seconds

    async def lines():
        from population.batch import CHUNK_SIZE, open_cases

        worker = service.batch_worker(as_of, explain)
        registry = service.registry()
        try:
            with open_cases(spool, "jsonl") as cases:
                blocks = cases.raw_blocks(CHUNK_SIZE)
                while True:
                    block = await service.run(next, blocks, None)
                    if block is None:
                        return
                    if time.monotonic() > deadline:
                        yield _stopped(block[0], settings.batch_seconds)
                        return
                    try:
                        out = await service.run(
                            service.run_block,
                            worker,
                            registry,
                            *block,
                            user=user,
                            request_id=request_id,
                        )
                    except Problem as problem:  # the decision log cannot be written
                        yield _stopped_by(block[0], problem)
                        return
                    yield out
        finally:
            _remove(spool)

    # the spool goes when the answer is sent, or the client has gone
    return StreamingResponse(
        lines(),
        media_type=NDJSON,
        headers={"Request-Id": request_id},
        background=BackgroundTask(_remove, spool),
    )


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def _spool(request: Request, limit: int, max_lines: int) -> str:
    """The body written to a temporary file (read whole before answering, so a
    client that sends everything before reading cannot block the stream), and
    refused (413) past ``limit`` bytes or ``max_lines`` lines."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large("batch", int(length), limit)
    fd, path = tempfile.mkstemp(prefix="policy-batch-", suffix=".jsonl")
    size = lines = 0
    try:
        with os.fdopen(fd, "wb") as f:
            async for chunk in request.stream():
                size += len(chunk)
                lines += chunk.count(b"\n")
                if size > limit:
                    raise _too_large("batch", None, limit)
                if lines > max_lines:
                    raise Problem(
                        413,
                        "too-many-lines",
                        f"the batch has more than {max_lines} "
                        f"lines; the limit is {max_lines}: send it in parts",
                    )
                f.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _stopped_by(line: int, problem: Problem) -> bytes:
    """The last line of a batch that could not go on: the problem, and the
    first line not decided (the lines of its block were not sent either)."""
    from population.batch import compact

    from .problems import body

    detail = f"{problem.detail}; lines from {line} on were not decided: send them again"
    return (
        compact({"stopped": problem.kind, "problem": body(problem.status, problem.kind, detail)})
        + "\n"
    ).encode()


def _stopped(line: int, seconds: float) -> bytes:
    from population.batch import compact

    from .problems import body

    detail = (
        f"the batch took longer than the limit of {seconds:g} seconds; lines from "
        f"{line} on were not decided: send them again"
    )
    return (
        compact({"stopped": "time limit", "problem": body(409, "time-limit", detail)}) + "\n"
    ).encode()
