"""The ledger over HTTP: every endpoint calls ``ledger.api.Ledger`` (the code
of `policy ledger …`), acting as the token's user, after checking the token's
role here. The ledger checks again what only it can know (the user exists and
is active; a reviewer did not submit or add facts to the claim they review;
the claim's state allows the step) and its errors become problems: not found
404, forbidden 403, conflict 409 (a limit, approving twice, paying what is not
payable), invalid 422.

Roles: caseworker (经办) submits and records facts; reviewer (审核) approves or
rejects; finance records payments; auditor verifies the audit chain; every
role (read-only too) reads applications and the publicity list. A role that
may not see an applicant's ID number whole (read-only: ``ledger.masking``,
the rule the officer pages and `policy ledger` follow) reads every
application masked.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from .auth import Principal, require
from .decisions import case_body, read_body
from .models import Application, ApplicationSummary, Payment, Publicity, VerifyReport
from .problems import BAD_BODY, Problem, documented

router = APIRouter(tags=["ledger"])

EVERYONE = ("admin", "caseworker", "reviewer", "finance", "auditor", "read-only")
# the role each step takes (a test reads this table, and tries every role on every endpoint)
ROLES = {
    "submit": ("caseworker",),
    "list": EVERYONE,
    "read": EVERYONE,
    "review": ("reviewer",),
    "record": ("caseworker",),
    "pay": ("finance",),
    "publicity": EVERYONE,
    "verify": ("auditor",),
}
ERRORS = documented(401, 403, 404, 409, 422, 503)


def ledger_of(request: Request):
    service = request.app.state.service
    if service.ledger is None:
        raise Problem(404, "no-ledger", "this server has no ledger: start it with --db URL")
    return service.ledger


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Review(_Body):
    approve: bool = Field(description="true approves (审核通过), false rejects")
    reason: str | None = Field(None, max_length=2000, description="why; required to reject")


class Facts(_Body):
    facts: dict[str, Any] = Field(
        description='fact path → value, e.g. {"project.employment_rate": "0.87"}',
        min_length=1,
        max_length=100,
    )


class Pay(_Body):
    program: str | None = Field(None, description="needed when several grants are payable")
    installment: str | None = Field(
        None, description="needed when several installments are payable"
    )
    reference: str | None = Field(
        None, max_length=200, description="the payment's reference (voucher number)"
    )


class _Repeated(Exception):
    pass


def _refuse_repeats(pairs: list) -> dict:
    seen: set = set()
    for key, _ in pairs:
        if key in seen:
            raise _Repeated(key)
        seen.add(key)
    return dict(pairs)


async def single_keys(request: Request) -> None:
    """A dependency: refuse a JSON body that gives a key twice. FastAPI's JSON
    reader keeps the last, so ``{"approve": false, "reason": "…", "approve":
    true}`` approved and a fact given twice was recorded as one of them, the
    other dropped without a word; a case with a key twice is refused, and so
    is this. (The body is read by then, and kept: this reads it again.)"""
    data = await request.body()
    try:
        json.loads(data, object_pairs_hook=_refuse_repeats)
    except _Repeated as twice:
        key = json.dumps(str(twice), ensure_ascii=False)
        raise Problem(
            422,
            "bad-body",
            f"the key {key} is given twice in the body",
            [
                {
                    "field": None,
                    "message": f"the key {key} is given twice",
                    "hint": None,
                    "line": None,
                    "column": None,
                }
            ],
            title=BAD_BODY,
        ) from None
    except ValueError:  # not JSON: FastAPI's validation says so
        return


def _json(data, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def _for(request: Request, who: Principal, data: dict) -> dict:
    """An application's JSON as ``who`` may read it: ID numbers whole for the
    roles that work with them, masked for any other (``ledger.masking``)."""
    return ledger_of(request).viewer(who.user, who.role).json(data)


@router.post(
    "/v1/applications",
    status_code=201,
    response_model=Application,
    responses=ERRORS,
    summary="经办: submit a claim; decided against the ledger",
    openapi_extra=case_body("the claim: a case, as /v1/decisions takes it"),
)
async def submit(request: Request, who: Principal = Depends(require(*ROLES["submit"]))):
    service = request.app.state.service
    ledger = ledger_of(request)
    body = await read_body(request, service.settings.max_case_bytes, "case")

    def work():
        from interpreter.cases import parse_case_bytes

        case = parse_case_bytes(body, "request")
        app = ledger.submit(who.user, case, source="request", raw=body)
        service.log_ledger_decision(app, who.user, "applications")
        return _for(request, who, app.to_json())

    return _json(await service.run_io(work), 201)


@router.get(
    "/v1/applications",
    response_model=list[ApplicationSummary],
    responses=ERRORS,
    summary="Applications, filtered by status, program, person and submission date",
)
def applications(
    request: Request,
    status: Literal["submitted", "approved", "rejected"] | None = None,
    program: str | None = Query(None, description="a program the claim is decided for"),
    person: str | None = Query(None, description="the person's ID number"),
    submitted_from: _dt.date | None = Query(None, alias="from"),
    submitted_until: _dt.date | None = Query(None, alias="until"),
    who: Principal = Depends(require(*ROLES["list"])),
):
    found = ledger_of(request).applications(
        who.user,
        status=status,
        person=person,
        program=program,
        submitted_from=submitted_from,
        submitted_until=submitted_until,
    )
    return _json([_for(request, who, s.to_json()) for s in found])


@router.get(
    "/v1/applications/{app_id}",
    response_model=Application,
    responses=ERRORS,
    summary="One application: the claim, its decision and explanation, its grants",
)
def application(request: Request, app_id: int, who: Principal = Depends(require(*ROLES["read"]))):
    return _json(_for(request, who, ledger_of(request).application(who.user, app_id).to_json()))


@router.post(
    "/v1/applications/{app_id}/review",
    response_model=Application,
    responses=ERRORS,
    summary="审核: approve, or reject with a reason (not one's own claim)",
)
def review(
    request: Request,
    app_id: int,
    body: Review,
    who: Principal = Depends(require(*ROLES["review"])),
    _: None = Depends(single_keys),
):
    app = ledger_of(request).review(who.user, app_id, approve=body.approve, reason=body.reason)
    return _json(_for(request, who, app.to_json()))


@router.post(
    "/v1/applications/{app_id}/facts",
    response_model=Application,
    responses=ERRORS,
    summary="Record facts (e.g. the employment rate) and decide the claim again",
)
def record(
    request: Request,
    app_id: int,
    body: Facts,
    who: Principal = Depends(require(*ROLES["record"])),
    _: None = Depends(single_keys),
):
    service = request.app.state.service
    app = ledger_of(request).record_fact(who.user, app_id, body.facts)
    service.log_ledger_decision(app, who.user, "applications/facts")
    return _json(_for(request, who, app.to_json()))


@router.post(
    "/v1/applications/{app_id}/payments",
    status_code=201,
    response_model=Payment,
    responses=ERRORS,
    summary="Finance: mark a payable installment paid",
)
def pay(
    request: Request,
    app_id: int,
    body: Pay,
    who: Principal = Depends(require(*ROLES["pay"])),
    _: None = Depends(single_keys),
):
    payment = ledger_of(request).pay(
        who.user,
        app_id,
        program=body.program,
        installment=body.installment,
        reference=body.reference,
    )
    return _json(payment.to_json(), 201)


@router.get(
    "/v1/publicity",
    response_model=Publicity,
    responses={**ERRORS, 200: {"content": {"text/csv": {}, "text/html": {}}}},
    summary="公示: approved grants, names and ID numbers masked",
)
def publicity(
    request: Request,
    start: _dt.date | None = Query(None, alias="from"),
    until: _dt.date | None = None,
    format: Literal["json", "csv", "html"] = "json",
    who: Principal = Depends(require(*ROLES["publicity"])),
):
    lst = ledger_of(request).publicity(who.user, start, until)
    if format == "json":
        return _json(lst.to_json())
    from ledger.publish import render

    media = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}[format]
    return Response(render(lst, format), media_type=media)


@router.get(
    "/v1/audit/verify",
    response_model=VerifyReport,
    responses=ERRORS,
    summary="Walk the audit chain, check every row, re-evaluate every decision",
)
def verify(request: Request, who: Principal = Depends(require(*ROLES["verify"]))):
    return _json(ledger_of(request).verify(who.user).to_json())
