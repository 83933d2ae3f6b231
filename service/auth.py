"""Who is asking: API tokens (``Authorization: Bearer TOKEN``), each bound to a
user and a role; stateless decisions may be opened to anonymous use.

Tokens live in the ledger's database (hashed); without a database there are
no tokens, and the decision endpoints answer only with
``--anonymous-decisions``. The officer pages of a later issue sign in with a
password or a token and keep a session cookie: they will resolve to the same
``Principal``, so every check below serves them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .problems import Problem

_bearer = HTTPBearer(
    auto_error=False, description="an API token made with `policy serve token add USER --role ROLE`"
)


@dataclass(frozen=True)
class Principal:
    user: str
    role: str


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, "unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"})


async def authenticate(request: Request, token: str) -> Principal:
    service = request.app.state.service
    if service.tokens is None:
        raise _unauthenticated(
            "this server has no database, so it knows no tokens; "
            "start it with --db URL (or --anonymous-decisions for "
            "decisions without a token)"
        )
    found = await service.run_io(service.tokens.lookup, token)
    if found is None:
        raise _unauthenticated("the token is unknown or has been revoked")
    return found


async def decider(
    request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal | None:
    """Anyone with a token (any role) may ask for a stateless decision; with
    --anonymous-decisions, anyone at all (the principal is then None)."""
    if cred is None:
        if request.app.state.service.settings.anonymous_decisions:
            return None
        raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
    return await authenticate(request, cred.credentials)


def require(*roles: str):
    """A dependency: a principal whose role is one of ``roles``."""

    async def check(
        request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        if cred is None:
            raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
        who = await authenticate(request, cred.credentials)
        if who.role not in roles:
            raise Problem(
                403,
                "forbidden",
                f"the role {who.role} may not do this; it takes the role {' or '.join(roles)}",
            )
        return who

    return check


async def caller(request: Request) -> Principal | None:
    """``decider`` called by an endpoint itself, from the Authorization header
    (the hot path of POST /v1/decisions: no dependency machinery)."""
    header = request.headers.get("authorization")
    cred = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            cred = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())
        else:
            raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
    return await decider(request, cred)
