"""`policy ledger …` as an officer runs it: the workflow end to end on both
databases, JSON output, exit codes, and the help."""

from __future__ import annotations

import datetime as _dt
import json

import pytest
from click.testing import CliRunner

from cli import cli
from tests.ledger.helpers import person, project, vocational


def run(args, db_url, user=None, input=None):
    env = {"POLICY_DB": db_url}
    if user:
        env["POLICY_USER"] = user
    return CliRunner().invoke(cli, ["ledger", *args], env=env, input=input)


def write_case(tmp_path, name, case) -> str:
    from ledger.model import dumps_exact

    path = tmp_path / name
    path.write_text(dumps_exact(case), encoding="utf-8")
    return str(path)


def test_the_workflow_from_the_command_line(db_url, tmp_path):
    case = write_case(tmp_path, "project.json", project())
    r = run(["submit", case, "--format", "json"], db_url, "alice")
    assert r.exit_code == 0, r.output
    app = json.loads(r.output)
    assert app["status"] == "submitted" and app["source"] == case
    parts = app["grants"][0]["installments"]
    assert [(p["installment"], p["amount"], p["status"]) for p in parts] == [
        ("advance", "27000.00", "payable"),
        ("balance", "18000.00", "pending"),
    ]
    app_id = str(app["id"])

    r = run(["review", app_id, "--approve"], db_url, "alice")  # not a reviewer
    assert r.exit_code == 2 and "needs the role reviewer" in r.output
    r = run(["review", app_id, "--approve", "--reason", "材料齐全"], db_url, "bob")
    assert r.exit_code == 0 and "审核通过" in r.output and "材料齐全" in r.output
    r = run(["pay", app_id, "--reference", "BANK-7"], db_url, "carol")
    assert r.exit_code == 0 and "27000.00" in r.output
    r = run(["pay", app_id], db_url, "carol")
    assert r.exit_code == 2 and "pending" in r.output and "project.employment_rate" in r.output
    r = run(["record", app_id, "--fact", "project.employment_rate=0.87"], db_url, "alice")
    assert r.exit_code == 0 and "可拨付" in r.output
    r = run(["pay", app_id, "--format", "json"], db_url, "carol")
    assert json.loads(r.output)["amount"] == "18000.00"
    r = run(["show", app_id], db_url, "rita")
    assert r.exit_code == 0 and r.output.count("已拨付") == 2
    r = run(["list", "--format", "json"], db_url, "rita")
    assert [a["status"] for a in json.loads(r.output)] == ["approved"]
    r = run(["verify"], db_url, "dora")
    assert r.exit_code == 0 and "the ledger verifies" in r.output


def test_wrong_steps_exit_2_with_one_line(db_url, tmp_path):
    case = write_case(tmp_path, "c.json", vocational(person(30)))
    app_id = str(
        json.loads(run(["submit", case, "--format", "json"], db_url, "alice").output)["id"]
    )
    r = run(["review", app_id, "--reject", "--reason", "重复"], db_url, "bob")
    assert r.exit_code == 0
    for args, user, words in [
        (["pay", app_id], "carol", "was rejected"),
        (["review", app_id, "--approve"], "bob", "already rejected"),
        (["review", app_id], "bob", "--approve or --reject"),
        (["show", "99"], "rita", "no application 99"),
        (["submit", case], "mallory", "no user 'mallory'"),
        (["submit", case], None, "--user"),
        (["record", app_id, "--fact", "oops"], "alice", "PATH=VALUE"),
    ]:
        r = run(args, db_url, user)
        assert r.exit_code == 2, (args, r.output)
        assert words in r.output, (args, r.output)
        assert "Traceback" not in r.output


@pytest.mark.parametrize("number", [str(2**31), str(2**63), "9" * 30])
def test_a_claim_number_beyond_the_databases_integers_is_no_claim(db_url, tmp_path, number):
    """A claim number no row can have (PostgreSQL's INTEGER is 32 bits,
    SQLite's 64) is "no application N", exit 2: it was sent to the database,
    whose driver overflowed (exit 3, internal error)."""
    case = write_case(tmp_path, "c.json", project())
    assert run(["submit", case], db_url, "alice").exit_code == 0
    for args, user in [
        (["show", number], "rita"),
        (["show", number, "--decision"], "rita"),
        (["show", "1", "--decision", "--seq", number], "rita"),
        (["review", number, "--approve"], "bob"),
        (["record", number, "--fact", "project.employment_rate=0.87"], "alice"),
        (["pay", number], "carol"),
        (["notice", number, "--out", str(tmp_path / "n.html")], "rita"),
    ]:
        r = run(args, db_url, user)
        assert r.exit_code == 2, (args, r.output)
        assert f"no application {number}" in r.output or f"no decision #{number}" in r.output
        assert "Traceback" not in r.output and "internal error" not in r.output
    assert not (tmp_path / "n.html").exists()


def test_a_malformed_claim_is_exit_2_and_names_the_field(db_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"applicant": {"id": "370405198702284418"}}', encoding="utf-8")
    r = run(["submit", str(bad)], db_url, "alice")
    assert r.exit_code == 2
    assert "applicant.id" in r.output and "check digit" in r.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"applicant": ', encoding="utf-8")
    r = run(["submit", str(broken)], db_url, "alice")
    assert r.exit_code == 2 and "not valid JSON" in r.output
    r = run(["list", "--format", "json"], db_url, "rita")
    assert json.loads(r.output) == []


def test_users_from_the_command_line(empty_db_url):
    r = run(["user", "add", "boss", "--role", "admin"], empty_db_url)
    assert r.exit_code == 0 and "boss: admin" in r.output
    r = run(
        ["user", "add", "kim", "--role", "caseworker", "--role", "reviewer"], empty_db_url
    )  # once there is a user: an admin
    assert r.exit_code == 2 and "--user" in r.output
    r = run(
        ["user", "add", "kim", "--role", "caseworker", "--role", "reviewer"], empty_db_url, "boss"
    )
    assert r.exit_code == 0
    r = run(["user", "add", "lee", "--role", "clerk"], empty_db_url, "boss")
    assert r.exit_code == 2 and "unknown role" in r.output
    r = run(["user", "list", "--format", "json"], empty_db_url, "kim")
    assert [(u["name"], u["roles"]) for u in json.loads(r.output)] == [
        ("boss", ["admin"]),
        ("kim", ["caseworker", "reviewer"]),
    ]


def test_init_creates_a_sqlite_file_where_told(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["ledger", "init"], env={"POLICY_DB": ""})
    assert r.exit_code == 0 and (tmp_path / "ledger.db").exists()  # the default: ./ledger.db
    r = CliRunner().invoke(cli, ["ledger", "init", "--db", str(tmp_path / "other.db")])
    assert r.exit_code == 0 and (tmp_path / "other.db").exists()
    r = CliRunner().invoke(cli, ["ledger", "init"], env={"POLICY_DB": ""})
    assert "up to date" in r.output


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "submit",
        "review",
        "record",
        "pay",
        "show",
        "list",
        "verify",
        "publicity",
        "export",
        "user",
    ],
)
def test_every_command_has_help(command):
    r = CliRunner().invoke(cli, ["ledger", command, "--help"])
    assert r.exit_code == 0 and len(r.output) > 100


def test_a_stored_decision_replays(db_url, tmp_path):
    """`show --decision` prints the decision as `policy eval --format json`
    writes it, which `policy eval --replay` re-evaluates on its own (the
    history it was decided with is in it)."""
    case = write_case(tmp_path, "c.json", vocational(person(31)))
    run(["submit", case], db_url, "alice")
    second = write_case(tmp_path, "d.json", vocational(person(31), "焊工"))
    run(["submit", second], db_url, "alice")
    # reproducing a decision is the auditor's: they see the ID number whole
    r = run(["show", "2", "--decision"], db_url, "dora")
    assert r.exit_code == 0, r.output
    stored = json.loads(r.output)
    assert [h["occupation"] for h in stored["case"]["facts"]["history"]] == ["电工"]
    assert "masked" not in stored["case"]
    path = tmp_path / "decision.json"
    path.write_text(r.output, encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", "--replay", str(path)])
    assert r.exit_code == 0, r.output
    assert "still holds" in r.output
    r = run(["show", "2", "--decision", "--seq", "5"], db_url, "rita")
    assert r.exit_code == 2 and "no decision #5" in r.output


def test_a_read_only_user_reads_a_stored_decision_masked(db_url, tmp_path):
    """A read-only user's `show --decision` has the ID number and the name
    masked and names them in case.masked, as a decision log does: a replay
    leaves them out, and says what no longer holds without them."""
    number, name = person(32), "欧阳小明"
    run(["submit", write_case(tmp_path, "c.json", vocational(number, name=name))], db_url, "alice")
    r = run(["show", "1", "--decision"], db_url, "rita")
    assert r.exit_code == 0, r.output
    assert number not in r.output and name not in r.output
    stored = json.loads(r.output)
    assert stored["case"]["masked"] == ["applicant.id", "applicant.name"]
    applicant = stored["case"]["facts"]["applicant"]
    assert applicant == {**applicant, "id": number[:4] + "*" * 10 + number[-4:], "name": "欧**明"}
    path = tmp_path / "decision.json"
    path.write_text(r.output, encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", "--replay", str(path)])
    assert r.exit_code in (0, 1) and "Traceback" not in r.output, r.output
    assert number not in r.output


def test_policy_check_checks_the_ledger_section(policy_copy):
    doc = policy_copy / "document.yaml"
    text = doc.read_text(encoding="utf-8")
    text = text.replace(
        "        occupation: certificate.occupation\n",
        "        occupation: certificate.ocupation\n",
    )
    text = text.replace(
        "        amount: $amount\n", "        amount: $amount\n        when: $date\n"
    )
    doc.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(policy_copy)])
    assert r.exit_code == 1
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "certificate.ocupation" in t)
    assert f"document.yaml:{line}:" in r.output and "ocupation" in r.output
    assert "have no field 'when'" in r.output


def test_a_period_to_the_last_day_there_is(db_url, tmp_path):
    """--until 9999-12-31, the last date there is: the day after it was
    taken, which is none (OverflowError: exit 3, and 500 from the service's
    /v1/applications and /v1/publicity). Now the claims and grants through
    that day; a period of one day still holds that day's and no other's."""
    case = write_case(tmp_path, "c.json", vocational(person(31)))
    app = json.loads(run(["submit", case, "--format", "json"], db_url, "alice").output)
    assert run(["review", str(app["id"]), "--approve"], db_url, "bob").exit_code == 0
    r = run(["list", "--until", "9999-12-31", "--format", "json"], db_url, "rita")
    assert r.exit_code == 0, r.output
    assert [a["id"] for a in json.loads(r.output)] == [app["id"]]
    args = ["publicity", "--from", "0001-01-01", "--until", "9999-12-31", "--format", "json"]
    r = run(args, db_url, "rita")
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.output)["rows"]
    day = app["submitted_at"][:10]
    assert row["approved"] == day
    r = run(["list", "--from", day, "--until", day, "--format", "json"], db_url, "rita")
    assert [a["id"] for a in json.loads(r.output)] == [app["id"]]
    before = (_dt.date.fromisoformat(day) - _dt.timedelta(days=1)).isoformat()
    r = run(["list", "--until", before, "--format", "json"], db_url, "rita")
    assert json.loads(r.output) == []


def test_a_fact_given_twice_and_a_name_with_a_control_character_are_refused(db_url, tmp_path):
    """`policy ledger record APP --fact p=1 --fact p=2` recorded the last and
    dropped the other without a word; `policy ledger user add $'e\\x1b[31mvil'`
    was taken, its escape sent to every terminal that listed the users. Both
    exit 2, nothing changed."""
    case = write_case(tmp_path, "c.json", project())
    app_id = str(
        json.loads(run(["submit", case, "--format", "json"], db_url, "alice").output)["id"]
    )
    args = ["--fact", "project.employment_rate=0.5", "--fact", "project.employment_rate=0.9"]
    r = run(["record", app_id, *args], db_url, "alice")
    assert r.exit_code == 2 and "--fact project.employment_rate is given twice" in r.output
    r = run(["show", app_id, "--format", "json"], db_url, "rita")
    assert "employment_rate" not in json.dumps(json.loads(r.output)["case"])
    for name in ("e\x1b[31mvil", "bidi\u202egnp", "nul\x00"):
        r = run(["user", "add", name, "--role", "caseworker"], db_url, "admin")
        assert r.exit_code == 2 and "control characters" in r.output, (name, r.output)
    r = run(["user", "list"], db_url, "admin")
    assert "\x1b" not in r.output and "\u202e" not in r.output
    assert run(["user", "add", "王小明", "--role", "caseworker"], db_url, "admin").exit_code == 0
