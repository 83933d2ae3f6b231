"""A decision as an applicant reads it: the conclusion, the items that
decided it (failed or missing first) with the values that decided them and
the quoted source, the amount and the steps that made it — every value
formatted for people (money as 1,500.00, dates in words, yes/no), no rule
code and no internal ids.

Built from the decision JSON (``policy eval --format json``, or a decision
stored in the ledger), so the same words come out for a decision taken now
and for one taken months ago; the policy supplies only labels. Documents
(the decision notice) lay this out; nothing here knows a document's layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import display
from .model import Policy

FAILED, MISSING, HELD = "failed", "missing", "held"

WORDS = {
    "zh": {"yuan": "元", "unknown": "未知", "no_rows": "目录中没有相应记录",
           "sep": "，", "list_sep": "；", "colon": "："},
    "en": {"yuan": "yuan", "unknown": "unknown", "no_rows": "no such record in the catalogue",
           "sep": ", ", "list_sep": "; ", "colon": ": "},
}


@dataclass
class Quote:
    document: str
    clause: str
    title: str | None
    text: str


@dataclass
class Item:
    """One condition of the decision, in words."""
    status: str                       # failed | missing | held
    text: str                         # the condition, as the policy explains it
    values: list[tuple[str, str]] = field(default_factory=list)    # (label, value)
    records: list[tuple[str, list[str]]] = field(default_factory=list)  # catalogue rows
    missing: list[str] = field(default_factory=list)               # labels of missing facts
    note: str | None = None           # how the policy reads the clause
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Line:
    label: str
    text: str


@dataclass
class Payment:
    label: str
    amount: str | None
    status: str                       # payable | pending | refused
    missing: list[str] = field(default_factory=list)


@dataclass
class PlainDecision:
    program: str                      # the program's title
    program_id: str
    outcome: str
    amount: Decimal | None
    amount_figures: str | None        # 1,500.00
    amount_in_words: str | None       # 壹仟伍佰元整
    payee: str | None
    decisive: list[Item]              # failed, then missing (empty when eligible)
    held: list[Item]
    standards: list[Line]
    computed: list[Line]
    steps: list[str]                  # caps and other adjustments: "6,600.00 → 6,000.00"
    payments: list[Payment]
    notes: list[str]                  # the program's own interpretations
    quotes: list[Quote]               # the program's citations


class Plain:
    """Turns decision JSON into PlainDecision, with the policy's labels."""

    def __init__(self, policy: Policy, lang: str = "zh", records: dict | None = None):
        self.policy = policy
        self.lang = lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]
        # labels of catalogue tables as the rules read them (catalog.NAME)
        self.records = records or {}
        # values are shown in the order facts.yaml declares them (the JSON
        # sorts them by path, which puts an end date before its start)
        self.order: dict[str, int] = {}
        stack = list(policy.facts.values())[::-1]
        while stack:
            decl = stack.pop()
            self.order[decl.path] = len(self.order)
            children = list(decl.fields.values()) + ([decl.items] if decl.items else [])
            stack.extend(children[::-1])

    # -- values ---------------------------------------------------------------
    def label(self, path: str) -> str:
        decl = self.policy.fact(path)
        return decl.label_for(self.lang) if decl else path

    def value(self, path: str, value) -> str:
        if value is None:
            return self.w["unknown"]
        decl = self.policy.fact(path)
        type_ = decl.type if decl else None
        if isinstance(value, list):
            return self.w["list_sep"].join(self.value(path + "[]", v) for v in value) or "—"
        if isinstance(value, dict):
            base = path if path.endswith("[]") else path
            parts = []
            for k, v in value.items():
                if v is None:
                    continue
                sub = f"{base}.{k}"
                parts.append(f"{self.label(sub)} {self.value(sub, v)}")
            return self.w["sep"].join(parts)
        if type_ == "enum" and decl is not None and self._names_programs(decl.enum):
            prog = self.policy.programs.get(str(value))
            if prog is not None:
                return prog.title if self.lang == "zh" else prog.title_en
        return display.value_text(value, type_, self.lang,
                                  unit=self.w["yuan"] if type_ == "money" else None)

    def _names_programs(self, enum: str | None) -> bool:
        """An enum whose values are the policy's program ids is shown by titles."""
        e = self.policy.enums.get(enum or "")
        return bool(e and e.values and all(v in self.policy.programs for v in e.values))

    def money(self, amount) -> str:
        text = display.money_figures(amount)
        return f"{text} {self.w['yuan']}" if self.lang == "en" else text + self.w["yuan"]

    # -- parts ----------------------------------------------------------------
    def quote(self, c: dict) -> Quote:
        title = c.get("title")
        clause = self.policy.clauses.get(c.get("clause") or "")
        if self.lang == "en" and clause is not None and clause.title_en:
            title = clause.title_en
        return Quote(c.get("document") or self.policy.document.number, c.get("clause") or "",
                     title, c.get("quote") or "")

    def record_rows(self, table: str, match: dict, rows: list) -> tuple[str, list[str]]:
        label = self.records.get(table)
        name = (label.get(self.lang) if isinstance(label, dict) else None) or table
        shown = []
        for row in rows:
            rest = {k: v for k, v in row.items() if k not in match}
            parts = []
            if "from" in rest:
                parts.append(display.period_text(rest.pop("from"), rest.pop("until", None),
                                                 self.lang))
            parts += [display.value_text(v, None, self.lang) for v in rest.values()
                      if v is not None]
            shown.append(" ".join(parts))
        return name, shown or [self.w["no_rows"]]

    def item(self, c: dict) -> Item:
        status = {True: HELD, False: FAILED, None: MISSING}[c.get("result")]
        shown = sorted((c.get("values") or {}).items(),
                       key=lambda pv: (self.order.get(pv[0], len(self.order)), pv[0]))
        values = [(self.label(p), self.value(p, v)) for p, v in shown if v is not None]
        missing = [self.label(p) for p in (c.get("missing") or [])]
        interp = c.get("interpretation") or {}
        return Item(status=status, text=(c.get("explain") or {}).get(self.lang) or c.get("id", ""),
                    values=values,
                    records=[self.record_rows(r["table"], r.get("match") or {}, r.get("rows") or [])
                             for r in c.get("catalog") or []],
                    missing=missing, note=interp.get(self.lang),
                    quotes=[self.quote(q) for q in c.get("cite") or []])

    def decision(self, d: dict) -> PlainDecision:
        lang = self.lang
        items = [self.item(c) for c in d.get("clauses") or []]
        decisive = ([i for i in items if i.status == FAILED]
                    + [i for i in items if i.status == MISSING])
        held = [i for i in items if i.status == HELD]
        amount = display.to_decimal(d.get("amount"))
        standards = []
        for s in d.get("standards") or []:
            std = self.policy.standards.get(s["id"])
            name = (s.get("label") if lang == "zh" else s.get("label_en")) or s["id"]
            if s.get("key") is not None:
                name += f"（{s['key']}）" if lang == "zh" else f" ({s['key']})"
            typ = std.type if std is not None else "number"
            value = (self.money(s["value"]) if typ == "money"
                     else display.value_text(s["value"], "number", lang))
            since = display.date_text(s["from"], lang)
            period = (f"自{since}起执行" if lang == "zh" else f"in force since {since}")
            if s.get("revision"):
                period += f"，{s['revision']}" if lang == "zh" else f", {s['revision']}"
            standards.append(Line(name, f"{value}（{period}）" if lang == "zh"
                                  else f"{value} ({period})"))
        computed = []
        for key, c in (d.get("computed") or {}).items():
            label = c.get("label") if lang == "zh" else c.get("label_en")
            if not label or c.get("value") is None:
                continue
            v = c["value"]
            text = (display.value_text(v, "boolean", lang) if isinstance(v, bool)
                    else self.money(v) if display.to_decimal(v) is not None else str(v))
            computed.append(Line(label, text))
        steps = []
        if d.get("capped_at") is not None and d.get("formula_amount") is not None:
            steps.append(f"{self.money(d['formula_amount'])} → {self.money(d['capped_at'])}")
        payments = [Payment(label=(p.get("label") if lang == "zh" else p.get("label_en")) or p["id"],
                            amount=self.money(p["amount"]) if p.get("amount") is not None else None,
                            status=p["status"],
                            missing=[self.label(m) for m in p.get("missing") or []])
                    for p in d.get("installments") or []]
        payee = (d.get("payee") or {}).get(lang)
        title = d.get("title") if lang == "zh" else (d.get("title_en") or d.get("title"))
        return PlainDecision(
            program=title or d["program"], program_id=d["program"], outcome=d["outcome"],
            amount=amount,
            amount_figures=display.money_figures(amount) if amount is not None else None,
            amount_in_words=display.money_in_capitals(amount) if amount is not None else None,
            payee=payee, decisive=decisive, held=held, standards=standards,
            computed=computed, steps=steps, payments=payments,
            notes=[n.get(lang) for n in d.get("interpretation") or [] if n.get(lang)],
            quotes=[self.quote(q) for q in d.get("citations") or []])
