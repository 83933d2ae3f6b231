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


async def authenticate(service, token: str) -> Principal:
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


async def for_decision(service, authorization: str | None) -> Principal | None:
    """Who asks for a stateless decision, from the ``Authorization`` header:
    anyone with a token (any role); with --anonymous-decisions, anyone at all
    (then None). A header that is not ``Bearer TOKEN`` is refused either way:
    its sender meant to sign in. Both decision endpoints check here (POST
    /v1/decisions from ``service.front``, the batch through ``decider``)."""
    if not authorization:
        if service.settings.anonymous_decisions:
            return None
        raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
    return await authenticate(service, token)


async def decider(
    request: Request,
    # declared for the OpenAPI document (its security scheme); the header is read below
    cred: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Principal | None:
    """``for_decision`` as a FastAPI dependency."""
    return await for_decision(request.app.state.service, request.headers.get("authorization"))


def require(*roles: str):
    """A dependency: a principal whose role is one of ``roles``."""

    async def check(
        request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        if cred is None:
            raise _unauthenticated("send an API token: Authorization: Bearer TOKEN")
        who = await authenticate(request.app.state.service, cred.credentials)
        if who.role not in roles:
            raise Problem(
                403,
                "forbidden",
                f"the role {who.role} may not do this; it takes the role {' or '.join(roles)}",
            )
        return who

    return check
