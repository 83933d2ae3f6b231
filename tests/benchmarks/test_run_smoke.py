"""Every row of benchmarks/run.py runs (a smoke test, not a timing test).

The benchmark is a script nobody runs in the test suite, so a change the
engine makes under it (a module moved, a signature changed) breaks it
silently until someone wants numbers: the catalogues becoming policy
declarations once left ``python benchmarks/run.py`` and
``benchmarks/floor_e2e.py`` importing a module that was gone. Here the whole
script runs in its own process at the smallest sizes (a few cases, one pass,
one run each), as a user runs it, and every row must have produced a value:
the rows a-d, the batch (local and Dask), start-up, the 70-program policy,
the whole path against the end-to-end floor, diff and report, the
registry's memory, the profile, and the targets of issues 7 and 21. The
end-to-end floor's own command line runs too and must agree with
``policy batch``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

from tests.helpers import ROOT

TINY = [
    "--quick",
    "--n",
    "20",
    "--repeats",
    "1",
    "--cases",
    "40",
    "--jobs",
    "1",
    "--dask-jobs",
    "1",
    "--batch-runs",
    "1",
    "--cli-runs",
    "1",
    "--e2e-cases",
    "20",
    "--pop-cases",
    "40",
    "--pop-runs",
    "1",
    "--scale-cases",
    "3",
    "--registry-cases",
    "2000",
    "--slow-budget",
    "0.05",
    "--profile",
]


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_every_row_of_the_benchmark_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "results.json"
    r = subprocess.run(
        [sys.executable, "benchmarks/run.py", *TINY, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["ok"] and rep["failures"] == []
    rows = {row["id"]: row for row in rep["rows"]}
    for rid in (
        "a_floor",
        "a_floor_json",
        "b_off",
        "b_full",
        "b_off_validated",
        "b_full_validated",
        "b_off_json",
        "b_off_json_parsed",
        "b_off_text_reader",
        "d_all_off",
        "d_all_full",
    ):
        assert rid in rows, rid
        assert rows[rid]["error"] is None, (rid, rows[rid]["error"])
        assert _number(rows[rid]["us_per_case"]), (rid, rows[rid])
    # every cross-check compared every case and found them equal
    assert rep["checks"]
    for c in rep["checks"]:
        assert c["compared"] == 20 and c["mismatches"] == 0, c
    batch = rep["batch"]
    assert {(b.get("engine", "local"), b["jobs"]) for b in batch["runs"]} == {
        ("local", 1),
        ("dask", 1),
    }
    assert all(b["exit"] == 0 and b["decided"] == 40 for b in batch["runs"]), batch["runs"]
    assert batch["outputs_identical"] is True
    assert rep["profile"]
    targets = {t["id"]: t for t in rep["targets"]}
    for tid in ("b_off", "b_full", "e_memory", "f_startup", "f2_warm", "f2_cold", "g_load"):
        assert targets[tid]["status"] in ("PASS", "MISS"), targets[tid]
    g = rep["issue21"]
    e2e = g["end_to_end"]
    assert e2e["check"]["compared"] == 20 and e2e["check"]["mismatches"] == 0, e2e["check"]
    pop = g["population"]
    assert pop["failed"] == [] and pop["diff_outputs_identical"] is True
    assert all(_number(v) for v in pop["best_wall_s"].values()), pop["best_wall_s"]
    assert g["registry"]["cases"] == 2000 and "error" not in g["registry"]
    assert {t["id"]: t["status"] for t in g["targets"]}.keys() >= {
        "p1_end_to_end",
        "p2_from_json",
        "p2_from_json_reader",
        "p2_from_json_kernel",
        "p5_diff_jobs",
        "p5_report",
        "p6_registry",
    }
    for t in g["targets"]:
        assert t["status"] in ("PASS", "MISS"), t
    assert "targets (issue 21" in r.stdout


def test_the_end_to_end_floor_writes_what_policy_batch_decides(tmp_path):
    from benchmarks.run import _e2e_cases, policy_command
    from tests.helpers import load_policy

    cases = tmp_path / "cases.jsonl"
    _e2e_cases(load_policy(), 30, 5, cases)
    floor_out, batch_out = tmp_path / "floor.jsonl", tmp_path / "batch.jsonl"
    r = subprocess.run(
        [sys.executable, "benchmarks/floor_e2e.py", str(cases), str(floor_out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [*policy_command(None), "batch", str(cases), "--out", str(batch_out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    floor_lines = [json.loads(x) for x in floor_out.read_text(encoding="utf-8").splitlines()]
    batch_lines = [json.loads(x) for x in batch_out.read_text(encoding="utf-8").splitlines()]
    assert len(floor_lines) == len(batch_lines) == 30
    for f, b in zip(floor_lines, batch_lines):
        (d,) = [d for d in b["decisions"] if d["program"] == f["program"]]
        assert (f["line"], f["outcome"], f["amount"]) == (b["line"], d["outcome"], d["amount"])
