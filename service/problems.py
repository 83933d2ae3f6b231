"""Errors as ``application/problem+json`` (RFC 9457), worded as the command line
words them: the field path, what was expected, a hint.

Statuses: 400 a bad parameter (the command line's usage error), 401 no or an
unknown token, 403 a role that may not, 404 no such thing, 409 a limit or a
state conflict, 413 too large, 422 a bad case, 500 a bug (never a traceback
to the client; the server's log has it), 503 not ready.
"""

from __future__ import annotations

import json
import logging
import os

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from dsl.errors import CaseError, ErrorList, PolicyError
from dsl.visible import visible

PROBLEM = "application/problem+json"
log = logging.getLogger("policy.serve")

TITLES = {
    400: "bad request",
    401: "not signed in",
    403: "not allowed",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "too large",
    415: "unsupported media type",
    422: "bad case",
    500: "internal error",
    503: "not ready",
}


def documented(*statuses: int) -> dict:
    """The OpenAPI ``responses`` entries of these error statuses."""
    return {
        s: {
            "description": TITLES.get(s, "error"),
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


# ledger.errors kinds → status (the ledger names its errors' kinds for callers like this)
LEDGER: dict[str | None, int] = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "invalid": 422,
    "not_initialised": 503,
    "unavailable": 503,
}


class Problem(Exception):
    """Raised by an endpoint to answer with a problem."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        errors: list | None = None,
        title: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.errors = errors
        self.title = title or TITLES.get(status, "error")
        self.headers = headers


def body(status: int, kind: str, detail: str, *, errors=None, title=None, instance=None) -> dict:
    out = {
        "type": f"urn:policy:problem:{kind}",
        "title": title or TITLES.get(status, "error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        out["instance"] = instance
    if errors:
        out["errors"] = errors
    return out


def response(
    status: int, kind: str, detail: str, *, errors=None, title=None, instance=None, headers=None
) -> Response:
    data = body(status, kind, detail, errors=errors, title=title, instance=instance)
    # a lone surrogate from a case ("\ud800") has no UTF-8: written as its JSON escape
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return Response(
        text.encode("utf-8", "backslashreplace"),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def field_error(err: PolicyError) -> dict:
    """One error as the problem's ``errors`` entry: the field path, the message,
    the hint, and the line and column when the body is not valid JSON."""
    context = err.context or ""
    return {
        "field": context[len("field ") :] if context.startswith("field ") else (context or None),
        "message": err.message,
        "hint": err.hint,
        "line": err.position.line,
        "column": err.position.column,
    }


def from_policy_error(err: PolicyError, status: int | None = None) -> Problem:
    """A bad case (CaseError) is 422; a broken policy or any other PolicyError is
    the server's problem (500): the client cannot fix it."""
    errors = err.errors if isinstance(err, ErrorList) else [err]
    if status is None:
        status = 422 if all(isinstance(e, CaseError) for e in errors) else 500
    kind = "bad-case" if status == 422 else "policy-error"
    # as the command line shows it: a control character of the case escaped (dsl.visible)
    detail = "\n".join(
        visible(e.headline() + (f" (hint: {e.hint})" if e.hint else "")) for e in errors
    )
    return Problem(status, kind, detail, [field_error(e) for e in errors])


def for_problem(exc: Problem, path: str) -> Response:
    return response(
        exc.status,
        exc.kind,
        exc.detail,
        errors=exc.errors,
        title=exc.title,
        instance=path,
        headers=exc.headers,
    )


def for_policy_error(exc: PolicyError, path: str) -> Response:
    status = LEDGER.get(getattr(exc, "kind", None))
    if status is not None:
        # the ledger's errors say which answer they are (ledger.errors)
        detail = exc.headline() + (f" (hint: {exc.hint})" if exc.hint else "")
        return response(
            status,
            exc.kind.replace("_", "-"),
            detail,
            errors=[field_error(exc)],
            instance=path,
        )
    p = from_policy_error(exc)
    return response(p.status, p.kind, p.detail, errors=p.errors, instance=path)


def for_bug(exc: BaseException, path: str) -> Response:
    # the client learns that it is a bug, never the traceback; the server's log has it
    log.error("internal error at %s", path, exc_info=exc)
    if os.environ.get("POLICY_DEBUG"):
        detail = f"internal error: {type(exc).__name__}: {exc}"
    else:
        detail = "internal error: this is a bug in `policy serve`; the server's log says where"
    return response(500, "internal", detail, instance=path)


def for_exception(exc: Exception, path: str) -> Response:
    """The answer to what an endpoint raised: what the application's handlers
    (``install``) answer, for code that runs outside FastAPI (``service.front``)."""
    if isinstance(exc, Problem):
        return for_problem(exc, path)
    if isinstance(exc, PolicyError):
        return for_policy_error(exc, path)
    return for_bug(exc, path)


def install(app) -> None:
    """Every error the application can meet answers as a problem."""
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return for_problem(exc, request.url.path)

    @app.exception_handler(PolicyError)
    async def _policy(request: Request, exc: PolicyError):
        return for_policy_error(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        whole = [_whole_body_error(e, request, exc.body) for e in exc.errors()]
        if any(whole):
            # no body, not JSON, or JSON but not an object: one error, about the body
            err = next(e for e in whole if e)
            return response(
                422,
                "bad-body",
                err["message"],
                errors=[err],
                title=BAD_BODY,
                instance=request.url.path,
            )
        errors = [_parameter_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if any(e.get("loc", ("",))[0] == "body" for e in exc.errors()):
            # a request body that is not what the endpoint takes
            return response(
                422, "bad-body", detail, errors=errors, title=BAD_BODY, instance=request.url.path
            )
        return response(400, "bad-parameter", detail, errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is nothing at {request.url.path}; /docs lists what there is"
        if exc.status_code == 400 and detail == PARSE_FAILED:
            # FastAPI's words when reading a JSON body raised other than a JSON
            # error: bytes that are not UTF-8, or nesting deeper than Python recurses
            body = await request.body()
            try:
                body.decode("utf-8")
                message = "the body is JSON nested too deeply to read"
            except UnicodeDecodeError as bad:
                message = f"the body is not UTF-8 text (byte {bad.start})"
            err = {"field": None, "message": message, "hint": None, "line": None, "column": None}
            detail = f"{message}: {SEND_JSON}"
            return response(
                422, "bad-body", detail, errors=[err], title=BAD_BODY, instance=request.url.path
            )
        return response(
            exc.status_code,
            kind,
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        return for_bug(exc, request.url.path)


BAD_BODY = "bad request body"
PARSE_FAILED = "There was an error parsing the body"
SEND_JSON = "send a JSON object with Content-Type: application/json"
_JSON_KINDS = {list: "a list", str: "a text", bool: "true or false", int: "a number"}


def _whole_body_error(e: dict, request: Request, text) -> dict | None:
    """An error about the whole body, not a field of it, in words a client
    can act on; None for any other. (pydantic's own words were "Input should
    be a valid dictionary or object to extract fields from", under the
    field "": for `curl --data '{"approve": true}'`, whose Content-Type is a
    form's, so the body was never read as JSON; ": is required" for no body;
    the field "1" and "JSON decode error" for JSON that is not.)"""
    loc = tuple(e.get("loc", ()))
    kind = e.get("type", "")
    line = column = None
    if kind == "json_invalid" and loc[:1] == ("body",):
        reason = (e.get("ctx") or {}).get("error", "")
        message = f"the body is not valid JSON: {reason}".rstrip(": ")
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(text, str):
            pos = loc[1]
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    elif loc != ("body",):
        return None
    elif kind == "missing":
        message = f"the request has no body: {SEND_JSON}"
    else:
        sent = request.headers.get("content-type")
        value = e.get("input")
        if isinstance(value, (bytes, bytearray)) or not _is_json(sent):
            said = f"Content-Type {sent}" if sent else "no Content-Type"
            message = f"the body was not read as JSON ({said}): {SEND_JSON}"
        else:
            found = "null" if value is None else _JSON_KINDS.get(type(value), "a number")
            message = f"the body is {found}, not a JSON object: {SEND_JSON}"
    return {"field": None, "message": message, "hint": None, "line": line, "column": column}


def _is_json(content_type: str | None) -> bool:
    """As FastAPI decides to read a body as JSON: application/json or +json."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _parameter_error(e: dict) -> dict:
    """A bad query parameter, in the command line's words for the same option."""
    loc = [str(x) for x in e.get("loc", ())]
    where = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "header", "body") else loc)
    value = e.get("input")
    kind = e.get("type", "")
    if kind.startswith("date"):
        message = f"'{value}' is not a date of the form YYYY-MM-DD"
    elif kind.startswith("bool"):
        message = f"'{value}' is not true or false"
    elif kind == "literal_error":
        message = f"'{value}' is not one of: {e.get('ctx', {}).get('expected', '')}"
    elif kind == "missing":
        message = "is required"
    else:
        message = e.get("msg", "invalid")
        if isinstance(value, (str, int)):
            message += f", found {json.dumps(value, ensure_ascii=False)}"
    return {"field": where, "message": message, "hint": None, "line": None, "column": None}
