"""What the ledger hands back: typed views of its records, each with
``to_json()`` (the same keys on the command line and over HTTP), and the
helpers for exact money and exact JSON."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from .errors import Invalid

FEN = Decimal("0.01")


def to_fen(amount: Decimal | str) -> int:
    """An amount in yuan as whole fen; an amount finer than the fen is refused
    (the policy rounds its amounts to the fen)."""
    d = Decimal(amount) * 100
    if d != d.to_integral_value():
        raise Invalid(
            f"the amount {amount} is not a whole number of fen",
            hint="the policy must round this amount to the fen",
        )
    return int(d)


def yuan(fen: int) -> str:
    """Whole fen as yuan text with two decimals ("1234.50")."""
    return format((Decimal(fen) / 100).quantize(FEN), "f")


def dumps_exact(value) -> str:
    """JSON text of parsed case data, numbers (Decimal) written exactly, keys
    sorted: one text for one case, no float anywhere."""
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                json.dumps(str(k), ensure_ascii=False) + ":" + dumps_exact(v)
                for k, v in sorted(value.items())
            )
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_exact(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        raise Invalid("a number in the case is a binary float; give exact decimals")
    if isinstance(value, _dt.date):
        return json.dumps(value.isoformat())
    raise Invalid(f"a case holds JSON values, not {type(value).__name__}")


def now_text(clock=None) -> str:
    t = clock() if clock is not None else _dt.datetime.now().astimezone()
    return t.isoformat(timespec="seconds")


@dataclass
class User:
    id: int
    name: str
    roles: list[str]
    active: bool
    created_at: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Installment:
    id: int
    installment: str | None  # the policy's id; None: the whole grant at once
    label: str | None
    amount: str
    status: str  # payable | pending | refused | paid
    waiting_for: list[str]
    paid_at: str | None = None
    paid_by: str | None = None
    reference: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Grant:
    id: int
    program: str
    title: str
    status: str  # proposed | approved | rejected | refused
    amount: str
    decision_date: str | None
    refusal: dict | None
    installments: list[Installment] = field(default_factory=list)

    def to_json(self) -> dict:
        out = asdict(self)
        out["installments"] = [i.to_json() for i in self.installments]
        return out


@dataclass
class FactRecorded:
    path: str
    value: object
    recorded_by: str
    recorded_at: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Application:
    """A claim as the ledger holds it: as submitted, its review, its current
    decision and what was granted."""

    id: int
    status: str  # submitted | approved | rejected
    person: str | None  # the normalised ID number
    name: str | None
    source: str | None
    case: dict  # as submitted
    case_sha256: str
    submitted_by: str
    submitted_at: str
    reviewed_by: str | None
    reviewed_at: str | None
    review_reason: str | None
    facts_recorded: list[FactRecorded]
    decision_seq: int
    decision: dict  # the JSON of `policy eval --format json`
    grants: list[Grant]

    def notice_terms(self) -> dict:
        """How the applicant's notice of this claim is issued (the keywords of
        ``documents.render_notice``): once reviewed, numbered with the claim's
        number and dated the day of the review, and a rejection with the
        reviewer's reason; before, an unnumbered draft."""
        reviewed = self.status in ("approved", "rejected") and bool(self.reviewed_at)
        return {
            "number": f"{self.id:06d}" if reviewed else None,
            "issued": (
                _dt.date.fromisoformat(self.reviewed_at[:10])
                if reviewed and self.reviewed_at
                else None
            ),
            "rejected": (self.review_reason or "—") if self.status == "rejected" else None,
        }

    def outcomes(self) -> list[dict]:
        """Per program: outcome, amount, failing clauses, missing facts."""
        return [
            {k: d.get(k) for k in ("program", "outcome", "amount", "failing", "missing")}
            for d in self.decision.get("decisions", [])
        ]

    def to_json(self) -> dict:
        out = asdict(self)
        out["facts_recorded"] = [f.to_json() for f in self.facts_recorded]
        out["grants"] = [g.to_json() for g in self.grants]
        return out


@dataclass
class ApplicationSummary:
    id: int
    status: str
    person: str | None
    submitted_by: str
    submitted_at: str
    programs: list[dict]  # program, outcome, grant status, amount

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Payment:
    application: int
    program: str
    installment: str | None
    amount: str
    paid_at: str
    paid_by: str
    reference: str | None

    def to_json(self) -> dict:
        return asdict(self)
