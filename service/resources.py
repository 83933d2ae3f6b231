"""The policy as a resource: the document, its programs and clauses with their
source text, the standards in force on a date, the case schema, the
catalogues the rules read. Public: the policy is a published document.
"""

from __future__ import annotations

import datetime as _dt

from fastapi import APIRouter, Query, Request

from dsl.values import to_json

from .models import Catalog, PolicyInfo, ProgramInfo, Standards
from .problems import Problem, documented

router = APIRouter(tags=["policy"])
NOT_FOUND = documented(404)


def _text(t) -> dict | None:
    return {"zh": t.zh, "en": t.en} if t is not None else None


def _source(policy, cite) -> dict:
    from interpreter.render import citation_json

    out = citation_json(policy, cite)
    clause = policy.clauses.get(cite.clause)
    out["text"] = clause.text if clause else None
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policy")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


@router.get(
    "/v1/policy",
    response_model=PolicyInfo,
    summary="The policy: document, programs, revisions, hash",
)
def policy_info(request: Request):
    p = request.app.state.service.policy
    d = p.document
    return {
        "id": d.id,
        "number": d.number,
        "title": d.title,
        "title_en": d.title_en,
        "issuer": d.issuer,
        "issued": d.issued,
        "period_from": d.period_from,
        "period_until": d.period_until,
        "hash": p.hash,
        "files": {k: "sha256:" + v for k, v in sorted(p.files.items())},
        "revisions": p.revisions,
        "programs": [
            {
                "id": g.id,
                "title": g.title,
                "title_en": g.title_en,
                "source": g.source,
                "revision": g.revision,
            }
            for g in p.programs.values()
        ],
        "service": {"name": "policy", "version": _version()},
    }


@router.get(
    "/v1/policy/standards",
    response_model=Standards,
    responses=NOT_FOUND,
    summary="The standards in force on a date",
)
def standards(
    request: Request, as_of: _dt.date = Query(None, description="YYYY-MM-DD; default: today")
):
    p = request.app.state.service.policy
    day = as_of or _dt.date.today()
    out = []
    for sid, std in p.standards.items():
        v = std.at(day)
        if v is None:
            continue
        out.append(
            {
                "id": sid,
                "label": std.label,
                "label_en": std.label_en,
                "type": std.type,
                "key": std.key,
                "value": to_json(v.value),
                "from": v.start.isoformat(),
                "until": v.until.isoformat() if v.until else None,
                "source": v.source,
                "revision": v.revision,
                "cite": [_cite(p, c) for c in std.cite],
            }
        )
    return {"as_of": day, "standards": out}


def _cite(policy, cite) -> dict:
    from interpreter.render import citation_json

    return citation_json(policy, cite)


@router.get(
    "/v1/policy/programs/{program_id}",
    response_model=ProgramInfo,
    responses=NOT_FOUND,
    summary="A program: its clauses with their source text",
)
def program(request: Request, program_id: str):
    p = request.app.state.service.policy
    g = p.programs.get(program_id)
    if g is None:
        raise Problem(
            404,
            "not-found",
            f"no program '{program_id}' in this policy; programs: " + ", ".join(p.programs),
        )
    a = g.amount
    return {
        "id": g.id,
        "title": g.title,
        "title_en": g.title_en,
        "payee": _text(g.payee),
        "responsible": list(g.responsible),
        "source": g.source,
        "revision": g.revision,
        "clauses": [
            {
                "id": c.id,
                "expr": c.rule.text,
                "at": str(c.rule.position),
                "explain": _text(c.explain),
                "interpretation": _text(c.interpretation),
                "cite": [_source(p, x) for x in c.cite],
            }
            for c in g.clauses
        ],
        "amount": {
            "expr": a.rule.text,
            "cap": a.cap.text if a.cap else None,
            "explain": _text(a.explain),
            "interpretation": _text(a.interpretation),
            "installments": [
                {
                    "id": i.id,
                    "label": _text(i.label),
                    "share": i.share.text if i.share else None,
                    "amount": i.amount.text if i.amount else None,
                    "when": i.when.text if i.when else None,
                }
                for i in a.installments
            ],
            "cite": [_source(p, x) for x in a.cite],
        },
        "cite": [_source(p, x) for x in g.cite],
    }


@router.get(
    "/v1/schema/case",
    summary="The JSON Schema of a case (`policy schema`)",
    responses={200: {"content": {"application/schema+json": {}}}},
)
def schema(request: Request):
    from interpreter.cases import case_schema

    return case_schema(request.app.state.service.policy)


@router.get(
    "/v1/catalogs/{catalog_id}",
    response_model=Catalog,
    responses=NOT_FOUND,
    summary="A catalogue as the rules read it (catalog.NAME)",
)
def catalog(request: Request, catalog_id: str):
    p = request.app.state.service.policy
    if catalog_id not in p.catalog_values:
        raise Problem(
            404,
            "not-found",
            f"no catalogue '{catalog_id}'; catalogues: " + ", ".join(p.catalog_values),
        )
    return {"id": catalog_id, "rows": to_json(p.catalog_values[catalog_id])}
