"""Where the ledger lives: the database URL, the engine, the migrations and
the transactions.

SQLite is the default (a file, ``./ledger.db``, or ``--db URL`` /
``POLICY_DB``); PostgreSQL is named by a ``postgresql://`` URL and reached
with psycopg 3.

Transactions are the ledger's locks:

- SQLite: a writing transaction starts with ``BEGIN IMMEDIATE``, which takes
  the database's write lock at once, so a claim is decided and written with
  no other writer in between (others wait, up to a minute). The file is in
  WAL mode, so readers do not wait for writers.
- PostgreSQL: READ COMMITTED, and the row of the person a claim is about is
  locked (``SELECT … FOR UPDATE``) before anything is read: two claims for one
  person are decided one after the other, each seeing what the other granted;
  claims for different people run side by side. The end of the audit chain
  is locked only while the transaction's events are appended, just before
  the commit.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
)

from .errors import Invalid, NotInitialised, Unavailable
from .schema import HEAD

DEFAULT_URL = "sqlite:///ledger.db"
ENV_URL = "POLICY_DB"
SQLITE_WAIT_SECONDS = 60  # how long a writer waits for another one (SQLite)
CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL


def resolve_url(url: str | None) -> str:
    """The URL to use: ``url``, else $POLICY_DB, else ./ledger.db. A plain
    file path means SQLite; ``postgresql://`` and ``postgres://`` mean
    PostgreSQL through psycopg 3."""
    url = url or os.environ.get(ENV_URL) or DEFAULT_URL
    if "://" not in url:
        url = "sqlite:///" + url
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """The URL as shown in messages (no password)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and for :memory:)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str) -> Engine:
    try:
        u = make_url(url)
        backend = u.get_backend_name()
    except ArgumentError:
        raise Invalid(
            f"'{display_url(url)}' is not a database URL",
            hint="e.g. sqlite:///ledger.db or postgresql://user:password@host/db",
        ) from None
    try:
        if backend == "sqlite":
            engine = create_engine(u, connect_args={"timeout": SQLITE_WAIT_SECONDS})
            _sqlite_transactions(engine)
        elif backend == "postgresql":
            engine = create_engine(
                u,
                isolation_level="READ COMMITTED",
                pool_pre_ping=True,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            )
        else:
            raise Invalid(
                f"the ledger keeps its records in SQLite or PostgreSQL, not '{backend}'",
                hint="e.g. sqlite:///ledger.db or postgresql://user:password@host/db",
            )
    except (NoSuchModuleError, ImportError) as exc:
        raise Invalid(f"no driver for '{display_url(url)}': {exc}") from None
    _ENGINES.add(engine)
    return engine


# A process forked while holding pooled connections must not use them (they
# belong to the parent): the child starts with empty pools.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _after_fork() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _sqlite_transactions(engine: Engine) -> None:
    """Take SQLite's transactions out of the driver's hands, so that a writing
    transaction can begin IMMEDIATE (the recipe of SQLAlchemy's SQLite docs)."""

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver issues no BEGIN
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def begin(conn):
        immediate = conn.get_execution_options().get("ledger_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def unreachable(url: str, exc: Exception) -> Unavailable:
    """One line for a database that cannot be reached or stays locked."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if "locked" in first or "busy" in first:
        return Unavailable(
            f"the ledger database {display_url(url)} stayed busy: {first}",
            hint="another command is writing; try again",
        )
    return Unavailable(f"cannot reach the ledger database {display_url(url)}: {first}")


@contextmanager
def transaction(engine: Engine, url: str, write: bool) -> Iterator[Connection]:
    """A transaction; a writing one holds SQLite's write lock from its start.
    Committed when the block ends, rolled back (nothing written) on any error."""
    try:
        conn = engine.connect()
    except (OperationalError, DBAPIError) as exc:
        raise unreachable(url, exc) from None
    try:
        if write:
            conn.execution_options(ledger_write=True)
        try:
            with conn.begin():
                yield conn
        except OperationalError as exc:
            raise unreachable(url, exc) from None
    finally:
        conn.close()


# -- schema version ---------------------------------------------------------------


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision of the database, or None when it holds no ledger."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, url: str) -> str:
    """Bring the database to the code's schema (create it when empty);
    the revision it is at."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with transaction(engine, url, write=True) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        return current_revision(conn) or HEAD


def ensure_current(engine: Engine, url: str) -> None:
    """On open: a ledger behind the code is migrated; no ledger at all, or one
    from a newer version of the code, is an error."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise NotInitialised(
            f"there is no ledger at {path}",
            hint="create it with `policy ledger init`, or name another one "
            "with --db URL or POLICY_DB",
        )
    with transaction(engine, url, write=False) as conn:
        rev = current_revision(conn)
    if rev == HEAD:
        return
    if rev is None:
        raise NotInitialised(
            f"the database {display_url(url)} holds no ledger",
            hint=f"create it with `policy ledger init --db {display_url(url)}`",
        )
    known = _known_revisions()
    if rev not in known:
        raise NotInitialised(
            f"the ledger in {display_url(url)} is at schema revision "
            f"{rev}, which this version of policy does not know "
            "(it was written by a newer version)"
        )
    migrate(engine, url)


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def lock_row(conn: Connection, table, row_id: int) -> None:
    """Lock one row until the transaction ends (PostgreSQL; SQLite's
    transaction already holds the whole database)."""
    if conn.dialect.name != "sqlite":
        conn.execute(
            select(table.c[next(iter(table.primary_key.columns)).name])
            .where(next(iter(table.primary_key.columns)) == row_id)
            .with_for_update()
        )
