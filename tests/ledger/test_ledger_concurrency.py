"""Atomic limits and crashes, against SQLite and PostgreSQL, with real
processes: many writers claiming for the same people at the same moment
never take a person over a limit and lose no claim; a writer killed in the
middle of a submission leaves nothing behind and holds no lock."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections import Counter

from tests.ledger.helpers import person, snapshot, vocational
from tests.ledger.workers import claimant, stuck_writer

WORKERS = 6
OCCUPATIONS = ["电工", "焊工", "车工", "钳工", "电工"]  # five claims a person, one a repeat


def test_concurrent_claims_respect_the_limits(db_url, ledger, tmp_path):
    """Six processes submit claims for the same three people at once: each
    person claims five times per worker (thirty claims each, in the same
    year); the policy allows three a year and one per occupation and level."""
    people = [person(60 + i) for i in range(3)]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs, outs = [], []
    for w in range(WORKERS):
        claims = [(p, occ) for occ in OCCUPATIONS for p in people]
        # each worker in its own order, so that they collide on every person
        claims = claims[w % len(claims) :] + claims[: w % len(claims)]
        out = tmp_path / f"worker{w}.json"
        procs.append(ctx.Process(target=claimant, args=(db_url, w, claims, start, str(out))))
        outs.append(out)
    for p in procs:
        p.start()
    time.sleep(0.5)
    start.set()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    results = [r for out in outs for r in json.loads(out.read_text(encoding="utf-8"))]

    # no claim lost: every submission answered, and the ledger has each one
    assert [r for r in results if "error" in r] == []
    assert len(results) == WORKERS * len(OCCUPATIONS) * len(people)
    stored = ledger.applications("dora")
    assert sorted(a.id for a in stored) == sorted(r["id"] for r in results)
    by_id = {a.id: a for a in stored}
    for r in results:
        assert by_id[r["id"]].programs[0]["outcome"] == r["outcome"]
        assert by_id[r["id"]].programs[0]["grant"] == r["grant"]

    # no person over a limit
    occupation = {r["id"]: r["occupation"] for r in results}
    for p in people:
        held = [
            g for g in ledger.person_grants("dora", p) if g["status"] in ("proposed", "approved")
        ]
        assert len(held) == 3, held  # 每人每年不超过3次, and no fewer
        per_occupation = Counter(occupation[g["application"]] for g in held)
        assert max(per_occupation.values()) == 1  # 同一职业同一等级不可重复享受
    refused = Counter(tuple(r["failing"]) for r in results if r["outcome"] == "ineligible")
    assert set(refused) <= {("yearly_limit",), ("not_repeated",), ("yearly_limit", "not_repeated")}
    assert ledger.verify("dora").ok


def test_a_writer_killed_mid_transaction_leaves_nothing(db_url, ledger, tmp_path):
    pid = person(70)
    before = snapshot(db_url)
    marker = tmp_path / "inside"
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=stuck_writer, args=(db_url, pid, str(marker)))
    proc.start()
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.is_alive() and time.time() < deadline, "the writer never got going"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the transaction
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    assert snapshot(db_url) == before  # not a row of it
    # nothing stays locked: the same person's claim goes through at once
    app = ledger.submit("alice", vocational(pid, "电工"))
    assert app.outcomes()[0]["outcome"] == "eligible"
    assert ledger.verify("dora").ok
