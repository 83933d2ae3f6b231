"""Passwords of the ledger's users (the officer pages sign in with them),
stored as scrypt hashes.

scrypt (``hashlib.scrypt``, RFC 7914, in the standard library: no new
dependency) is a memory-hard password hash: each guess costs 32 MiB and about
a tenth of a second, so a stolen table cannot be run through a word list
quickly, while a sign-in barely notices. Each password has a random salt of
its own; the stored text names its parameters
(``scrypt$N$r$p$salt$key``), so stronger parameters can come later and old
hashes still verify. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .errors import Invalid

# 2**15 × 8 × 128 bytes = 32 MiB per hash (OWASP's scrypt floor is N=2**17 at
# 128 MiB; a server of several workers signing many people in at once would
# need that much per sign-in, so 32 MiB here, raised by changing these)
N, R, P = 2**15, 8, 1
KEY_BYTES = 32
SALT_BYTES = 16
MIN_LENGTH = 8
MAX_LENGTH = 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p + 1024 * 1024,
        dklen=length,
    )


def check_new(password: str, user: str) -> None:
    """Refuse a password that is too short, too long or the user's name."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"a password has at most {MAX_LENGTH} characters")
    if password.strip().lower() == user.strip().lower():
        raise Invalid("a password is not the user's own name")


def make(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, N, R, P, KEY_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def matches(password: str, stored: str | None) -> bool:
    """Does ``password`` give the stored hash? False for anything malformed."""
    if not stored or not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# The work of a failed sign-in for a user without a password, so that the
# time taken does not tell whether the user exists.
_DUMMY = None


def waste_time(password: str) -> None:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = make(secrets.token_urlsafe(12))
    matches(password, _DUMMY)
