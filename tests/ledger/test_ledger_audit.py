"""The audit chain and `policy ledger verify`: a clean ledger verifies; any row
changed, added or deleted behind the ledger's back, any event altered or
removed, any decision that no longer holds and any policy file that changed
is found (exit 1)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli import cli
from ledger.db import resolve_url
from tests.ledger.helpers import person, project, vocational


def busy_ledger(ledger):
    """A few claims through every step."""
    a = ledger.submit("alice", vocational(person(40)))
    ledger.review("bob", a.id, approve=True)
    ledger.pay("carol", a.id)
    b = ledger.submit("alice", project())
    ledger.review("bob", b.id, approve=True)
    ledger.record_fact("alice", b.id, {"project.employment_rate": "0.9"})
    c = ledger.submit("alice", vocational(person(41), "焊工"))
    ledger.review("bob", c.id, approve=False, reason="材料不全")
    return a, b, c


def sql(db_url: str, *statements: str) -> None:
    engine = create_engine(resolve_url(db_url))
    with engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))
    engine.dispose()


def problems(ledger) -> list[str]:
    report = ledger.verify("dora")
    return [f"{p.where}: {p.message}" for p in report.problems]


def test_a_clean_ledger_verifies(ledger):
    busy_ledger(ledger)
    report = ledger.verify("dora")
    assert report.ok, report.problems
    # the events name the user and the step, in order
    assert report.events == 8 + 8  # 8 users added, then the 8 steps
    assert report.decisions == 4
    assert report.head.startswith("sha256:")


def test_every_step_is_an_event_naming_its_user(ledger, db_url):
    busy_ledger(ledger)
    engine = create_engine(resolve_url(db_url))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_name, action, subject FROM audit_events WHERE seq > 8 ORDER BY seq")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("alice", "submit", "application:1"),
        ("bob", "approve", "application:1"),
        ("carol", "pay", "application:1"),
        ("alice", "submit", "application:2"),
        ("bob", "approve", "application:2"),
        ("alice", "record", "application:2"),
        ("alice", "submit", "application:3"),
        ("bob", "reject", "application:3"),
    ]


@pytest.mark.parametrize(
    "statements, found",
    [
        (
            ["UPDATE installments SET amount_fen = amount_fen * 10 WHERE id = 1"],
            ["installments 1: was changed after event"],
        ),
        (
            ["UPDATE applications SET status = 'approved' WHERE id = 3"],
            ["applications 3: was changed after event"],
        ),
        (
            ["UPDATE users SET roles = 'admin reviewer' WHERE name = 'alice'"],
            ["users 2: was changed after event"],
        ),
        (
            [
                (
                    "INSERT INTO persons (id_number, name, created_at) "
                    "VALUES ('110101199003070011', '王五', '2021-01-01T00:00:00+08:00')"
                )
            ],
            ["persons 3: was written outside the ledger"],
        ),
        (["DELETE FROM facts_recorded"], ["facts_recorded 1: was deleted"]),
        (
            ["UPDATE audit_events SET user_name = 'mallory' WHERE seq = 10"],
            ["event 10: was altered after it was written"],
        ),
        (
            ["DELETE FROM audit_events WHERE seq = 12"],
            ["event 13: events 12–12 are missing", "event 13: does not link"],
        ),
        (
            [
                "DELETE FROM audit_events WHERE seq = 16",
                "UPDATE audit_head SET seq = 15, hash = (SELECT hash FROM audit_events WHERE seq = 15)",
            ],
            ["applications 3: was changed after event 15", "grants 3: was changed after event"],
        ),
        (["DELETE FROM audit_events WHERE seq = 16"], ["end of the chain: the recorded end"]),
    ],
)
def test_tampering_is_found(ledger, db_url, statements, found):
    busy_ledger(ledger)
    sql(db_url, *statements)
    got = problems(ledger)
    for f in found:
        assert any(g.startswith(f) for g in got), (f, got)


def test_an_altered_decision_no_longer_holds(ledger, db_url):
    _a, _b, _c = busy_ledger(ledger)
    # rewrite the stored amount and the row digests with it: the chain alone
    # would see the row change, and the re-evaluation sees the decision is wrong
    sql(
        db_url,
        "UPDATE decisions SET decision_json = "
        "replace(decision_json, '\"1500.00\"', '\"9999.00\"') WHERE id = 1",
    )
    got = problems(ledger)
    assert any(g.startswith("decisions 1: was changed") for g in got), got
    assert any("no longer holds with the policy it names" in g and "9999.00" in g for g in got), got


def test_a_changed_policy_file_is_reported(ledger, policy_copy, db_url):
    from tests.helpers import load_policy

    busy_ledger(ledger)
    std = policy_copy / "standards.yaml"
    text_ = std.read_text(encoding="utf-8")
    assert "中级: 1500" in text_
    std.write_text(text_.replace("中级: 1500", "中级: 1800"), encoding="utf-8")
    changed = load_policy(policy_copy)
    report = ledger.verify("dora", [changed])
    got = [f"{p.where}: {p.message}" for p in report.problems]
    assert any("files that differ" in g and "standards.yaml" in g for g in got), got
    assert any("no longer holds with the policy given" in g and "1800.00" in g for g in got), got
    # the original policy among those given: every decision is checked with
    # the one it names, and all hold
    assert ledger.verify("dora", [changed, ledger.policy]).ok


def test_verify_from_the_command_line(ledger, db_url):
    busy_ledger(ledger)
    r = CliRunner().invoke(
        cli, ["ledger", "verify", "--db", db_url, "--user", "dora", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["ok"] is True
    sql(db_url, "UPDATE grants SET amount_fen = 1 WHERE id = 1")
    r = CliRunner().invoke(cli, ["ledger", "verify", "--db", db_url, "--user", "dora"])
    assert r.exit_code == 1
    assert "grants 1: was changed after event" in r.output
    assert "problem(s) found" in r.output
