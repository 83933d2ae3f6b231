"""The audit log: append-only, a hash chain over every row the ledger writes.

Each event names the user, the action and its subject, the details of the
step, and the digest (SHA-256 of the canonical JSON) of every row the step
wrote, as stored. Its hash covers all of that and the hash of the event
before it. So:

- changing, inserting or deleting an event breaks the chain at that event;
- changing a row afterwards makes its digest differ from the one recorded by
  the last event that wrote it; a row no event wrote, or one an event wrote
  that is gone, is found too (``ledger.verify``).

Events are appended at the end of the writing transaction, under a lock on
the chain's last link (``audit_head``), so the chain has one order even when
claims for different people are written side by side (PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from .schema import AUDITED, audit_events, audit_head

TABLES = {t.name: t for t in AUDITED}


def canonical(data) -> str:
    """JSON with sorted keys and no spaces: one text for one value."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_digest(row) -> str:
    """The digest of a row as stored (a mapping of column → int, bool, text
    or None)."""
    return sha256(canonical({k: row[k] for k in row.keys()}))  # noqa: SIM118 - a row, not a dict


def event_hash(
    prev_hash: str,
    seq: int,
    at: str,
    user: str | None,
    action: str,
    subject: str,
    details_json: str,
    rows_json: str,
) -> str:
    return sha256(
        canonical(
            {
                "prev": prev_hash,
                "seq": seq,
                "at": at,
                "user": user,
                "action": action,
                "subject": subject,
                "details": details_json,
                "rows": rows_json,
            }
        )
    )


@dataclass
class Event:
    action: str
    subject: str
    details: dict
    rows: dict[str, set[int]] = field(default_factory=dict)


class Writer:
    """The rows one transaction writes and the events that record them.

    Every insert and update goes through here so that no row is written
    without an event naming its digest."""

    def __init__(self, conn: Connection, user: str | None, now: str):
        self.conn = conn
        self.user = user
        self.now = now
        self.events: list[Event] = []

    def event(self, action: str, subject: str, details: dict | None = None) -> Event:
        ev = Event(action, subject, details or {})
        self.events.append(ev)
        return ev

    def _touch(self, table, row_id: int) -> None:
        if not self.events:
            raise RuntimeError("a row written before its audit event")
        self.events[-1].rows.setdefault(table.name, set()).add(int(row_id))

    def insert(self, table, **values) -> int:
        pk = next(iter(table.primary_key.columns))
        row_id = self.conn.execute(insert(table).values(**values).returning(pk)).scalar_one()
        self._touch(table, row_id)
        return row_id

    def update(self, table, row_id: int, **values) -> None:
        pk = next(iter(table.primary_key.columns))
        self.conn.execute(update(table).where(pk == row_id).values(**values))
        self._touch(table, row_id)

    def seal(self) -> list[dict]:
        """Append the events (with the digests of their rows as they now
        are) to the chain. Called last in the transaction."""
        if not self.events:
            return []
        conn = self.conn
        head = conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        ).one()
        seq, prev = head.seq, head.hash
        written = []
        for ev in self.events:
            digests: dict[str, dict[str, str]] = {}
            for name, ids in sorted(ev.rows.items()):
                table = TABLES[name]
                pk = next(iter(table.primary_key.columns))
                for row in conn.execute(select(table).where(pk.in_(sorted(ids)))).mappings():
                    digests.setdefault(name, {})[str(row[pk.name])] = row_digest(row)
            seq += 1
            details_json, rows_json = canonical(ev.details), canonical(digests)
            h = event_hash(
                prev, seq, self.now, self.user, ev.action, ev.subject, details_json, rows_json
            )
            conn.execute(
                insert(audit_events).values(
                    seq=seq,
                    at=self.now,
                    user_name=self.user,
                    action=ev.action,
                    subject=ev.subject,
                    details_json=details_json,
                    rows_json=rows_json,
                    prev_hash=prev,
                    hash=h,
                )
            )
            written.append({"seq": seq, "hash": h, "action": ev.action, "subject": ev.subject})
            prev = h
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=prev))
        return written
