"""A decision as an applicant reads it: the conclusion, the items that
decided it (failed or missing first) with the values that decided them and
the quoted source, the amount and the steps that made it — every value
formatted for people (money as 1,500.00, dates in words, shares as
percentages, yes/no), no rule code and no internal ids.

Built from the decision JSON (``policy eval --format json``, or a decision
stored in the ledger), so the same words come out for a decision taken now
and for one taken months ago; the policy supplies only labels (of facts,
standards, labelled intermediate values and catalogue tables). The decision
notice (documents/) and the default text view (``plain_text``) lay this out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from dsl.records import Record, field

from . import display
from .masks import mask_of
from .model import Policy

FAILED, MISSING, HELD = "failed", "missing", "held"

WORDS = {
    "zh": {
        "yuan": "元",
        "unknown": "未知",
        "no_rows": "目录中没有相应记录",
        "none": "无",
        "sep": "，",
        "list_sep": "；",
        "colon": "：",
        "open": "（",
        "close": "）",
        "since": "自{date}起执行",
        "cap": "按上限核定",
        "floor": "按下限核定",
    },
    "en": {
        "yuan": "yuan",
        "unknown": "unknown",
        "no_rows": "no such record in the catalogue",
        "none": "none",
        "sep": ", ",
        "list_sep": "; ",
        "colon": ": ",
        "open": " (",
        "close": ")",
        "since": "in force since {date}",
        "cap": "limited to the cap",
        "floor": "raised to the floor",
    },
}


class Quote(Record):
    document: str
    clause: str
    title: str | None
    text: str


class Item(Record):
    """One condition of the decision, in words."""

    status: str  # failed | missing | held
    text: str  # the condition, as the policy explains it
    values: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    records: list[tuple[str, list[str]]] = field(default_factory=list)  # catalogue rows
    missing: list[str] = field(default_factory=list)  # labels of missing facts
    note: str | None = None  # how the policy reads the clause
    quotes: list[Quote] = field(default_factory=list)


class Line(Record):
    label: str
    text: str


class Payment(Record):
    label: str
    amount: str | None
    status: str  # payable | pending | refused
    missing: list[str] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)  # what its condition read


class PlainDecision(Record):
    program: str  # the program's title
    program_id: str
    outcome: str
    amount: Decimal | None
    amount_figures: str | None  # 1,500.00
    amount_in_words: str | None  # 壹仟伍佰元整
    payee: str | None
    decisive: list[Item]  # failed, then missing (empty when eligible)
    held: list[Item]
    standards: list[Line]
    computed: list[Line]  # labelled values the amount was made from
    steps: list[str]  # caps and floors that changed it: "7,200.00元 → 6,000.00元"
    payments: list[Payment]
    notes: list[str]  # the program's own interpretations
    quotes: list[Quote]  # the program's citations
    basis: list[Line] = field(default_factory=list)  # the case values the amount read
    missing: list[str] = field(default_factory=list)  # labels of the facts still needed


class Plain:
    """Turns decision JSON into PlainDecision, with the policy's labels."""

    def __init__(
        self,
        policy: Policy,
        lang: str = "zh",
        records: dict | None = None,
        masked: bool | Collection[str] = False,
    ):
        self.policy = policy
        # a fact declared with a mask, or a format that masks (an ID number),
        # is shown masked (interpreter.masks): every such fact (True), or those
        # of these paths (a notice masks what its header masks, everywhere)
        self.masked: bool | frozenset[str] = (
            masked if isinstance(masked, bool) else frozenset(masked)
        )
        self.lang = lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]
        # labels of catalogue tables as the rules read them (catalog.NAME)
        if records is None:
            records = (getattr(policy, "notice", None) or {}).get("records") or {}
        self.records = records
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

    def value(self, path: str, value: Any) -> str:
        if value is None:
            return self.w["unknown"]
        if value == {"none": True}:
            return self.none_text(path)
        decl = self.policy.fact(path)
        type_ = decl.type if decl else None
        if isinstance(value, list):
            return self.w["list_sep"].join(self.value(path + "[]", v) for v in value) or "—"
        if isinstance(value, str) and (
            self.masked is True or (self.masked and path.replace("[]", "") in self.masked)
        ):
            mask = mask_of(decl)
            if mask is not None:
                return display.visible(mask(value))
        if isinstance(value, dict):
            parts = []
            for k, v in value.items():
                if v is None:
                    continue
                sub = f"{path}.{k}"
                parts.append(f"{self.label(sub)} {self.value(sub, v)}")
            return self.w["sep"].join(parts)
        if type_ == "enum" and decl is not None and self._names_programs(decl.enum):
            prog = self.policy.programs.get(str(value))
            if prog is not None:
                return prog.title if self.lang == "zh" else prog.title_en
        if decl is not None and getattr(decl, "display", None) == "percent":
            return display.percent_text(value)
        return display.visible(
            display.value_text(
                value, type_, self.lang, unit=self.w["yuan"] if type_ == "money" else None
            )
        )

    def none_text(self, path: str) -> str:
        """A fact stated known none, with what none means for it (facts.yaml
        ``none`` of the fact or of the record it belongs to): 无（未取得证书）."""
        parts = path.split(".")
        while parts:
            decl = self.policy.fact(".".join(parts))
            meaning = getattr(decl, "none", None) if decl is not None else None
            if meaning is not None:
                return self.w["none"] + self.paren(meaning.get(self.lang))
            parts.pop()
        return self.w["none"]

    def _names_programs(self, enum: str | None) -> bool:
        """An enum whose values are the policy's program ids is shown by titles."""
        e = self.policy.enums.get(enum or "")
        return bool(e and e.values and all(v in self.policy.programs for v in e.values))

    def money(self, amount: Any) -> str:
        text = display.money_figures(amount)
        return f"{text} {self.w['yuan']}" if self.lang == "en" else text + self.w["yuan"]

    def paren(self, text: str) -> str:
        return f"{self.w['open']}{text}{self.w['close']}"

    # -- parts ----------------------------------------------------------------
    def quote(self, c: dict) -> Quote:
        title = c.get("title")
        clause = self.policy.clause_cited(c.get("document"), c.get("clause") or "")
        if self.lang == "en" and clause is not None and clause.title_en:
            title = clause.title_en
        return Quote(
            c.get("document") or self.policy.document.number,
            c.get("clause") or "",
            title,
            c.get("quote") or "",
        )

    def record_rows(self, table: str, match: dict, rows: list) -> tuple[str, list[str]]:
        label = self.records.get(table)
        name = (label.get(self.lang) if isinstance(label, dict) else None) or table
        shown = []
        for row in rows:
            rest = {k: v for k, v in row.items() if k not in match}
            parts = []
            if "from" in rest:
                parts.append(
                    display.period_text(rest.pop("from"), rest.pop("until", None), self.lang)
                )
            parts += [
                display.value_text(v, None, self.lang) for v in rest.values() if v is not None
            ]
            shown.append(" ".join(parts))
        return name, shown or [self.w["no_rows"]]

    def let_value(self, program_id: str, key: str, value: Any) -> str:
        """A labelled intermediate value by its type: money, yes/no, a number."""
        if isinstance(value, bool):
            return display.value_text(value, "boolean", self.lang)
        prog = self.policy.programs.get(program_id)
        let = next((d for d in prog.lets if d.id == key), None) if prog else None
        if let is not None and str(let.rule.expression.type) == "money":
            return self.money(value)
        if display.to_decimal(value) is not None:
            return display.number_text(value)
        return str(value)

    def _clause_lets(self, program_id: str) -> dict[str, list[str]]:
        """clause id → the labelled lets it reads (shown with its values)."""
        prog = self.policy.programs.get(program_id)
        if prog is None:
            return {}
        labelled = {d.id for d in prog.lets if d.label is not None}
        return {
            c.id: sorted(set(c.rule.expression.check.definitions) & labelled) for c in prog.clauses
        }

    def item(self, c: dict, lets: Sequence[tuple[str, str]] = ()) -> Item:
        status = {True: HELD, False: FAILED, None: MISSING}[c.get("result")]
        missing_paths = list(c.get("missing") or [])
        shown = sorted(
            (c.get("values") or {}).items(),
            key=lambda pv: (self.order.get(pv[0], len(self.order)), pv[0]),
        )
        # a value the clause did not need (an unknown fact of a branch not
        # taken) is not shown; the missing ones are listed as missing
        values = [(self.label(p), self.value(p, v)) for p, v in shown if v is not None]
        values += list(lets)
        interp = c.get("interpretation") or {}
        return Item(
            status=status,
            text=(c.get("explain") or {}).get(self.lang) or c.get("id", ""),
            values=values,
            records=[
                self.record_rows(r["table"], r.get("match") or {}, r.get("rows") or [])
                for r in c.get("catalog") or []
            ],
            missing=[self.label(p) for p in missing_paths],
            note=interp.get(self.lang),
            quotes=[self.quote(q) for q in c.get("cite") or []],
        )

    def standard(self, s: dict) -> Line:
        lang = self.lang
        std = self.policy.standards.get(s["id"])
        name = (s.get("label") if lang == "zh" else s.get("label_en")) or s["id"]
        if s.get("key") is not None:
            name += self.paren(str(s["key"]))
        typ = std.type if std is not None else "number"
        if typ == "money":
            value = self.money(s["value"])
        elif std is not None and getattr(std, "display", None) == "percent":
            value = display.percent_text(s["value"])
        else:
            value = display.value_text(s["value"], "number", lang)
        period = self.w["since"].format(date=display.date_text(s["from"], lang))
        if s.get("revision"):
            period += self.w["sep"] + s["revision"]
        return Line(name, value + self.paren(period))

    def decision(self, d: dict) -> PlainDecision:
        lang = self.lang
        pid = d["program"]
        computed = d.get("computed") or {}
        clause_lets = self._clause_lets(pid)
        shown_lets: set[str] = set()
        items = []
        for c in d.get("clauses") or []:
            lets = []
            for key in clause_lets.get(c.get("id"), ()):
                entry = computed.get(key)
                if entry and entry.get("value") is not None:
                    label = entry.get("label") if lang == "zh" else entry.get("label_en")
                    lets.append((label or key, self.let_value(pid, key, entry["value"])))
                    shown_lets.add(key)
            items.append(self.item(c, lets))
        decisive = [i for i in items if i.status == FAILED] + [
            i for i in items if i.status == MISSING
        ]
        held = [i for i in items if i.status == HELD]
        amount = display.to_decimal(d.get("amount"))
        standards = [self.standard(s) for s in d.get("standards") or []]
        computed_lines = []
        for key, c in computed.items():
            label = c.get("label") if lang == "zh" else c.get("label_en")
            if not label or c.get("value") is None or key in shown_lets:
                continue
            computed_lines.append(Line(label, self.let_value(pid, key, c["value"])))
        steps = []
        if d.get("capped_at") is not None and d.get("formula_amount") is not None:
            steps.append(f"{self.money(d['formula_amount'])} → {self.money(d['capped_at'])}")
        basis = [
            Line(self.label(p), self.value(p, v))
            for p, v in sorted(
                (d.get("amount_values") or {}).items(),
                key=lambda pv: self.order.get(pv[0], len(self.order)),
            )
            if v is not None and not isinstance(v, list)
        ]
        payments = [
            Payment(
                label=(p.get("label") if lang == "zh" else p.get("label_en")) or p["id"],
                amount=self.money(p["amount"]) if p.get("amount") is not None else None,
                status=p["status"],
                missing=[self.label(m) for m in p.get("missing") or []],
                values=[
                    (self.label(k), self.value(k, v))
                    for k, v in ((d.get("installment_values") or {}).get(p["id"]) or {}).items()
                    if v is not None
                ],
            )
            for p in d.get("installments") or []
        ]
        payee = (d.get("payee") or {}).get(lang)
        title = d.get("title") if lang == "zh" else (d.get("title_en") or d.get("title"))
        return PlainDecision(
            program=title or pid,
            program_id=pid,
            outcome=d["outcome"],
            amount=amount,
            amount_figures=display.money_figures(amount) if amount is not None else None,
            amount_in_words=display.money_in_capitals(amount) if amount is not None else None,
            payee=payee,
            decisive=decisive,
            held=held,
            standards=standards,
            computed=computed_lines,
            steps=steps,
            payments=payments,
            notes=[n.get(lang) for n in d.get("interpretation") or [] if n.get(lang)],
            quotes=[self.quote(q) for q in d.get("citations") or []],
            basis=basis,
            missing=[self.label(m) for m in d.get("missing") or []],
        )
