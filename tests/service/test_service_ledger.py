"""The ledger over real HTTP, against SQLite and PostgreSQL: the workflow
(submit, review, record a fact, pay, publicity, verify) through the ledger's
own code, tokens made with `policy serve token add` and stored hashed, and
401/403 for every endpoint with every role."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest

from service.applications import ROLES
from tests.service.server import ROOT, Server

PG = os.environ.get("POLICY_TEST_PG")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG, reason="POLICY_TEST_PG is not set (.ci/run sets it)"),
    ),
]
USERS = [
    ("admin", ["admin"]),
    ("alice", ["caseworker"]),
    ("bob", ["reviewer"]),
    ("ben", ["caseworker", "reviewer"]),
    ("carol", ["finance"]),
    ("dora", ["auditor"]),
    ("rita", ["read-only"]),
]
# one token per (user, role)
TOKENS = [
    ("alice", "caseworker"),
    ("bob", "reviewer"),
    ("carol", "finance"),
    ("dora", "auditor"),
    ("rita", "read-only"),
    ("admin", "admin"),
    ("ben", "caseworker"),
    ("ben", "reviewer"),
]
ROLE_TOKEN = {
    "caseworker": "alice",
    "reviewer": "bob",
    "finance": "carol",
    "auditor": "dora",
    "read-only": "rita",
    "admin": "admin",
}
EXAMPLES = ROOT / "examples"


def policy_cmd(*args, db: str, check=True):
    """`policy ARGS` with POLICY_DB, in this process (the set-up makes a dozen
    calls); click's Result: .exit_code, .stdout, .stderr."""
    from click.testing import CliRunner

    from cli import cli

    r = CliRunner().invoke(cli, list(args), env={"POLICY_DB": db})
    if check:
        assert r.exit_code == 0, (args, r.output)
    return r


def new_database(kind: str, tmp: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'ledger.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"policy_serve_{uuid.uuid4().hex[:12]}"
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


class Desk:
    """A running server with a ledger, its users and one token per role."""

    def __init__(self, kind: str, tmp: Path):
        self.url, self._drop = new_database(kind, tmp)
        policy_cmd("ledger", "init", db=self.url)
        policy_cmd("ledger", "user", "add", "admin", "--role", "admin", db=self.url)
        for name, roles in USERS[1:]:
            policy_cmd(
                "ledger",
                "user",
                "add",
                name,
                *[x for r in roles for x in ("--role", r)],
                "--user",
                "admin",
                db=self.url,
            )
        self.tokens = {}
        for user, role in TOKENS:
            r = policy_cmd(
                "serve", "token", "add", user, "--role", role, "--by", "admin", db=self.url
            )
            self.tokens[(user, role)] = r.stdout.strip()
        self.server = Server("--db", self.url, "--log-input", tmp=tmp)

    def auth(self, role: str, user: str | None = None) -> dict:
        token = self.tokens[(user or ROLE_TOKEN[role], role)]
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, role: str | None = None, user: str | None = None, **kw):
        headers = kw.pop("headers", {})
        if role is not None:
            headers.update(self.auth(role, user))
        return self.server.client.request(method, path, headers=headers, **kw)

    def submit(self, example: str, role="caseworker", user=None):
        return self.call(
            "POST", "/v1/applications", role, user, content=(EXAMPLES / example).read_bytes()
        )

    def close(self):
        self.server.stop()
        self._drop()


@pytest.fixture(scope="module", params=BACKENDS)
def desk(request, tmp_path_factory):
    d = Desk(request.param, tmp_path_factory.mktemp(f"desk-{request.param}"))
    yield d
    d.close()


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in r.text
    return r.json()


def test_the_workflow_through_the_ledger(desk):
    # 经办: the caseworker submits a project training claim (paid 60% first)
    r = desk.submit("project_training_advance_only.json")
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "submitted" and app["submitted_by"] == "alice"
    [d] = app["decision"]["decisions"]
    assert d["outcome"] == "eligible" and d["amount"] == "27000.00"
    assert d["clauses"] and d["clauses"][0]["cite"]  # the explanation is there
    app_id = app["id"]
    # anyone may read it, with its decision
    r = desk.call("GET", f"/v1/applications/{app_id}", "read-only")
    assert r.status_code == 200 and r.json()["decision"] == app["decision"]
    # 审核: the reviewer approves; the advance becomes payable
    r = desk.call("POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": True})
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["reviewed_by"] == "bob"
    [grant] = approved["grants"]
    # the case's employment rate (72%) is under 85%: the balance is not payable
    assert [(i["installment"], i["status"]) for i in grant["installments"]] == [
        ("advance", "payable"),
        ("balance", "refused"),
    ]
    # approving twice is a conflict
    problem(
        desk.call("POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": True}),
        409,
    )
    # finance pays the advance; the balance is not payable yet
    r = desk.call(
        "POST", f"/v1/applications/{app_id}/payments", "finance", json={"reference": "PZ-001"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["installment"] == "advance" and r.json()["paid_by"] == "carol"
    problem(desk.call("POST", f"/v1/applications/{app_id}/payments", "finance", json={}), 409)
    # the employment rate is recorded: the balance becomes payable and is paid
    r = desk.call(
        "POST",
        f"/v1/applications/{app_id}/facts",
        "caseworker",
        json={"facts": {"project.employment_rate": "0.87"}},
    )
    assert r.status_code == 200, r.text
    parts = {i["installment"]: i for i in r.json()["grants"][0]["installments"]}
    assert parts["balance"]["status"] == "payable"
    r = desk.call(
        "POST", f"/v1/applications/{app_id}/payments", "finance", json={"installment": "balance"}
    )
    assert r.status_code == 201 and r.json()["amount"] == parts["balance"]["amount"]
    # the list, filtered
    listed = desk.call(
        "GET",
        "/v1/applications",
        "read-only",
        params={"status": "approved", "program": "project_training"},
    ).json()
    assert app_id in [a["id"] for a in listed]
    assert (
        desk.call(
            "GET", "/v1/applications", "read-only", params={"program": "no_such_program"}
        ).json()
        == []
    )
    assert (
        desk.call("GET", "/v1/applications", "read-only", params={"until": "2000-01-01"}).json()
        == []
    )
    # the audit chain holds and every decision still holds
    report = desk.call("GET", "/v1/audit/verify", "auditor").json()
    assert report["ok"] is True and report["events"] > 0, report
    # the answers are what the OpenAPI document says they are (extra keys forbidden)
    from service import models

    models.Application.model_validate(app)
    models.Application.model_validate(approved)
    models.Payment.model_validate(r.json())
    for a in listed:
        models.ApplicationSummary.model_validate(a)
    models.VerifyReport.model_validate(report)
    models.Publicity.model_validate(desk.call("GET", "/v1/publicity", "auditor").json())
    # every decision the ledger made is in the decision log, under its user
    logged = [e for e in desk.server.log_lines() if e.get("application") == app_id]
    assert [e["user"] for e in logged] == ["alice", "alice"]
    assert logged[-1]["endpoint"] == "applications/facts"


def test_publicity_is_masked(desk):
    r = desk.submit("skill_upgrade_senior.json")
    app_id = r.json()["id"]
    desk.call("POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": True})
    applicant = json.loads((EXAMPLES / "skill_upgrade_senior.json").read_text())["applicant"]
    number, name = applicant["id"], applicant["name"]
    pub = desk.call("GET", "/v1/publicity", "read-only").json()
    row = next(x for x in pub["rows"] if x["application"] == app_id)
    assert row["id_number"] == number[:4] + "*" * 10 + number[-4:]
    # the name by the mask facts.yaml declares for it (郑*涛), as 公示 practice
    assert row["name"] == name[0] + "*" * (len(name) - 2) + name[-1] != name
    assert row["amount"] == "2000.00"
    for fmt, media in (("csv", "text/csv"), ("html", "text/html")):
        r = desk.call("GET", "/v1/publicity", "read-only", params={"format": fmt})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        assert number not in r.text and row["id_number"] in r.text
        assert name not in r.text and row["name"] in r.text


def test_a_read_only_user_reads_id_numbers_masked(desk):
    """GET /v1/applications[/{id}]: the read-only role sees the ID number masked
    by the format facts.yaml declares, and the name by the mask it declares
    (张*三; as on the officer pages), in the person, the claim, the facts its
    decision read and anywhere else; every other role sees them whole."""
    from service import models

    case = json.loads((EXAMPLES / "technician_training_senior_technician.json").read_text())
    number, name = case["applicant"]["id"], case["applicant"]["name"]
    masked = number[:4] + "*" * 10 + number[-4:]
    assert len(name) == 3
    masked_name = name[0] + "*" + name[2]
    r = desk.submit("technician_training_senior_technician.json")
    assert r.status_code == 201, r.text
    submitted = r.json()
    app_id = submitted["id"]
    assert submitted["person"] == number  # the caseworker's own answer: whole
    for role in ROLE_TOKEN:
        one = desk.call("GET", f"/v1/applications/{app_id}", role)
        listed = desk.call("GET", "/v1/applications", role)
        assert one.status_code == 200 and listed.status_code == 200, (role, one.text)
        app = one.json()
        [row] = [a for a in listed.json() if a["id"] == app_id]
        models.Application.model_validate(app)
        models.ApplicationSummary.model_validate(row)
        if role == "read-only":
            assert number not in one.text and number not in listed.text
            assert name not in one.text and name not in listed.text
            assert app["person"] == row["person"] == masked
            assert app["name"] == masked_name  # (a summary has no name)
            assert app["case"]["applicant"]["id"] == masked
            assert app["case"]["applicant"]["name"] == masked_name
            assert app["decision"]["case"]["facts"]["applicant"]["id"] == masked
            # nothing else changed: the rest is the claim as the others read it
            assert app["decision"]["decisions"] == submitted["decision"]["decisions"]
            assert app["case"]["training"] == case["training"]
        else:
            assert app == submitted, role
            assert row["person"] == number and app["name"] == name, role
            assert app["case"]["applicant"]["name"] == name
    # a read-only user may still find the claim by the whole number
    found = desk.call("GET", "/v1/applications", "read-only", params={"person": number}).json()
    assert [a["person"] for a in found if a["id"] == app_id] == [masked]
    # the decision log (--log-input) holds the claim's facts masked as the
    # read-only role reads them: the number and the name alike
    [logged] = [e for e in desk.server.log_lines() if e.get("application") == app_id]
    assert logged["case"]["facts"]["applicant"] == {
        **case["applicant"],
        "id": masked,
        "name": masked_name,
    }
    assert {"applicant.id", "applicant.name"} <= set(logged["case"]["masked"])


def test_no_one_approves_their_own_claim(desk):
    r = desk.submit("pre_job_training_senior.json", user="ben")
    assert r.status_code == 201, r.text
    body = problem(
        desk.call(
            "POST",
            f"/v1/applications/{r.json()['id']}/review",
            "reviewer",
            user="ben",
            json={"approve": True},
        ),
        403,
    )
    assert "经办 and 审核 are done by different people" in body["detail"]


def test_a_rejection_needs_a_reason_and_a_bad_claim_writes_nothing(desk):
    r = desk.submit("apprenticeship_typical.json")
    app_id = r.json()["id"]
    assert (
        "needs a reason"
        in problem(
            desk.call(
                "POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": False}
            ),
            422,
        )["detail"]
    )
    before = len(desk.call("GET", "/v1/applications", "read-only").json())
    body = problem(
        desk.call(
            "POST",
            "/v1/applications",
            "caseworker",
            content=b'{"applicant": {"insured_months": "14"}}',
        ),
        422,
    )
    assert body["errors"][0]["field"] == "applicant.insured_months"
    assert len(desk.call("GET", "/v1/applications", "read-only").json()) == before
    assert problem(desk.call("GET", "/v1/applications/999999", "read-only"), 404)
    body = problem(
        desk.call(
            "POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": "perhaps"}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "approve"


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "headers,content,words,where",
    [
        # `curl --data '{"approve": true}'` sends a form's Content-Type
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            b'{"approve": true}',
            (
                "the body was not read as JSON (Content-Type application/x-www-form-urlencoded): "
                "send a JSON object with Content-Type: application/json"
            ),
            None,
        ),
        ({}, b'{"approve": true}', "not read as JSON (no Content-Type)", None),
        (JSON, b"", "the request has no body: send a JSON object", None),
        (
            JSON,
            b'{"approve": true,\n "reason": }',
            "the body is not valid JSON: Expecting value",
            (2, 12),
        ),
        (JSON, b"[true]", "the body is a list, not a JSON object", None),
        (JSON, b"null", "the body is null, not a JSON object", None),
        # the last of a key given twice was taken: this approved
        (
            JSON,
            b'{"approve": false, "reason": "x", "approve": true}',
            'the key "approve" is given twice',
            None,
        ),
        # these two were 400 "There was an error parsing the body"
        (
            JSON,
            '{"approve": false, "reason": "café"}'.encode("latin-1"),
            "not UTF-8 text (byte 33)",
            None,
        ),
        (JSON, b'{"reason": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply", None),
    ],
    ids=["form", "no-type", "empty", "not-json", "list", "null", "key-twice", "latin-1", "deep"],
)
def test_a_body_that_is_not_a_json_object_is_refused_in_words(desk, headers, content, words, where):
    """What pydantic said of these was "Input should be a valid dictionary or
    object to extract fields from" under the field "", ": is required", the
    field "1" and "JSON decode error", all titled "bad case"; a key given twice
    was taken as its last value. Each is now one error saying what to send,
    and nothing is changed."""
    app_id = desk.submit("skill_upgrade_senior.json").json()["id"]
    r = desk.call(
        "POST",
        f"/v1/applications/{app_id}/review",
        "reviewer",
        headers=dict(headers),
        content=content,
    )
    body = problem(r, 422)
    assert words in body["detail"] and body["title"] == "bad request body"
    assert body["type"] == "urn:policy:problem:bad-body"
    [err] = body["errors"]
    assert (err["line"], err["column"]) == (where or (None, None))
    assert desk.call("GET", f"/v1/applications/{app_id}", "auditor").json()["status"] == "submitted"


def test_a_fact_or_a_payment_field_given_twice_is_refused(desk):
    app_id = desk.submit("project_training_advance_only.json").json()["id"]
    before = desk.call("GET", f"/v1/applications/{app_id}", "auditor").json()
    body = problem(
        desk.call(
            "POST",
            f"/v1/applications/{app_id}/facts",
            "caseworker",
            headers=dict(JSON),
            content=b'{"facts": {"project.employment_rate": "0.87", "project.employment_rate": "0.5"}}',
        ),
        422,
    )
    assert 'the key "project.employment_rate" is given twice' in body["detail"]
    assert desk.call("GET", f"/v1/applications/{app_id}", "auditor").json() == before
    desk.call("POST", f"/v1/applications/{app_id}/review", "reviewer", json={"approve": True})
    body = problem(
        desk.call(
            "POST",
            f"/v1/applications/{app_id}/payments",
            "finance",
            headers=dict(JSON),
            content=b'{"installment": "balance", "installment": "advance"}',
        ),
        422,
    )
    assert 'the key "installment" is given twice' in body["detail"]
    installments = desk.call("GET", f"/v1/applications/{app_id}", "auditor").json()["grants"][0][
        "installments"
    ]
    assert all(i["status"] != "paid" for i in installments)


def endpoints(app_id: int) -> list[tuple[str, str, str, dict]]:
    """(step, method, path, request) of every ledger endpoint."""
    case = (EXAMPLES / "living_allowance_seven_days.json").read_bytes()
    return [
        ("submit", "POST", "/v1/applications", {"content": case}),
        ("list", "GET", "/v1/applications", {}),
        ("read", "GET", f"/v1/applications/{app_id}", {}),
        (
            "review",
            "POST",
            f"/v1/applications/{app_id}/review",
            {"json": {"approve": False, "reason": "the role test"}},
        ),
        (
            "record",
            "POST",
            f"/v1/applications/{app_id}/facts",
            {"json": {"facts": {"project.employment_rate": "0.9"}}},
        ),
        ("pay", "POST", f"/v1/applications/{app_id}/payments", {"json": {}}),
        ("publicity", "GET", "/v1/publicity", {}),
        ("verify", "GET", "/v1/audit/verify", {}),
    ]


def test_every_endpoint_checks_the_role(desk):
    """401 without a token, with an unknown one and with a revoked one; 403 for
    every role the step does not take; never 401/403 for one it takes."""
    app_id = desk.submit("living_allowance_capped.json").json()["id"]
    steps = endpoints(app_id)
    assert {s for s, *_ in steps} == set(ROLES)
    revoked = desk.tokens[("rita", "read-only")]
    for step, method, path, kw in steps:
        r = desk.call(method, path, **kw)
        assert problem(r, 401)["type"] == "urn:policy:problem:unauthenticated", (step, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        problem(desk.call(method, path, headers={"Authorization": "Bearer pol_nope"}, **kw), 401)
        for role in ROLE_TOKEN:
            r = desk.call(method, path, role, **kw)
            if role in ROLES[step]:
                assert r.status_code not in (401, 403), (step, role, r.text)
            else:
                body = problem(r, 403)
                assert f"the role {role} may not do this" in body["detail"], (step, role)
    # a revoked token stops working at once
    r = policy_cmd("serve", "token", "list", "--format", "json", db=desk.url)
    [rita] = [t for t in json.loads(r.stdout) if t["user"] == "rita"]
    policy_cmd("serve", "token", "revoke", str(rita["id"]), "--by", "admin", db=desk.url)
    r = desk.call("GET", "/v1/applications", headers={"Authorization": f"Bearer {revoked}"})
    problem(r, 401)
    desk.tokens.pop(("rita", "read-only"))
    # verification still holds: token rows are in the audit chain
    assert desk.call("GET", "/v1/audit/verify", "auditor").json()["ok"] is True


def test_a_claim_number_beyond_the_databases_integers_is_404(desk):
    """An id no row can have (PostgreSQL's INTEGER is 32 bits, SQLite's 64) is
    404 "no application N" on every endpoint that names a claim, and a token
    number beyond them "no token N": they were sent to the database, whose
    driver overflowed (500; exit 3 for `policy serve token revoke`)."""
    for number in (2**31, 2**63, 10**30):
        for step, method, path, kw in endpoints(number):
            if str(number) not in path:
                continue
            body = problem(desk.call(method, path, ROLES[step][0], **kw), 404)
            assert f"there is no application {number}" in body["detail"], (step, body)
        r = policy_cmd(
            "serve", "token", "revoke", str(number), "--by", "admin", db=desk.url, check=False
        )
        assert r.exit_code == 2 and f"there is no token {number}" in r.stderr, r.output
    # the server is still well: a good request after them is answered
    assert desk.call("GET", "/v1/applications", "auditor").status_code == 200


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_claim_is_recorded_when_the_decision_log_cannot_be_written(desk, tmp_path):
    """A full disk under the decision log: a submitted claim is recorded in the
    ledger (its decision and audit chain) and answered 201, the log's failure
    told in the server's log; it was a 500 "internal error", with the claim
    recorded all the same, so a client would submit it again."""
    server = Server("--db", desk.url, "--decision-log", "/dev/full", tmp=tmp_path)
    try:
        r = server.client.post(
            "/v1/applications",
            content=(EXAMPLES / "skill_upgrade_senior.json").read_bytes(),
            headers=desk.auth("caseworker"),
        )
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        assert desk.call("GET", f"/v1/applications/{app_id}", "auditor").status_code == 200
        assert f"the decision of application {app_id} is recorded in the ledger" in server.stderr()
        assert "Traceback" not in server.stderr()
    finally:
        server.stop()


def test_a_period_to_the_last_day_there_is_is_answered(desk):
    """?until=9999-12-31 was a 500 (the day after it, which is none)."""
    for path in ("/v1/applications", "/v1/publicity"):
        r = desk.call("GET", path, "auditor", params={"from": "0001-01-01", "until": "9999-12-31"})
        assert r.status_code == 200, r.text


def test_decisions_with_a_token_and_readiness(desk):
    body = (EXAMPLES / "skill_upgrade_senior.json").read_bytes()
    problem(desk.call("POST", "/v1/decisions", content=body), 401)
    for role in ("finance", "auditor"):
        r = desk.call("POST", "/v1/decisions", role, content=body)
        assert r.status_code == 200 and r.json()["decisions"][0]["amount"] == "2000.00"
    entry = {e["decision_id"]: e for e in desk.server.log_lines()}[r.headers["decision-id"]]
    assert entry["user"] == "dora"
    # any role may ask for a decision (there is no 403 here), logged as its user;
    # an unknown token and a header that is not a bearer token are 401
    for (user, role), token in desk.tokens.items():
        r = desk.call(
            "POST",
            "/v1/decisions?explain=false",
            headers={"Authorization": f"Bearer {token}"},
            content=body,
        )
        assert r.status_code == 200, (role, r.text)
        logged = {e["decision_id"]: e for e in desk.server.log_lines()}[r.headers["decision-id"]]
        assert logged["user"] == user, role
    for header in ("Bearer pol_nope", f"Basic {desk.tokens[('alice', 'caseworker')]}"):
        r = desk.call("POST", "/v1/decisions", headers={"Authorization": header}, content=body)
        assert problem(r, 401)["type"] == "urn:policy:problem:unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
    assert desk.server.client.get("/readyz").json() == {
        "status": "ok",
        "checks": {"policy": "ok", "database": "ok"},
    }


def test_tokens_are_stored_hashed(desk):
    from sqlalchemy import create_engine, select

    from ledger.schema import api_tokens

    engine = create_engine(desk.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as c:
        rows = list(c.execute(select(api_tokens)))
    engine.dispose()
    stored = {r.token_hash for r in rows}
    for token in desk.tokens.values():
        assert "sha256:" + hashlib.sha256(token.encode()).hexdigest() in stored
        assert all(token not in str(tuple(r)) for r in rows)
    if desk.url.startswith("sqlite:///"):
        data = Path(desk.url[len("sqlite:///") :]).read_bytes()
        assert all(token.encode() not in data for token in desk.tokens.values())
    # a token for a role its user does not hold is refused, and changes nothing
    r = policy_cmd("serve", "token", "add", "alice", "--role", "reviewer", db=desk.url, check=False)
    assert r.exit_code == 2 and "alice does not hold the role reviewer" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.skipif(not PG, reason="POLICY_TEST_PG is not set (.ci/run sets it)")
def test_readiness_follows_the_database(tmp_path):
    """/readyz is 503, naming the database, once PostgreSQL no longer has the
    ledger's database; the process stays up and /healthz says so."""
    from sqlalchemy import create_engine, text

    url, drop = new_database("postgresql", tmp_path)
    policy_cmd("ledger", "init", db=url)
    server = Server("--db", url, "--anonymous-decisions", tmp=tmp_path)
    try:
        assert server.client.get("/readyz").json()["checks"]["database"] == "ok"
        name = url.rsplit("/", 1)[1]
        admin = create_engine(
            PG.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
        r = server.client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable"
        assert r.json()["checks"]["database"].startswith("unreachable")
        assert server.client.get("/healthz").status_code == 200
        # a stateless decision needs no database
        body = (EXAMPLES / "skill_upgrade_senior.json").read_bytes()
        assert server.client.post("/v1/decisions", content=body).status_code == 200
        # a ledger request is a one-line 503 problem, not a traceback
        r = server.client.get("/v1/applications", headers={"Authorization": "Bearer pol_x"})
        assert r.status_code in (401, 503) and "Traceback" not in r.text
    finally:
        server.stop()
        drop()


def test_serve_refuses_a_missing_or_unreachable_ledger(tmp_path):
    from click.testing import CliRunner

    from cli import cli

    for url, words in (
        (f"sqlite:///{tmp_path}/none.db", "there is no ledger at"),
        ("postgresql://policy:policy@127.0.0.1:1/x", "cannot reach the ledger"),
    ):
        r = CliRunner().invoke(cli, ["serve", "--db", url, "--port", "0"])
        assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output


def test_every_body_has_a_size_limit(desk):
    """A ledger endpoint's JSON body is held to the limit of a case too, declared
    or sent in chunks: 413, nothing read past it."""
    from interpreter.cases import MAX_CASE_BYTES

    big = b'{"approve": false, "reason": "' + b"x" * (MAX_CASE_BYTES + 10) + b'"}'
    headers = {**desk.auth("reviewer"), "Content-Type": "application/json"}
    r = desk.server.client.post("/v1/applications/1/review", content=big, headers=headers)
    assert problem(r, 413)["detail"].endswith(f"the limit is {MAX_CASE_BYTES} bytes")

    def pieces():
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = desk.server.client.post("/v1/applications/1/review", content=pieces(), headers=headers)
    problem(r, 413)
