"""What-if: the effect of a revised policy over a population of cases.

Every case is decided under two loaded policies, the *base* and the *other*
(the base plus revision files, or a second policy folder). The comparison
counts the decisions whose outcome or amount changes, the budget (the sum of
the amounts of eligible decisions) before and after, by program and by level,
and keeps the changed cases (the first ``limit``, or all).

A decision's level is ``population.batch.decision_level``: the program's
``standard_key`` when it defines one, else ``certificate.level``. A case whose
level differs between the two policies has its amount before counted under
its level before and its amount after under its level after.

Public API:
  compare_population(base, other, cases, as_of=None, limit=20, keep_all=False) -> WhatIf
  WhatIf.to_json(), WhatIf.render_text()
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from dsl.errors import PolicyError

from .batch import NO_LEVEL, CaseFile, CsvLayout, Record, decision_level, record_case
from interpreter.decision import ELIGIBLE
from interpreter.render import money

ABSENT = "absent"           # the program is not decided under that policy
REJECTED = "rejected"       # the case is refused by that policy's case reader
ZERO = Decimal(0)


@dataclass
class Side:
    outcome: str
    amount: Decimal | None
    level: str

    @property
    def paid(self) -> Decimal:
        return self.amount if self.outcome == ELIGIBLE and self.amount is not None else ZERO

    def to_json(self) -> dict:
        return {"outcome": self.outcome, "amount": money(self.amount), "level": self.level}


@dataclass
class ProgramChange:
    program: str
    before: Side
    after: Side

    @property
    def delta(self) -> Decimal:
        return self.after.paid - self.before.paid

    def to_json(self) -> dict:
        return {"program": self.program, "before": self.before.to_json(),
                "after": self.after.to_json(), "delta": signed(self.delta)}


@dataclass
class CaseChange:
    line: int
    id: str | None
    programs: list[ProgramChange]

    def to_json(self) -> dict:
        return {"line": self.line, "id": self.id,
                "programs": [p.to_json() for p in self.programs]}


@dataclass
class Budget:
    before: Decimal = ZERO
    after: Decimal = ZERO
    decisions: int = 0
    changed_outcome: int = 0
    changed_amount: int = 0

    @property
    def delta(self) -> Decimal:
        return self.after - self.before

    def to_json(self) -> dict:
        return {"before": money(self.before), "after": money(self.after),
                "delta": signed(self.delta), "decisions": self.decisions,
                "changed_outcome": self.changed_outcome, "changed_amount": self.changed_amount}


def signed(value: Decimal) -> str:
    text = money(value)
    return text if value < 0 else "+" + text if value > 0 else text


@dataclass
class WhatIf:
    base_hash: str
    other_hash: str
    base_root: str = ""
    other_root: str = ""
    limit: int | None = 20          # None: keep every changed case
    cases: int = 0
    compared: int = 0
    rejected: int = 0               # unreadable, or refused by the base policy
    rejected_by_other: int = 0      # readable under the base, refused by the other policy
    changed_cases: int = 0
    total: Budget = field(default_factory=Budget)
    by_program: dict[str, Budget] = field(default_factory=dict)
    by_level: dict[str, Budget] = field(default_factory=dict)
    by_program_level: dict[tuple[str, str], Budget] = field(default_factory=dict)
    transitions: Counter = field(default_factory=Counter)
    changes: list[CaseChange] = field(default_factory=list)
    program_order: tuple[str, ...] = ()
    level_order: tuple[str, ...] = ()

    # -- accumulating ----------------------------------------------------------------
    def add(self, line: int, case_id, before: dict[str, Side], after: dict[str, Side]):
        self.cases += 1
        self.compared += 1
        changed = []
        for program in list(before) + [p for p in after if p not in before]:
            b = before.get(program) or Side(ABSENT, None, NO_LEVEL)
            a = after.get(program) or Side(ABSENT, None, NO_LEVEL)
            outcome_changed = a.outcome != b.outcome
            amount_changed = not outcome_changed and a.amount != b.amount
            self.transitions[(b.outcome, a.outcome)] += 1
            for budget in (self.total, self._get(self.by_program, program)):
                budget.decisions += 1
                budget.before += b.paid
                budget.after += a.paid
                budget.changed_outcome += outcome_changed
                budget.changed_amount += amount_changed
            for level, side, attr in ((b.level, b, "before"), (a.level, a, "after")):
                for budget in (self._get(self.by_level, level),
                               self._get(self.by_program_level, (program, level))):
                    setattr(budget, attr, getattr(budget, attr) + side.paid)
            lb = self._get(self.by_level, b.level)
            lb.decisions += 1
            lb.changed_outcome += outcome_changed
            lb.changed_amount += amount_changed
            if outcome_changed or amount_changed:
                changed.append(ProgramChange(program, b, a))
        if changed:
            self.changed_cases += 1
            if self.limit is None or len(self.changes) < self.limit:
                self.changes.append(CaseChange(line, case_id, changed))

    @staticmethod
    def _get(table: dict, key) -> Budget:
        b = table.get(key)
        if b is None:
            b = table[key] = Budget()
        return b

    # -- ordering -------------------------------------------------------------------
    def _program_key(self, p: str):
        order = {x: i for i, x in enumerate(self.program_order)}
        return (order.get(p, len(order)), p)

    def _level_key(self, lv: str):
        order = {x: i for i, x in enumerate(self.level_order)}
        return (lv == NO_LEVEL, order.get(lv, len(order)), lv)

    def programs(self) -> list[tuple[str, Budget]]:
        return [(k, self.by_program[k]) for k in sorted(self.by_program, key=self._program_key)]

    def levels(self) -> list[tuple[str, Budget]]:
        return [(k, self.by_level[k]) for k in sorted(self.by_level, key=self._level_key)]

    def program_levels(self) -> list[tuple[tuple[str, str], Budget]]:
        keys = sorted(self.by_program_level,
                      key=lambda k: (self._program_key(k[0]), self._level_key(k[1])))
        return [(k, self.by_program_level[k]) for k in keys]

    # -- output ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "base": {"policy": self.base_hash, "root": self.base_root},
            "other": {"policy": self.other_hash, "root": self.other_root},
            "cases": self.cases, "compared": self.compared, "rejected": self.rejected,
            "rejected_by_other": self.rejected_by_other,
            "changed_cases": self.changed_cases,
            "budget": self.total.to_json(),
            "by_program": [{"program": k, **b.to_json()} for k, b in self.programs()],
            "by_level": [{"level": k, **b.to_json()} for k, b in self.levels()],
            "by_program_level": [{"program": p, "level": lv, "before": money(b.before),
                                  "after": money(b.after), "delta": signed(b.delta)}
                                 for (p, lv), b in self.program_levels()],
            "transitions": [{"before": b, "after": a, "decisions": n}
                            for (b, a), n in sorted(self.transitions.items())],
            "changes": [c.to_json() for c in self.changes],
            "changes_shown": len(self.changes),
        }

    def render_text(self) -> str:
        t = self.total
        out = [f"what-if: {self.base_root} ({_short(self.base_hash)}) → "
               f"{self.other_root} ({_short(self.other_hash)})",
               f"cases: {self.cases} read, {self.compared} compared, {self.rejected} rejected"
               + (f", {self.rejected_by_other} refused by the other policy only"
                  if self.rejected_by_other else ""),
               f"decisions: {t.decisions}; outcome changed: {t.changed_outcome}; "
               f"amount changed: {t.changed_amount}; cases changed: {self.changed_cases}",
               f"budget: {money(t.before)} → {money(t.after)} ({signed(t.delta)})",
               ""]
        rows = [(k, b) for k, b in self.programs()]
        out += _table("program", rows)
        out.append("")
        out += _table("level", self.levels())
        moves = [(b, a, n) for (b, a), n in sorted(self.transitions.items()) if b != a]
        if moves:
            out.append("")
            out.append("outcome changes:")
            for b, a, n in moves:
                out.append(f"  {b} → {a}: {n}")
        out.append("")
        if not self.changes:
            out.append("no decision changes.")
        else:
            shown = len(self.changes)
            more = (f" (first {shown} of {self.changed_cases}; --all for every one)"
                    if shown < self.changed_cases else f" ({shown})")
            out.append("changed cases" + more + ":")
            for c in self.changes:
                who = f" {c.id}" if c.id else ""
                for p in c.programs:
                    out.append(f"  line {c.line}{who}  {p.program} [{_lv(p.before, p.after)}]: "
                               f"{_side(p.before)} → {_side(p.after)} ({signed(p.delta)})")
        return "\n".join(out) + "\n"


def _short(h: str) -> str:
    return h[:19] + "…" if h and len(h) > 20 else h


def _lv(b: Side, a: Side) -> str:
    if b.level == a.level or a.outcome == ABSENT:
        return b.level
    if b.outcome == ABSENT:
        return a.level
    return f"{b.level}→{a.level}"


def _side(s: Side) -> str:
    return s.outcome + (f" {money(s.amount)}" if s.amount is not None else "")


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _table(title: str, rows) -> list[str]:
    w = max([_width(title)] + [_width(k) for k, _ in rows])
    head = (f"  {_pad(title, w)}  {'decisions':>9} {'outcome±':>8} {'amount±':>8} "
            f"{'before':>14} {'after':>14} {'delta':>14}")
    lines = [head]
    for k, b in rows:
        lines.append(f"  {_pad(k, w)}  {b.decisions:>9} {b.changed_outcome:>8} "
                     f"{b.changed_amount:>8} {money(b.before):>14} {money(b.after):>14} "
                     f"{signed(b.delta):>14}")
    return lines


# -- running it -------------------------------------------------------------------------

def _sides(policy, res, cache) -> dict[str, Side]:
    return {d.program.id: Side(d.outcome, d.amount,
                               decision_level(policy, d, res.facts, res.as_of, cache))
            for d in res.decisions}


def level_order(policy) -> tuple[str, ...]:
    """The levels reports count under (the values of the programs' ``level``
    and the document's ``report_level``), in the order facts.yaml declares them."""
    from dsl import types as T
    values: set[str] = set()
    for rule in [policy.report_level] + [p.level for p in policy.programs.values()]:
        t = rule.expression.type if rule is not None else None
        if isinstance(t, T.EnumType):
            values |= set(t.values)
    out: list[str] = []
    for e in policy.enums.values():
        out += [v for v in e.values if v in values and v not in out]
    return tuple(out) + tuple(sorted(values - set(out)))


def compare_population(base, other, cases: CaseFile, *, as_of=None, limit: int | None = 20,
                       on_reject: Callable[[Record, PolicyError], None] | None = None,
                       on_progress: Callable | None = None) -> WhatIf:
    """Decide every case of ``cases`` under ``base`` and ``other`` and compare.

    ``limit``: how many changed cases to keep (None: all). Cases the base
    cannot read are counted as rejected and passed to ``on_reject``.
    """
    from interpreter.evaluate import Evaluator
    ev_base, ev_other = Evaluator(base), Evaluator(other)
    layout = (CsvLayout(base, cases.header, cases.name, cases.header_line)
              if cases.header is not None else None)
    w = WhatIf(base.hash, other.hash, base.root, other.root, limit,
               program_order=tuple(base.programs) + tuple(p for p in other.programs
                                                          if p not in base.programs),
               level_order=level_order(base))
    cache_b: dict = {}
    cache_o: dict = {}
    for record in cases.records():
        if on_progress is not None:
            on_progress(w, cases)
        name = f"{cases.name}:{record.line}"
        try:
            case = record_case(record, layout, cases.name)
            res_b = ev_base.decide(case, as_of=as_of, explain=False, case_name=name)
        except PolicyError as err:
            w.cases += 1
            w.rejected += 1
            if on_reject is not None:
                on_reject(record, err)
            continue
        before = _sides(base, res_b, cache_b)
        from .batch import case_id as _case_id
        case_id = _case_id(base, res_b.facts)
        try:
            res_o = ev_other.decide(case, as_of=as_of, explain=False, case_name=name)
            after = _sides(other, res_o, cache_o)
        except PolicyError:
            w.rejected_by_other += 1
            after = {p: Side(REJECTED, None, s.level) for p, s in before.items()}
        w.add(record.line, case_id, before, after)
    return w
