"""Processes the concurrency and crash tests start (each is a fresh Python
process: `multiprocessing` with spawn), writing to the ledger as a second
caseworker would."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def claimant(url: str, worker: int, claims: list[tuple[str, str]], start, out: str) -> None:
    """Submit ``claims`` (person, occupation) as fast as possible once
    ``start`` is set; write what each submission returned to ``out``."""
    from ledger.api import Ledger
    from tests.helpers import load_policy
    from tests.ledger.helpers import vocational

    results = []
    with Ledger.open(url, policy=load_policy()) as lg:
        start.wait(60)
        for person_id, occupation in claims:
            try:
                app = lg.submit("alice", vocational(person_id, occupation))
                d = app.outcomes()[0]
                results.append(
                    {
                        "id": app.id,
                        "person": person_id,
                        "occupation": occupation,
                        "outcome": d["outcome"],
                        "failing": d["failing"],
                        "grant": app.grants[0].status if app.grants else None,
                    }
                )
            except Exception as exc:  # noqa: BLE001 - the test reports it
                results.append(
                    {
                        "error": f"{type(exc).__name__}: {exc}",
                        "person": person_id,
                        "occupation": occupation,
                    }
                )
    Path(out).write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


def stuck_writer(url: str, person_id: str, marker: str) -> None:
    """Submit a claim, but stop for good in the middle of its transaction:
    after every row is written and before the audit events and the commit.
    The test kills this process there."""
    import ledger.audit
    from ledger.api import Ledger
    from tests.helpers import load_policy
    from tests.ledger.helpers import vocational

    def seal(self):
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(600)

    ledger.audit.Writer.seal = seal
    with Ledger.open(url, policy=load_policy()) as lg:
        lg.submit("alice", vocational(person_id, "电工"))
