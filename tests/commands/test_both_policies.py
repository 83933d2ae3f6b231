"""Both policies of the repository — the bundled 台政办发〔2020〕4号 and the
second package (examples/policies/guobanfa-2019-24) — pass `policy check
--strict`, their policy tests at 100% clause coverage and a small batch, run
as an officer runs them (CI runs this file with the README's test command)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

POLICIES = {
    "bundled": (ROOT / "policy", ROOT / "examples" / "cases.jsonl"),
    "guobanfa-2019-24": (
        ROOT / "examples" / "policies" / "guobanfa-2019-24",
        ROOT / "examples" / "policies" / "guobanfa-2019-24" / "cases" / "population.jsonl",
    ),
}


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(params=sorted(POLICIES))
def policy(request):
    return POLICIES[request.param]


def test_check_strict(policy):
    folder, _cases = policy
    r = run("check", folder, "--strict")
    assert r.returncode == 0, r.stdout + r.stderr


def test_policy_tests_at_full_coverage(policy):
    folder, _cases = policy
    r = run("test", "--policy", folder, "--coverage", "--fail-under", "100")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "coverage: 100.0% of clause states" in r.stdout


def test_a_small_batch(policy, tmp_path):
    folder, cases = policy
    if not cases.exists():
        cases = tmp_path / "cases.jsonl"
        r = run("generate", 200, "--seed", 15, "--policy", folder, "--out", cases)
        assert r.returncode == 0, r.stderr
    out = tmp_path / "decisions.jsonl"
    r = run(
        "batch",
        cases,
        "--policy",
        folder,
        "--out",
        out,
        "--summary-json",
        tmp_path / "summary.json",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["decided"] > 0 and summary["rejected"] == 0, summary
    report = run("report", out, "--policy", folder)
    assert report.returncode == 0, report.stderr


def test_generated_cases_are_decided_without_a_reject(policy, tmp_path):
    """Each policy describes its own population (population.yaml): the cases
    `policy generate --policy DIR` writes are all read and decided by it."""
    folder, _cases = policy
    cases = tmp_path / "cases.jsonl"
    r = run("generate", 300, "--seed", 21, "--policy", folder, "--out", cases)
    assert r.returncode == 0, r.stderr
    r = run(
        "batch",
        cases,
        "--policy",
        folder,
        "--out",
        tmp_path / "decisions.jsonl",
        "--summary-json",
        tmp_path / "summary.json",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["decided"] == 300 and summary["rejected"] == 0, summary
