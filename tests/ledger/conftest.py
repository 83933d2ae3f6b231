"""Fixtures of the ledger tests: every test that takes ``db_url`` runs against
SQLite and against PostgreSQL (a real server: $POLICY_TEST_PG, which .ci/run
always sets; the PostgreSQL runs are skipped only when it is unset).

Each test gets a fresh database: a copy of a migrated SQLite file, or a
PostgreSQL database created from a migrated template (CREATE DATABASE …
TEMPLATE, much faster than migrating each time) and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

PG = os.environ.get("POLICY_TEST_PG")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG, reason="POLICY_TEST_PG is not set (.ci/run sets it)"),
    ),
]


def pg_admin():
    from sqlalchemy import create_engine

    return create_engine(
        PG.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


def pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG).set(database=name).render_as_string(hide_password=False)


USERS = [
    ("admin", ["admin"]),
    ("alice", ["caseworker"]),
    ("amy", ["caseworker"]),
    ("bob", ["reviewer"]),
    ("ben", ["caseworker", "reviewer"]),
    ("carol", ["finance"]),
    ("dora", ["auditor"]),
    ("rita", ["read-only"]),
]


def add_users(url: str, policy) -> None:
    from ledger.api import Ledger

    with Ledger.open(url, policy=policy) as lg:
        lg.add_user(None, "admin", ["admin"])
        for name, roles in USERS[1:]:
            lg.add_user("admin", name, roles)


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory, policy):
    """Two migrated SQLite files: empty, and with the users of USERS."""
    from ledger.api import Ledger

    folder = tmp_path_factory.mktemp("ledger-templates")
    empty, staffed = folder / "empty.db", folder / "staffed.db"
    Ledger.init(f"sqlite:///{empty}")
    shutil.copy(empty, staffed)
    add_users(f"sqlite:///{staffed}", policy)
    return {"empty": empty, "staffed": staffed}


class PgDatabase:
    """One PostgreSQL database for the session, reset before each test to an
    empty or a staffed ledger (TRUNCATE and the saved rows put back: much
    faster than a database per test)."""

    def __init__(self, policy):
        from sqlalchemy import create_engine, select, text

        from ledger.api import Ledger
        from ledger.schema import metadata

        self.name = f"policy_ledger_{uuid.uuid4().hex[:12]}"
        self.url = pg_url(self.name)
        admin = pg_admin()
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        Ledger.init(self.url)
        self.engine = create_engine(self.url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.tables = metadata.sorted_tables
        self.states = {}
        with self.engine.connect() as c:
            self.states["empty"] = {
                t.name: [dict(r) for r in c.execute(select(t)).mappings()] for t in self.tables
            }
        add_users(self.url, policy)
        with self.engine.connect() as c:
            self.states["staffed"] = {
                t.name: [dict(r) for r in c.execute(select(t)).mappings()] for t in self.tables
            }

    def reset(self, state: str) -> str:
        from sqlalchemy import insert, text

        rows = self.states[state]
        with self.engine.begin() as c:
            c.execute(
                text(
                    "TRUNCATE "
                    + ", ".join(t.name for t in self.tables)
                    + " RESTART IDENTITY CASCADE"
                )
            )
            for t in self.tables:
                if rows[t.name]:
                    c.execute(insert(t), rows[t.name])
                if "id" in t.c and t.c.id.autoincrement is not False and t.name != "audit_head":
                    c.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {t.name}"
                        )
                    )
        return self.url

    def drop(self) -> None:
        from sqlalchemy import text

        self.engine.dispose()
        admin = pg_admin()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database(policy):
    if not PG:
        pytest.skip("POLICY_TEST_PG is not set")
    db = PgDatabase(policy)
    yield db
    db.drop()


def fresh_database(backend: str, state: str, request, tmp_path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_templates")[state]
        path = tmp_path / "ledger.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_database").reset(state)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh ledger with the users of USERS."""
    return fresh_database(request.param, "staffed", request, tmp_path)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """A fresh ledger with no user yet."""
    return fresh_database(request.param, "empty", request, tmp_path)


@pytest.fixture(scope="session")
def policy():
    from tests.helpers import load_policy

    return load_policy()


@pytest.fixture
def ledger(db_url, policy):
    from ledger.api import Ledger

    lg = Ledger.open(db_url, policy=policy)
    yield lg
    lg.close()
