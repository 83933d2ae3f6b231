"""Operations and the policy as a resource, over real HTTP: health, readiness,
metrics (added up over worker processes), OpenAPI from models that match the
command line's JSON, the policy's endpoints, tokens, `policy serve`'s errors."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner

from cli import cli
from tests.service.server import POLICY, ROOT, free_port, metric

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def test_health_readiness_and_headers(open_server):
    for path in ("/healthz", "/readyz"):
        r = open_server.client.get(path)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert r.headers["policy-id"] == "taierzhuang-2020-4"
    assert open_server.client.get("/readyz").json()["checks"] == {"policy": "ok"}


def test_metrics_add_up_over_two_workers(serve):
    server = serve("--anonymous-decisions", "--workers", "2", "--decision-log", "")
    eligible = ROOT / "examples/skill_upgrade_senior.json"
    refused = ROOT / "examples/skill_upgrade_short_insurance.json"
    for _ in range(6):
        assert server.client.post("/v1/decisions", content=eligible.read_bytes()).status_code == 200
    for _ in range(4):
        assert server.client.post("/v1/decisions", content=refused.read_bytes()).status_code == 200
    server.client.post("/v1/decisions", content=b"{")
    r = server.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert metric(text, "policy_decisions_total", program="skill_upgrade", outcome="eligible") == 6
    assert (
        metric(text, "policy_decisions_total", program="skill_upgrade", outcome="ineligible") == 4
    )
    assert metric(text, "policy_rejected_cases_total", endpoint="decisions") == 1
    assert metric(text, "policy_http_requests_total", route="/v1/decisions", status="200") == 10
    assert metric(text, "policy_http_requests_total", route="/v1/decisions", status="422") == 1
    assert metric(text, "policy_http_request_duration_seconds_count", route="/v1/decisions") == 11
    # --decision-log '' logs nowhere
    assert not server.log.exists() or server.log.read_text() == ""


def test_openapi_describes_every_endpoint(open_server):
    spec = open_server.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {
        "/v1/decisions",
        "/v1/decisions:batch",
        "/v1/policy",
        "/v1/policy/standards",
        "/v1/policy/programs/{program_id}",
        "/v1/schema/case",
        "/v1/catalogs/{catalog_id}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/applications",
        "/v1/applications/{app_id}",
        "/v1/applications/{app_id}/review",
        "/v1/applications/{app_id}/facts",
        "/v1/applications/{app_id}/payments",
        "/v1/publicity",
        "/v1/audit/verify",
    }
    schemas = spec["components"]["schemas"]
    # the case schema is the one `policy schema` prints
    want = json.loads(CliRunner().invoke(cli, ["schema"]).output)
    assert schemas["Case"] == {k: v for k, v in want.items() if k not in ("$schema", "$id")}
    decide = spec["paths"]["/v1/decisions"]["post"]
    assert decide["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Case"
    }
    assert decide["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DecisionResult"
    }
    assert set(decide["responses"]) >= {"200", "400", "401", "413", "422"}
    assert "HTTPValidationError" not in json.dumps(spec)
    for ref in re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)):
        assert ref in schemas, ref
    assert open_server.client.get("/docs").status_code == 200


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_models_match_the_json_the_command_line_writes(example):
    """The typed models (OpenAPI) validate the command line's real output, and
    forbid any key they do not know: a change to the JSON breaks this test."""
    from service.models import DecisionResult

    out = CliRunner().invoke(cli, ["eval", str(example), "--format", "json"]).output
    model = DecisionResult.model_validate_json(out)
    assert json.loads(model.model_dump_json(by_alias=True, exclude_unset=True)) == json.loads(out)


def test_models_match_batch_lines_and_rejects(tmp_path):
    from service.models import BatchLine, BatchReject

    cases = tmp_path / "cases.jsonl"
    CliRunner().invoke(cli, ["generate", "200", "--seed", "5", "--out", str(cases)])
    with cases.open("a") as f:
        f.write('{"applicant": {"insured_months": "14"}}\n')
    for args in ((), ("--explain",)):
        out = tmp_path / "out.jsonl"
        r = CliRunner().invoke(cli, ["batch", str(cases), "--out", str(out), "--force", *args])
        assert r.exit_code == 0
        for line in out.read_text(encoding="utf-8").splitlines():
            BatchLine.model_validate_json(line)
        rejects = (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(rejects) == 1
        BatchReject.model_validate_json(rejects[0])


def test_policy_as_a_resource(open_server):
    c = open_server.client
    info = c.get("/v1/policy").json()
    assert info["hash"] == c.get("/healthz").headers["policy-hash"]
    assert info["number"] == "台政办发〔2020〕4号"
    assert {p["id"] for p in info["programs"]} >= {"skill_upgrade", "vocational_training"}
    assert info["service"]["name"] == "policy"
    std = {
        s["id"]: s
        for s in c.get("/v1/policy/standards", params={"as_of": "2020-06-01"}).json()["standards"]
    }
    assert std["skill_upgrade"]["value"]["高级"] == "2000" and std["skill_upgrade"]["from"]
    prog = c.get("/v1/policy/programs/skill_upgrade").json()
    clause = {x["id"]: x for x in prog["clauses"]}["insured_12_months"]
    assert clause["cite"][0]["quote"] == "累计缴纳失业保险费12个月以上"
    assert "累计缴纳失业保险费12个月以上" in clause["cite"][0]["text"]
    assert c.get("/v1/schema/case").json()["properties"]["applicant"]
    cat = c.get("/v1/catalogs/institutions").json()
    assert any(row["code"] == "JG-001" for row in cat["rows"])


def test_tokens_are_required_unless_decisions_are_open(serve):
    server = serve()
    body = (ROOT / "examples/skill_upgrade_senior.json").read_bytes()
    for path in ("/v1/decisions", "/v1/decisions:batch"):
        r = server.client.post(path, content=body)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"] == "application/problem+json"
        r = server.client.post(path, content=body, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
    # the policy itself is public
    assert server.client.get("/v1/policy").status_code == 200


def test_serve_refuses_a_busy_port_and_a_broken_policy(policy_copy):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [*POLICY, "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
    (policy_copy / "programs" / "skill_upgrade.yaml").write_text("id: [broken\n", encoding="utf-8")
    r = subprocess.run(
        [*POLICY, "serve", "--policy", str(policy_copy), "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "skill_upgrade.yaml" in r.stderr and "Traceback" not in r.stderr


def test_a_revision_is_served(serve, open_server):
    """--revision FILE: every worker decides under it, /v1/policy names it, and
    the policy hash in every response is the revised policy's."""
    revision = ROOT / "examples/revisions/raise-junior-2021.yaml"
    server = serve("--anonymous-decisions", "--revision", str(revision), "--workers", "2")
    info = server.client.get("/v1/policy").json()
    assert [r["file"] for r in info["revisions"]] and info["revisions"][0]["number"]
    case = (ROOT / "examples/vocational_training_special_ability.json").read_bytes()
    for _ in range(4):  # whichever worker answers
        r = server.client.post("/v1/decisions", content=case, params={"as_of": "2021-02-01"})
        assert r.json()["decisions"][0]["amount"] == "1200.00"
        assert (
            r.headers["policy-hash"]
            == info["hash"]
            != open_server.client.get("/healthz").headers["policy-hash"]
        )
    r = open_server.client.post("/v1/decisions", content=case, params={"as_of": "2021-02-01"})
    assert r.json()["decisions"][0]["amount"] == "1000.00"


def test_counts_written_later_add_up_to_counts_written_at_once():
    """The request metrics wait on the event loop's thread and are written
    together (service.operations.flush): the counters, the histogram's sum and
    every bucket come out as if each request had been counted at once."""
    import asyncio

    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from service import operations

    seconds = [0.0001, 0.0005, 0.0007, 0.003, 0.003, 0.2, 61.0, 400.0]
    bounds = [b for b in operations.LATENCY._upper_bounds if b != float("inf")]

    def metrics():
        registry = CollectorRegistry()
        latency = Histogram("t_seconds", "t", ["route"], buckets=bounds, registry=registry)
        requests = Counter("t_requests", "t", ["status"], registry=registry)
        return registry, latency.labels("/v1/decisions"), requests.labels("200")

    def text(registry) -> list[str]:
        return [
            line
            for line in generate_latest(registry).decode().splitlines()
            if "_created" not in line
        ]

    at_once, latency, requests = metrics()
    for s in seconds:
        latency.observe(s)
        requests.inc()

    later, latency, requests = metrics()

    async def count():
        for s in seconds:
            operations._observe(latency, s)
            operations._inc(requests, 1)
        written_before = text(later)
        await asyncio.sleep(operations.FLUSH_SECONDS * 4)
        return written_before

    before = asyncio.run(count())
    assert before != text(at_once)  # nothing written yet while they wait
    assert text(later) == text(at_once)
    # off the event loop's thread (a batch's blocks), written at once
    direct, latency, requests = metrics()
    for s in seconds:
        operations._observe(latency, s)
        operations._inc(requests, 1)
    assert text(direct) == text(at_once)
