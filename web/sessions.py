"""Signed-in sessions of the officer pages, and their forms' CSRF tokens.

A session is what a sign-in makes — with a password (the ledger checks its
scrypt hash) or with an API token (``policy serve token add``) — and it
acts as one user in one role, as a token does, so that every check of the
service and of the ledger applies unchanged. The cookie holds 32 random
bytes; the ledger's ``web_sessions`` table holds only their SHA-256 (a stolen
table signs no one in), the user and role, the session's CSRF token and when
it ends. Every request looks the session up again: a user disabled, or no
longer holding the role, is signed out at once; so is one who signs out
(the row is deleted), on every worker process.

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's
page sends it) and Secure over HTTPS. Every form that changes something
carries the session's CSRF token, compared in constant time; the sign-in form,
before any session, carries one of its own (a double-submit cookie).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

COOKIE = "policy_session"
SIGNIN_COOKIE = "policy_signin"  # the sign-in form's CSRF token
LIFETIME = _dt.timedelta(hours=10)  # a working day, then sign in again


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    csrf: str
    expires_at: str


def _digest(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")


def same(a: str | None, b: str | None) -> bool:
    """Two tokens equal, compared in constant time (False when either is absent)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


class SessionStore:
    def __init__(self, ledger):
        self.ledger = ledger

    def _tx(self, write: bool):
        from ledger.db import transaction

        return transaction(self.ledger.engine, self.ledger.url, write=write)

    def open(self, user: str, role: str) -> tuple[str, Session]:
        """A new session for ``user`` in ``role`` (already checked); (the
        cookie's secret, the session). Ended sessions are cleared here."""
        from ledger.schema import users, web_sessions

        secret = secrets.token_urlsafe(32)
        now = _dt.datetime.now(_dt.timezone.utc)
        csrf = secrets.token_urlsafe(24)
        ends = _utc(now + LIFETIME)
        with self._tx(write=True) as conn:
            uid = conn.execute(select(users.c.id).where(users.c.name == user)).scalar_one()
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < _utc(now)))
            conn.execute(
                insert(web_sessions).values(
                    digest=_digest(secret),
                    user_id=uid,
                    role=role,
                    csrf=csrf,
                    created_at=_utc(now),
                    expires_at=ends,
                )
            )
        return secret, Session(user, role, csrf, ends)

    def find(self, secret: str | None) -> Session | None:
        """The session of a cookie, or None: unknown, ended, its user disabled
        or no longer in the role."""
        from ledger.schema import users, web_sessions

        if not secret or len(secret) > 200:
            return None
        q = (
            select(
                users.c.name,
                users.c.roles,
                users.c.active,
                web_sessions.c.role,
                web_sessions.c.csrf,
                web_sessions.c.expires_at,
            )
            .select_from(web_sessions.join(users, users.c.id == web_sessions.c.user_id))
            .where(web_sessions.c.digest == _digest(secret))
        )
        with self._tx(write=False) as conn:
            row = conn.execute(q).first()
        if row is None or not row.active or row.role not in row.roles.split():
            return None
        if row.expires_at <= _utc(_dt.datetime.now(_dt.timezone.utc)):
            return None
        return Session(row.name, row.role, row.csrf, row.expires_at)

    def close(self, secret: str | None) -> None:
        from ledger.schema import web_sessions

        if not secret:
            return
        with self._tx(write=True) as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.digest == _digest(secret)))
