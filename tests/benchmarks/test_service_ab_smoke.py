"""benchmarks/service_ab.py runs (a smoke test, not a timing test): two real
`policy serve` servers, A a tree given as a folder (here this checkout
itself, so that no git history is needed) and B this checkout, take their
turns and the medians and the per-turn differences are printed; a base that
is neither a folder nor a revision is refused in words."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import ROOT


def ab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "benchmarks/service_ab.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_two_servers_take_turns():
    r = ab("--base", str(ROOT), "--turns", "2", "--requests", "30", "--workers", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stdout.splitlines()
    assert "the examples answered with the same bytes" in lines[0]  # the same tree
    for name in ("A", "B"):
        line = next(x for x in lines if x.startswith(f"{name}: p50 median "))
        p50, cpu = (int(x) for x in re.findall(r"median (\d+) µs", line))
        assert p50 > 0 and cpu >= 0
    assert re.search(r"B − A per turn: p50 median [+-]\d+ µs", r.stdout)


def test_a_base_that_is_not_a_revision_is_refused():
    r = ab("--base", "no-such-revision-xyz", "--turns", "1", "--requests", "1")
    assert r.returncode != 0
    assert "--base no-such-revision-xyz:" in r.stderr and "Traceback" not in r.stderr
