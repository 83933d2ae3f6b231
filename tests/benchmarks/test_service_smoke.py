"""benchmarks/service.py runs (a smoke test, not a timing test): at the
smallest sizes, in its own process as a user runs it, against a real
`policy serve`, every row has a value and the targets are judged. The
script checks every answer itself (status, amounts), so a run that ends
with exit 0 has also decided right."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT


def test_the_service_benchmark_runs(tmp_path):
    out = tmp_path / "service.json"
    r = subprocess.run(
        [
            sys.executable,
            "benchmarks/service.py",
            "--requests",
            "40",
            "--rounds",
            "2",
            "--concurrency",
            "2",
            "--batch-lines",
            "60",
            "--batch-runs",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    data = json.loads(out.read_text())
    assert [row["what"] for row in data["single"]] == [
        "one case, explanations off",
        "one case, explanations on",
    ]
    for row in data["single"]:
        assert row["requests"] == 40 and len(row["p50_ratios"]) == 2
        for key in ("in_process_p50_us", "service_p50_us", "p50_ratio"):
            assert row[key] > 0, key
        # the server's CPU comes from /proc in clock ticks (10 ms): 40 lean
        # requests can take less than one, so at this size the ratio may be 0
        assert row["cpu_ratio"] >= 0
    floor = data["floor"]
    assert floor["p50_us"] > 0 and floor["empty_p50_us"] > 0 and len(floor["bound_ratios"]) == 2
    # the lowest reachable ratio: (floor + in-process) ÷ in-process, so above 1
    assert floor["bound_ratio"] > 1 and "the lowest any application could reach" in r.stdout
    assert data["batch"]["lines"] == 60 and data["batch"]["service_per_s"] > 0
    # the p50 target judged both ways its words can be read, per row, in words,
    # each beside the floor's bound; the added reading is the total less one
    for row in data["single"]:
        assert row["added_ratios"] == pytest.approx([x - 1 for x in row["p50_ratios"]])
        lines = [
            line for line in r.stdout.splitlines() if line.startswith(f"target, {row['what']}: ")
        ]
        assert [line.split(": ")[1].split(",")[0] for line in lines] == ["total", "added"]
        for line in lines:
            assert ("≤ 2: PASS" in line or "≤ 2: MISS" in line) and "the floor's bound" in line
    assert any(line.startswith("CPU per decision") for line in r.stdout.splitlines())
