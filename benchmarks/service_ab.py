#!/usr/bin/env python3
"""A/B of `policy serve`: two servers, before and after a change, taking turns.

    python benchmarks/service_ab.py --base main              # main against this checkout
    python benchmarks/service_ab.py --base HEAD~1 --turns 10 --requests 1000
    python benchmarks/service_ab.py --base /path/to/a/tree --query explain=true

A is the code of ``--base`` (a git revision of this repository, exported to a
temporary folder with `git archive`, or a folder holding a tree), B this
checkout. Each is started as `policy serve --workers N --anonymous-decisions`
with this checkout's Python (its installed libraries), from its own tree, the
decisions logged to a temporary file as a deployment logs them. Then, turn
by turn, each server gets the same --requests one-case decisions at
concurrency 1 (the example cases, over a keep-alive connection from a
blocking socket, as benchmarks/service.py times them), A first in even turns
and B first in odd ones, so that both meet the same load of the shared
machine. Per turn: each server's p50 and its CPU per request (its processes'
user + system time from /proc). It prints their medians and ranges and the
median of the per-turn differences B − A, the figure the README's cuts
quote. Both servers must answer every example alike (a cut is measured only
where it changes no answer): the same bytes, or, when the policy's files
differ between the two trees, the same answers but for the policy block;
otherwise it stops (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.service import (  # noqa: E402 - after the path is set
    BlockingConnection,
    free_port,
    pct,
    post,
    server_cpu,
    stop_server,
)


def tree_of(base: str, tmp: str) -> Path:
    """The folder holding the code of ``base``: itself, or the revision exported."""
    if Path(base).is_dir():
        return Path(base).resolve()
    out = Path(tmp) / "base"
    out.mkdir()
    archive = subprocess.run(["git", "archive", base], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"--base {base}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out


def without_policy(answer: bytes) -> dict:
    """An answer without its policy block (the policy's id, hash and files)."""
    data = json.loads(answer)
    data.pop("policy", None)
    return data


def start(tree: Path, workers: int, log: str):
    """`policy serve` of ``tree`` (its modules first on the path: run from it)."""
    port = free_port()
    cmd = [sys.executable, "-m", "cli", "serve", "--workers", str(workers)]
    cmd += ["--port", str(port), "--anonymous-decisions", "--decision-log", log]
    proc = subprocess.Popen(
        cmd,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    end = time.monotonic() + 90
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"the server of {tree} exited: {proc.stderr.read().decode()}")
        try:
            conn = BlockingConnection(port)
        except OSError:
            time.sleep(0.1)
            continue
        status, _ = conn.request(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.close()
        if status == 200:
            return proc, port
        time.sleep(0.1)
    stop_server(proc)
    raise SystemExit(f"the server of {tree} did not start")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="A: a git revision, or a folder with a tree")
    ap.add_argument("--turns", type=int, default=8)
    ap.add_argument("--requests", type=int, default=600, help="requests per server per turn")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--query", default="explain=false", help="the query of POST /v1/decisions")
    args = ap.parse_args(argv)
    bodies = [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.json"))]
    path = f"/v1/decisions?{args.query}"
    reqs = [post(path, bodies[i % len(bodies)]) for i in range(args.requests)]
    tmp = tempfile.mkdtemp(prefix="policy-ab-")
    servers: dict = {}
    try:
        trees = {"A": tree_of(args.base, tmp), "B": ROOT}
        for name, tree in trees.items():
            servers[name] = start(tree, args.workers, os.path.join(tmp, f"{name}.jsonl"))
        conns = {name: BlockingConnection(port) for name, (_p, port) in servers.items()}
        answers = {}
        for name, conn in conns.items():
            got = [conn.request(post(path, b)) for b in bodies]
            if any(status != 200 for status, _ in got):
                raise SystemExit(f"{name} did not answer 200: {got[0][1][:300]!r}")
            answers[name] = [body for _, body in got]
            for r in reqs[: min(len(reqs), 300)]:  # warm
                conn.request(r)
        same = "the examples answered with the same bytes"
        if answers["A"] != answers["B"]:
            if [without_policy(a) for a in answers["A"]] != [
                without_policy(b) for b in answers["B"]
            ]:
                print("A and B answer the examples differently: not a like-for-like A/B")
                return 1
            same = (
                "the examples answered alike but for the policy block (the policy's files "
                "differ between A and B)"
            )
        load = os.getloadavg()[0]
        p50 = {name: [] for name in servers}
        cpu = {name: [] for name in servers}
        for turn in range(args.turns):
            for name in ("A", "B") if turn % 2 == 0 else ("B", "A"):
                pid, conn = servers[name][0].pid, conns[name]
                lat = []
                before = server_cpu(pid)
                for r in reqs:
                    t = time.perf_counter()
                    status, _ = conn.request(r)
                    lat.append(time.perf_counter() - t)
                    if status != 200:
                        raise SystemExit(f"{name}: status {status}")
                cpu[name].append((server_cpu(pid) - before) / len(reqs) * 1e6)
                p50[name].append(pct(lat, 50) * 1e6)
        for conn in conns.values():
            conn.close()
    finally:
        for proc, _port in servers.values():
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"A: {args.base}; B: this checkout; --workers {args.workers}; {args.turns} turns × "
        f"{args.requests} requests to {path} at concurrency 1; load {load:.2f} → "
        f"{os.getloadavg()[0]:.2f}; {same}"
    )
    for name in ("A", "B"):
        print(
            f"{name}: p50 median {statistics.median(p50[name]):.0f} µs "
            f"({min(p50[name]):.0f}–{max(p50[name]):.0f}); server CPU per request median "
            f"{statistics.median(cpu[name]):.0f} µs ({min(cpu[name]):.0f}–{max(cpu[name]):.0f})"
        )
    dp = [b - a for a, b in zip(p50["A"], p50["B"])]
    dc = [b - a for a, b in zip(cpu["A"], cpu["B"])]
    print(
        f"B − A per turn: p50 median {statistics.median(dp):+.0f} µs "
        f"({min(dp):+.0f}..{max(dp):+.0f}); CPU median {statistics.median(dc):+.0f} µs "
        f"({min(dc):+.0f}..{max(dc):+.0f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
