"""Outputs name the policy they were made under; commands that read them
refuse one made under another policy (exit 2) unless --other-policy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"
CASE = NATIONAL / "cases" / "vocational_training_intermediate.json"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def national_batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("identity")
    out, summary = d / "d.jsonl", d / "summary.json"
    r = run(
        "batch",
        NATIONAL / "cases" / "population.jsonl",
        "--policy",
        NATIONAL,
        "--out",
        out,
        "--summary-json",
        summary,
    )
    assert r.returncode == 0, r.stderr
    return out, summary


def test_batch_lines_and_summary_name_the_policy(national_batch):
    out, summary = national_batch
    line = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert line["policy_id"] == "guobanfa-2019-24"
    assert line["policy"].startswith("sha256:")
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert (s["policy_id"], s["policy"]) == ("guobanfa-2019-24", line["policy"])


def test_report_refuses_decisions_of_another_policy(national_batch):
    out, _ = national_batch
    r = run("report", out)  # the bundled policy
    assert r.returncode == 2, r.stdout[:500]
    assert r.stdout == ""
    assert (
        f"{out}:1: this decision line was made under the policy 'guobanfa-2019-24', "
        "but the policy used is 'taierzhuang-2020-4'" in r.stderr
    )
    assert "give --policy DIR" in r.stderr and "--other-policy" in r.stderr
    forced = run("report", out, "--other-policy")
    assert forced.returncode == 0, forced.stderr
    own = run("report", out, "--policy", NATIONAL)
    assert own.returncode == 0
    assert "政策标识：guobanfa-2019-24（sha256:" in own.stdout
    en = run("report", out, "--policy", NATIONAL, "--lang", "en")
    assert "policy id" in en.stdout and "guobanfa-2019-24 (sha256:" in en.stdout


def test_replay_refuses_a_decision_of_another_policy(tmp_path):
    dec = tmp_path / "dec.json"
    dec.write_text(
        run("eval", CASE, "--policy", NATIONAL, "--format", "json").stdout, encoding="utf-8"
    )
    r = run("eval", "--replay", dec)
    assert r.returncode == 2
    assert "this decision was made under the policy 'guobanfa-2019-24'" in r.stderr
    ok = run("eval", "--replay", dec, "--policy", NATIONAL)
    assert ok.returncode == 0 and "the decision still holds" in ok.stdout


def test_diff_refuses_to_compare_two_policies():
    r = run(
        "diff",
        NATIONAL / "cases" / "population.jsonl",
        "--policy",
        NATIONAL,
        "--against",
        ROOT / "policy",
    )
    assert r.returncode == 2
    assert "was made under the policy 'taierzhuang-2020-4'" in r.stderr


@pytest.mark.parametrize("engine", [(), ("--engine", "dask", "--jobs", "1")], ids=["local", "dask"])
def test_batch_history_refuses_claims_of_another_policy(tmp_path, engine):
    """Both engines read --history's policy ids before deciding anything."""
    hist = tmp_path / "history.jsonl"
    hist.write_text(
        json.dumps(
            {
                "id": "110101199003074514",
                "program": "vocational_training",
                "date": "2020-01-05",
                "occupation": "GJ-001",
                "level": "中级",
                "policy_id": "taierzhuang-2020-4",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    args = (
        "batch",
        NATIONAL / "cases" / "population.jsonl",
        "--policy",
        NATIONAL,
        "--out",
        tmp_path / ("d" if engine else "d.jsonl"),
        "--history",
        hist,
        *engine,
    )
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert (
        f"{hist}:1: this history record was made under the policy 'taierzhuang-2020-4'" in r.stderr
    )
    assert not (tmp_path / "d").exists()  # nothing written
    forced = run(*args, "--other-policy")
    assert forced.returncode == 0, forced.stderr
