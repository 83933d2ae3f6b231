"""Fixtures of the officer pages' tests: a fresh ledger with its users (made
with the command line, passwords included) and a real `policy serve` on a
loopback port, against SQLite and, when $POLICY_TEST_PG is set (.ci/run sets
it), PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest

PG = os.environ.get("POLICY_TEST_PG")
# (user, roles, password)
STAFF = [
    ("admin", ["admin"], "admin-pass-1"),
    ("alice", ["caseworker"], "alice-pass-1"),
    ("carl", ["caseworker"], "carl-pass-1"),
    ("bob", ["reviewer"], "bob-pass-1"),
    ("ben", ["caseworker", "reviewer"], "ben-pass-1"),
    ("fay", ["finance"], "fay-pass-1"),
    ("dora", ["auditor"], "dora-pass-1"),
    ("rita", ["read-only"], "rita-pass-1"),
]
PASSWORDS = {u: pw for u, _r, pw in STAFF}


def policy_cmd(*args, db: str, input: str | None = None, check: bool = True):
    """`policy ARGS` with POLICY_DB, in this process; click's Result."""
    from click.testing import CliRunner

    from cli import cli

    r = CliRunner().invoke(cli, list(args), env={"POLICY_DB": db}, input=input)
    if check:
        assert r.exit_code == 0, (args, r.output)
    return r


def new_database(kind: str, tmp: Path):
    """(URL, drop): a fresh SQLite file, or a fresh PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'ledger.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"policy_web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        PG.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG).set(database=name).render_as_string(hide_password=False), drop


def staff(url: str) -> dict[str, str]:
    """The ledger made as an administrator would: init, users with their
    passwords (read from standard input), one API token; {user: token}."""
    policy_cmd("ledger", "init", db=url)
    tokens = {}
    for name, roles, password in STAFF:
        args = [
            "ledger",
            "user",
            "add",
            name,
            *[x for r in roles for x in ("--role", r)],
            "--password",
        ]
        if name != "admin":
            args += ["--user", "admin"]
        policy_cmd(*args, db=url, input=password + "\n")
    r = policy_cmd("serve", "token", "add", "bob", "--role", "reviewer", "--by", "admin", db=url)
    tokens["bob"] = r.stdout.strip()
    return tokens


class Office:
    """A running server on a fresh ledger with the staff of STAFF."""

    def __init__(self, kind: str, tmp: Path):
        from tests.service.server import Server

        self.kind = kind
        self.db, self._drop = new_database(kind, tmp)
        self.tokens = staff(self.db)
        # two worker processes: a session made by one is honoured by the other
        self.server = Server("--db", self.db, "--workers", "2", tmp=tmp)
        self.url = self.server.url

    def close(self) -> None:
        self.server.stop()
        self._drop()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG, reason="POLICY_TEST_PG is not set (.ci/run sets it)"),
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def office(request, tmp_path_factory):
    o = Office(request.param, tmp_path_factory.mktemp(f"office-{request.param}"))
    yield o
    o.close()


# -- an officer over HTTP ----------------------------------------------------------------------

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def pid(seed: int) -> str:
    """A valid 身份证号 (check digit right), one per seed."""
    import random

    from interpreter.formats import generate_resident_id

    return generate_resident_id(random.Random(seed))


class Officer:
    """One officer's browser, as far as HTTP goes: cookies kept, the CSRF
    token of the last page sent back with each form."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
        self.csrf = ""

    def get(self, path: str, **kw) -> httpx.Response:
        r = self.http.get(path, **kw)
        m = (
            CSRF.search(r.text)
            if r.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if m:
            self.csrf = m.group(1)
        return r

    def post(
        self, path: str, data: dict | list, csrf: str | None = None, headers: dict | None = None
    ) -> httpx.Response:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        items.append(("csrf", self.csrf if csrf is None else csrf))
        return self.http.post(path, data=_pairs(items), headers=headers)

    def sign_in(
        self, user: str, role: str = "", password: str | None = None, token: str = ""
    ) -> httpx.Response:
        self.get("/ui/signin")
        return self.post(
            "/ui/signin",
            {
                "user": user,
                "role": role,
                "token": token,
                "password": PASSWORDS.get(user, "") if password is None else password,
                "next": "/ui/applications",
            },
        )

    def close(self):
        self.http.close()


def _pairs(items):
    """httpx takes a dict of lists for repeated fields."""
    out: dict = {}
    for k, v in items:
        out.setdefault(k, []).append(v)
    return out


def signed_in(office, user: str, role: str = "") -> Officer:
    o = Officer(office.url)
    r = o.sign_in(user, role)
    assert r.status_code == 303, r.text
    return o


def submitted(o: Officer, claim: dict) -> int:
    o.get("/ui/apply")
    r = o.post("/ui/apply", claim)
    assert r.status_code == 303, r.text
    return int(re.search(r"/applications/(\d+)", r.headers["location"]).group(1))
