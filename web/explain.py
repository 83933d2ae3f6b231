"""A decision on the officer's page: every clause held ✓, failed ✗ or unknown ?
with the values it read, the standards applied and since when, the quoted
source text, and what is still missing.

Made from the decision JSON the ledger stores (`policy eval --format json`),
through ``interpreter.plain`` — the words the decision notice uses — so the
page says what the notice and the command line say. An officer also sees
what an applicant does not: the clause ids and the ledger's real-name
refusals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interpreter.plain import FAILED, HELD, MISSING, Item, Plain

MARK = {HELD: "✓", FAILED: "✗", MISSING: "?"}


@dataclass
class ClauseView:
    id: str
    status: str  # held | failed | missing
    mark: str
    item: Item
    derived: set[str] = field(default_factory=set)  # labels of values the ledger made


@dataclass
class DecisionView:
    program: str
    program_id: str
    outcome: str
    amount: str | None  # 1,500.00
    amount_words: str | None
    payee: str | None
    clauses: list[ClauseView]
    missing: list[tuple[str, str]]  # (path, label) still to supply
    standards: list
    computed: list
    steps: list[str]
    payments: list
    notes: list[str]
    quotes: list
    grant: object | None = None  # ledger.model.Grant, on a claim's page
    refusals: list[dict] = field(default_factory=list)


def decision_views(
    policy,
    data: dict,
    lang: str,
    grants=None,
    derived: set[str] | frozenset = frozenset(),
    masked: bool = False,
) -> list[DecisionView]:
    """``derived``: the facts the ledger made from its grants (marked so);
    ``masked``: ID numbers (facts with a masking format) shown masked."""
    plain = Plain(policy, lang, records=(policy.notice or {}).get("records"), masked=masked)
    by_program = {g.program: g for g in (grants or [])}
    out = []
    for d in data.get("decisions") or []:
        p = plain.decision(d)
        clauses = []
        ordered = _ordered(d.get("clauses") or [])
        for c in ordered:
            item = plain.item(c)
            made = {
                plain.label(path)
                for path in c.get("values") or {}
                if path.split(".")[0].split("[")[0] in derived
            }
            clauses.append(ClauseView(c.get("id", ""), item.status, MARK[item.status], item, made))
        grant = by_program.get(d["program"])
        refusals = list(
            ((grant.refusal or {}).get("real_name_checks") or []) if grant is not None else []
        )
        out.append(
            DecisionView(
                program=p.program,
                program_id=p.program_id,
                outcome=p.outcome,
                amount=p.amount_figures,
                amount_words=p.amount_in_words,
                payee=p.payee,
                clauses=clauses,
                missing=[(m, plain.label(m)) for m in d.get("missing") or []],
                standards=p.standards,
                computed=p.computed,
                steps=p.steps,
                payments=p.payments,
                notes=p.notes,
                quotes=p.quotes,
                grant=grant,
                refusals=refusals,
            )
        )
    return out


def _ordered(clauses: list[dict]) -> list[dict]:
    """Failed first, then unknown, then held (as the command line lists a
    refusal), each in the policy's order."""
    rank = {False: 0, None: 1, True: 2}
    return sorted(clauses, key=lambda c: rank.get(c.get("result"), 1))
