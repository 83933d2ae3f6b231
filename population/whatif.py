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
  WhatIf.to_json(); render(whatif, fmt, lang, titles) with fmt in text | md | html (the
  HTML with a chart of the budget delta by program and level), in Chinese by default
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dsl.errors import PolicyError
from dsl.visible import visible, visible_lines
from interpreter.decision import ELIGIBLE
from interpreter.display import money_figures
from interpreter.render import money

from .batch import NO_LEVEL, CaseFile, CsvLayout, Record, record_case

ABSENT = "absent"  # the program is not decided under that policy
REJECTED = "rejected"  # the case is refused by that policy's case reader
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
        return {
            "program": self.program,
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "delta": signed(self.delta),
        }


@dataclass
class CaseChange:
    line: int
    id: str | None
    programs: list[ProgramChange]

    def to_json(self) -> dict:
        return {"line": self.line, "id": self.id, "programs": [p.to_json() for p in self.programs]}


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

    def merge(self, other: Budget) -> None:
        self.before += other.before
        self.after += other.after
        self.decisions += other.decisions
        self.changed_outcome += other.changed_outcome
        self.changed_amount += other.changed_amount

    def to_json(self) -> dict:
        return {
            "before": money(self.before),
            "after": money(self.after),
            "delta": signed(self.delta),
            "decisions": self.decisions,
            "changed_outcome": self.changed_outcome,
            "changed_amount": self.changed_amount,
        }


def signed(value: Decimal) -> str:
    text = money(value)
    return text if value < 0 else "+" + text if value > 0 else text


@dataclass
class WhatIf:
    base_hash: str
    other_hash: str
    base_root: str = ""
    other_root: str = ""
    limit: int | None = 20  # None: keep every changed case
    cases: int = 0
    compared: int = 0
    rejected: int = 0  # unreadable, or refused by the base policy
    rejected_by_other: int = 0  # readable under the base, refused by the other policy
    changed_cases: int = 0
    total: Budget = field(default_factory=Budget)
    by_program: dict[str, Budget] = field(default_factory=dict)
    by_level: dict[str, Budget] = field(default_factory=dict)
    by_program_level: dict[tuple[str, str], Budget] = field(default_factory=dict)
    transitions: Counter = field(default_factory=Counter)
    changes: list[CaseChange] = field(default_factory=list)
    program_order: tuple[str, ...] = ()
    level_order: tuple[str, ...] = ()
    base_id: str = ""  # the policy ids (document.yaml id) compared
    other_id: str = ""

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
                for budget in (
                    self._get(self.by_level, level),
                    self._get(self.by_program_level, (program, level)),
                ):
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

    def merge(self, part: WhatIf) -> None:
        """Add the counts of the cases that follow, counted apart (a chunk)."""
        self.cases += part.cases
        self.compared += part.compared
        self.rejected += part.rejected
        self.rejected_by_other += part.rejected_by_other
        self.changed_cases += part.changed_cases
        self.total.merge(part.total)
        for mine, theirs in (
            (self.by_program, part.by_program),
            (self.by_level, part.by_level),
            (self.by_program_level, part.by_program_level),
        ):
            for key, budget in theirs.items():
                self._get(mine, key).merge(budget)
        self.transitions.update(part.transitions)
        room = None if self.limit is None else max(0, self.limit - len(self.changes))
        self.changes.extend(part.changes if room is None else part.changes[:room])

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
        keys = sorted(
            self.by_program_level, key=lambda k: (self._program_key(k[0]), self._level_key(k[1]))
        )
        return [(k, self.by_program_level[k]) for k in keys]

    # -- output ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "base": {"policy": self.base_hash, "policy_id": self.base_id, "root": self.base_root},
            "other": {
                "policy": self.other_hash,
                "policy_id": self.other_id,
                "root": self.other_root,
            },
            "cases": self.cases,
            "compared": self.compared,
            "rejected": self.rejected,
            "rejected_by_other": self.rejected_by_other,
            "changed_cases": self.changed_cases,
            "budget": self.total.to_json(),
            "by_program": [{"program": k, **b.to_json()} for k, b in self.programs()],
            "by_level": [{"level": k, **b.to_json()} for k, b in self.levels()],
            "by_program_level": [
                {
                    "program": p,
                    "level": lv,
                    "before": money(b.before),
                    "after": money(b.after),
                    "delta": signed(b.delta),
                }
                for (p, lv), b in self.program_levels()
            ],
            "transitions": [
                {"before": b, "after": a, "decisions": n}
                for (b, a), n in sorted(self.transitions.items())
            ],
            "changes": [c.to_json() for c in self.changes],
            "changes_shown": len(self.changes),
        }

    def render_text(self, lang: str = "zh") -> str:
        return render(self, "text", lang)


# -- output for people ---------------------------------------------------------------

WORDS = {
    "zh": {
        "title": "修订影响测算",
        "cases": "案件：读取 {read}，比较 {compared}，拒收 {rejected}",
        "other_only": "；仅修订后拒收 {n}",
        "decisions": "决定 {n}；结论改变 {outcome}；金额改变 {amount}；有变化的案件 {cases}",
        "budget": "预算",
        "program": "补贴项目",
        "level": "等级",
        "n": "决定数",
        "outcome±": "结论改变",
        "amount±": "金额改变",
        "before": "修订前（元）",
        "after": "修订后（元）",
        "delta": "差额（元）",
        "moves": "结论变化",
        "no_changes": "没有决定发生变化。",
        "changed": "有变化的案件",
        "first": "（前 {shown} 个，共 {total} 个；--all 列出全部）",
        "all": "（{shown} 个）",
        "line": "第 {line} 行",
        "by_program": "按补贴项目",
        "by_level": "按等级",
        "by_program_level": "按补贴项目和等级",
        "chart": "预算差额（按补贴项目和等级）",
        "unit": "元",
        "colon": "：",
        "eligible": "符合条件",
        "ineligible": "不符合条件",
        "undetermined": "待定",
        "absent": "不适用",
        "rejected": "拒收",
        "no_level": "无等级",
    },
    "en": {
        "title": "what-if",
        "cases": "cases: {read} read, {compared} compared, {rejected} rejected",
        "other_only": ", {n} refused by the other policy only",
        "decisions": "decisions: {n}; outcome changed: {outcome}; amount changed: {amount}; "
        "cases changed: {cases}",
        "budget": "budget",
        "program": "program",
        "level": "level",
        "n": "decisions",
        "outcome±": "outcome±",
        "amount±": "amount±",
        "before": "before",
        "after": "after",
        "delta": "delta",
        "moves": "outcome changes",
        "no_changes": "no decision changes.",
        "changed": "changed cases",
        "first": " (first {shown} of {total}; --all for every one)",
        "all": " ({shown})",
        "line": "line {line}",
        "by_program": "By program",
        "by_level": "By level",
        "by_program_level": "By program and level",
        "chart": "Budget delta by program and level",
        "unit": "yuan",
        "colon": ": ",
        "eligible": "eligible",
        "ineligible": "ineligible",
        "undetermined": "undetermined",
        "absent": "absent",
        "rejected": "rejected",
        "no_level": "no level",
    },
}


class _View:
    def __init__(
        self,
        w: WhatIf,
        lang: str,
        titles: dict | None,
        shown_id: Callable[[Any], Any] | None = None,
    ):
        self.what, self.lang = w, lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]
        self.titles = titles or {}
        self.shown_id = shown_id or (lambda value: value)

    def program(self, p: str) -> str:
        return self.titles.get(p) or p

    def outcome(self, o: str) -> str:
        return self.w.get(o, o)

    def side(self, s: Side) -> str:
        return self.outcome(s.outcome) + (
            f" {money_figures(s.amount)}" if s.amount is not None else ""
        )

    def head(self) -> list[str]:
        w, x, t = self.w, self.what, self.what.total
        cases = w["cases"].format(
            read=f"{x.cases:,}", compared=f"{x.compared:,}", rejected=f"{x.rejected:,}"
        )
        if x.rejected_by_other:
            cases += w["other_only"].format(n=f"{x.rejected_by_other:,}")
        return [
            (
                f"{w['title']}{w['colon']}{x.base_root} ({x.base_id} {_short(x.base_hash)}) → "
                f"{x.other_root} ({x.other_id} {_short(x.other_hash)})"
            ),
            cases,
            w["decisions"].format(
                n=f"{t.decisions:,}",
                outcome=f"{t.changed_outcome:,}",
                amount=f"{t.changed_amount:,}",
                cases=f"{x.changed_cases:,}",
            ),
            (
                f"{w['budget']}{w['colon']}{money_figures(t.before)} → {money_figures(t.after)} "
                f"({signed_figures(t.delta)})"
            ),
        ]

    def table(self, kind: str) -> tuple[list[str], list[list[str]]]:
        w = self.w
        header = [w[kind], w["n"], w["outcome±"], w["amount±"], w["before"], w["after"], w["delta"]]
        items = self.what.programs() if kind == "program" else self.what.levels()
        rows = [
            [
                self.program(k) if kind == "program" else k,
                f"{b.decisions:,}",
                f"{b.changed_outcome:,}",
                f"{b.changed_amount:,}",
                money_figures(b.before),
                money_figures(b.after),
                signed_figures(b.delta),
            ]
            for k, b in items
        ]
        return header, rows

    def program_level_rows(self) -> list[list[str]]:
        return [
            [
                self.program(p),
                lv,
                money_figures(b.before),
                money_figures(b.after),
                signed_figures(b.delta),
            ]
            for (p, lv), b in self.what.program_levels()
        ]

    def moves(self) -> list[str]:
        return [
            f"{self.outcome(b)} → {self.outcome(a)}{self.w['colon']}{n:,}"
            for (b, a), n in sorted(self.what.transitions.items())
            if b != a
        ]

    def changes_title(self) -> str:
        x, w = self.what, self.w
        shown = len(x.changes)
        more = (
            w["first"].format(shown=shown, total=x.changed_cases)
            if shown < x.changed_cases
            else w["all"].format(shown=shown)
        )
        return w["changed"] + more

    def change_lines(self) -> list[str]:
        out = []
        for c in self.what.changes:
            who = f" {self.shown_id(c.id)}" if c.id else ""
            for p in c.programs:
                out.append(
                    f"{self.w['line'].format(line=c.line)}{who}  {self.program(p.program)} "
                    f"[{_lv(p.before, p.after)}]{self.w['colon']}{self.side(p.before)} → "
                    f"{self.side(p.after)} ({signed_figures(p.delta)})"
                )
        return out


def signed_figures(value: Decimal) -> str:
    text = money_figures(value)
    return "+" + text if value > 0 else text


def render(
    w: WhatIf,
    fmt: str = "text",
    lang: str = "zh",
    titles: dict | None = None,
    shown_id: Callable[[Any], Any] | None = None,
) -> str:
    """The comparison for people: text, Markdown or an HTML page with a chart
    of the budget delta by program and level. ``titles``: program id → title
    in ``lang`` (default: the ids); ``shown_id``: a case's id as people may
    see it (interpreter.who.shown_id: an ID number masked), default as is."""
    v = _View(w, lang, titles, shown_id)
    return {"text": _render_text, "md": _render_md, "html": _render_html}[fmt](v)


def _render_text(v: _View) -> str:
    out = v.head() + [""]
    for kind in ("program", "level"):
        out += _columns(*v.table(kind))
        out.append("")
    moves = v.moves()
    if moves:
        out.append(v.w["moves"] + v.w["colon"].rstrip())
        out += ["  " + m for m in moves]
        out.append("")
    if not v.what.changes:
        out.append(v.w["no_changes"])
    else:
        out.append(v.changes_title() + v.w["colon"].rstrip())
        out += ["  " + x for x in v.change_lines()]
    return visible_lines(out) + "\n"  # case values cannot forge a line


def _columns(header: list[str], rows: list[list[str]]) -> list[str]:
    header, rows = [visible(h) for h in header], [[visible(x) for x in r] for r in rows]
    widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = [_pad(r[0], widths[0])]
        cells += [" " * (widths[i] - _width(x)) + x for i, x in enumerate(r) if i]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _md(text: str) -> str:
    from .charts import md

    return md(text)


def _md_table(header, rows) -> list[str]:
    # a column of figures is right-aligned; a column of words (the program,
    # the level) left, as the HTML table does it
    figures = [
        i > 0 and all(_numeric(r[i]) for r in rows if r[i] not in ("", "—"))
        for i in range(len(header))
    ]
    out = [
        "| " + " | ".join(_md(h) for h in header) + " |",
        "|" + "|".join("---:" if f else "---" for f in figures) + "|",
    ]
    out += ["| " + " | ".join(_md(x) for x in r) + " |" for r in rows]
    return out


def _render_md(v: _View) -> str:
    w = v.w
    head = v.head()
    out = [f"# {_md(head[0])}", ""] + [f"- {_md(x)}" for x in head[1:]]
    for kind in ("program", "level"):
        out += ["", f"## {w['by_' + kind]}", ""] + _md_table(*v.table(kind))
    out += ["", f"## {w['by_program_level']}", ""] + _md_table(
        [w["program"], w["level"], w["before"], w["after"], w["delta"]], v.program_level_rows()
    )
    moves = v.moves()
    if moves:
        out += ["", f"## {w['moves']}", ""] + [f"- {_md(m)}" for m in moves]
    out += ["", f"## {_md(v.changes_title())}", ""]
    out += [f"- {_md(x)}" for x in v.change_lines()] or [w["no_changes"]]
    return "\n".join(out) + "\n"


def _render_html(v: _View) -> str:
    from . import charts

    e, w = charts.e, v.w
    head = v.head()
    level = {NO_LEVEL: w["no_level"]}
    rows = [
        (f"{v.program(p)} · {level.get(lv, lv)}", b.delta)
        for (p, lv), b in v.what.program_levels()
        if b.before or b.after
    ]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if v.lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(w['title'])}</title>",
        f"<style>{_CSS}{charts.CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(head[0])}</h1>",
        "<ul>",
    ]
    out += [f"<li>{e(x)}</li>" for x in head[1:]] + ["</ul>"]
    out.append(f"<h2>{e(w['chart'])}</h2>")
    out.append(charts.diverging_bars(w["chart"], w["unit"], rows, signed_figures))
    for kind in ("program", "level"):
        out.append(f"<h2>{e(w['by_' + kind])}</h2>")
        out.append(_html_table(*v.table(kind)))
    out.append(f"<h2>{e(w['by_program_level'])}</h2>")
    out.append(
        _html_table(
            [w["program"], w["level"], w["before"], w["after"], w["delta"]], v.program_level_rows()
        )
    )
    moves = v.moves()
    if moves:
        out.append(
            f"<h2>{e(w['moves'])}</h2><ul>" + "".join(f"<li>{e(m)}</li>" for m in moves) + "</ul>"
        )
    out.append(f"<h2>{e(v.changes_title())}</h2>")
    lines = v.change_lines()
    out.append(
        "<ul>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>"
        if lines
        else f"<p>{e(w['no_changes'])}</p>"
    )
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_table(header, rows) -> str:
    from .charts import e

    out = [
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>"
    ]
    for r in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td>{e(x)}</td>" if i == 0 or not _numeric(x) else f'<td class="n">{e(x)}</td>'
                for i, x in enumerate(r)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _numeric(text: str) -> bool:
    return bool(text) and text.lstrip("+-").replace(",", "").replace(".", "", 1).isdigit()


_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:2em auto;max-width:62em;padding:0 1em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}thead{display:table-header-group}tr,svg{break-inside:avoid}}
@page{size:A4;margin:15mm}
"""


def _short(h: str) -> str:
    return h[:19] + "…" if h and len(h) > 20 else h


def _lv(b: Side, a: Side) -> str:
    if b.level == a.level or a.outcome == ABSENT:
        return b.level
    if b.outcome == ABSENT:
        return a.level
    return f"{b.level}→{a.level}"


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


# -- running it -------------------------------------------------------------------------


def _sides(values, res) -> dict[str, Side]:
    """Each decision's outcome, amount and level (``values``: batch.LineValues)."""
    return {
        d.program.id: Side(d.outcome, d.amount, values.level(d, res.facts, res.as_of))
        for d in res.decisions
    }


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


def load_pair(policy_dir=None, revisions=(), against=None, catalogs=None) -> tuple:
    """The base policy (``policy_dir``, default: bundled) and the other: the
    base plus ``revisions``, or the policy folder ``against``."""
    from .batch import load_policy_with

    base = load_policy_with(policy_dir, (), catalogs)
    other = (
        load_policy_with(policy_dir, revisions, catalogs)
        if revisions
        else load_policy_with(against, (), catalogs)
    )
    return base, other


class Comparer:
    """Decides records under both policies (loaded and compiled once) and
    counts them into a WhatIf of their own: the work of one chunk, in this
    process or in a ``--jobs`` worker."""

    def __init__(self, base, other, header=None, source="<cases>", header_line=1, as_of=None):
        from interpreter.evaluate import Evaluator

        self.base, self.other = base, other
        self.ev_base, self.ev_other = Evaluator(base), Evaluator(other)
        self.layout = (
            CsvLayout(base, list(header), source, header_line) if header is not None else None
        )
        self.source, self.as_of = source, as_of
        from .batch import LineValues

        # the case id and levels from generated code, as a batch line has them
        self.values_b = LineValues(base, self.ev_base)
        self.values_o = LineValues(other, self.ev_other)

    def run(self, records: list[Record], limit: int | None) -> tuple:
        """(a WhatIf of these records alone, keeping the first ``limit``
        changed cases; the rejected records with their errors, in order)."""
        w = WhatIf("", "", limit=limit)
        rejects = []
        as_of = self.as_of
        for record in records:
            name = f"{self.source}:{record.line}"
            try:
                case = record_case(record, self.layout, self.source)
                res_b = self.ev_base.decide(case, as_of=as_of, explain=False, case_name=name)
            except PolicyError as err:
                w.cases += 1
                w.rejected += 1
                rejects.append((record, err))
                continue
            before = _sides(self.values_b, res_b)
            case_id = self.values_b.case_id(res_b.facts)
            try:
                res_o = self.ev_other.decide(case, as_of=as_of, explain=False, case_name=name)
                after = _sides(self.values_o, res_o)
            except PolicyError:
                w.rejected_by_other += 1
                after = {p: Side(REJECTED, None, s.level) for p, s in before.items()}
            w.add(record.line, case_id, before, after)
        return w, rejects


# a --jobs worker's Comparer (made by _init_comparer, or inherited when forked)
_COMPARER: Comparer | None = None
_COMPARER_ERROR: BaseException | None = None


def _init_comparer(load: tuple, layout: tuple) -> None:
    global _COMPARER, _COMPARER_ERROR
    from .pool import ignore_interrupts

    ignore_interrupts()
    if _COMPARER is not None:
        return
    try:
        _COMPARER = Comparer(*load_pair(*load), *layout)
    except BaseException as exc:  # noqa: BLE001 - reported by the first task
        _COMPARER_ERROR = exc


def _compare_block(first: int, block: bytes, limit: int | None) -> tuple:
    from .batch import block_records

    return _compare(block_records(first, block), limit)


def _compare_rows(rows: list[tuple], limit: int | None) -> tuple:
    return _compare([Record(*r) for r in rows], limit)


def _compare(records: list[Record], limit: int | None) -> tuple:
    if _COMPARER is None:
        raise RuntimeError(f"the worker could not load the policies: {_COMPARER_ERROR}")
    return _COMPARER.run(records, limit)


def compare_population(
    base,
    other,
    cases: CaseFile,
    *,
    as_of=None,
    limit: int | None = 20,
    on_reject: Callable[[Record, PolicyError], None] | None = None,
    on_progress: Callable | None = None,
    jobs: int = 1,
    load: tuple = (),
    chunk_size: int | None = None,
) -> WhatIf:
    """Decide every case of ``cases`` under ``base`` and ``other`` and compare.

    ``limit``: how many changed cases to keep (None: all). Cases the base
    cannot read are counted as rejected and passed to ``on_reject``.

    ``jobs``: worker processes; the file goes to them in chunks (as in
    ``policy batch``), each comes back counted, and the counts are added in
    input order, so the result does not depend on ``jobs``. A worker
    inherits the two policies where the platform forks, else loads them
    with ``load_pair(*load)``.
    """
    global _COMPARER
    from .batch import CHUNK_SIZE, JSONL, _chunks

    w = WhatIf(
        base.hash,
        other.hash,
        base.root,
        other.root,
        limit,
        program_order=tuple(base.programs)
        + tuple(p for p in other.programs if p not in base.programs),
        level_order=level_order(base),
        base_id=base.document.id,
        other_id=other.document.id,
    )
    header = tuple(cases.header) if cases.header is not None else None
    layout = (header, cases.name, cases.header_line or 1, as_of)
    comparer = Comparer(base, other, *layout)
    chunk_size = chunk_size or CHUNK_SIZE

    def tasks():
        # the chunks of the file, with how many changed cases each keeps
        if cases.format == JSONL:
            for first, block in cases.raw_blocks(chunk_size):
                yield _compare_block, (first, block, limit), None
        else:
            for chunk in _chunks(cases.records(), chunk_size):
                rows = [(r.line, r.text, r.cells, r.error) for r in chunk]
                yield _compare_rows, (rows, limit), None

    results: Generator[tuple, None, None]
    if jobs <= 1:
        _COMPARER = comparer
        results = ((fn(*args), tag) for fn, args, tag in tasks())
    else:
        from .pool import in_order

        _COMPARER = comparer  # inherited by forked workers: no second load
        results = in_order(tasks(), jobs, _init_comparer, (load, layout))
    try:
        for (part, rejects), _tag in results:
            w.merge(part)
            if on_reject is not None:
                for record, err in rejects:
                    on_reject(record, err)
            if on_progress is not None:
                on_progress(w, cases)
    finally:
        results.close()
        _COMPARER = None
    return w
