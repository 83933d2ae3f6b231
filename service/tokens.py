"""API tokens: each bound to a user of the ledger and one of that user's roles,
stored hashed in the ledger's database (table ``api_tokens``), every change an
event of the ledger's audit chain.

A token is 32 random bytes (``pol_…``): shown once when made, kept only as its
SHA-256 (a secret that long needs no slow hash: it cannot be guessed, only
stolen, and the table does not hold it). A token acts with its own role, not
with all of its user's: a user who is both caseworker and reviewer gets one
token per desk. It stops working when revoked, when its user is disabled or
no longer holds the role.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from sqlalchemy import select

from .auth import Principal

PREFIX = "pol_"


def digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class TokenInfo:
    id: int
    user: str
    role: str
    label: str | None
    hint: str  # the token's first characters, to tell tokens apart
    created_at: str
    created_by: str | None
    revoked_at: str | None

    def to_json(self) -> dict:
        return asdict(self)


class TokenStore:
    def __init__(self, ledger):
        self.ledger = ledger

    @contextmanager
    def _write(self, actor: str | None):
        """One write transaction whose rows the ledger's audit chain records
        (as the ledger's own steps do)."""
        from ledger.audit import Writer
        from ledger.db import transaction
        from ledger.model import now_text

        with transaction(self.ledger.engine, self.ledger.url, write=True) as conn:
            w = Writer(conn, actor, now_text(self.ledger.clock))
            yield w
            w.seal()

    def _read(self):
        from ledger.db import transaction

        return transaction(self.ledger.engine, self.ledger.url, write=False)

    def add(
        self, actor: str | None, user: str, role: str, label: str | None = None
    ) -> tuple[str, TokenInfo]:
        """A new token for ``user`` acting as ``role`` (one of the user's
        roles); (the token, shown once; what is stored)."""
        from ledger.errors import Invalid, NotFound
        from ledger.schema import ROLES, api_tokens, users

        if role not in ROLES:
            raise Invalid(f"unknown role '{role}'", hint="roles: " + ", ".join(ROLES))
        label = (label or "").strip() or None
        token = PREFIX + secrets.token_urlsafe(32)
        with self._write(actor) as w:
            row = w.conn.execute(select(users).where(users.c.name == user)).first()
            if row is None:
                raise NotFound(
                    f"there is no user '{user}' in the ledger",
                    hint="add the user first: policy ledger user add NAME --role ROLE",
                )
            if not row.active:
                raise Invalid(f"the user '{user}' is disabled")
            if role not in row.roles.split():
                raise Invalid(
                    f"{user} does not hold the role {role} (they hold "
                    f"{', '.join(row.roles.split())})"
                )
            w.event(
                "token_add",
                f"user:{row.id}",
                {"user": user, "role": role, "label": label, "hint": token[:8]},
            )
            tid = w.insert(
                api_tokens,
                user_id=row.id,
                role=role,
                label=label,
                token_hash=digest(token),
                hint=token[:8],
                created_at=w.now,
                created_by=actor,
                revoked_at=None,
            )
        return token, self.get(tid)

    def revoke(self, actor: str | None, token_id: int) -> TokenInfo:
        from ledger.errors import Conflict, NotFound
        from ledger.schema import api_tokens, names_a_row

        with self._write(actor) as w:
            row = (
                w.conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
                if names_a_row(token_id)
                else None
            )
            if row is None:
                raise NotFound(f"there is no token {token_id}")
            if row.revoked_at is not None:
                raise Conflict(f"token {token_id} was already revoked on {row.revoked_at}")
            w.event("token_revoke", f"token:{token_id}", {"token": token_id})
            w.update(api_tokens, token_id, revoked_at=w.now)
        return self.get(token_id)

    def get(self, token_id: int) -> TokenInfo:
        from ledger.errors import NotFound

        found = [t for t in self.list() if t.id == token_id]
        if not found:
            raise NotFound(f"there is no token {token_id}")
        return found[0]

    def list(self) -> list[TokenInfo]:
        from ledger.schema import api_tokens, users

        q = (
            select(api_tokens, users.c.name)
            .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
            .order_by(api_tokens.c.id)
        )
        with self._read() as conn:
            return [
                TokenInfo(
                    r.id, r.name, r.role, r.label, r.hint, r.created_at, r.created_by, r.revoked_at
                )
                for r in conn.execute(q)
            ]

    def lookup(self, token: str) -> Principal | None:
        """Who a token acts as, or None (unknown, revoked, its user disabled or
        no longer holding the role)."""
        from ledger.schema import api_tokens, users

        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        q = (
            select(users.c.name, users.c.roles, users.c.active, api_tokens.c.role)
            .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
            .where(api_tokens.c.token_hash == digest(token))
            .where(api_tokens.c.revoked_at.is_(None))
        )
        with self._read() as conn:
            row = conn.execute(q).first()
        if row is None or not row.active or row.role not in row.roles.split():
            return None
        return Principal(row.name, row.role)
