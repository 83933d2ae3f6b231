"""Passwords of the ledger's users (the officer pages sign in with them), on
SQLite and PostgreSQL: stored as scrypt hashes only, set by an admin or by the
user, every change an audit event; and a ledger of the schema before
passwords (0002) migrated without disturbing its audit chain."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from ledger import passwords
from ledger.errors import Forbidden, Invalid, NotFound


def test_a_password_is_kept_as_a_salted_scrypt_hash(ledger):
    ledger.set_password("admin", "alice", "correct horse")
    from sqlalchemy import select

    from ledger.schema import passwords as table

    with ledger.engine.connect() as c:
        [row] = c.execute(select(table)).all()
    assert row.hash.startswith("scrypt$32768$8$1$") and "correct horse" not in row.hash
    assert row.set_by == "admin"
    assert ledger.check_password("alice", "correct horse").name == "alice"
    assert ledger.check_password("alice", "correct hors") is None
    assert ledger.check_password("alice", "Correct horse") is None
    assert ledger.check_password("nobody", "correct horse") is None  # no such user
    assert ledger.check_password("bob", "correct horse") is None  # no password
    # the same password twice: two salts, two hashes
    assert passwords.make("correct horse") != passwords.make("correct horse")


def test_who_may_set_a_password(ledger):
    ledger.set_password("alice", "alice", "my own secret")  # one's own
    ledger.set_password("admin", "bob", "set by admin")  # an admin, anyone's
    with pytest.raises(Forbidden, match="needs the role admin"):
        ledger.set_password("alice", "bob", "not mine to set")
    with pytest.raises(NotFound):
        ledger.set_password("admin", "zed", "no such user")
    with pytest.raises(Invalid, match="at least 8"):
        ledger.set_password("admin", "bob", "short")
    ledger.add_user("admin", "kimberly", ["caseworker"])
    with pytest.raises(Invalid, match="own name"):
        ledger.set_password("admin", "kimberly", "Kimberly")
    assert ledger.check_password("bob", "set by admin") is not None
    ledger.set_password("bob", "bob", "changed again")  # replaced
    assert ledger.check_password("bob", "set by admin") is None
    assert ledger.check_password("bob", "changed again") is not None


def test_a_disabled_user_cannot_sign_in(ledger):
    ledger.set_password("admin", "rita", "reader's secret")
    assert ledger.check_password("rita", "reader's secret") is not None
    ledger.disable_user("admin", "rita")
    assert ledger.check_password("rita", "reader's secret") is None


def test_setting_passwords_is_in_the_audit_chain(ledger):
    ledger.set_password("admin", "alice", "first secret")
    ledger.set_password("alice", "alice", "second secret")
    report = ledger.verify("dora")
    assert report.ok, report.problems
    from sqlalchemy import select

    from ledger.schema import audit_events

    with ledger.engine.connect() as c:
        events = [
            (r.user_name, r.action, r.details_json)
            for r in c.execute(select(audit_events).where(audit_events.c.action == "password_set"))
        ]
    assert [(u, a) for u, a, _d in events] == [("admin", "password_set"), ("alice", "password_set")]
    assert all("secret" not in d and "scrypt" not in d for _u, _a, d in events)
    # a hash changed behind the ledger's back is found
    from sqlalchemy import update

    from ledger.schema import passwords as table

    with ledger.engine.begin() as c:
        c.execute(update(table).values(hash=passwords.make("attacker's choice")))
    report = ledger.verify("dora")
    assert not report.ok
    assert any(p.where.startswith("passwords") for p in report.problems)


def test_passwords_from_the_command_line(db_url, policy):
    def run(args, user=None, input=None):
        env = {"POLICY_DB": db_url, **({"POLICY_USER": user} if user else {})}
        return CliRunner().invoke(cli, ["ledger", "user", *args], env=env, input=input)

    r = run(["passwd", "alice"], "admin", input="a long secret\n")
    assert r.exit_code == 0 and "password of alice set" in r.output
    r = run(["passwd", "bob"], "alice", input="a long secret\n")
    assert r.exit_code == 2 and "needs the role admin" in r.output
    r = run(["passwd", "bob"], "admin", input="short\n")
    assert r.exit_code == 2 and "at least 8" in r.output
    r = run(["passwd", "bob"], "admin", input="")
    assert r.exit_code == 2 and "standard input" in r.output
    r = run(["add", "nina", "--role", "caseworker", "--password"], "admin", input="nina's secret\n")
    assert r.exit_code == 0, r.output
    from ledger.api import Ledger

    with Ledger.open(db_url, policy=policy) as lg:
        assert lg.check_password("alice", "a long secret").name == "alice"
        assert lg.check_password("nina", "nina's secret").roles == ["caseworker"]
        assert lg.check_password("bob", "short") is None


def test_a_ledger_from_before_passwords_is_migrated_and_still_verifies(tmp_path, policy):
    """A ledger written at schema 0002 (users, a claim, its audit chain) gets
    the passwords and sessions tables when opened; every row it had still
    hashes as its chain says."""
    from alembic import command
    from alembic.config import Config

    from ledger import db
    from ledger.api import Ledger
    from tests.ledger.helpers import person, vocational

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(db.Path(db.__file__).parent / "migrations"))
    with db.transaction(engine, url, write=True) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with db.transaction(engine, url, write=False) as conn:
        assert db.current_revision(conn) == "0002"
    # the old ledger's rows, written by the old schema's tables
    from sqlalchemy import inspect

    assert "passwords" not in inspect(engine).get_table_names()
    engine.dispose()
    lg = Ledger.__new__(Ledger)  # the API on the old file, without migrating it
    Ledger.__init__(lg, db.make_engine(url), url, policy)
    lg.add_user(None, "admin", ["admin"])
    lg.add_user("admin", "alice", ["caseworker"])
    lg.add_user("admin", "dora", ["auditor"])
    lg.submit("alice", vocational(person(7)))
    lg.close()
    with Ledger.open(url, policy=policy) as migrated:  # 0002 → 0003
        report = migrated.verify("dora")
        assert report.ok, report.problems
        migrated.set_password("admin", "alice", "after the upgrade")
        assert migrated.check_password("alice", "after the upgrade") is not None
        assert migrated.verify("dora").ok
