"""The ledger's database: migrations that create exactly the tables of
ledger.schema, on both databases; URLs; a database that is missing, empty or
unreachable gives one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import db
from ledger.errors import Invalid, NotInitialised, Unavailable


def test_the_migrations_create_the_schema(empty_db_url):
    """Alembic's comparison of the migrated database with ledger.schema finds
    no difference, and the code's HEAD is the migrations' head."""
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ledger.schema import HEAD, metadata

    url = db.resolve_url(empty_db_url)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert db.current_revision(conn) == HEAD
    engine.dispose()
    assert diffs == []
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_init_is_idempotent(empty_db_url):
    from ledger.api import Ledger

    shown, created = Ledger.init(empty_db_url)
    assert created is False
    assert ":policy@" not in shown  # never the password


def test_an_old_ledger_is_migrated_on_open(tmp_path, policy):
    """A ledger at an older revision (here: stamped as having none applied
    yet, its tables absent) is brought up to date when opened."""
    from sqlalchemy import create_engine, text

    from ledger.api import Ledger

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        c.execute(text("INSERT INTO alembic_version VALUES ('0000')"))
    engine.dispose()
    with pytest.raises(NotInitialised) as err:
        Ledger.open(f"sqlite:///{path}", policy=policy)
    assert "newer version" in err.value.message


def test_urls():
    assert db.resolve_url("ledger.db") == "sqlite:///ledger.db"
    assert db.resolve_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.resolve_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.display_url("postgresql+psycopg://u:secret@h/d") == "postgresql+psycopg://u:***@h/d"
    with pytest.raises(Invalid):
        db.make_engine("mysql://u:p@h/d")


def test_no_ledger_yet(tmp_path, policy, monkeypatch):
    from ledger.api import Ledger

    with pytest.raises(NotInitialised) as err:
        Ledger.open(f"sqlite:///{tmp_path}/none.db", policy=policy)
    assert "policy ledger init" in err.value.hint
    assert not (tmp_path / "none.db").exists()  # opening never creates one


def test_an_empty_postgresql_database_holds_no_ledger(policy):
    from tests.ledger.conftest import PG, pg_admin, pg_url

    if not PG:
        pytest.skip("POLICY_TEST_PG is not set")
    import uuid

    from sqlalchemy import text

    from ledger.api import Ledger

    name = f"policy_ledger_empty_{uuid.uuid4().hex[:8]}"
    admin = pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with pytest.raises(NotInitialised) as err:
            Ledger.open(pg_url(name), policy=policy)
        assert "holds no ledger" in err.value.message
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_an_unreachable_database_is_one_line_exit_2(tmp_path):
    from cli import cli

    runner = CliRunner()
    for url in (
        "postgresql://policy:secret@127.0.0.1:1/nothing",
        f"sqlite:///{tmp_path}/no/such/folder/ledger.db",
    ):
        result = runner.invoke(cli, ["ledger", "list", "--db", url, "--user", "x"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert lines[0].startswith("ledger:") and "Traceback" not in result.output
        assert "secret" not in result.output
    with pytest.raises(Unavailable):
        from ledger.api import Ledger

        Ledger.open("postgresql://policy:secret@127.0.0.1:1/nothing", policy=object())


def test_ping(ledger):
    ledger.ping()  # the database answers
    ledger.url = "postgresql+psycopg://policy:secret@127.0.0.1:1/nothing"
    from ledger.db import make_engine

    ledger.engine = make_engine(ledger.url)
    with pytest.raises(Unavailable):
        ledger.ping()
