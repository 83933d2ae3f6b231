"""Fixtures of the officer pages' tests: a fresh ledger with its users (made
with the command line, passwords included) and a real `policy serve` on a
loopback port, against SQLite and, when $POLICY_TEST_PG is set (.ci/run sets
it), PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

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
