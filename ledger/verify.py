"""``policy ledger verify``: is the ledger what its audit chain says, and do its
decisions still hold?

1. The chain: every event's hash is recomputed from its content and the hash
   before it; the events are numbered without a gap and the chain's recorded
   end is the last event.
2. The rows: every row of every table is hashed as it is now and compared
   with the digest the last event that wrote it recorded. A row changed since,
   a row no event wrote and a row an event wrote that is gone are reported.
3. The decisions: each stored decision is re-evaluated (its facts, at its
   date) with the policy it names, among the policies given (default: the
   ledger's), and compared whole with what was stored; one whose policy is not
   among them is reported with the files that differ, and re-evaluated with
   the first policy given to say whether it would still be decided the same.
   The grants and installments of each claim must match its latest decision.

Every finding is a problem (exit 1), except the notes.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from interpreter.cases import CaseReader
from interpreter.evaluate import Evaluator
from interpreter.model import Policy
from interpreter.render import result_json

from .audit import TABLES, event_hash, row_digest
from .model import to_fen
from .schema import (
    AUDITED,
    GENESIS,
    NOT_PAYABLE,
    PAID,
    applications,
    audit_events,
    audit_head,
    decisions,
    grants,
    installments,
)

COMPARED = ("outcome", "amount", "failing", "missing", "installments")


@dataclass
class Finding:
    kind: str  # chain | row | decision | policy | grant
    where: str
    message: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "where": self.where, "message": self.message}


@dataclass
class Report:
    events: int = 0
    head: str = GENESIS
    rows: int = 0
    decisions: int = 0
    problems: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, kind: str, where: str, message: str) -> None:
        self.problems.append(Finding(kind, where, message))

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "rows": self.rows,
            "decisions": self.decisions,
            "problems": [p.to_json() for p in self.problems],
            "notes": self.notes,
        }


class _Checker:
    def __init__(self, policies: list[Policy]):
        self.policies = {p.hash: p for p in policies}
        self.first = policies[0]
        self.evaluators: dict[str, Evaluator] = {}
        self.readers: dict[str, CaseReader] = {}
        self.reported_policies: set[str] = set()

    def redecide(self, policy: Policy, stored: dict):
        ev = self.evaluators.get(policy.hash)
        if ev is None:
            ev = self.evaluators[policy.hash] = Evaluator(policy)
            self.readers[policy.hash] = CaseReader(policy, numbers_as_text=True)
        case = stored["case"]
        facts = self.readers[policy.hash].convert(case["facts"], case.get("file") or "<decision>")
        as_of = (
            _dt.date.fromisoformat(case["as_of"]) if case.get("as_of_source") == "--as-of" else None
        )
        res = ev.decide(
            facts,
            converted=True,
            as_of=as_of,
            programs=[d["program"] for d in stored["decisions"]],
            case_name=case.get("file"),
        )
        res.case_sha256 = case.get("sha256")
        return result_json(policy, res)


def verify(conn: Connection, policies: list[Policy]) -> Report:
    report = Report()
    latest = _chain(conn, report)
    _rows(conn, report, latest)
    _decisions(conn, report, _Checker(policies))
    return report


def _chain(conn: Connection, report: Report) -> dict[tuple[str, str], tuple[str, int]]:
    """Walk the chain; (table, id) → (digest, event seq) of the last write."""
    latest: dict[tuple[str, str], tuple[str, int]] = {}
    prev, expected = GENESIS, 1
    for ev in conn.execute(select(audit_events).order_by(audit_events.c.seq)):
        report.events += 1
        where = f"event {ev.seq}"
        if ev.seq != expected:
            report.problem("chain", where, f"events {expected}–{ev.seq - 1} are missing")
        if ev.prev_hash != prev:
            report.problem(
                "chain",
                where,
                "does not link to the event before it (an event was removed, inserted or changed)",
            )
        h = event_hash(
            ev.prev_hash,
            ev.seq,
            ev.at,
            ev.user_name,
            ev.action,
            ev.subject,
            ev.details_json,
            ev.rows_json,
        )
        if h != ev.hash:
            report.problem(
                "chain",
                where,
                f"was altered after it was written ({ev.action} "
                f"{ev.subject} by {ev.user_name} at {ev.at})",
            )
        try:
            rows = json.loads(ev.rows_json)
        except ValueError:
            rows = {}
        for table, digests in rows.items():
            for rid, digest in digests.items():
                latest[(table, rid)] = (digest, ev.seq)
        prev, expected = ev.hash, ev.seq + 1
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
    report.head = prev
    if head is None or head.seq != expected - 1 or head.hash != prev:
        report.problem(
            "chain",
            "end of the chain",
            "the recorded end of the chain is not its last event (events were "
            "removed from the end, or the end was changed)",
        )
    return latest


def _rows(conn: Connection, report: Report, latest: dict[tuple[str, str], tuple[str, int]]) -> None:
    seen = set()
    for table in AUDITED:
        pk = next(iter(table.primary_key.columns))
        for row in conn.execute(select(table).order_by(pk)).mappings():
            report.rows += 1
            key = (table.name, str(row[pk.name]))
            seen.add(key)
            where = f"{table.name} {row[pk.name]}"
            got = latest.get(key)
            if got is None:
                report.problem(
                    "row", where, "was written outside the ledger: no audit event records it"
                )
            elif row_digest(row) != got[0]:
                report.problem("row", where, f"was changed after event {got[1]} recorded it")
    for (name, rid), (_digest, seq) in sorted(latest.items()):
        if (name, rid) not in seen and name in TABLES:
            report.problem("row", f"{name} {rid}", f"was deleted (event {seq} wrote it)")


def _decisions(conn: Connection, report: Report, checker: _Checker) -> None:
    current: dict[int, int] = {}
    for row in conn.execute(select(decisions).order_by(decisions.c.id)):
        report.decisions += 1
        current[row.application_id] = row.id
        where = f"decision {row.id} (application {row.application_id}, #{row.seq})"
        try:
            stored = json.loads(row.decision_json)
            named = stored["policy"]["hash"]
        except (ValueError, KeyError, TypeError):
            report.problem("decision", where, "is not a stored decision")
            continue
        if named != row.policy_hash:
            report.problem("decision", where, "names another policy than its row records")
        policy = checker.policies.get(named)
        if policy is None:
            _other_policy(report, checker, named, stored)
            policy = checker.first
            label = "with the policy given"
        else:
            label = "with the policy it names"
        try:
            now = checker.redecide(policy, stored)
        except Exception as exc:  # noqa: BLE001 - a stored decision that cannot be re-read
            report.problem("decision", where, f"cannot be re-evaluated {label}: {exc}")
            continue
        diffs = _differences(stored, now)
        if diffs:
            report.problem("decision", where, f"no longer holds {label}: " + "; ".join(diffs))
    for app_id, decision_id in current.items():
        _grants_follow(conn, report, app_id, decision_id)


def _other_policy(report: Report, checker: _Checker, named: str, stored: dict) -> None:
    if named in checker.reported_policies:
        return
    checker.reported_policies.add(named)
    files = stored["policy"].get("files") or {}
    now = {k: "sha256:" + v for k, v in checker.first.files.items()}
    changed = sorted(k for k in set(files) | set(now) if files.get(k) != now.get(k))
    report.problem(
        "policy",
        f"policy {named}",
        "decisions were made with a policy other than the one given; files that "
        "differ: " + (", ".join(changed) or "none (the revisions differ)"),
    )


def _differences(stored: dict, now: dict) -> list[str]:
    before = {d["program"]: d for d in stored["decisions"]}
    after = {d["program"]: d for d in now["decisions"]}
    out = []
    for program, b in before.items():
        a = after.get(program)
        if a is None:
            out.append(f"{program}: no longer decided")
            continue
        for key in COMPARED:
            if b.get(key) != a.get(key):
                out.append(f"{program}: {key} stored {b.get(key)!r}, now {a.get(key)!r}")
        if b != a and not any(o.startswith(program + ":") for o in out):
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            out.append(f"{program}: the explanation differs ({', '.join(keys)})")
    if stored.get("case", {}).get("as_of") != now.get("case", {}).get("as_of"):
        out.append(
            f"decision date: stored {stored['case'].get('as_of')}, now {now['case'].get('as_of')}"
        )
    return out


def _grants_follow(conn: Connection, report: Report, app_id: int, decision_id: int) -> None:
    """The grants of a claim are what its latest decision says."""
    data = json.loads(
        conn.execute(
            select(decisions.c.decision_json).where(decisions.c.id == decision_id)
        ).scalar_one()
    )
    entries = {d["program"]: d for d in data["decisions"]}
    status = conn.execute(select(applications.c.status).where(applications.c.id == app_id)).scalar()
    for g in conn.execute(select(grants).where(grants.c.application_id == app_id)):
        where = f"grant {g.id} (application {app_id}, {g.program})"
        if g.decision_id != decision_id:
            report.problem(
                "grant", where, f"follows decision {g.decision_id}, not the latest ({decision_id})"
            )
            continue
        entry = entries.get(g.program)
        if entry is None:
            report.problem("grant", where, "its program is not in the decision")
            continue
        parts = list(
            conn.execute(
                select(installments)
                .where(installments.c.grant_id == g.id)
                .order_by(installments.c.seq)
            )
        )
        if g.status in ("proposed", "approved"):
            if entry["outcome"] != "eligible":
                report.problem(
                    "grant", where, f"is {g.status} but the decision is {entry['outcome']}"
                )
            want = entry.get("installments") or [
                {"id": None, "amount": entry["amount"], "status": "payable"}
            ]
            if len(want) != len(parts):
                report.problem("grant", where, "its installments are not the decision's")
                continue
            for p, w in zip(parts, want, strict=True):
                if (
                    p.installment != w["id"]
                    or p.amount_fen != to_fen(w["amount"])
                    or (p.status != PAID and p.status != w["status"])
                ):
                    report.problem(
                        "grant",
                        where,
                        f"installment {p.installment or 'whole'} is not the decision's",
                    )
            total = sum(p.amount_fen for p in parts if p.status != NOT_PAYABLE)
            if total != g.amount_fen:
                report.problem("grant", where, "its amount is not the sum of its installments")
        if g.status == "approved" and status != "approved":
            report.problem("grant", where, f"is approved in an application that is {status}")
