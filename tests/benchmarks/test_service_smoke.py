"""benchmarks/service.py runs (a smoke test, not a timing test): at the
smallest sizes, in its own process as a user runs it, against a real
`policy serve`, every row has a value and the targets are judged. The
script checks every answer itself (status, amounts), so a run that ends
with exit 0 has also decided right."""

from __future__ import annotations

import json
import subprocess
import sys

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
        for key in ("in_process_p50_us", "service_p50_us", "p50_ratio", "cpu_ratio"):
            assert row[key] > 0, key
    floor = data["floor"]
    assert floor["p50_us"] > 0 and floor["empty_p50_us"] > 0 and len(floor["bound_ratios"]) == 2
    # the lowest reachable ratio: (floor + in-process) ÷ in-process, so above 1
    assert floor["bound_ratio"] > 1 and "the lowest any application could reach" in r.stdout
    assert data["batch"]["lines"] == 60 and data["batch"]["service_per_s"] > 0
    # the targets are judged, in words
    target = [line for line in r.stdout.splitlines() if line.startswith("target: the service's")]
    assert len(target) == 1 and ("PASS" in target[0] or "FAIL" in target[0])
    assert "CPU per decision" in target[0]
